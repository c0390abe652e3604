//! Configuration of every pallet in the runtime: one `impl Config` per pallet.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, EitherOfDiverse, VariantCountOf},
	weights::{
		constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_MILLIS},
		IdentityFee, Weight,
	},
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureRoot,
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{ConvertInto, One, OpaqueKeys, Verify},
	Perbill,
};
use sp_version::RuntimeVersion;

use super::{
	AccessGrants, AccountId, Aura, Balance, Balances, Block, BlockNumber, Council,
	CouncilMembership, DeviceRegistry, Hash, Nonce, OriginCaller, PalletInfo, RegistrationHashes,
	Runtime, RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin,
	RuntimeTask, Session, SessionKeys, Signature, System, Timestamp, ValidatorSet, DAYS,
	EXISTENTIAL_DEPOSIT, MINUTES, SESSION_PERIOD, SLOT_DURATION, UNIT, VERSION,
};

/// Share of a block that ordinary transactions may fill; the rest stays free for operational
/// calls (governance, validator changes) so they get in even when devices flood the pool.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Most validators share the machine with other work, and every block must also be gossiped
/// and re-executed by the others inside the same slot: allow a third of the slot for execution.
const MAX_BLOCK_EXECUTION_MILLIS: u64 = SLOT_DURATION / 3;

/// Largest encoded block, in bytes.
const MAX_BLOCK_LENGTH: u32 = 5 * 1024 * 1024;

/// Most records in one gateway batch (logins, update reports, registrations): one batch stays a
/// small share of a block (64 signed logins, each charged the access check's worst case, take
/// about 8 % of the normal block), so a device's budget holds one and a gateway's five.
const MAX_RECORD_BATCH: u32 = 64;

/// Maximum number of Aura and GRANDPA authorities (consortium validators).
pub const MAX_AUTHORITIES: u32 = 32;

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	pub RuntimeBlockWeights: BlockWeights = block_weights();
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(MAX_BLOCK_LENGTH)
		.modify_max_length_for_class(DispatchClass::Normal, |max| {
			*max = NORMAL_DISPATCH_RATIO * *max
		})
		.build();
	/// The generic Substrate address format, until the consortium registers its own prefix.
	pub const SS58Prefix: u16 = 42;
}

/// The block's weight limits, with the base costs of a block and of an extrinsic measured on
/// this project's machine (`crate::weights::{block_weights, extrinsic_weights}`) in place of
/// polkadot-sdk's reference-hardware defaults; the shares are `with_sensible_defaults`'s.
fn block_weights() -> BlockWeights {
	let max_block =
		Weight::from_parts(MAX_BLOCK_EXECUTION_MILLIS * WEIGHT_REF_TIME_PER_MILLIS, u64::MAX);
	let max_normal = NORMAL_DISPATCH_RATIO * max_block;
	BlockWeights::builder()
		.base_block(crate::weights::block_weights::BlockExecutionWeight::get())
		.for_class(DispatchClass::all(), |weights| {
			weights.base_extrinsic = crate::weights::extrinsic_weights::ExtrinsicBaseWeight::get();
		})
		.for_class(DispatchClass::Normal, |weights| weights.max_total = Some(max_normal))
		.for_class(DispatchClass::Operational, |weights| {
			weights.max_total = Some(max_block);
			weights.reserved = Some(max_block - max_normal);
		})
		.avg_block_initialization(Perbill::from_percent(10))
		.build_or_panic()
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	// The node stores its state in ParityDB (see the node's CLI), so storage access is priced
	// with ParityDB's measured costs.
	type DbWeight = ParityDbWeight;
	type SystemWeightInfo = crate::weights::frame_system::WeightInfo<Runtime>;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	// The transaction extensions' weights, measured on the project's machine (ParityDB prices).
	type ExtensionsWeightInfo = crate::weights::frame_system_extensions::WeightInfo<Runtime>;
	type BaseCallFilter = NoMotionOverAnUnreleasedCost;
}

