//! # Device Registry Pallet
//!
//! The consortium's organisations, and the devices and gateways they own, each with its own
//! chain key.
//!
//! ## Overview
//!
//! Every other iotchain record — registration hashes, login attempts, firmware updates — names
//! a device, and every access decision starts from the question "is this an active device of a
//! member organisation?". This pallet is the root of those answers.
//!
//! Governance creates organisations and may suspend them. An organisation's admins manage its
//! member (operator) accounts; admins and members register devices and gateways, rotate their
//! keys, suspend, resume and revoke them, assign gateways and transfer devices to another
//! organisation (offer, then accept). Revocation is final: a revoked id and every account a
//! device ever signed with are never accepted again.
//!
//! A device key is registered (or rotated in) only with its holder's consent: a signature by
//! the key over [`iotchain_possession_proofs::device_key_payload`] — this chain's genesis hash,
//! the organisation, the device's kind (device or gateway), its id and the account. So no
//! organisation can make another party's account one of its devices (and burn it by revoking
//! the device), nor register a sensor's key as a gateway. Accounts of organisations, council
//! members and validators never become device keys.
//!
//! No single key changes who holds power in an organisation. An account joins one only with
//! its own consent (a signature over [`iotchain_possession_proofs::org_account_payload`], with
//! an expiry); adding or removing an admin needs a majority of the admins
//! ([`admin_majority`]); governance can set an organisation's admins; any admin or member can
//! leave. An admin added by its co-admins is on probation for `NewAdminProbation` blocks
//! before other pallets count it as a settled admin.
//!
//! ### Terminology
//!
//! - **Organisation**: a consortium member (manufacturer, operator and/or certifier) with admin and
//!   member accounts.
//! - **Device**: a sensor, appliance or gateway, identified by a 32-byte id its registrant chooses,
//!   signing with its own chain account.
//! - **Gateway**: a device of kind [`DeviceKind::Gateway`] that relays other devices' traffic.
//! - **Key rotation**: replacing a device's account; the old one stops being recognised at once and
//!   is kept in a bounded history.
//! - **Key proof**: the device key's signature consenting to its registration or rotation.
//! - **Active**: a device that is neither suspended nor revoked, of an organisation that is not
//!   suspended.
//!
//! ## Pallet API
//!
//! Governance: [`Pallet::create_org`], [`Pallet::suspend_org`], [`Pallet::resume_org`],
//! [`Pallet::force_set_admins`]. Organisation admins: [`Pallet::add_admin`],
//! [`Pallet::remove_admin`] (both by a majority of the admins), [`Pallet::add_member`],
//! [`Pallet::remove_member`]. Admins and members: [`Pallet::leave_org`]. Organisation accounts:
//! [`Pallet::register_device`],
//! [`Pallet::register_devices`], [`Pallet::rotate_key`], [`Pallet::suspend_device`],
//! [`Pallet::resume_device`], [`Pallet::revoke_device`], [`Pallet::assign_gateway`],
//! [`Pallet::update_metadata`], [`Pallet::offer_transfer`], [`Pallet::cancel_transfer`],
//! [`Pallet::accept_transfer`].
//!
//! Other pallets use the [`DeviceRegistry`] trait, which this pallet implements; the
//! `#[pallet::feeless_if]` rules built on it ([`is_signed_by_device`] and its kin, in
//! `feeless.rs`); the batch calls' emptiness check and per-item application ([`apply_batch`],
//! in `batch.rs`); and [`genesis_hash`]. Their benchmarks set up registry state through
//! `DeviceRegistryBenchmarking` (with `runtime-benchmarks` only).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use batch::{apply_batch, ensure_non_empty_batch};
#[cfg(feature = "runtime-benchmarks")]
pub use benchmark_setup::{BenchmarkHelper, DeviceRegistryBenchmarking};
pub use chain::genesis_hash;
pub use feeless::{
	is_device_or_its_gateway, is_signed_by_device, is_signed_by_device_or_its_gateway,
	is_signed_for_all_by_device, is_signed_for_all_by_device_or_gateway, signing_device,
	speaks_for,
};
pub use pallet::*;
pub use traits::{ActiveDevice, DeviceRegistry};
pub use types::*;
pub use weights::WeightInfo;

