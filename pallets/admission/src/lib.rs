//! # Admission Pallet
//!
//! Who may put a transaction into the pool, and how much of a block each may take. A
//! permissioned chain that lets any key submit transactions is permissioned in name only: a
//! stranger could fill the pool and the blocks. This pallet's transaction extension,
//! [`AdmitAndCheckNonce`], runs at validation — before any fee is taken and before the pool
//! stores the transaction — and admits a signed transaction only from an account the chain
//! knows, as the runtime's [`KnownAccounts`] answers:
//!
//! - a **member** account (council members, organisations' admins and members, validators) is
//!   admitted and pays fees as usual, within a per-account budget of block weight for its
//!   normal-class transactions (`MemberBudget`);
//! - an active **device** or **gateway** holds no tokens, so the calls it exists for are
//!   feeless (see the runtime). Free work is budgeted in **weight per block**, not in
//!   transactions: each device may take `DeviceBudget` of a block, each gateway
//!   `GatewayBudget`, and all the devices and gateways of one organisation together
//!   `OrganisationBudget`, so neither one stolen key nor an organisation that registers a
//!   million devices can fill blocks for free;
//! - everyone else is refused with [`AdmissionError::UnknownAccount`].
//!
//! Weight is counted as it is declared when a transaction goes into a block, and what the call
//! did not use (`actual_weight`) is given back after it ran, so a batch that fails early costs
//! its signer's budget only what it did. The pool holds a bounded number of an account's
//! transactions beyond its nonce on chain (`DevicePoolDepth`, `GatewayPoolDepth`,
//! `MemberPoolDepth`), so no account can fill the pool either.
//!
//! Unsigned transactions and inherents pass untouched: the extension judges signers only.
//!
//! ## Refusal codes
//!
//! Refusals are `InvalidTransaction::Custom(code)` with the codes of [`AdmissionError`]:
//! `1` — the signer is not an account the chain knows; `2` — the signer already has its
//! pool depth of transactions waiting: retry once those are included; `3` — the transaction alone
//! weighs more than its signer's budget of a block, so no block can ever include it.
//! A transaction that fits its budget but not what is left of it in the block being built is
//! refused for that block as `ExhaustsResources`: block builders skip it and the pool keeps it
//! for the next block.
//!
//! The extension also checks the transaction's nonce, in place of `frame_system::CheckNonce`,
//! because the pool's share is counted in nonces (see [`AdmitAndCheckNonce`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use extension::AdmitAndCheckNonce;
pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod extension;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

use codec::{Decode, Encode, FullCodec, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_runtime::transaction_validity::{InvalidTransaction, TransactionValidityError};

/// What the chain knows an account as.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AccountKind {
	/// A council member, an account of a member organisation, or a validator: pays its fees,
	/// within `MemberBudget` of each block.
	Member,
	/// An active IoT device: feeless, within `DeviceBudget` of each block.
	Device,
	/// An active gateway: feeless, within `GatewayBudget` of each block.
	Gateway,
}

/// An account the chain knows: its kind, and for a device or gateway the organisation whose
/// `OrganisationBudget` its free work also counts against.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KnownAccount<Organisation> {
	/// What the account is.
	pub kind: AccountKind,
	/// The organisation a device or gateway belongs to; `None` for members.
	pub organisation: Option<Organisation>,
}

impl<Organisation> KnownAccount<Organisation> {
	/// A member account.
	pub fn member() -> Self {
		Self { kind: AccountKind::Member, organisation: None }
	}
}

/// The runtime's answer to "does the chain know this account, and as what?".
pub trait KnownAccounts<AccountId> {
	/// What identifies an organisation, whose devices and gateways share a budget.
	type Organisation: FullCodec + MaxEncodedLen + TypeInfo + Clone + PartialEq + Debug;

	/// What `account` is, or `None` for an account the chain does not know.
	fn known_as(account: &AccountId) -> Option<KnownAccount<Self::Organisation>>;
}

/// The organisation identifier of a runtime's [`KnownAccounts`].
pub type OrganisationIdOf<T> = <<T as Config>::KnownAccounts as KnownAccounts<
	<T as frame_system::Config>::AccountId,
>>::Organisation;

/// Why [`AdmitAndCheckNonce`] refused a transaction: the `InvalidTransaction::Custom` code clients
/// see.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum AdmissionError {
	/// The signer is not an account the chain knows.
	UnknownAccount = 1,
	/// The transaction's nonce is the signer's pool depth or more ahead of the signer's nonce on chain: the
	/// pool already holds as many of its transactions as it takes from one account.
	QuotaExhausted = 2,
	/// The transaction alone declares more weight than its signer may use in one block (its
	/// own budget, or its organisation's): no block can include it.
	TooHeavy = 3,
}

impl From<AdmissionError> for TransactionValidityError {
	fn from(error: AdmissionError) -> Self {
		InvalidTransaction::Custom(error as u8).into()
	}
}