/// Refuses (`CallFiltered`) a council motion identical to a closed one whose cost is not yet
/// released, directly or inside a batch.
///
/// `pallet_collective` checks only that no open motion has the proposal's hash, then
/// overwrites the hash's cost record: the closed motion's proposer would never get its deposit
/// and slot back. Any member could so lock another seat out of proposing, one closed motion at
/// a time (closing is anyone's, so `batchAll([close, propose])` needs no race). A motion
/// executed at once (threshold below two) records no cost and is not refused.
pub struct NoMotionOverAnUnreleasedCost;

impl frame_support::traits::Contains<RuntimeCall> for NoMotionOverAnUnreleasedCost {
	fn contains(call: &RuntimeCall) -> bool {
		use sp_runtime::traits::Hash as _;
		match call {
			RuntimeCall::Council(pallet_collective::Call::propose {
				threshold, proposal, ..
			}) if *threshold >= 2 => {
				let hash = <Runtime as frame_system::Config>::Hashing::hash_of(proposal);
				!pallet_collective::CostOf::<Runtime, CouncilInstance>::contains_key(hash)
			},
			_ => true,
		}
	}
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	// Aura's slot duration is twice this, see `pallet_aura::MinimumPeriodTimesTwo`.
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = ();
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	// One author per slot: a second block in the same slot would only be a fork.
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	// A permissioned chain has no nominators.
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

parameter_types! {
	pub const SessionPeriod: BlockNumber = SESSION_PERIOD;
	pub const SessionOffset: BlockNumber = 0;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	// A validator is identified by its account; who may validate is `ValidatorSet`'s business.
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<SessionPeriod, SessionOffset>;
	type SessionManager = ValidatorSet;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	// No offence reporting on a consortium chain: misbehaving validators are removed by vote.
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	// Validators are approved by the council; a deposit would deter no one.
	type KeyDeposit = ConstU128<0>;
}

impl pallet_validator_set::Config for Runtime {
	// Who validates decides who finalises: a bare majority could remove the minority's
	// validators (after lowering the minimum), or add enough of its own to reach GRANDPA's two
	// thirds without them. A validator's own account may still withdraw it.
	type GovernanceOrigin = ConsortiumQualifiedMajority;
	type SessionKeys = Session;
	type MaxValidators = ConstU32<MAX_AUTHORITIES>;
	type WeightInfo = pallet_validator_set::weights::SubstrateWeight<Runtime>;
}

impl pallet_balances::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type Balance = Balance;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type ReserveIdentifier = [u8; 8];
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = IdentityFee<Balance>;
	// A consortium chain has no fee market: fees stay flat under load.
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type OperationalFeeMultiplier = ConstU8<5>;
	// Measured here. The fee-skipping wrapper charges this same weight for a feeless call, which
	// covers the feeless rule's lookups: the signer's device (three reads) and the devices the
	// call names, which the call's own weight counts again when it reads them.
	type WeightInfo = crate::weights::pallet_transaction_payment::WeightInfo<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = pallet_sudo::weights::SubstrateWeight<Runtime>;
}

