//! # Admission Pallet
//!
//! Who may put a transaction into the pool. A permissioned chain that lets any key submit
//! transactions is permissioned in name only: a stranger could fill the pool and the blocks. This
//! pallet's transaction extension, [`AdmitAndCheckNonce`], runs at validation — before any fee is
//! taken and before the pool stores the transaction — and admits a signed transaction only from an
//! account the chain knows, as the runtime's [`KnownAccounts`] answers:
//!
//! - a **member** account (council members, organisations' admins and members, validators) is
//!   admitted and pays fees as usual;
//! - an active **device** or **gateway** is admitted within a per-block quota (`DeviceQuota`,
//!   `GatewayQuota`), so a compromised device cannot flood blocks, and the pool holds at most
//!   `QuotaWindow` blocks' worth of its transactions, so it cannot flood the pool either; it
//!   holds no tokens, so the calls it exists for are feeless (see the runtime);
//! - everyone else is refused with [`AdmissionError::UnknownAccount`].
//!
//! Unsigned transactions and inherents pass untouched: the extension judges signers only.
//!
//! ## Refusal codes
//!
//! Refusals are `InvalidTransaction::Custom(code)` with the codes of [`AdmissionError`]:
//! `1` — the signer is not an account the chain knows; `2` — the signing device or gateway
//! has used its quota: of this block (when a block is built), or of the next `QuotaWindow`
//! blocks (in the pool, where its earlier transactions wait). Retry once those are included.
//!
//! The extension also checks the transaction's nonce, in place of `frame_system::CheckNonce`,
//! because the pool's share of the quota is counted in nonces (see [`AdmitAndCheckNonce`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use extension::AdmitAndCheckNonce;
pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod extension;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use codec::{Decode, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError};

/// What the chain knows an account as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AccountKind {
	/// A council member, an account of a member organisation, or a validator: pays its fees.
	Member,
	/// An active IoT device, limited to `DeviceQuota` transactions per block.
	Device,
	/// An active gateway, limited to `GatewayQuota` transactions per block.
	Gateway,
}

/// The runtime's answer to "does the chain know this account, and as what?".
pub trait KnownAccounts<AccountId> {
	/// The kind of `account`, or `None` for an account the chain does not know.
	fn kind_of(account: &AccountId) -> Option<AccountKind>;
}

/// Why [`AdmitAndCheckNonce`] refused a transaction: the `InvalidTransaction::Custom` code clients
/// see.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum AdmissionError {
	/// The signer is not an account the chain knows.
	UnknownAccount = 1,
	/// The transaction's nonce is beyond what the signing device's (gateway's) quota lets the
	/// next `QuotaWindow` blocks include: the pool does not take it. (Within a block, a device
	/// past its quota is refused as `ExhaustsResources`, so it waits for the next block.)
	QuotaExhausted = 2,
}

impl From<AdmissionError> for TransactionValidityError {
	fn from(error: AdmissionError) -> Self {
		InvalidTransaction::Custom(error as u8).into()
	}
}

/// How many transactions an account had included in one block.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct BlockUsage<BlockNumber> {
	/// The block the count belongs to; a count of an earlier block is spent.
	pub block: BlockNumber,
	/// Transactions included in that block.
	pub transactions: u32,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// The in-code storage version: 0 is the layout as first released.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Which accounts the chain knows, and as what.
		type KnownAccounts: KnownAccounts<Self::AccountId>;

		/// Most transactions one device may have included per block.
		#[pallet::constant]
		type DeviceQuota: Get<u32>;

		/// Most transactions one gateway may have included per block.
		#[pallet::constant]
		type GatewayQuota: Get<u32>;

		/// How many blocks' worth of a device's (gateway's) quota the pool holds: its
		/// transactions with nonces more than `quota × QuotaWindow` ahead of its nonce on chain
		/// are refused at submission.
		#[pallet::constant]
		type QuotaWindow: Get<u32>;

		/// Weight of the extension's checks (admission and nonce), from its benchmark.
		type WeightInfo: WeightInfo;

		/// Creates the account the check costs most for, for the benchmark.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// How many transactions each device and gateway had included in the block it last
	/// transacted in. One entry per account that ever transacted, overwritten each block.
	// Blake2_128Concat: device accounts are chosen by registrants.
	#[pallet::storage]
	pub type QuotaUsage<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockUsage<BlockNumberFor<T>>>;

	impl<T: Config> Pallet<T> {
		/// The quota of an account of `kind`, if it has one.
		pub fn quota_of(kind: AccountKind) -> Option<u32> {
			match kind {
				AccountKind::Member => None,
				AccountKind::Device => Some(T::DeviceQuota::get()),
				AccountKind::Gateway => Some(T::GatewayQuota::get()),
			}
		}

		/// Transactions `account` had included in the current block so far.
		pub fn used_this_block(account: &T::AccountId) -> u32 {
			QuotaUsage::<T>::get(account)
				.filter(|usage| usage.block == frame_system::Pallet::<T>::block_number())
				.map_or(0, |usage| usage.transactions)
		}

		/// Counts one more included transaction of `account` in the current block.
		pub(crate) fn note_transaction(account: &T::AccountId) {
			let block = frame_system::Pallet::<T>::block_number();
			let transactions = Self::used_this_block(account).saturating_add(1);
			QuotaUsage::<T>::insert(account, BlockUsage { block, transactions });
		}
	}
}

/// Benchmark setup the runtime provides.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// An account that `KnownAccounts` knows as a device or gateway, reached along the
	/// costliest path of the runtime's lookup.
	fn costliest_quota_account() -> AccountId;
}
