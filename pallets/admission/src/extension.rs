//! [`CheckAdmission`], the transaction extension that keeps strangers out of the pool.

use crate::{AdmissionError, Config, KnownAccounts, Pallet, WeightInfo};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	dispatch::DispatchInfo, pallet_prelude::TransactionSource, CloneNoBound, EqNoBound,
	PartialEqNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	traits::{
		AsSystemOriginSigner, DispatchInfoOf, Dispatchable, PostDispatchInfoOf,
		TransactionExtension, ValidateResult,
	},
	transaction_validity::{TransactionValidityError, ValidTransaction},
	DispatchResult, Weight,
};

/// Admits a signed transaction only from an account the chain knows, and a device's or
/// gateway's only within its per-block quota. Carries no data: signers add nothing.
#[derive(
	Encode, Decode, DecodeWithMemTracking, CloneNoBound, EqNoBound, PartialEqNoBound, TypeInfo,
)]
#[scale_info(skip_type_params(T))]
pub struct CheckAdmission<T: Config + Send + Sync>(PhantomData<T>);

impl<T: Config + Send + Sync> CheckAdmission<T> {
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T: Config + Send + Sync> Default for CheckAdmission<T> {
	fn default() -> Self {
		Self::new()
	}
}

impl<T: Config + Send + Sync> core::fmt::Debug for CheckAdmission<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckAdmission")
	}
}

/// What validation found, for `prepare`.
pub enum Admitted<AccountId> {
	/// Not a signed transaction: nothing was checked.
	NotSigned,
	/// A member account: no quota.
	Member,
	/// A device or gateway whose transaction counts against its quota.
	WithinQuota(AccountId),
}

/// What `prepare` did, for `post_dispatch`.
pub enum Prepared {
	/// Nothing was checked: the extension's weight is refunded.
	NothingChecked,
	/// The signer was checked (and counted, if it has a quota).
	Checked,
}

impl<T: Config + Send + Sync> TransactionExtension<T::RuntimeCall> for CheckAdmission<T>
where
	T::RuntimeCall: Dispatchable<Info = DispatchInfo>,
	<T::RuntimeCall as Dispatchable>::RuntimeOrigin: AsSystemOriginSigner<T::AccountId> + Clone,
{
	const IDENTIFIER: &'static str = "CheckAdmission";
	type Implicit = ();
	type Val = Admitted<T::AccountId>;
	type Pre = Prepared;

	fn weight(&self, _call: &T::RuntimeCall) -> Weight {
		T::WeightInfo::check_admission()
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		_call: &T::RuntimeCall,
		_info: &DispatchInfoOf<T::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Encode,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, T::RuntimeCall> {
		let Some(signer) = origin.as_system_origin_signer() else {
			return Ok((ValidTransaction::default(), Admitted::NotSigned, origin));
		};
		let kind = T::KnownAccounts::kind_of(signer).ok_or(AdmissionError::UnknownAccount)?;
		let admitted = match Pallet::<T>::quota_of(kind) {
			None => Admitted::Member,
			Some(quota) => {
				if Pallet::<T>::used_this_block(signer) >= quota {
					return Err(AdmissionError::QuotaExhausted.into());
				}
				Admitted::WithinQuota(signer.clone())
			},
		};
		Ok((ValidTransaction::default(), admitted, origin))
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
		// transactions that go into a block use up the quota.
		Ok(match val {
			Admitted::NotSigned => Prepared::NothingChecked,
			Admitted::Member => Prepared::Checked,
			Admitted::WithinQuota(account) => {
				Pallet::<T>::note_transaction(&account);
				Prepared::Checked
			},
		})
	}

	fn post_dispatch_details(
		pre: Self::Pre,
		_info: &DispatchInfoOf<T::RuntimeCall>,
		_post_info: &PostDispatchInfoOf<T::RuntimeCall>,
		_len: usize,
		_result: &DispatchResult,
	) -> Result<Weight, TransactionValidityError> {
		Ok(match pre {
			Prepared::NothingChecked => T::WeightInfo::check_admission(),
			Prepared::Checked => Weight::zero(),
		})
	}
}