impl pallet_device_registry::Config for Runtime {
	type GovernanceOrigin = ConsortiumGovernance;
	type MaxNameLen = ConstU32<64>;
	type MaxAdmins = ConstU32<8>;
	type MaxMembers = ConstU32<64>;
	type MaxModelLen = ConstU32<64>;
	// The per-organisation index is a storage map, not a vector: a large fleet costs nothing
	// per call; the bound only keeps the count (and a full listing) finite.
	type MaxDevicesPerOrg = ConstU32<1_000_000>;
	// A full batch stays well inside one block's weight (figures in docs/benchmarks.md).
	type MaxBatchSize = ConstU32<256>;
	type MaxKeyHistory = ConstU32<8>;
	// A building's or a fleet depot's devices behind one gateway; a gateway's transfer
	// unassigns them all in one call, whose weight this bounds.
	type MaxDevicesPerGateway = ConstU32<1_024>;
	// Device keys and joining accounts consent with the same signatures accounts sign
	// transactions with.
	type ConsentSignature = Signature;
	type ConsentSigner = <Signature as Verify>::Signer;
	type ReservedAccounts = GovernanceAccounts;
	// As long as a release's approvers have: a week for co-admins in other time zones.
	type AdminChangeWindow = FirmwareApprovalWindow;
	// A day: long enough to hand a signed consent to an admin; a consent can enrol its account
	// again until it expires, so not longer.
	type MaxConsentLifetime = ConstU32<DAYS>;
	// A new admin's key shares in no two-admin decision (the first firmware approver set)
	// for one firmware approval window: the consortium sees `AdminAdded` and can act first.
	type NewAdminProbation = FirmwareApprovalWindow;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkDeviceKeys;
	type WeightInfo = pallet_device_registry::weights::SubstrateWeight<Runtime>;
}

/// A week, in blocks: how long the approvals of a firmware release, an approver change or an
/// admin change count, across time zones and holidays.
pub type FirmwareApprovalWindow = ConstU32<{ 7 * DAYS }>;

/// The council's and the validators' accounts: people's and nodes' keys, which must never be
/// registered as a device (a revoked device's key is retired for good).
pub struct GovernanceAccounts;

impl frame_support::traits::Contains<AccountId> for GovernanceAccounts {
	fn contains(account: &AccountId) -> bool {
		CouncilMembership::contains(account) || ValidatorSet::is_approved(account)
	}
}

/// Device keys for the registry's benchmarks: sr25519 keys in the benchmark keystore.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkDeviceKeys;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_device_registry::BenchmarkHelper<AccountId, Signature> for BenchmarkDeviceKeys {
	fn key_account(seed: u32) -> AccountId {
		let seed = alloc::format!("//benchmark-device-{seed}");
		let public =
			sp_io::crypto::sr25519_generate(BENCHMARK_DEVICE_KEYS, Some(seed.into_bytes()));
		AccountId::from(public.0)
	}

	fn sign(account: &AccountId, payload: &[u8]) -> Signature {
		let public = sp_core::sr25519::Public::from_raw(*account.as_ref());
		sp_io::crypto::sr25519_sign(BENCHMARK_DEVICE_KEYS, &public, payload)
			.map(Signature::Sr25519)
			.expect("key_account put the key in the benchmark keystore; qed")
	}
}

/// The keystore slot of the benchmarks' device keys.
#[cfg(feature = "runtime-benchmarks")]
const BENCHMARK_DEVICE_KEYS: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"bdev");

impl pallet_registration_hashes::Config for Runtime {
	type Registry = DeviceRegistry;
	type Access = AccessGrants;
	// History is never deleted; a user device that re-registers this often needs a new id.
	type MaxVersions = ConstU32<32>;
	// A lock or a machine serves a household or a team, not a city: 256 user devices. With 32
	// versions each, one device can never make the chain store more than 8,192 registrations
	// (about 2.4 MB; see docs/security.md), whatever a compromised device submits.
	type MaxPairsPerDevice = ConstU32<256>;
	type MaxBatchSize = ConstU32<MAX_RECORD_BATCH>;
	type WeightInfo = pallet_registration_hashes::weights::SubstrateWeight<Runtime>;
}

impl pallet_login_records::Config for Runtime {
	type Registry = DeviceRegistry;
	type Registrations = RegistrationHashes;
	type Access = AccessGrants;
	// Five wrong answers in a row lock a pair, as a bank card locks after a few wrong PINs.
	type MaxFailures = ConstU32<5>;
	type MaxRecentLogins = ConstU32<64>;
	// A user answers a challenge within seconds; five minutes leaves room for a slow network.
	type ChallengeLifetime = ConstU32<{ 5 * MINUTES }>;
	// At most 32 attempts per device per five minutes: ample for people, a wall for scripts.
	type MaxLoginsPerChallengeLifetime = ConstU32<32>;
	type MaxBatchSize = ConstU32<MAX_RECORD_BATCH>;
	type WeightInfo = pallet_login_records::weights::SubstrateWeight<Runtime>;
}