mod batch;
#[cfg(feature = "runtime-benchmarks")]
mod benchmark_setup;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod chain;
mod features;
mod feeless;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(feature = "std")]
pub mod testing;
#[cfg(test)]
mod tests;
mod traits;
mod traits_impl;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
mod types;
pub mod weights;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{dispatch::WithPostDispatchInfo, pallet_prelude::*, traits::Contains};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{IdentifyAccount, Verify};

	/// An organisation as stored.
	pub type OrganisationOf<T> = Organisation<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxNameLen,
		<T as Config>::MaxAdmins,
		<T as Config>::MaxMembers,
	>;
	/// A device as stored.
	pub type DeviceOf<T> = Device<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxModelLen,
	>;
	/// One entry of a registration batch.
	pub type DeviceRegistrationOf<T> = DeviceRegistration<<T as frame_system::Config>::AccountId>;
	/// One entry of a registration batch with its device key's consent.
	pub type ProvenRegistrationOf<T> =
		ProvenRegistration<<T as frame_system::Config>::AccountId, <T as Config>::ConsentSignature>;
	/// An account's consent to joining an organisation, as a call carries it.
	pub type AccountConsentOf<T> =
		AccountConsent<BlockNumberFor<T>, <T as Config>::ConsentSignature>;
	/// A new device key with its consent, as a transfer carries it.
	pub type ProvenKeyOf<T> =
		ProvenKey<<T as frame_system::Config>::AccountId, <T as Config>::ConsentSignature>;
	/// An organisation's admin changes waiting for a majority.
	pub type PendingAdminChangesOf<T> = BoundedVec<
		PendingAdminChange<
			<T as frame_system::Config>::AccountId,
			BlockNumberFor<T>,
			<T as Config>::MaxAdmins,
		>,
		<T as Config>::MaxAdmins,
	>;
	/// A device's retired keys, oldest first.
	pub type KeyHistoryOf<T> = BoundedVec<
		RetiredKey<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>,
		<T as Config>::MaxKeyHistory,
	>;

	/// The in-code storage version: 0 is the layout as first released.
	#[cfg(not(feature = "upgrade-rehearsal"))]
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);
	/// The rehearsal build's storage version, reached by
	/// [`crate::migrations::rehearsal::RewriteOrganisationsV0ToV1`].
	#[cfg(feature = "upgrade-rehearsal")]
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Defaults for `#[derive_impl]`: the small bounds and test signatures this and other
	/// pallets' tests use (so only with `std`).
	#[cfg(feature = "std")]
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, traits::ConstU32};

		/// Small bounds, so tests reach every limit with a handful of entries.
		pub struct TestDefaultConfig;

		/// Test device keys: any `u64` account, "signing" with a test signature.
		#[cfg(feature = "runtime-benchmarks")]
		pub struct TestBenchmarkHelper;

		#[cfg(feature = "runtime-benchmarks")]
		impl BenchmarkHelper<u64, sp_runtime::testing::TestSignature> for TestBenchmarkHelper {
			fn key_account(seed: u32) -> u64 {
				1_000_000 + u64::from(seed)
			}

			fn sign(account: &u64, payload: &[u8]) -> sp_runtime::testing::TestSignature {
				sp_runtime::testing::TestSignature(*account, payload.to_vec())
			}
		}

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxNameLen = ConstU32<16>;
			type MaxAdmins = ConstU32<2>;
			type MaxMembers = ConstU32<2>;
			type MaxModelLen = ConstU32<8>;
			type MaxDevicesPerOrg = ConstU32<4>;
			type MaxBatchSize = ConstU32<3>;
			type MaxKeyHistory = ConstU32<2>;
			type MaxDevicesPerGateway = ConstU32<2>;
			type ConsentSignature = sp_runtime::testing::TestSignature;
			type ConsentSigner = sp_runtime::testing::UintAuthorityId;
			type ReservedAccounts = frame_support::traits::Nothing;
			type AdminChangeWindow = ConstU32<10>;
			type MaxConsentLifetime = ConstU32<100>;
			type NewAdminProbation = ConstU32<20>;
			#[cfg(feature = "runtime-benchmarks")]
			type BenchmarkHelper = TestBenchmarkHelper;
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Who creates, suspends and resumes organisations: the consortium's governance.
		#[pallet::no_default]
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Longest organisation name, in bytes.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// Most admin accounts one organisation has.
		#[pallet::constant]
		type MaxAdmins: Get<u32>;

		/// Most member (operator) accounts one organisation has.
		#[pallet::constant]
		type MaxMembers: Get<u32>;

		/// Longest model identifier, in bytes.
		#[pallet::constant]
		type MaxModelLen: Get<u32>;

		/// Most devices and gateways one organisation owns, revoked ones included.
		#[pallet::constant]
		type MaxDevicesPerOrg: Get<u32>;

		/// Most devices one `register_devices` call registers.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// How many retired keys a device's history keeps; older ones drop out of storage (the
		/// `KeyRotated` events keep them all).
		#[pallet::constant]
		type MaxKeyHistory: Get<u32>;

		/// Most devices one gateway serves. A gateway's transfer unassigns all of them, so this
		/// bounds that call's weight.
		#[pallet::constant]
		type MaxDevicesPerGateway: Get<u32>;

		/// The signature a key gives to consent to how the chain uses it: a device key's to its
		/// registration, rotation or transfer, an account's to joining an organisation.
		type ConsentSignature: Verify<Signer = Self::ConsentSigner> + Parameter;

		/// Who makes a [`Config::ConsentSignature`]: it identifies the consenting account.
		type ConsentSigner: IdentifyAccount<AccountId = Self::AccountId>;

		/// How far ahead an account's consent to join an organisation may hold, in blocks. A
		/// consent can be used again until it expires (an account that leaves can be added back
		/// with it), so it is kept short.
		#[pallet::constant]
		type MaxConsentLifetime: Get<u32>;

		/// How many blocks the approvals of a proposed admin change count: one not approved by a
		/// majority of the admins within them starts again from its next approval.
		#[pallet::constant]
		type AdminChangeWindow: Get<u32>;

		/// How many blocks an admin added by its co-admins waits before it counts as a settled
		/// admin (see [`DeviceRegistry::settled_admin_org_of`]): time for the consortium to see
		/// `AdminAdded` and act before a new key shares in decisions that need two admins.
		#[pallet::constant]
		type NewAdminProbation: Get<u32>;

		/// Accounts that must never become device keys beyond organisations' own: the council's
		/// and the validators'.
		type ReservedAccounts: Contains<Self::AccountId>;

		/// Makes device keys and their proofs for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::ConsentSignature>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The id the next organisation gets.
	#[pallet::storage]
	pub type NextOrgId<T> = StorageValue<_, OrgId, ValueQuery>;

	/// Organisations by id.
	// Twox64Concat: ids are assigned by the chain in sequence, so nobody can pick colliding keys.
	#[pallet::storage]
	pub type Organisations<T: Config> = StorageMap<_, Twox64Concat, OrgId, OrganisationOf<T>>;

	/// The organisation an account administers or operates for; an account serves one at most.
	// Blake2_128Concat: accounts are chosen by users.
	#[pallet::storage]
	pub type OrgOfAccount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, OrgId>;

	/// Devices and gateways by id, revoked ones included (their ids are never reused).
	// Blake2_128Concat: ids are chosen by registrants.
	#[pallet::storage]
	pub type Devices<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, DeviceOf<T>>;

	/// The device that currently signs with an account.
	// Blake2_128Concat: accounts are chosen by users.
	#[pallet::storage]
	pub type DeviceOfAccount<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, DeviceId>;

	/// Accounts a device signed with before a rotation or its revocation: never usable again.
	// Blake2_128Concat: accounts are chosen by users.
	#[pallet::storage]
	pub type RetiredAccounts<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, DeviceId>;

	/// Each device's most recent retired keys, oldest first.
	// Blake2_128Concat: ids are chosen by registrants.
	#[pallet::storage]
	pub type KeyHistory<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, KeyHistoryOf<T>>;

	/// Index of the devices each organisation owns, for listing.
	// Twox64Concat for the chain-assigned org id; Blake2_128Concat for registrant-chosen ids.
	#[pallet::storage]
	pub type OrgDevices<T: Config> =
		StorageDoubleMap<_, Twox64Concat, OrgId, Blake2_128Concat, DeviceId, (), OptionQuery>;

	/// How many devices each organisation owns (the size of its `OrgDevices` index).
	// Twox64Concat: ids are assigned by the chain.
	#[pallet::storage]
	pub type OrgDeviceCount<T: Config> = StorageMap<_, Twox64Concat, OrgId, u32, ValueQuery>;

	/// The devices each gateway serves, so a gateway's transfer can unassign them.
	// Blake2_128Concat: both ids are chosen by registrants.
	#[pallet::storage]
	pub type GatewayDevices<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, DeviceId, Blake2_128Concat, DeviceId, ()>;

	/// How many devices each gateway serves (the size of its `GatewayDevices` index).
	// Blake2_128Concat: gateway ids are chosen by registrants.
	#[pallet::storage]
	pub type GatewayDeviceCount<T: Config> =
		StorageMap<_, Blake2_128Concat, DeviceId, u32, ValueQuery>;

	/// How many devices of each model each organisation registered or received, whatever their
	/// status: which organisations use a model, so no manufacturer claims another's fleet.
	// Blake2_128Concat for the registrant-chosen model; Twox64Concat for the chain-assigned org.
	#[pallet::storage]
	pub type ModelUsers<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ModelId<T::MaxModelLen>,
		Twox64Concat,
		OrgId,
		u32,
		ValueQuery,
	>;

	/// Transfers offered and not yet accepted: device → receiving organisation.
	// Blake2_128Concat: ids are chosen by registrants.
	#[pallet::storage]
	pub type PendingTransfers<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, OrgId>;

	/// The block each admin added by its co-admins joined in, while it stays an admin. Admins
	/// appointed by governance (at creation or recovery) have no entry: they are settled.
	// Blake2_128Concat: accounts are chosen by users.
	#[pallet::storage]
	pub type AdminSince<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BlockNumberFor<T>>;

	/// Each organisation's admin changes waiting for a majority of its admins: one per
	/// proposing admin at most, so never more than `MaxAdmins`.
	// Twox64Concat: ids are assigned by the chain.
	#[pallet::storage]
	pub type PendingAdminChanges<T: Config> =
		StorageMap<_, Twox64Concat, OrgId, PendingAdminChangesOf<T>, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance created an organisation.
		OrgCreated { org: OrgId, roles: OrgRoles, admin: T::AccountId },
		/// Governance suspended an organisation; nothing it owns counts as active.
		OrgSuspended { org: OrgId },
		/// Governance resumed a suspended organisation.
		OrgResumed { org: OrgId },
		/// An admin account joined an organisation: `by` is the admin whose approval made the
		/// majority.
		AdminAdded { org: OrgId, account: T::AccountId, by: T::AccountId },
		/// An admin account left an organisation: removed by a majority (`by` made it), or of its
		/// own accord (`by` is the account).
		AdminRemoved { org: OrgId, account: T::AccountId, by: T::AccountId },
		/// An admin approved a change of the admins that has no majority yet.
		AdminChangeApproved {
			org: OrgId,
			change: AdminChange<T::AccountId>,
			by: T::AccountId,
			approvals: u32,
		},
		/// Governance set an organisation's admins (recovery).
		AdminsSet { org: OrgId, admins: Vec<T::AccountId> },
		/// A member (operator) account joined an organisation.
		MemberAdded { org: OrgId, account: T::AccountId, by: T::AccountId },
		/// A member (operator) account left an organisation: removed by an admin, or of its own
		/// accord (`by` is the account).
		MemberRemoved { org: OrgId, account: T::AccountId, by: T::AccountId },
		/// A device or gateway was registered.
		DeviceRegistered {
			device: DeviceId,
			org: OrgId,
			kind: DeviceKind,
			account: T::AccountId,
			by: T::AccountId,
		},
		/// A device's signing account was replaced; the old one is retired for good.
		KeyRotated {
			device: DeviceId,
			old_account: T::AccountId,
			new_account: T::AccountId,
			by: T::AccountId,
		},
		/// A device was suspended.
		DeviceSuspended { device: DeviceId, by: T::AccountId },
		/// A suspended device was resumed.
		DeviceResumed { device: DeviceId, by: T::AccountId },
		/// A device was revoked: final.
		DeviceRevoked { device: DeviceId, by: T::AccountId },
		/// A device was assigned to a gateway, or unassigned (`gateway: None`).
		GatewayAssigned { device: DeviceId, gateway: Option<DeviceId>, by: T::AccountId },
		/// A device's metadata hash changed.
		MetadataUpdated { device: DeviceId, metadata_hash: ContentHash, by: T::AccountId },
		/// A device's firmware version changed (after a verified update).
		FirmwareUpdated { device: DeviceId, version: FirmwareVersion },
		/// An organisation offered a device to another.
		TransferOffered { device: DeviceId, from: OrgId, to: OrgId, by: T::AccountId },
		/// A transfer offer was withdrawn.
		TransferCancelled { device: DeviceId, by: T::AccountId },
		/// A device changed owner. `key_rotated: false` says whoever held the device's key
		/// before still holds it; with `true` the receiver put a new key in (see `KeyRotated`).
		DeviceTransferred {
			device: DeviceId,
			from: OrgId,
			to: OrgId,
			by: T::AccountId,
			key_rotated: bool,
		},
		/// A transferred gateway no longer serves the devices of the organisation it left.
		GatewayDevicesUnassigned { gateway: DeviceId, devices: u32 },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The organisation name is empty or longer than `MaxNameLen`.
		BadOrgName,
		/// An organisation must play at least one role.
		NoRoles,
		/// No organisation has this id.
		OrgNotFound,
		/// The organisation is suspended; resume it first.
		OrgSuspended,
		/// The organisation is not suspended.
		OrgNotSuspended,
		/// Only an admin of the organisation may do this.
		NotOrgAdmin,
		/// Only an admin or member of the device's organisation may do this.
		NotOrgAccount,
		/// The account already serves an organisation (this one or another).
		AccountAlreadyInOrg,
		/// The account is not a member of this organisation.
		NotAMember,
		/// The organisation already has `MaxAdmins` admins.
		TooManyAdmins,
		/// The organisation already has `MaxMembers` members.
		TooManyMembers,
		/// An organisation keeps at least one admin.
		LastAdmin,
		/// A device or gateway with this id exists (or existed: revoked ids are never reused).
		DeviceAlreadyExists,
		/// No device or gateway has this id.
		DeviceNotFound,
		/// The account is already a device's key, or was one; use a fresh key pair.
		AccountInUse,
		/// The model identifier is empty or longer than `MaxModelLen`.
		BadModel,
		/// The organisation already owns `MaxDevicesPerOrg` devices.
		TooManyDevices,
		/// A batch is empty: it records nothing.
		BadBatchSize,
		/// The batch names the same device id or account twice.
		DuplicateInBatch,
		/// The device is revoked; nothing can change it any more.
		DeviceRevoked,
		/// The device is not active.
		DeviceNotActive,
		/// The device is not suspended.
		DeviceNotSuspended,
		/// The named gateway is a leaf device, not a gateway.
		NotAGateway,
		/// A gateway relays other devices; it cannot be assigned to a gateway itself.
		GatewayCannotHaveGateway,
		/// The gateway belongs to another organisation.
		GatewayOfAnotherOrg,
		/// The organisation that offered the transfer is suspended; its offers wait until it
		/// is resumed.
		OfferingOrgSuspended,
		/// The gateway already serves `MaxDevicesPerGateway` devices.
		TooManyGatewayDevices,
		/// The key proof is not the device key's signature over this chain, organisation,
		/// device and account: the key's holder did not consent.
		BadKeyProof,
		/// The account is a council member's or a validator's, and never becomes a device key.
		AccountReserved,
		/// A device cannot be offered to the organisation that already owns it.
		TransferToSelf,
		/// The device has a transfer offer pending; cancel it first.
		TransferPending,
		/// The device has no transfer offer pending.
		NoTransferPending,
		/// The offer is addressed to another organisation.
		NotTransferRecipient,
		/// The firmware version is lower than the one the device runs.
		FirmwareDowngrade,
		/// The consent is not the account's signature over this chain, organisation, role and
		/// expiry: the account's holder did not agree to join.
		BadConsent,
		/// The consent's last block has passed; its holder must sign a new one.
		ConsentExpired,
		/// The admin already approved this change.
		AlreadyApproved,
		/// The consent holds for longer than `MaxConsentLifetime`; its holder must sign one that
		/// expires sooner.
		ConsentTooLong,
		/// The admin's own open proposal has other admins' approvals: it stands until it is
		/// enacted or its window closes, and the admin proposes nothing else meanwhile.
		AdminChangeOpen,
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
		/// Create an organisation with its first admin. Governance only.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_org())]
		pub fn create_org(
			origin: OriginFor<T>,
			name: Vec<u8>,
			roles: OrgRoles,
			admin: T::AccountId,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_create_org(name, roles, admin).map(|_| ())
		}

		/// Suspend an organisation: its accounts can no longer manage devices and none of its
		/// devices counts as active. Governance only.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::suspend_org())]
		pub fn suspend_org(origin: OriginFor<T>, org: OrgId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_org_status(org, OrgStatus::Suspended)
		}

		/// Resume a suspended organisation. Governance only.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::resume_org())]
		pub fn resume_org(origin: OriginFor<T>, org: OrgId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_set_org_status(org, OrgStatus::Active)
		}

		/// Approve adding `account`, which consented, as an admin of the caller's organisation.
		/// It joins when a majority of the admins approved within `AdminChangeWindow`; each
		/// calls this with the same account and consent. Admins only.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_admin())]
		pub fn add_admin(
			origin: OriginFor<T>,
			account: T::AccountId,
			consent: AccountConsentOf<T>,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_approve_admin_change(caller, AdminChange::Add(account), Some(&consent))
		}

		/// Approve removing an admin from the caller's organisation; it goes when a majority of
		/// the admins approved within `AdminChangeWindow`. The last admin stays. Admins only.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_admin())]
		pub fn remove_admin(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_approve_admin_change(caller, AdminChange::Remove(account), None)
		}

		/// Add a member (operator) account, which consented, to the caller's organisation.
		/// Admins only.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::add_member())]
		pub fn add_member(
			origin: OriginFor<T>,
			account: T::AccountId,
			consent: AccountConsentOf<T>,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_add_member(caller, account, &consent)
		}

		/// Remove a member account from the caller's organisation. Admins only.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::remove_member())]
		pub fn remove_member(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_remove_member(caller, account)
		}

		/// Register one device or gateway for the caller's organisation, with its key's proof.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::register_device())]
		pub fn register_device(
			origin: OriginFor<T>,
			registration: ProvenRegistrationOf<T>,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_register_devices(&caller, alloc::vec![registration])
		}

		/// Register devices for the caller's organisation, each with its key's proof: all or
		/// none. At most `MaxBatchSize` of them: the bound is in the type, so a larger batch
		/// does not decode. An empty batch fails with `BadBatchSize`, charged as a batch of
		/// none.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::register_devices(registrations.len() as u32))]
		pub fn register_devices(
			origin: OriginFor<T>,
			registrations: BoundedVec<ProvenRegistrationOf<T>, T::MaxBatchSize>,
		) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			crate::ensure_non_empty_batch(registrations.len(), Error::<T>::BadBatchSize)
				.map_err(|error| error.with_weight(T::WeightInfo::register_devices(0)))?;
			Self::do_register_devices(&caller, registrations.into_inner())?;
			Ok(().into())
		}

		/// Replace a device's signing account; `key_proof` is the new key's consent. The old
		/// account stops being recognised at once and can never be used again.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::rotate_key())]
		pub fn rotate_key(
			origin: OriginFor<T>,
			device: DeviceId,
			new_account: T::AccountId,
			key_proof: T::ConsentSignature,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_rotate_key(&caller, device, new_account, &key_proof)
		}

		/// Suspend an active device.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::suspend_device())]
		pub fn suspend_device(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_set_device_status(&caller, device, DeviceStatus::Suspended)
		}

		/// Resume a suspended device.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::resume_device())]
		pub fn resume_device(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_set_device_status(&caller, device, DeviceStatus::Active)
		}

		/// Revoke a device for good: its id and every key it used are never accepted again.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::revoke_device())]
		pub fn revoke_device(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_set_device_status(&caller, device, DeviceStatus::Revoked)
		}

		/// Assign a device to one of its organisation's gateways, or unassign it (`None`).
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::assign_gateway())]
		pub fn assign_gateway(
			origin: OriginFor<T>,
			device: DeviceId,
			gateway: Option<DeviceId>,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_assign_gateway(&caller, device, gateway)
		}

		/// Replace the hash of a device's off-chain metadata document.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::update_metadata())]
		pub fn update_metadata(
			origin: OriginFor<T>,
			device: DeviceId,
			metadata_hash: ContentHash,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_update_metadata(&caller, device, metadata_hash)
		}

		/// Offer a device to another organisation; it changes owner when that one accepts.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::offer_transfer())]
		pub fn offer_transfer(origin: OriginFor<T>, device: DeviceId, to: OrgId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_offer_transfer(&caller, device, to)
		}

		/// Withdraw a pending transfer offer.
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::cancel_transfer())]
		pub fn cancel_transfer(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_cancel_transfer(&caller, device)
		}

		/// Accept a device offered to the caller's organisation, with a new key for it (and that
		/// key's consent) or keeping the key its previous owner provisioned, which the event
		/// then says. A gateway's devices in the organisation it leaves are unassigned from it.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::accept_transfer(T::MaxDevicesPerGateway::get()))]
		pub fn accept_transfer(
			origin: OriginFor<T>,
			device: DeviceId,
			new_key: Option<ProvenKeyOf<T>>,
		) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			let unassigned = Self::do_accept_transfer(&caller, device, new_key)?;
			Ok(Some(T::WeightInfo::accept_transfer(unassigned)).into())
		}

		/// Leave the caller's organisation, as an admin or a member; the last admin stays.
		#[pallet::call_index(18)]
		#[pallet::weight(T::WeightInfo::leave_org())]
		pub fn leave_org(origin: OriginFor<T>) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_leave_org(caller)
		}

		/// Set an organisation's admins, replacing all of them: recovery when its admins' keys
		/// are lost or turned against it. Each must be free of any other organisation (this
		/// one's members may be promoted). Pending admin changes are dropped. Governance only.
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::force_set_admins(admins.len() as u32))]
		pub fn force_set_admins(
			origin: OriginFor<T>,
			org: OrgId,
			admins: BoundedVec<T::AccountId, T::MaxAdmins>,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_force_set_admins(org, admins)
		}
	}
}
