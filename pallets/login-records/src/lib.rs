//! # Login Records Pallet
//!
//! The append-only audit trail of login attempts between user devices and IoT devices (seed 001,
//! sections 3.2 and 3.4): who tried to log in to which device, with which challenge, and how it
//! ended — recorded on chain so an operator whose servers were hacked can still trust the log.
//!
//! ## Overview
//!
//! - **Hash mode** (the paper's protocol): the certifier organisation that recorded the pair's
//!   registration (and so holds its secret) checks the user device's certification hash against the
//!   secret and the on-chain registration hash, then reports the outcome with
//!   [`Pallet::report_login`]. No other certifier can report for the pair.
//! - **Signature mode**: the IoT device, its gateway, or the pair's certifier submits the user
//!   device's signature over [`iotchain_certification_scheme::login_payload`] with
//!   [`Pallet::submit_signed_login`]; the chain verifies it against the registered key and decides
//!   the outcome itself.
//!
//! Only registered pairs have attempts recorded, so nobody creates state for pairs that do not
//! exist. Each challenge nonce is accepted once per pair, and only while its challenge is
//! younger than `ChallengeLifetime` blocks; a pair takes at most `MaxLoginsPerChallengeLifetime`
//! attempts in that time, which bounds both the nonces remembered and the rate of attempts.
//! The limit is per pair, not per device, so a party with business with one pair cannot use up
//! the attempts of the device's other pairs. (A nonce answers for one pair only: the
//! certification hash mixes the pair's secret and the signed payload names the user device, so
//! the same nonce on another pair is no replay.)
//!
//! **Access rights** (the access grants pallet): a login succeeds only while the pair's user
//! device holds a `login` grant on the device (a tenant's phone during the stay). An attempt
//! that would otherwise succeed is recorded as a failure with reason `NotGranted`, so the audit
//! trail shows the refused attempt; such a failure is a refusal by the owner's policy, not a
//! wrong answer, so it neither counts towards the lock nor resets the count. A certifier
//! reports and relays logins only while the device's owner grants it `register` (an owner that
//! is a certifier needs no grant for its own devices).
//!
//! Consecutive failures are counted per pair. At `MaxFailures` the pair locks: no success is
//! recorded until an account of the device's organisation calls [`Pallet::unlock`]. Failures go
//! on being recorded while locked. Suspended and revoked devices cannot be logged in to at all;
//! a revoked registration cannot succeed.
//!
//! Each device keeps its `MaxRecentLogins` most recent records in storage (a ring); the
//! `LoginRecorded` events hold the full history.
//!
//! A gateway relays many devices' signed logins in one transaction with
//! [`Pallet::submit_signed_logins`]: each login is checked and recorded on its own, a refused
//! one is reported by a `BatchItemFailed` event and does not stop the rest, and the batch is
//! feeless when every login concerns a device the gateway serves.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{dispatch::WithPostDispatchInfo, pallet_prelude::*};
	use frame_system::pallet_prelude::*;
	use iotchain_certification_scheme::{login_payload, Hash, Nonce};
	use pallet_access_grants::{AccessRights, Right};
	use pallet_device_registry::{DeviceId, DeviceRegistry, OrgId};
	use pallet_registration_hashes::{
		Credential, LatestRegistration, Recorder, RegistrationLookup, UserDeviceId, UserDeviceKey,
	};
	use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Verify};

	/// A login record as this runtime stores it.
	pub type LoginRecordOf<T> =
		LoginRecord<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;
	/// A pair's failure state as this runtime stores it.
	pub type PairStateOf<T> = PairState<BlockNumberFor<T>>;
	/// A signed login of a batch as this runtime takes it.
	pub type SignedLoginOf<T> = SignedLogin<BlockNumberFor<T>>;
	/// The nonces a pair accepted and when each may be forgotten.
	pub type SpentNoncesOf<T> =
		BoundedVec<(Nonce, BlockNumberFor<T>), <T as Config>::MaxLoginsPerChallengeLifetime>;

	/// The in-code storage version: 0 is the layout as first released.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The device registry: active devices and who serves which organisation.
		type Registry: DeviceRegistry<Self::AccountId>;

		/// The registration registry: what each pair registered.
		type Registrations: RegistrationLookup<Self::AccountId>;

		/// The access grants: which user devices may log in, which certifiers may record.
		type Access: AccessRights<Self::AccountId>;

		/// Consecutive failures after which a pair locks.
		#[pallet::constant]
		type MaxFailures: Get<u32>;

		/// How many of its most recent records each device keeps in storage.
		#[pallet::constant]
		type MaxRecentLogins: Get<u32>;

		/// How many blocks a challenge stays answerable after the block it was issued at.
		#[pallet::constant]
		type ChallengeLifetime: Get<BlockNumberFor<Self>>;

		/// Most attempts one (IoT device, user device) pair takes within `ChallengeLifetime`
		/// blocks.
		#[pallet::constant]
		type MaxLoginsPerChallengeLifetime: Get<u32>;

		/// Most logins in one [`Pallet::submit_signed_logins`] batch.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// How many attempts each device has had; the next record's `attempt` is one more.
	// Blake2_128Concat: device ids are chosen by registrants.
	#[pallet::storage]
	pub type AttemptCount<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, u64, ValueQuery>;

	/// Each device's most recent records, in a ring of `MaxRecentLogins` slots: attempt `a`
	/// lives in slot `(a - 1) % MaxRecentLogins`.
	// Blake2_128Concat for registrant-chosen ids; Twox64Concat for the chain-computed slot.
	#[pallet::storage]
	pub type RecentLogins<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, DeviceId, Twox64Concat, u32, LoginRecordOf<T>>;

	/// Failure counts and locks of pairs that have either.
	// Blake2_128Concat: both ids are chosen by registrants.
	#[pallet::storage]
	pub type PairStates<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		DeviceId,
		Blake2_128Concat,
		UserDeviceId,
		PairStateOf<T>,
	>;

	/// The nonces each pair accepted whose challenges have not yet expired.
	// Blake2_128Concat: both ids are chosen by registrants.
	#[pallet::storage]
	pub type SpentNonces<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		DeviceId,
		Blake2_128Concat,
		UserDeviceId,
		SpentNoncesOf<T>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A login attempt was recorded.
		LoginRecorded {
			device: DeviceId,
			user_device: UserDeviceId,
			attempt: u64,
			outcome: LoginOutcome,
			nonce: Nonce,
			evidence: Evidence,
			registration_version: Option<u32>,
			certifier: Option<OrgId>,
			by: T::AccountId,
		},
		/// A pair reached `MaxFailures` consecutive failures and is locked.
		PairLocked { device: DeviceId, user_device: UserDeviceId, failures: u32 },
		/// The device's organisation unlocked a pair.
		PairUnlocked { device: DeviceId, user_device: UserDeviceId, by: T::AccountId },
		/// The item at `index` of a batch was refused with `error` and nothing of it recorded;
		/// the batch's other items were applied on their own.
		BatchItemFailed { index: u32, error: DispatchError },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The IoT device does not exist or is not active: nobody can log in to it.
		DeviceNotActive,
		/// Only a certifier organisation's account may report a hash-mode login.
		NotCertifier,
		/// The device's owner does not grant this certifier's organisation `register` on the
		/// device now: it no longer records the device's logins.
		NoRegisterGrant,
		/// Only the certifier organisation that recorded the pair's registration may report
		/// its hash-mode logins.
		NotPairCertifier,
		/// Only the IoT device itself, its gateway, or the certifier organisation that
		/// recorded the pair's registration may submit the pair's signed logins.
		NotAllowedToSubmit,
		/// Only an account of the device's organisation may unlock its pairs.
		NotDeviceOrganisation,
		/// The challenge block is ahead of the chain.
		ChallengeFromFuture,
		/// The challenge is older than `ChallengeLifetime` blocks.
		ChallengeExpired,
		/// The device already accepted this nonce: a replay.
		NonceAlreadyUsed,
		/// The pair took `MaxLoginsPerChallengeLifetime` attempts within the challenge
		/// lifetime; try again later.
		TooManyLogins,
		/// The pair has no registration: there is nobody to log in.
		RegistrationNotFound,
		/// A success was reported, but the pair's current registration is revoked.
		RegistrationRevoked,
		/// A hash-mode success was reported for a pair registered with a key.
		NotHashMode,
		/// A success was reported for a locked pair; unlock it first.
		PairLocked,
		/// The pair is not locked.
		NotLocked,
		/// A batch is empty: it records nothing.
		BadBatchSize,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Record the outcome of a hash-mode login a certifier checked. An account of the
		/// certifier organisation that recorded the pair's registration only.
		///
		/// A success needs the pair's current, unrevoked hash-mode registration and an unlocked
		/// pair. A failure is always recorded and counted.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::report_login())]
		pub fn report_login(
			origin: OriginFor<T>,
			device: DeviceId,
			user_device: UserDeviceId,
			nonce: Nonce,
			challenge_block: BlockNumberFor<T>,
			outcome: LoginOutcome,
			certification_hash: Hash,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_report_login(
				caller,
				device,
				user_device,
				nonce,
				challenge_block,
				outcome,
				certification_hash,
			)
		}

		/// Submit a signature-mode login: the user device's signature over the login payload.
		/// The chain verifies it and records the outcome it decides. The IoT device itself, the
		/// gateway of its organisation assigned to it, or an account of the certifier
		/// organisation that recorded the pair's registration.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::submit_signed_login())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, device: &DeviceId, _user_device: &UserDeviceId, _nonce: &Nonce, _challenge_block: &BlockNumberFor<T>, _signature: &UserDeviceSignature| -> bool {
			pallet_device_registry::is_signed_by_device_or_its_gateway::<T, T::Registry>(origin, device)
		})]
		pub fn submit_signed_login(
			origin: OriginFor<T>,
			device: DeviceId,
			user_device: UserDeviceId,
			nonce: Nonce,
			challenge_block: BlockNumberFor<T>,
			signature: UserDeviceSignature,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_submit_signed(
				caller,
				SignedLogin { device, user_device, nonce, challenge_block, signature },
			)
		}

		/// Unlock a pair and clear its failure count. An account of the device's organisation.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::unlock())]
		pub fn unlock(
			origin: OriginFor<T>,
			device: DeviceId,
			user_device: UserDeviceId,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_unlock(caller, device, user_device)
		}

		/// Submit signature-mode logins, each as [`Pallet::submit_signed_login`] would:
		/// checked and recorded on its own. A refused login records nothing and is reported by
		/// a `BatchItemFailed` event; the others go on. At most `MaxBatchSize` logins: the
		/// bound is in the type, so a larger batch does not decode. An empty batch fails with
		/// `BadBatchSize`, charged as a batch of none. Feeless when every login concerns the
		/// signing device itself or a device whose assigned gateway (of its own organisation)
		/// signs.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::submit_signed_logins(logins.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, logins: &BoundedVec<SignedLoginOf<T>, T::MaxBatchSize>| -> bool {
			pallet_device_registry::is_signed_for_all_by_device_or_gateway::<T, T::Registry>(
				origin,
				logins.iter().map(|login| &login.device),
			)
		})]
		pub fn submit_signed_logins(
			origin: OriginFor<T>,
			logins: BoundedVec<SignedLoginOf<T>, T::MaxBatchSize>,
		) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			Self::do_submit_signed_batch(caller, logins)
				.map_err(|error| error.with_weight(T::WeightInfo::submit_signed_logins(0)))?;
			Ok(().into())
		}
	}

	/// One attempt, authorised and with its outcome decided, about to be recorded.
	struct Attempt<T: Config> {
		device: DeviceId,
		user_device: UserDeviceId,
		nonce: Nonce,
		challenge_block: BlockNumberFor<T>,
		outcome: LoginOutcome,
		evidence: Evidence,
		registration_version: Option<u32>,
		certifier: Option<OrgId>,
		submitted_by: T::AccountId,
	}

	impl<T: Config> Pallet<T> {
		/// Checks that `caller` is the pair's recording certifier and records the outcome it
		/// reports, after checking that a success may be recorded.
		fn do_report_login(
			caller: T::AccountId,
			device: DeviceId,
			user_device: UserDeviceId,
			nonce: Nonce,
			challenge_block: BlockNumberFor<T>,
			outcome: LoginOutcome,
			certification_hash: Hash,
		) -> DispatchResult {
			let certifier =
				T::Registry::active_certifier_org_of(&caller).ok_or(Error::<T>::NotCertifier)?;
			Self::ensure_device_active(&device)?;
			let registration = T::Registrations::latest(&device, &user_device)
				.ok_or(Error::<T>::RegistrationNotFound)?;
			ensure!(
				registration.recorder == Recorder::Certifier(certifier),
				Error::<T>::NotPairCertifier
			);
			ensure!(Self::may_record_as_certifier(certifier, &device), Error::<T>::NoRegisterGrant);
			// Checked whatever the certifier reports, so every report costs what its weight says.
			let granted = T::Access::user_device_may(&user_device, Right::Login, &device);
			let outcome = match outcome {
				LoginOutcome::Success => {
					Self::ensure_may_succeed(&device, &user_device, &registration)?;
					if granted {
						outcome
					} else {
						LoginOutcome::Failure(FailureReason::NotGranted)
					}
				},
				failure => failure,
			};
			Self::record(Attempt {
				device,
				user_device,
				nonce,
				challenge_block,
				outcome,
				evidence: Evidence::CertificationHash(certification_hash),
				registration_version: Some(registration.version),
				certifier: Some(certifier),
				submitted_by: caller,
			})
		}

		/// Unlocks a locked pair for an account of the active device's organisation.
		fn do_unlock(
			caller: T::AccountId,
			device: DeviceId,
			user_device: UserDeviceId,
		) -> DispatchResult {
			let owner = T::Registry::active_device(&device).ok_or(Error::<T>::DeviceNotActive)?;
			ensure!(
				T::Registry::active_org_of(&caller) == Some(owner.org),
				Error::<T>::NotDeviceOrganisation
			);
			let state = PairStates::<T>::get(device, user_device).unwrap_or_default();
			ensure!(state.locked_since.is_some(), Error::<T>::NotLocked);
			PairStates::<T>::remove(device, user_device);
			Self::deposit_event(Event::PairUnlocked { device, user_device, by: caller });
			Ok(())
		}

		/// Submits each login of a batch on its own, as [`Self::do_submit_signed`]; a refused
		/// login is reported by a `BatchItemFailed` event. Fails only for an empty batch.
		fn do_submit_signed_batch(
			caller: T::AccountId,
			logins: BoundedVec<SignedLoginOf<T>, T::MaxBatchSize>,
		) -> DispatchResult {
			pallet_device_registry::apply_batch(
				logins,
				Error::<T>::BadBatchSize,
				|login| Self::do_submit_signed(caller.clone(), login),
				|index, error| Self::deposit_event(Event::BatchItemFailed { index, error }),
			)
		}

		/// Checks who may submit `login`, judges its signature and records the outcome.
		fn do_submit_signed(caller: T::AccountId, login: SignedLoginOf<T>) -> DispatchResult {
			let SignedLogin { device, user_device, nonce, challenge_block, signature } = login;
			Self::ensure_device_active(&device)?;
			let registration = T::Registrations::latest(&device, &user_device)
				.ok_or(Error::<T>::RegistrationNotFound)?;
			ensure!(
				Self::may_submit_signed(&caller, &device, &registration),
				Error::<T>::NotAllowedToSubmit
			);
			let outcome = Self::judge_signature(
				&device,
				&user_device,
				&nonce,
				challenge_block,
				&signature,
				&registration,
			);
			Self::record(Attempt {
				device,
				user_device,
				nonce,
				challenge_block,
				outcome,
				evidence: Evidence::Signature(signature),
				registration_version: Some(registration.version),
				certifier: None,
				submitted_by: caller,
			})
		}

		/// The device itself, the gateway of its organisation assigned to it, and the pair's
		/// recording certifier relay its signed logins; nobody else has business with the pair.
		fn may_submit_signed(
			caller: &T::AccountId,
			device: &DeviceId,
			registration: &LatestRegistration,
		) -> bool {
			if let Some(own) = T::Registry::active_device_by_account(caller) {
				return pallet_device_registry::speaks_for::<_, T::Registry>(&own, device);
			}
			matches!(registration.recorder, Recorder::Certifier(org)
				if T::Registry::active_certifier_org_of(caller) == Some(org) &&
					Self::may_record_as_certifier(org, device))
		}

		/// Whether certifier organisation `certifier` may record `device`'s logins now: the
		/// device is its own, or its owner grants it `register`.
		fn may_record_as_certifier(certifier: OrgId, device: &DeviceId) -> bool {
			T::Registry::org_of(device) == Some(certifier)
				|| T::Access::organisation_may(certifier, Right::Register, device)
		}

		fn ensure_device_active(device: &DeviceId) -> DispatchResult {
			ensure!(T::Registry::active_device(device).is_some(), Error::<T>::DeviceNotActive);
			Ok(())
		}

		fn is_locked(device: &DeviceId, user_device: &UserDeviceId) -> bool {
			PairStates::<T>::get(device, user_device).is_some_and(|s| s.locked_since.is_some())
		}

		/// A reported success needs a current hash-mode registration and an unlocked pair.
		fn ensure_may_succeed(
			device: &DeviceId,
			user_device: &UserDeviceId,
			registration: &LatestRegistration,
		) -> DispatchResult {
			ensure!(!registration.revoked, Error::<T>::RegistrationRevoked);
			ensure!(
				matches!(registration.credential, Credential::Hash { .. }),
				Error::<T>::NotHashMode
			);
			ensure!(!Self::is_locked(device, user_device), Error::<T>::PairLocked);
			Ok(())
		}

		/// The outcome of a signature-mode attempt, decided by the chain.
		fn judge_signature(
			device: &DeviceId,
			user_device: &UserDeviceId,
			nonce: &Nonce,
			challenge_block: BlockNumberFor<T>,
			signature: &UserDeviceSignature,
			registration: &LatestRegistration,
		) -> LoginOutcome {
			use FailureReason::*;
			let key = match registration {
				LatestRegistration { revoked: true, .. } => {
					return LoginOutcome::Failure(RegistrationRevoked)
				},
				LatestRegistration { credential: Credential::Key(key), .. } => *key,
				// A hash-mode registration has no key to check a signature against.
				LatestRegistration { credential: Credential::Hash { .. }, .. } => {
					return LoginOutcome::Failure(UnknownRegistration)
				},
			};
			if Self::is_locked(device, user_device) {
				return LoginOutcome::Failure(Locked);
			}
			// Before the signature: a user device the owner does not let in is refused whatever
			// it signed, and the cheaper check comes first.
			if !T::Access::user_device_may(user_device, Right::Login, device) {
				return LoginOutcome::Failure(NotGranted);
			}
			let payload = login_payload(
				&Self::genesis_hash(),
				device,
				user_device,
				nonce,
				challenge_block.unique_saturated_into(),
			);
			let valid = match (key, signature) {
				(UserDeviceKey::Sr25519(public), UserDeviceSignature::Sr25519(signature)) => {
					signature.verify(&payload[..], &sp_core::sr25519::Public::from_raw(public))
				},
				(UserDeviceKey::Ed25519(public), UserDeviceSignature::Ed25519(signature)) => {
					signature.verify(&payload[..], &sp_core::ed25519::Public::from_raw(public))
				},
				_ => false,
			};
			if valid {
				LoginOutcome::Success
			} else {
				LoginOutcome::Failure(BadSignature)
			}
		}

		/// This chain's genesis hash, which every signed login payload names.
		pub fn genesis_hash() -> Hash {
			pallet_device_registry::genesis_hash::<T>()
		}

		/// Checks the challenge's age and spends its nonce for the pair.
		fn spend_nonce(
			device: &DeviceId,
			user_device: &UserDeviceId,
			nonce: &Nonce,
			challenge_block: BlockNumberFor<T>,
		) -> DispatchResult {
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(challenge_block <= now, Error::<T>::ChallengeFromFuture);
			let expires = challenge_block.saturating_add(T::ChallengeLifetime::get());
			ensure!(now <= expires, Error::<T>::ChallengeExpired);
			SpentNonces::<T>::try_mutate(device, user_device, |spent| {
				spent.retain(|(_, expiry)| *expiry >= now);
				ensure!(spent.iter().all(|(used, _)| used != nonce), Error::<T>::NonceAlreadyUsed);
				spent.try_push((*nonce, expires)).map_err(|_| Error::<T>::TooManyLogins)?;
				Ok(())
			})
		}

		/// Spends the nonce, appends the record, and updates the pair's failure count.
		fn record(attempt: Attempt<T>) -> DispatchResult {
			let Attempt { device, user_device, nonce, challenge_block, outcome, .. } = attempt;
			Self::spend_nonce(&device, &user_device, &nonce, challenge_block)?;
			let number = AttemptCount::<T>::get(device).saturating_add(1);
			AttemptCount::<T>::insert(device, number);
			let record = LoginRecord {
				attempt: number,
				user_device,
				outcome,
				nonce,
				challenge_block,
				evidence: attempt.evidence,
				registration_version: attempt.registration_version,
				certifier: attempt.certifier,
				submitted_by: attempt.submitted_by,
				block: frame_system::Pallet::<T>::block_number(),
			};
			RecentLogins::<T>::insert(device, Self::slot(number), record.clone());
			Self::deposit_event(Event::LoginRecorded {
				device,
				user_device,
				attempt: number,
				outcome,
				nonce,
				evidence: record.evidence,
				registration_version: record.registration_version,
				certifier: record.certifier,
				by: record.submitted_by,
			});
			match outcome {
				LoginOutcome::Success => PairStates::<T>::remove(device, user_device),
				// The owner's policy refused it: no wrong answer to count.
				LoginOutcome::Failure(FailureReason::NotGranted) => {},
				LoginOutcome::Failure(_) => Self::count_failure(device, user_device),
			}
			Ok(())
		}

		fn count_failure(device: DeviceId, user_device: UserDeviceId) {
			let mut state = PairStates::<T>::get(device, user_device).unwrap_or_default();
			state.consecutive_failures = state.consecutive_failures.saturating_add(1);
			if state.locked_since.is_none() && state.consecutive_failures >= T::MaxFailures::get() {
				state.locked_since = Some(frame_system::Pallet::<T>::block_number());
				Self::deposit_event(Event::PairLocked {
					device,
					user_device,
					failures: state.consecutive_failures,
				});
			}
			PairStates::<T>::insert(device, user_device, state);
		}

		/// The ring slot of attempt `number` (1-based).
		fn slot(number: u64) -> u32 {
			let window = u64::from(T::MaxRecentLogins::get().max(1));
			// The remainder is below `window`, itself a `u32`.
			(number.saturating_sub(1) % window) as u32
		}

		/// A device's records still in storage, newest first, at most `limit`.
		pub fn recent_logins(device: &DeviceId, limit: u32) -> Vec<LoginRecordOf<T>> {
			let mut records: Vec<_> = RecentLogins::<T>::iter_prefix_values(device).collect();
			records.sort_by(|a, b| b.attempt.cmp(&a.attempt));
			records.truncate(limit as usize);
			records
		}

		/// A pair's failure count and lock.
		pub fn pair_state(device: &DeviceId, user_device: &UserDeviceId) -> PairStateOf<T> {
			PairStates::<T>::get(device, user_device).unwrap_or_default()
		}

		/// Checks that the rings, counters, pair states and spent nonces agree.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let window = u64::from(T::MaxRecentLogins::get());
			for (device, count) in AttemptCount::<T>::iter() {
				let mut kept = 0u64;
				for (slot, record) in RecentLogins::<T>::iter_prefix(device) {
					ensure!(record.attempt <= count, "a record is newer than the device's count");
					ensure!(Self::slot(record.attempt) == slot, "a record sits in the wrong slot");
					ensure!(record.attempt + window > count, "a record outlived its ring window");
					kept += 1;
				}
				ensure!(
					kept == count.min(window),
					"a device's ring has the wrong number of records"
				);
			}
			for (device, _, _) in RecentLogins::<T>::iter() {
				ensure!(AttemptCount::<T>::get(device) > 0, "records of a device with no attempts");
			}
			for (_, _, state) in PairStates::<T>::iter() {
				ensure!(state.consecutive_failures > 0, "a pair state with nothing to say is kept");
				ensure!(
					state.locked_since.is_none()
						|| state.consecutive_failures >= T::MaxFailures::get(),
					"a pair is locked below MaxFailures"
				);
			}
			Ok(())
		}
	}
}