impl pallet_firmware_releases::Config for Runtime {
	type Registry = DeviceRegistry;
	// The council assigns models already in use and sets single-approver exceptions.
	type GovernanceOrigin = ConsortiumGovernance;
	// A week for the other approvers of a release or approver change to sign off, across
	// time zones and holidays; an unapproved release can then be cleared by anyone.
	type ApprovalWindow = FirmwareApprovalWindow;
	// The device registry's model bound, so every registered model can have releases.
	type MaxModelLen = <Runtime as pallet_device_registry::Config>::MaxModelLen;
	type MaxUriLen = ConstU32<256>;
	type MaxApprovers = ConstU32<16>;
	// Monthly releases for over twenty years.
	type MaxReleasesPerModel = ConstU32<256>;
	// A manufacturer that claims a model and activates no release of it for three months loses
	// the claim to whoever clears it: names cannot be squatted for good.
	type UnusedClaimLifetime = ConstU32<{ 90 * DAYS }>;
	type MaxBatchSize = ConstU32<MAX_RECORD_BATCH>;
	type WeightInfo = pallet_firmware_releases::weights::SubstrateWeight<Runtime>;
}

impl pallet_telemetry_anchors::Config for Runtime {
	type Registry = DeviceRegistry;
	// A batch may name every device one gateway serves.
	type MaxDevicesPerBatch = <Runtime as pallet_device_registry::Config>::MaxDevicesPerGateway;
	// A block's worth of readings at the gateway's 5,000 per second target, with room to spare;
	// an inclusion proof is then at most 16 hashes.
	type MaxLeavesPerBatch = ConstU32<65_536>;
	type WeightInfo = pallet_telemetry_anchors::weights::SubstrateWeight<Runtime>;
}

impl pallet_access_grants::Config for Runtime {
	type Registry = DeviceRegistry;
	type Time = Timestamp;
	// Governance revokes a grant at once, as it suspends an organisation.
	type GovernanceOrigin = ConsortiumGovernance;
	type MaxModelLen = <Runtime as pallet_device_registry::Config>::MaxModelLen;
	type MaxLevelLen = ConstU32<32>;
	type MaxAdmins = <Runtime as pallet_device_registry::Config>::MaxAdmins;
	// A lock rented out night by night keeps a year's future stays and the grants of its
	// staff and services; expired ones leave on their own.
	type MaxGrantsPerObject = ConstU32<512>;
	// From one owner: a phone's doors, a certification centre's sites (a whole fleet takes one
	// grant on a model or on all of the owner's devices).
	type MaxGrantsPerSubject = ConstU32<64>;
	// The current stay and its renewal, issued before it ends. With the delegation depth this
	// bounds what a check reads: three objects × 2 grants × (1 + 2 parents).
	type MaxGrantsPerHolding = ConstU32<2>;
	// Two years ahead: a certification centre's contract; every grant ends and is renewed.
	type MaxGrantLifetime = ConstU64<{ 2 * 365 * 24 * 3_600_000 }>;
	// Owner → agency → tenant.
	type MaxDelegationDepth = ConstU8<2>;
	// As long as a release's approvers have: the same admins approve both.
	type ApprovalWindow = FirmwareApprovalWindow;
	// Two open proposals for each of the registry's eight admins.
	type MaxPendingGrantsPerOrg = ConstU32<16>;
	// With 30 blocks a minute at `MaxExpiriesPerBlock`, the sweep removes 480 grants a minute,
	// more than a slot holds, so it never falls behind for long.
	type MaxGrantsPerExpirySlot = ConstU32<256>;
	type MaxExpiriesPerBlock = ConstU32<16>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkClock;
	type WeightInfo = pallet_access_grants::weights::SubstrateWeight<Runtime>;
}

