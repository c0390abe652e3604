//! [`AdmitAndCheckNonce`], the transaction extension that keeps strangers out of the pool and
//! holds devices and gateways to their quota, in blocks and in the pool.

use crate::{AdmissionError, Config, KnownAccounts, Pallet, WeightInfo};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	dispatch::DispatchInfo, pallet_prelude::TransactionSource, traits::Get, CloneNoBound,
	EqNoBound, PartialEqNoBound,
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

/// Admits a signed transaction only from an account the chain knows, holds a device's or
/// gateway's transactions to its quota, and checks the transaction's nonce.
///
/// It takes the place of `frame_system::CheckNonce`, under the same identifier (`CheckNonce`)
/// and with the same encoding (the compact nonce), so wallets, subxt and Polkadot.js fill it in
/// as they always do. It has to see the nonce because the quota is enforced twice:
///
/// - **in a block**: at most `DeviceQuota` (`GatewayQuota`) transactions of one device
///   (gateway) per block, counted as they are included; the next one is refused for this block
///   as `ExhaustsResources`, which block builders skip and pools keep, so it waits for the
///   next block;
/// - **in the pool**: a device's transaction is valid only if its nonce lies within
///   `quota × QuotaWindow` of the account's nonce on chain, so the pool holds at most what the
///   quota lets the next `QuotaWindow` blocks include — a compromised device flooding the pool
///   is refused at submission with [`AdmissionError::QuotaExhausted`], not stored.
///
/// A device's transaction is prioritised by how close its nonce is to the chain's: each
/// device's next transaction comes before anyone's second, so an honest device with one record
/// to write is not queued behind a flooding device's backlog.
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
pub enum Admitted<AccountId> {
	/// Not a signed transaction: nothing was checked.
	NotSigned,
	/// A member account: no quota.
	Member(AccountId),
	/// A device or gateway whose transaction counts against its quota.
	WithinQuota(AccountId),
}

/// What `prepare` did, for `post_dispatch`.
pub enum Prepared {
	/// Nothing was checked: the extension's weight is refunded.
	NothingChecked,
	/// The signer was admitted and its nonce spent (and counted, if it has a quota).
	Checked,
}

impl<T: Config + Send + Sync> TransactionExtension<T::RuntimeCall> for AdmitAndCheckNonce<T>
where
	T::RuntimeCall: Dispatchable<Info = DispatchInfo>,
	<T::RuntimeCall as Dispatchable>::RuntimeOrigin: AsSystemOriginSigner<T::AccountId> + Clone,
{
	// Wallets and clients know this identifier and put the nonce here.
	const IDENTIFIER: &'static str = "CheckNonce";
	type Implicit = ();
	type Val = Admitted<T::AccountId>;
	type Pre = Prepared;

	fn weight(&self, _call: &T::RuntimeCall) -> Weight {
		T::WeightInfo::admit_and_check_nonce()
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
		// Admission first: a stranger is refused before any state is read for its nonce.
		let kind = T::KnownAccounts::kind_of(signer).ok_or(AdmissionError::UnknownAccount)?;
		let nonce = CheckNonce::<T>::validate_nonce_for_account(signer, self.0)?;
		let (priority, admitted) = match Pallet::<T>::quota_of(kind) {
			None => (0, Admitted::Member(signer.clone())),
			Some(quota) => {
				// Its share of this block is used up: the block builder skips it and the pool
				// keeps it for the next block. (A `Custom` refusal here would make the block
				// builder drop it from the pool, and every later transaction of the device with
				// it: an honest device's queued records would be lost.)
				if Pallet::<T>::used_this_block(signer) >= quota {
					return Err(InvalidTransaction::ExhaustsResources.into());
				}
				let ahead = self.0.saturating_sub(frame_system::Pallet::<T>::account_nonce(signer));
				let ahead: u64 = ahead.unique_saturated_into();
				let window = u64::from(quota.saturating_mul(T::QuotaWindow::get()));
				if ahead >= window {
					return Err(AdmissionError::QuotaExhausted.into());
				}
				(window - ahead, Admitted::WithinQuota(signer.clone()))
			},
		};
		let validity = ValidTransaction {
			priority: priority as TransactionPriority,
			requires: nonce.requires,
			provides: nonce.provides,
			longevity: TransactionLongevity::MAX,
			propagate: true,
		};
		Ok((validity, admitted, origin))
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
		match val {
			Admitted::NotSigned => Ok(Prepared::NothingChecked),
			Admitted::Member(account) => {
				CheckNonce::<T>::prepare_nonce_for_account(&account, self.0)?;
				Ok(Prepared::Checked)
			},
			Admitted::WithinQuota(account) => {
				CheckNonce::<T>::prepare_nonce_for_account(&account, self.0)?;
				Pallet::<T>::note_transaction(&account);
				Ok(Prepared::Checked)
			},
		}
	}

	fn post_dispatch_details(
		pre: Self::Pre,
		_info: &DispatchInfoOf<T::RuntimeCall>,
		_post_info: &PostDispatchInfoOf<T::RuntimeCall>,
		_len: usize,
		_result: &DispatchResult,
	) -> Result<Weight, TransactionValidityError> {
		Ok(match pre {
			Prepared::NothingChecked => T::WeightInfo::admit_and_check_nonce(),
			Prepared::Checked => Weight::zero(),
		})
	}
}
