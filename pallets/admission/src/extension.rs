//! [`AdmitAndCheckNonce`], the transaction extension that keeps strangers out of the pool and
//! holds every known account to its budget of block weight, in blocks and in the pool.

use crate::{
	AccountKind, AdmissionError, Config, KnownAccounts, OrganisationIdOf, Pallet, WeightInfo,
};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	dispatch::{DispatchClass, DispatchInfo, PostDispatchInfo},
	pallet_prelude::TransactionSource,
	traits::Get,
	CloneNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::CheckNonce;
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{
		AsSystemOriginSigner, DispatchInfoOf, Dispatchable, PostDispatchInfoOf, Saturating,
		TransactionExtension, UniqueSaturatedInto, ValidateResult,
	},
	transaction_validity::{
		InvalidTransaction, TransactionLongevity, TransactionPriority, TransactionValidityError,
		ValidTransaction,
	},
	DispatchResult, Weight,
};

/// The priority of every account's next transaction; each later one of the same account
/// ranks one lower. The same for devices, gateways and members, so a gateway's backlog never
/// outranks a device's single record (members' fees add their own priority on top).
const NEXT_TRANSACTION_PRIORITY: u64 = 1 << 16;

/// Admits a signed transaction only from an account the chain knows, holds it to its budget of
/// block weight and its share of the pool, and checks the transaction's nonce.
///
/// It takes the place of `frame_system::CheckNonce`, under the same identifier (`CheckNonce`),
/// with the same encoding (the compact nonce) and in the same place among the runtime's
/// extensions, so wallets, subxt, Polkadot.js and substrate-interface fill it in as they
/// always do. It has to see the nonce because the pool's share is counted in nonces:
///
/// - **in a block**: an account's transactions may declare at most its budget of weight per
///   block (`DeviceBudget`, `GatewayBudget`, `MemberBudget` for normal-class calls), and a
///   device's or gateway's also count against its organisation's `OrganisationBudget`. Weight
///   is counted as declared when the transaction goes in and what the call did not use is
///   given back after it ran. One that does not fit what is left is refused for this block as
///   `ExhaustsResources`, which block builders skip and pools keep, so it waits for the next
///   block; one that could never fit is refused for good ([`AdmissionError::TooHeavy`]);
/// - **in the pool**: a transaction is valid only if its nonce lies less than the signer's
///   pool depth ahead of its nonce on chain, so a compromised device flooding the pool is
///   refused at submission with [`AdmissionError::QuotaExhausted`], not stored.
///
/// Every account's next transaction has the same priority and each later one ranks lower, so
/// an honest device with one record to write is not queued behind another's backlog, nor
/// behind a gateway's.
#[derive(
	Encode, Decode, DecodeWithMemTracking, CloneNoBound, EqNoBound, PartialEqNoBound, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct AdmitAndCheckNonce<T: Config + Send + Sync>(
	/// The transaction's nonce.
	#[codec(compact)]
	pub T::Nonce,
	PhantomData<T>,
);

impl<T: Config + Send + Sync> AdmitAndCheckNonce<T> {
	/// The extension for a transaction with `nonce`.
	pub fn from(nonce: T::Nonce) -> Self {
		Self(nonce, PhantomData)
	}
}

impl<T: Config + Send + Sync> core::fmt::Debug for AdmitAndCheckNonce<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "AdmitAndCheckNonce({:?})", self.0)
	}
}

/// What validation found, for `prepare`.
pub enum Admitted<AccountId, Organisation> {
	/// Not a signed transaction: nothing was checked.
	NotSigned,
	/// A known account whose nonce was checked; `budget` says what its weight counts against.
	Known { account: AccountId, budget: Option<Budgeted<Organisation>> },
}

/// The budgets a transaction's weight counts against, and what they had used of the block
/// before it, as validation read them.
pub struct Budgeted<Organisation> {
	/// The organisation whose shared budget it also counts against, for devices and gateways.
	pub organisation: Option<Organisation>,
	/// The execution weight it declares.
	pub ref_time: u64,
	/// The signer's usage of the block before this transaction.
	pub account_used: u64,
	/// The organisation's usage of the block before this transaction (0 without one).
	pub organisation_used: u64,
}

impl<Organisation> Budgeted<Organisation> {
	/// Records the usage of the block with `spent` of this transaction's weight counted.
	fn record<T>(&self, account: &T::AccountId, spent: u64)
	where
		T: Config + Send + Sync,
		T::KnownAccounts: KnownAccounts<T::AccountId, Organisation = Organisation>,
	{
		Pallet::<T>::record_usage(
			account,
			self.account_used.saturating_add(spent),
			self.organisation
				.as_ref()
				.map(|organisation| (organisation, self.organisation_used.saturating_add(spent))),
		);
	}
}

/// What `prepare` did, for `post_dispatch`.
pub enum Prepared<AccountId, Organisation> {
	/// Nothing was checked: the extension's weight is refunded.
	NothingChecked,
	/// The signer was admitted and its nonce spent; its usage was counted if it is budgeted.
	Checked { account: AccountId, budget: Option<Budgeted<Organisation>> },
}