/// The chain's time for the access grants' benchmarks, which run with no block author.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkClock;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_access_grants::BenchmarkHelper for BenchmarkClock {
	fn set_time(now: pallet_access_grants::Moment) {
		pallet_timestamp::Now::<Runtime>::put(now);
	}
}

/// The council's instance of `pallet_collective` (and of the membership pallet that feeds it).
pub type CouncilInstance = frame_support::instances::Instance1;

/// Most member organisations the council seats.
pub const MAX_COUNCIL_MEMBERS: u32 = 32;

/// What governs the consortium: more than half of all council members — one account per member
/// organisation — or root, which only the development chain's sudo key reaches.
///
/// More than half, counted over all members rather than votes cast: no minority of
/// organisations can act alone, absent members count against a motion, and no single member
/// can block the rest as it could under unanimity.
pub type ConsortiumGovernance = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionMoreThan<AccountId, CouncilInstance, 1, 2>,
>;

/// What may change the chain itself — its runtime, GRANDPA's recovery from a stall — and who
/// sits on the council: at least two thirds of all council seats, or root on the development
/// chain.
///
/// A runtime upgrade can rewrite any record, so it needs more than the simple majority that
/// runs the consortium day to day: with two thirds, no bare majority of organisations can
/// rewrite history over the others' objection, while one or two members out of several cannot
/// veto a fix everyone else needs. Seats are under the same threshold, or a bare majority could
/// first vote in enough allies (or vote out enough opponents) to reach two thirds.
pub type ConsortiumQualifiedMajority = EitherOfDiverse<
	EnsureRoot<AccountId>,
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilInstance, 2, 3>,
>;

/// The council's default vote: a member who did not vote counts as a nay.
///
/// polkadot-sdk's defaults let the prime member's vote, or the majority of the votes cast,
/// stand in for silent members when a motion closes at the end of its duration — so with five
/// seats, the prime member and one other could pass a motion two of five organisations wanted.
pub struct AbstentionsCountAgainst;

impl pallet_collective::DefaultVote for AbstentionsCountAgainst {
	fn default_vote(
		_prime_vote: Option<bool>,
		_yes_votes: pallet_collective::MemberCount,
		_no_votes: pallet_collective::MemberCount,
		_len: pallet_collective::MemberCount,
	) -> bool {
		false
	}
}

/// Most council motions one seat holds open; see [`MOTION_SLOTS`].
pub const MAX_OPEN_MOTIONS_PER_SEAT: u32 = 3;

/// Most council motions open at once. Every seat's own slots fit in it, so that no seat, nor
/// any coalition of seats, can fill it and keep another seat from proposing (a suspension, a
/// validator change, a stall recovery): one seat opening motion after motion stops at its
/// `MAX_OPEN_MOTIONS_PER_SEAT`.
pub const MOTION_SLOTS: u32 = 100;
const _: () = assert!(MAX_COUNCIL_MEMBERS * MAX_OPEN_MOTIONS_PER_SEAT <= MOTION_SLOTS);

parameter_types! {
	/// A council motion may use at most half a block.
	pub MaxCouncilProposalWeight: Weight =
		Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
	/// What a seat holds of its balance while its motion is open, until the motion's cost is
	/// released after it closed: a seat that leaves motions about pays for their storage.
	pub const MotionDeposit: Balance = 100 * UNIT;
	pub const MotionHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Council(pallet_collective::HoldReason::ProposalSubmission);
}