/// How much weight (execution time) an account or organisation had included in one block.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Encode, Decode, MaxEncodedLen, TypeInfo)]
pub struct BlockUsage<BlockNumber> {
	/// The block the usage belongs to; usage of an earlier block is spent.
	pub block: BlockNumber,
	/// Execution weight (`ref_time`, picoseconds) included in that block so far.
	pub ref_time: u64,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// The in-code storage version: 1 counts weight (`AccountUsage`, `OrganisationUsage`) where
	/// 0 counted transactions (`QuotaUsage`); see [`crate::migrations`].
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// Which accounts the chain knows, and as what.
		type KnownAccounts: KnownAccounts<Self::AccountId>;

		/// Most weight one device's transactions may take of one block.
		#[pallet::constant]
		type DeviceBudget: Get<Weight>;

		/// Most weight one gateway's transactions may take of one block.
		#[pallet::constant]
		type GatewayBudget: Get<Weight>;

		/// Most weight all the devices and gateways of one organisation may take of one block
		/// together.
		#[pallet::constant]
		type OrganisationBudget: Get<Weight>;

		/// Most weight one member account's normal-class transactions may take of one block.
		/// Operational calls (governance's own) are bounded by the block's operational
		/// reserve instead, so a budget can never keep the council from acting.
		#[pallet::constant]
		type MemberBudget: Get<Weight>;

		/// Most transactions of one device the pool holds: its transactions with nonces this
		/// far or further ahead of its nonce on chain are refused at submission.
		#[pallet::constant]
		type DevicePoolDepth: Get<u32>;

		/// Most transactions of one gateway the pool holds.
		#[pallet::constant]
		type GatewayPoolDepth: Get<u32>;

		/// Most transactions of one member account the pool holds.
		#[pallet::constant]
		type MemberPoolDepth: Get<u32>;

		/// Weight of the extension's checks (admission, budgets and nonce), from its benchmark.
		type WeightInfo: WeightInfo;

		/// Creates the account the check costs most for, for the benchmark.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// The weight each budgeted account had included in the block it last transacted in. One
	/// entry per account that ever transacted, overwritten each block.
	// Blake2_128Concat: device accounts are chosen by registrants.
	#[pallet::storage]
	pub type AccountUsage<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockUsage<BlockNumberFor<T>>>;

	/// The weight each organisation's devices and gateways had included in the block they last
	/// transacted in.
	// Blake2_128Concat: organisation ids are small integers, but the type is the runtime's.
	#[pallet::storage]
	pub type OrganisationUsage<T: Config> =
		StorageMap<_, Blake2_128Concat, OrganisationIdOf<T>, BlockUsage<BlockNumberFor<T>>>;

	impl<T: Config> Pallet<T> {
		/// The per-block budget of an account of `kind`.
		pub fn budget_of(kind: AccountKind) -> Weight {
			match kind {
				AccountKind::Member => T::MemberBudget::get(),
				AccountKind::Device => T::DeviceBudget::get(),
				AccountKind::Gateway => T::GatewayBudget::get(),
			}
		}

		/// How many transactions of an account of `kind` the pool holds.
		pub fn pool_depth_of(kind: AccountKind) -> u32 {
			match kind {
				AccountKind::Member => T::MemberPoolDepth::get(),
				AccountKind::Device => T::DevicePoolDepth::get(),
				AccountKind::Gateway => T::GatewayPoolDepth::get(),
			}
		}

		/// Execution weight `account` had included in the current block so far.
		pub fn used_this_block(account: &T::AccountId) -> u64 {
			Self::current(AccountUsage::<T>::get(account))
		}

		/// Execution weight the devices and gateways of `organisation` had included in the
		/// current block so far.
		pub fn organisation_used_this_block(organisation: &OrganisationIdOf<T>) -> u64 {
			Self::current(OrganisationUsage::<T>::get(organisation))
		}

		fn current(usage: Option<BlockUsage<BlockNumberFor<T>>>) -> u64 {
			usage
				.filter(|usage| usage.block == frame_system::Pallet::<T>::block_number())
				.map_or(0, |usage| usage.ref_time)
		}

		/// Records `account`'s usage of the current block as `ref_time` in all and, for a
		/// device or gateway, its organisation's as the total paired with it. The extension
		/// computes the totals from what it read at validation, so nothing is read again.
		pub(crate) fn record_usage(
			account: &T::AccountId,
			ref_time: u64,
			organisation: Option<(&OrganisationIdOf<T>, u64)>,
		) {
			let block = frame_system::Pallet::<T>::block_number();
			AccountUsage::<T>::insert(account, BlockUsage { block, ref_time });
			if let Some((organisation, ref_time)) = organisation {
				OrganisationUsage::<T>::insert(organisation, BlockUsage { block, ref_time });
			}
		}
	}
}

/// Benchmark setup the runtime provides.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// An account that `KnownAccounts` knows as a device or gateway of an organisation,
	/// reached along the costliest path of the runtime's lookup.
	fn costliest_budgeted_account() -> AccountId;
}
