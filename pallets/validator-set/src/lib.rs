//! # Validator Set Pallet
//!
//! The consortium's validators: which accounts may author blocks (Aura) and vote on finality
//! (GRANDPA). Only governance changes the set; `pallet-session` enacts it at session boundaries.
//!
//! ## Overview
//!
//! - [`Pallet::add_validator`] approves an account, [`Pallet::remove_validator`] withdraws it
//!   (governance, or the validator itself). A removal that would leave fewer than
//!   `MinValidators` approved validators is refused. In iotchain `GovernanceOrigin` is the
//!   council's qualified majority: a bare majority of organisations could otherwise remove the
//!   minority's validators, lower the minimum first, or add enough of its own validators to
//!   finalise without them.
//! - An approved validator takes part once its operator has registered session keys with the
//!   standard flow: `author_rotateKeys` on the validator's own node (so the keys are in the
//!   keystore of the node that will use them), then `session.set_keys` signed by the validator's
//!   account.
//! - At each session boundary this pallet, as `pallet-session`'s `SessionManager`, plans the next
//!   set: the approved validators that have session keys. A new plan is queued for the session
//!   after next (session's one-session lookahead lets every node learn the new GRANDPA set before
//!   it is enacted). A plan with fewer than `MinValidators` validators is never queued: it is
//!   deferred, with an event, until enough approved validators have keys.
//!
//! Every decision and every plan is an event, so the chain itself is the audit log of who could
//! validate when.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{pallet_prelude::*, traits::ValidatorRegistration};
	use frame_system::pallet_prelude::*;
	use sp_staking::SessionIndex;

	/// The approved validators, as this runtime stores them.
	pub type ValidatorsOf<T> =
		BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxValidators>;

	/// The in-code storage version: 0 is the layout as first released.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Who may add and remove validators: the consortium's governance.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Whether an account has registered session keys (`pallet-session`).
		type SessionKeys: ValidatorRegistration<Self::AccountId>;

		/// Most validators that may be approved; at most the consensus engines' authority bound.
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The validators governance approved, in the order they were approved.
	#[pallet::storage]
	pub type ApprovedValidators<T: Config> = StorageValue<_, ValidatorsOf<T>, ValueQuery>;

	/// The validator set this pallet last handed to `pallet-session`.
	#[pallet::storage]
	pub type PlannedValidators<T: Config> = StorageValue<_, ValidatorsOf<T>, ValueQuery>;

	/// Fewest validators the chain runs with, chosen by governance. With GRANDPA, `3f + 1`
	/// validators tolerate `f` faulty ones: four is the least that survives one failure.
	#[pallet::storage]
	pub type MinValidators<T: Config> = StorageValue<_, u32, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validators of the first sessions; each needs session keys in `pallet-session`'s
		/// genesis.
		pub validators: Vec<T::AccountId>,
		/// Fewest validators the chain may run with; at least one.
		pub min_validators: u32,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			// The default (empty) genesis configures no validator set at all; every chain spec
			// names its validators.
			if self.validators.is_empty() && self.min_validators == 0 {
				return;
			}
			let mut unique = self.validators.clone();
			unique.sort();
			unique.dedup();
			assert_eq!(unique.len(), self.validators.len(), "genesis validators must be distinct");
			assert!(self.min_validators >= 1, "the chain needs at least one validator");
			assert!(
				self.validators.len() >= self.min_validators as usize,
				"genesis needs at least min_validators validators"
			);
			MinValidators::<T>::put(self.min_validators);
			let validators: ValidatorsOf<T> = self
				.validators
				.clone()
				.try_into()
				.expect("genesis validators must number at most MaxValidators");
			ApprovedValidators::<T>::put(&validators);
			PlannedValidators::<T>::put(validators);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance approved `validator`; it validates from the second session boundary after
		/// it has session keys.
		ValidatorAdded { validator: T::AccountId },
		/// Governance withdrew `validator`; it stops validating from the second session boundary
		/// from now.
		ValidatorRemoved { validator: T::AccountId },
		/// `validator` withdrew itself; it stops validating from the second session boundary
		/// from now.
		ValidatorWithdrew { validator: T::AccountId },
		/// `validators` will validate from session `session` on.
		ValidatorSetPlanned { session: SessionIndex, validators: Vec<T::AccountId> },
		/// The approved set changed, but only `with_keys` of its validators have session keys,
		/// fewer than the minimum; the current set stays until more register keys.
		PlanDeferred { session: SessionIndex, with_keys: u32 },
		/// Governance set the fewest validators the chain may run with.
		MinValidatorsSet { min_validators: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already an approved validator.
		AlreadyValidator,
		/// The account is not an approved validator.
		NotValidator,
		/// `MaxValidators` validators are already approved.
		TooManyValidators,
		/// The removal would leave fewer than `MinValidators` approved validators.
		TooFewValidators,
		/// The minimum must be at least one and at most the number of approved validators.
		BadMinimum,
		/// The removal would leave fewer validators with session keys than the minimum, so the
		/// next session plan could not enact it; wait until other validators have keys.
		TooFewKeyedValidators,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Approves `validator`. It joins the set planned at the next session boundary after it
		/// has session keys, and validates from the boundary after that.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator())]
		pub fn add_validator(origin: OriginFor<T>, validator: T::AccountId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_add_validator(validator)
		}

		/// Withdraws `validator`'s approval: governance's decision, or the validator's own (its
		/// account signs), since no one else may cut an organisation's validator out. It leaves
		/// the set planned at the next session boundary and stops validating at the boundary
		/// after that. Refused when fewer than the minimum would remain, counting all approved
		/// validators or only those with session keys (the ones a plan can enact).
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator())]
		pub fn remove_validator(origin: OriginFor<T>, validator: T::AccountId) -> DispatchResult {
			let withdrawn = match T::GovernanceOrigin::try_origin(origin) {
				Ok(_) => false,
				Err(origin) => {
					let signer = ensure_signed(origin)?;
					ensure!(signer == validator, DispatchError::BadOrigin);
					true
				},
			};
			Self::do_remove_validator(validator, withdrawn)
		}

		/// Sets the fewest validators the chain may run with: at least one, at most the number
		/// of approved validators.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::set_min_validators())]
		pub fn set_min_validators(origin: OriginFor<T>, min_validators: u32) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_min_validators(min_validators)
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	impl<T: Config> Pallet<T> {
		/// Approves `validator`, unless it is approved already or the set is full.
		fn do_add_validator(validator: T::AccountId) -> DispatchResult {
			ApprovedValidators::<T>::try_mutate(|approved| {
				ensure!(!approved.contains(&validator), Error::<T>::AlreadyValidator);
				approved.try_push(validator.clone()).map_err(|_| Error::<T>::TooManyValidators)
			})?;
			Self::deposit_event(Event::ValidatorAdded { validator });
			Ok(())
		}

		/// Withdraws `validator`'s approval (`withdrawn`: at its own request), unless fewer
		/// than the minimum would remain.
		fn do_remove_validator(validator: T::AccountId, withdrawn: bool) -> DispatchResult {
			ApprovedValidators::<T>::try_mutate(|approved| {
				let position = approved
					.iter()
					.position(|approved| approved == &validator)
					.ok_or(Error::<T>::NotValidator)?;
				let minimum = MinValidators::<T>::get() as usize;
				ensure!(approved.len() > minimum, Error::<T>::TooFewValidators);
				approved.remove(position);
				// Refused now rather than deferred silently at the next boundary.
				let keyed = approved.iter().filter(|v| T::SessionKeys::is_registered(v)).count();
				ensure!(keyed >= minimum, Error::<T>::TooFewKeyedValidators);
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(if withdrawn {
				Event::ValidatorWithdrew { validator }
			} else {
				Event::ValidatorRemoved { validator }
			});
			Ok(())
		}

		/// Sets the fewest validators the chain may run with, from one to the number approved.
		fn do_set_min_validators(min_validators: u32) -> DispatchResult {
			ensure!(
				min_validators >= 1
					&& min_validators as usize
						<= ApprovedValidators::<T>::decode_len().unwrap_or(0),
				Error::<T>::BadMinimum
			);
			MinValidators::<T>::put(min_validators);
			Self::deposit_event(Event::MinValidatorsSet { min_validators });
			Ok(())
		}

		/// Whether `account` is an approved validator (whether or not it validates yet).
		pub fn is_approved(account: &T::AccountId) -> bool {
			ApprovedValidators::<T>::get().contains(account)
		}

		/// The set to hand to `pallet-session` for session `session`, if it differs from the
		/// last one handed over and is large enough.
		pub(crate) fn plan(session: SessionIndex) -> Option<Vec<T::AccountId>> {
			let with_keys: ValidatorsOf<T> = BoundedVec::truncate_from(
				ApprovedValidators::<T>::get()
					.into_iter()
					.filter(|validator| T::SessionKeys::is_registered(validator))
					.collect(),
			);
			if with_keys == PlannedValidators::<T>::get() {
				return None;
			}
			if with_keys.len() < MinValidators::<T>::get() as usize {
				Self::deposit_event(Event::PlanDeferred {
					session,
					with_keys: with_keys.len() as u32,
				});
				return None;
			}
			PlannedValidators::<T>::put(&with_keys);
			let validators = with_keys.into_inner();
			Self::deposit_event(Event::ValidatorSetPlanned {
				session,
				validators: validators.clone(),
			});
			Some(validators)
		}

		/// Checks the invariants: the approved validators are distinct and at least
		/// `MinValidators`, which is at least one.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let approved = ApprovedValidators::<T>::get();
			let mut distinct = approved.clone().into_inner();
			distinct.sort();
			distinct.dedup();
			ensure!(distinct.len() == approved.len(), "approved validators are not distinct");
			let minimum = MinValidators::<T>::get() as usize;
			ensure!(minimum >= 1, "the minimum is zero");
			ensure!(approved.len() >= minimum, "fewer approved validators than the minimum");
			Ok(())
		}
	}

	impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
		fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
			Self::plan(new_index)
		}

		fn new_session_genesis(_new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
			Some(PlannedValidators::<T>::get().into_inner())
		}

		fn end_session(_end_index: SessionIndex) {}

		fn start_session(_start_index: SessionIndex) {}
	}
}