/// What a council motion costs its proposer while it is open: one of the seat's
/// `MAX_OPEN_MOTIONS_PER_SEAT` slots and a `MotionDeposit` hold.
pub type CouncilMotionTicket = pallet_chain_governance::MotionTicket<
	Runtime,
	frame_support::traits::fungible::HoldConsideration<
		AccountId,
		Balances,
		MotionHoldReason,
		pallet_collective::deposit::Constant<MotionDeposit>,
		u32,
	>,
>;

impl pallet_collective::Config<CouncilInstance> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	// Organisations deliberate over days; a motion not decided in three closes as it stands.
	type MotionDuration = ConstU32<{ 3 * DAYS }>;
	type MaxProposals = ConstU32<MOTION_SLOTS>;
	type MaxMembers = ConstU32<MAX_COUNCIL_MEMBERS>;
	// Members who did not vote count against the motion, whatever the prime member or the
	// voters did: only ayes from more than half of all seats pass a motion.
	#[cfg(not(feature = "runtime-benchmarks"))]
	type DefaultVote = AbstentionsCountAgainst;
	// `pallet_collective`'s `close_approved` benchmark passes its motion through the prime
	// member's default vote. `close` reads the same storage and does the same work whichever
	// default vote decides, so the weights measured this way are this runtime's.
	#[cfg(feature = "runtime-benchmarks")]
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = crate::weights::pallet_collective::WeightInfo<Runtime>;
	// Seats change only through `CouncilMembership`, which the council itself governs.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxCouncilProposalWeight;
	type DisapproveOrigin = ConsortiumGovernance;
	type KillOrigin = ConsortiumGovernance;
	type Consideration = CouncilMotionTicket;
}

impl pallet_membership::Config<CouncilInstance> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = ConsortiumQualifiedMajority;
	type RemoveOrigin = ConsortiumQualifiedMajority;
	type SwapOrigin = ConsortiumQualifiedMajority;
	type ResetOrigin = ConsortiumQualifiedMajority;
	type PrimeOrigin = ConsortiumQualifiedMajority;
	type MembershipInitialized = Council;
	type MembershipChanged = Council;
	type MaxMembers = ConstU32<MAX_COUNCIL_MEMBERS>;
	type WeightInfo = crate::weights::pallet_membership::WeightInfo<Runtime>;
}

impl pallet_chain_governance::Config for Runtime {
	type ChainGovernanceOrigin = ConsortiumQualifiedMajority;
	type MaxOpenMotionsPerSeat = ConstU32<MAX_OPEN_MOTIONS_PER_SEAT>;
	type WeightInfo = pallet_chain_governance::weights::SubstrateWeight<Runtime>;
}

impl pallet_skip_feeless_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
}

/// The accounts the chain admits transactions from: council members, validators (approved ones
/// too, so they can register session keys before they validate), every account of an active
/// member organisation, and active devices and gateways (with their organisation, whose budget
/// they share).
pub struct ConsortiumAccounts;

impl pallet_admission::KnownAccounts<AccountId> for ConsortiumAccounts {
	type Organisation = pallet_device_registry::OrgId;

	fn known_as(
		account: &AccountId,
	) -> Option<pallet_admission::KnownAccount<pallet_device_registry::OrgId>> {
		use frame_support::traits::Contains;
		use pallet_admission::{AccountKind, KnownAccount};
		use pallet_device_registry::{DeviceKind, DeviceRegistry as _};

		// Devices first: they send most transactions, and are found in three reads instead of
		// after every member lookup missed. The device registry keeps device keys apart from
		// organisations', the council's and validators' keys, so the order decides nothing else.
		if let Some(device) = DeviceRegistry::active_device_by_account(account) {
			let kind = match device.kind {
				DeviceKind::Device => AccountKind::Device,
				DeviceKind::Gateway => AccountKind::Gateway,
			};
			return Some(KnownAccount { kind, organisation: Some(device.org) });
		}
		(CouncilMembership::contains(account)
			|| ValidatorSet::is_approved(account)
			|| DeviceRegistry::active_org_of(account).is_some())
		.then(KnownAccount::member)
	}
}

