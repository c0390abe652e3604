//! # iotchain runtime
//!
//! The state transition function of the iotchain consortium chain: a tamper-proof record of IoT
//! devices, their registrations, login attempts and firmware.
//!
//! This crate fixes the chain's primitive types, its version and transaction extensions, and the
//! pallets it is made of with their indices. Pallet configuration lives in [`configs`], the
//! runtime APIs in [`apis`] and genesis state only in [`genesis_config_presets`].

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`'s expansion is deeply recursive.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

/// The upgrade rehearsal's wasm: this runtime built with the `upgrade-rehearsal` feature.
#[cfg(feature = "std")]
pub mod upgrade_rehearsal {
	include!(concat!(env!("OUT_DIR"), "/upgrade_rehearsal_wasm_binary.rs"));
}

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
pub mod genesis_config_presets;
mod weights;

extern crate alloc;

// `impl_opaque_keys!` and `#[frame_support::runtime]` expand to code that names `Vec`.
use alloc::vec::Vec;

use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::RuntimeVersion;

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(feature = "std")]
pub use sp_runtime::BuildStorage;

/// Types the node needs without knowing this runtime's extrinsic format, so it keeps syncing
/// across runtime upgrades that change that format.
pub mod opaque {
	use super::*;

	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
}

impl_opaque_keys! {
	/// The keys a validator registers for a session: one per consensus engine.
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

#[cfg(not(feature = "upgrade-rehearsal"))]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("iotchain"),
	impl_name: alloc::borrow::Cow::Borrowed("iotchain"),
	authoring_version: 1,
	// Bump on every change of runtime logic; nodes run whatever wasm the chain holds. The
	// upgrade rehearsal's version below is always this plus one.
	spec_version: 100,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	// Bump when a call's index or arguments change, so old signed transactions stop validating.
	transaction_version: 1,
	system_version: 1,
};

/// The upgrade rehearsal: this runtime one spec version on, with a storage migration
/// ([`Migrations`]). Built beside the release runtime ([`upgrade_rehearsal::WASM_BINARY`]) so a
/// test can upgrade a live chain to it; never put on a real chain.
#[cfg(feature = "upgrade-rehearsal")]
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("iotchain"),
	impl_name: alloc::borrow::Cow::Borrowed("iotchain"),
	authoring_version: 1,
	spec_version: 101,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 1,
	system_version: 1,
};

/// Target block time. Two seconds keeps a login attempt or an update report on chain within one
/// round trip a user notices, while a slot stays long enough for three validators sharing two
/// cores to author, gossip and import a full block (the weight budget in [`configs`] is a third
/// of it). GRANDPA then finalises a few blocks behind, so finality lands in seconds.
pub const MILLI_SECS_PER_BLOCK: u64 = 2000;

/// Aura's slot. It cannot change once the chain runs: block production would stop.
pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;

/// Blocks per minute, hour and day, for expressing periods in pallet configuration.
pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
pub const HOURS: BlockNumber = MINUTES * 60;
pub const DAYS: BlockNumber = HOURS * 24;

/// Blocks per session: validator-set changes are planned at one session boundary and enacted at
/// the next, so a council decision takes effect within two minutes.
pub const SESSION_PERIOD: BlockNumber = MINUTES;

/// The smallest indivisible units in one token.
pub const UNIT: Balance = 1_000_000_000_000;
pub const MILLI_UNIT: Balance = UNIT / 1_000;
pub const MICRO_UNIT: Balance = UNIT / 1_000_000;

/// An account holding less than this is reaped.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// A transaction's signature: sr25519, ed25519 or ecdsa, so devices can sign with what their
/// secure element supports.
pub type Signature = MultiSignature;

/// An account is identified by its public key.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account.
pub type Balance = u128;

/// Number of transactions an account has sent.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// A block's height.
pub type BlockNumber = u32;