impl<T: Config + Send + Sync> AdmitAndCheckNonce<T> {
	/// Checks that a transaction of `kind` declaring `ref_time`, from `account` of
	/// `organisation`, fits the budgets it counts against in the current block; what they had
	/// used of it before (the account's, the organisation's).
	fn check_budgets(
		account: &T::AccountId,
		kind: AccountKind,
		organisation: Option<&OrganisationIdOf<T>>,
		ref_time: u64,
	) -> Result<(u64, u64), TransactionValidityError> {
		let own = Pallet::<T>::budget_of(kind).ref_time();
		let shared = T::OrganisationBudget::get().ref_time();
		if ref_time > own || (organisation.is_some() && ref_time > shared) {
			return Err(AdmissionError::TooHeavy.into());
		}
		// Its budget of this block is used up: the block builder skips it and the pool keeps it
		// for the next block. (A `Custom` refusal here would make the block builder drop it
		// from the pool, and every later transaction of the account with it: an honest device's
		// queued records would be lost.)
		let account_used = Pallet::<T>::used_this_block(account);
		if account_used.saturating_add(ref_time) > own {
			return Err(InvalidTransaction::ExhaustsResources.into());
		}
		let organisation_used = organisation
			.map_or(0, |organisation| Pallet::<T>::organisation_used_this_block(organisation));
		if organisation.is_some() && organisation_used.saturating_add(ref_time) > shared {
			return Err(InvalidTransaction::ExhaustsResources.into());
		}
		Ok((account_used, organisation_used))
	}
}

impl<T: Config + Send + Sync> TransactionExtension<T::RuntimeCall> for AdmitAndCheckNonce<T>
where
	T::RuntimeCall: Dispatchable<Info = DispatchInfo, PostInfo = PostDispatchInfo>,
	<T::RuntimeCall as Dispatchable>::RuntimeOrigin: AsSystemOriginSigner<T::AccountId> + Clone,
{
	// Wallets and clients know this identifier and put the nonce here.
	const IDENTIFIER: &'static str = "CheckNonce";
	type Implicit = ();
	type Val = Admitted<T::AccountId, OrganisationIdOf<T>>;
	type Pre = Prepared<T::AccountId, OrganisationIdOf<T>>;

	fn weight(&self, _call: &T::RuntimeCall) -> Weight {
		T::WeightInfo::admit_and_check_nonce()
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		_call: &T::RuntimeCall,
		info: &DispatchInfoOf<T::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, T::RuntimeCall> {
		let Some(signer) = origin.as_system_origin_signer() else {
			return Ok((ValidTransaction::default(), Admitted::NotSigned, origin));
		};
		// Admission first: a stranger is refused before any state is read for its nonce.
		let known = T::KnownAccounts::known_as(signer).ok_or(AdmissionError::UnknownAccount)?;
		let nonce = CheckNonce::<T>::validate_nonce_for_account(signer, self.0)?;
		let ahead = self.0.saturating_sub(frame_system::Pallet::<T>::account_nonce(signer));
		let ahead: u64 = ahead.unique_saturated_into();
		if ahead >= u64::from(Pallet::<T>::pool_depth_of(known.kind)) {
			return Err(AdmissionError::QuotaExhausted.into());
		}
		// Operational calls are governance's own; the block's operational reserve bounds them.
		let budgeted = known.kind != AccountKind::Member || info.class == DispatchClass::Normal;
		let budget = if budgeted {
			let ref_time = info.total_weight().ref_time();
			let (account_used, organisation_used) =
				Self::check_budgets(signer, known.kind, known.organisation.as_ref(), ref_time)?;
			Some(Budgeted {
				organisation: known.organisation,
				ref_time,
				account_used,
				organisation_used,
			})
		} else {
			None
		};
		let validity = ValidTransaction {
			priority: NEXT_TRANSACTION_PRIORITY.saturating_sub(ahead) as TransactionPriority,
			requires: nonce.requires,
			provides: nonce.provides,
			longevity: TransactionLongevity::MAX,
			propagate: true,
		};
		Ok((validity, Admitted::Known { account: signer.clone(), budget }, origin))
	}

	fn prepare(
		self,
		val: Self::Val,
		_origin: &<T as frame_system::Config>::RuntimeOrigin,
		_call: &T::RuntimeCall,
		_info: &DispatchInfoOf<T::RuntimeCall>,
		_len: usize,
	) -> Result<Self::Pre, TransactionValidityError> {
		// Counted here, not in `validate`: the pool validates without including, and only
		// transactions that go into a block use up a budget. A block validates each
		// transaction right before preparing it, so the usage validation read is current.
		match val {
			Admitted::NotSigned => Ok(Prepared::NothingChecked),
			Admitted::Known { account, budget } => {
				CheckNonce::<T>::prepare_nonce_for_account(&account, self.0)?;
				if let Some(budget) = &budget {
					budget.record::<T>(&account, budget.ref_time);
				}
				Ok(Prepared::Checked { account, budget })
			},
		}
	}

	fn post_dispatch_details(
		pre: Self::Pre,
		info: &DispatchInfoOf<T::RuntimeCall>,
		post_info: &PostDispatchInfoOf<T::RuntimeCall>,
		_len: usize,
		_result: &DispatchResult,
	) -> Result<Weight, TransactionValidityError> {
		match pre {
			Prepared::NothingChecked => Ok(T::WeightInfo::admit_and_check_nonce()),
			Prepared::Checked { account, budget: Some(budget) } => {
				// What the call declared but did not use goes back to the budgets it came from.
				// Nothing else of this account or organisation ran since `prepare`.
				let unspent = post_info.calc_unspent(info).ref_time().min(budget.ref_time);
				if unspent > 0 {
					budget.record::<T>(&account, budget.ref_time - unspent);
				}
				Ok(Weight::zero())
			},
			Prepared::Checked { budget: None, .. } => Ok(Weight::zero()),
		}
	}
}