/// `share` of what normal-class transactions may fill of a block.
/// Budgets count execution time only: the proof size matters to parachains, not here.
fn share_of_normal_block(share: Perbill) -> Weight {
	let weights = RuntimeBlockWeights::get();
	let normal = weights.get(DispatchClass::Normal).max_total.unwrap_or(weights.max_block);
	Weight::from_parts(share * normal.ref_time(), u64::MAX)
}

parameter_types! {
	/// One device: a full batch of its own records (64 signed logins take about 8 % of the
	/// normal block) and no more. Four full batches a block took 40 % before budgets were
	/// weight.
	pub DeviceBudget: Weight = share_of_normal_block(Perbill::from_percent(12));
	/// One gateway: five full login batches (320 logins), or an anchor naming 1,024 devices
	/// (16 %) beside three of them.
	pub GatewayBudget: Weight = share_of_normal_block(Perbill::from_percent(40));
	/// All the devices and gateways of one organisation together: at most three quarters of
	/// the normal block, so the other members' devices always have a quarter (about 320 signed
	/// logins a block), and one organisation alone on a chain still has most of it.
	pub OrganisationBudget: Weight = share_of_normal_block(Perbill::from_percent(75));
	/// One member account's normal-class calls: the heaviest, accepting a gateway's transfer
	/// with its 1,024 devices, takes 27 % of the normal block.
	pub MemberBudget: Weight = share_of_normal_block(Perbill::from_percent(40));
}

impl pallet_admission::Config for Runtime {
	type KnownAccounts = ConsortiumAccounts;
	type DeviceBudget = DeviceBudget;
	type GatewayBudget = GatewayBudget;
	type OrganisationBudget = OrganisationBudget;
	type MemberBudget = MemberBudget;
	// Two blocks' worth of a device's single records (it sends a few a minute), too few for
	// a compromised device to fill the pool.
	type DevicePoolDepth = ConstU32<8>;
	// A relay round of eight batches of 128, eight times over.
	type GatewayPoolDepth = ConstU32<64>;
	// The client's pipeline keeps up to 4,096 transactions of one account submitted (an
	// operator enrolling a fleet): half of a node's default pool of 8,192.
	type MemberPoolDepth = ConstU32<4_096>;
	type WeightInfo = pallet_admission::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ConsortiumAccounts;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_admission::BenchmarkHelper<AccountId> for ConsortiumAccounts {
	fn costliest_budgeted_account() -> AccountId {
		use frame_benchmarking::account;
		use pallet_device_registry::{DeviceRegistryBenchmarking as _, OrgRoles};
		// A device: its quota usage is read and rewritten besides its nonce, which costs more
		// than the longest member lookup (a member of an organisation, found after the device,
		// council and validator lookups missed).
		let admin: AccountId = account("admission-admin", 0, 0);
		let device: AccountId = account("admission-device", 0, 0);
		DeviceRegistry::org_for_benchmark(
			&admin,
			OrgRoles { operator: true, ..Default::default() },
		);
		DeviceRegistry::device_for_benchmark(&admin, [0xad; 32], &device);
		device
	}
}

impl pallet_peer_allowlist::Config for Runtime {
	type GovernanceOrigin = ConsortiumGovernance;
	// Cutting a node off the network is cutting its organisation off the chain.
	type RemovalOrigin = ConsortiumQualifiedMajority;
	type Registry = DeviceRegistry;
	// An ed25519 PeerId takes 38 bytes; the rest leaves room for other identity key types.
	type MaxPeerIdLength = ConstU32<128>;
	// Eight nodes for each of the council's 32 seats.
	type MaxNodes = ConstU32<256>;
	// A validator's RPC, archive and backup nodes; more go through the council.
	type MaxNodesPerOrg = ConstU32<8>;
	type WeightInfo = pallet_peer_allowlist::weights::SubstrateWeight<Runtime>;
}