/// How a transaction names an account.
pub type Address = MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The checks every signed transaction passes, in order.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	// In place of `frame_system::CheckNonce`, with its identifier, its encoding and in its
	// place (standard clients put the nonce after the era), before the weight and the fee: a
	// stranger is refused before its account is read, and every known account is held to its
	// budget of block weight and its depth in the pool.
	pallet_admission::AdmitAndCheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	// Devices pay nothing for the records they exist to write (`#[pallet::feeless_if]`).
	pallet_skip_feeless_payment::SkipCheckIfFeeless<
		Runtime,
		pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	>,
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// The extensions of the transaction with nonce `nonce` as the tests, benchmarks and fuzzers
/// sign it: immortal, tipping nothing, with no metadata hash. (Clients build theirs from the
/// chain's metadata.)
pub fn immortal_tx_extension(nonce: Nonce) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(generic::Era::Immortal),
		pallet_admission::AdmitAndCheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0).into(),
		frame_metadata_hash_extension::CheckMetadataHash::new(false),
		frame_system::WeightReclaim::new(),
	)
}

/// Migrations to run on the next runtime upgrade, besides the pallets' own. Each is a
/// `VersionedMigration`, so one left here after it ran is skipped on later upgrades.
#[cfg(not(feature = "upgrade-rehearsal"))]
pub type Migrations = (pallet_admission::migrations::v1::ForgetTransactionCounts<Runtime>,);

/// The upgrade rehearsal's migration: every organisation record rewritten, the device registry
/// moved to storage version 1.
#[cfg(feature = "upgrade-rehearsal")]
pub type Migrations = (
	pallet_admission::migrations::v1::ForgetTransactionCounts<Runtime>,
	pallet_device_registry::migrations::rehearsal::RewriteOrganisationsV0ToV1<Runtime>,
);

/// Dispatches blocks and extrinsics to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

// Indices are part of every encoded call and storage key, so they never change once assigned.
// They are grouped with gaps: 0–9 consensus, 10–19 accounts and fees, 20–29 utilities,
// 30–39 governance and permissioning, 40–59 IoT records, 99 development-only.
#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(10)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(11)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Consensus pallets declared after Balances: genesis builds in declaration order, and the
	// session pallet's genesis takes a consumer reference on each validator's funded account.
	#[runtime::pallet_index(4)]
	pub type ValidatorSet = pallet_validator_set;

	#[runtime::pallet_index(5)]
	pub type Session = pallet_session;

	#[runtime::pallet_index(12)]
	pub type SkipFeelessPayment = pallet_skip_feeless_payment;

	#[runtime::pallet_index(20)]
	pub type Utility = pallet_utility;

	// The consortium council: one account per member organisation, deciding by majority.
	#[runtime::pallet_index(30)]
	pub type Council = pallet_collective<Instance1>;

	#[runtime::pallet_index(31)]
	pub type CouncilMembership = pallet_membership<Instance1>;

	// Which nodes may join the network: every node's offchain worker enforces the list.
	#[runtime::pallet_index(32)]
	pub type PeerAllowlist = pallet_peer_allowlist;

	// Who may submit transactions at all: see `configs::ConsortiumAccounts`.
	#[runtime::pallet_index(33)]
	pub type Admission = pallet_admission;

	// The council's qualified majority over the chain itself: runtime upgrades, finality stalls.
	#[runtime::pallet_index(34)]
	pub type ChainGovernance = pallet_chain_governance;

	#[runtime::pallet_index(40)]
	pub type DeviceRegistry = pallet_device_registry;

	#[runtime::pallet_index(41)]
	pub type RegistrationHashes = pallet_registration_hashes;

	#[runtime::pallet_index(42)]
	pub type LoginRecords = pallet_login_records;

	#[runtime::pallet_index(43)]
	pub type FirmwareReleases = pallet_firmware_releases;

	#[runtime::pallet_index(44)]
	pub type TelemetryAnchors = pallet_telemetry_anchors;

	#[runtime::pallet_index(45)]
	pub type AccessGrants = pallet_access_grants;

	// Only the development preset sets a sudo key; on every other chain the pallet holds none
	// and no account can use it.
	#[runtime::pallet_index(99)]
	pub type Sudo = pallet_sudo;
}

#[cfg(test)]
mod tests;
