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
//! the organisation, the device id and the account. So no organisation can make another
//! party's account one of its devices (and burn it by revoking the device). Accounts of
//! organisations, council members and validators never become device keys.
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
//! Governance: [`Pallet::create_org`], [`Pallet::suspend_org`], [`Pallet::resume_org`].
//! Organisation admins: [`Pallet::add_admin`], [`Pallet::remove_admin`], [`Pallet::add_member`],
//! [`Pallet::remove_member`]. Organisation accounts: [`Pallet::register_device`],
//! [`Pallet::register_devices`], [`Pallet::rotate_key`], [`Pallet::suspend_device`],
//! [`Pallet::resume_device`], [`Pallet::revoke_device`], [`Pallet::assign_gateway`],
//! [`Pallet::update_metadata`], [`Pallet::offer_transfer`], [`Pallet::cancel_transfer`],
//! [`Pallet::accept_transfer`].
//!
//! Other pallets use the [`DeviceRegistry`] trait, which this pallet implements.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
#[cfg(feature = "runtime-benchmarks")]
pub use traits::BenchmarkHelper;
pub use traits::{
	apply_each, is_device_or_its_gateway, is_signed_by_device, is_signed_by_device_or_its_gateway,
	is_signed_for_all_by_device_or_gateway, signing_device, speaks_for, ActiveDevice,
	DeviceRegistry,
};
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
mod traits;
mod types;
pub mod weights;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::{collections::BTreeSet, vec::Vec};
	use frame_support::{pallet_prelude::*, traits::Contains};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{IdentifyAccount, Verify, Zero},
		ArithmeticError,
	};

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
	pub type ProvenRegistrationOf<T> = ProvenRegistration<
		<T as frame_system::Config>::AccountId,
		<T as Config>::DeviceKeySignature,
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

		/// Registers device or gateway `id` of `model`, signing with `account` and leaving the
		/// factory on firmware 1.0.0, for the organisation `registrant` acts for, with its key's
		/// test proof: how other pallets' tests enrol devices.
		pub fn register_for_tests<T>(
			registrant: u64,
			id: DeviceId,
			kind: DeviceKind,
			model: &[u8],
			account: u64,
		) -> frame_support::dispatch::DispatchResult
		where
			T: Config<AccountId = u64, DeviceKeySignature = sp_runtime::testing::TestSignature>,
		{
			let org = OrgOfAccount::<T>::get(registrant).unwrap_or_default();
			let key_proof = sp_runtime::testing::TestSignature(
				account,
				Pallet::<T>::key_proof_payload(org, &id, &account),
			);
			let registration = DeviceRegistration {
				id,
				kind,
				model: model.to_vec(),
				account,
				metadata_hash: [0; 32],
				firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
			};
			Pallet::<T>::register_device(
				frame_system::RawOrigin::Signed(registrant).into(),
				ProvenRegistration { registration, key_proof },
			)
		}

		/// Test device keys: any `u64` account, "signing" with a test signature.
		#[cfg(feature = "runtime-benchmarks")]
		pub struct TestBenchmarkHelper;

		#[cfg(feature = "runtime-benchmarks")]
		impl BenchmarkHelper<u64, sp_runtime::testing::TestSignature> for TestBenchmarkHelper {
			fn device_account(seed: u32) -> u64 {
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
			type DeviceKeySignature = sp_runtime::testing::TestSignature;
			type DeviceKeySigner = sp_runtime::testing::UintAuthorityId;
			type ReservedAccounts = frame_support::traits::Nothing;
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

		/// The signature a device key gives to consent to its registration or rotation.
		type DeviceKeySignature: Verify<Signer = Self::DeviceKeySigner> + Parameter;

		/// Who makes a [`Config::DeviceKeySignature`]: it identifies the device's account.
		type DeviceKeySigner: IdentifyAccount<AccountId = Self::AccountId>;

		/// Accounts that must never become device keys beyond organisations' own: the council's
		/// and the validators'.
		type ReservedAccounts: Contains<Self::AccountId>;

		/// Makes device keys and their proofs for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId, Self::DeviceKeySignature>;

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

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// Governance created an organisation.
		OrgCreated { org: OrgId, roles: OrgRoles, admin: T::AccountId },
		/// Governance suspended an organisation; nothing it owns counts as active.
		OrgSuspended { org: OrgId },
		/// Governance resumed a suspended organisation.
		OrgResumed { org: OrgId },
		/// An admin account joined an organisation.
		AdminAdded { org: OrgId, account: T::AccountId },
		/// An admin account left an organisation.
		AdminRemoved { org: OrgId, account: T::AccountId },
		/// A member (operator) account joined an organisation.
		MemberAdded { org: OrgId, account: T::AccountId },
		/// A member (operator) account left an organisation.
		MemberRemoved { org: OrgId, account: T::AccountId },
		/// A device or gateway was registered.
		DeviceRegistered { device: DeviceId, org: OrgId, kind: DeviceKind, account: T::AccountId },
		/// A device's signing account was replaced; the old one is retired for good.
		KeyRotated { device: DeviceId, old_account: T::AccountId, new_account: T::AccountId },
		/// A device was suspended.
		DeviceSuspended { device: DeviceId },
		/// A suspended device was resumed.
		DeviceResumed { device: DeviceId },
		/// A device was revoked: final.
		DeviceRevoked { device: DeviceId },
		/// A device was assigned to a gateway, or unassigned (`gateway: None`).
		GatewayAssigned { device: DeviceId, gateway: Option<DeviceId> },
		/// A device's metadata hash changed.
		MetadataUpdated { device: DeviceId, metadata_hash: ContentHash },
		/// A device's firmware version changed (after a verified update).
		FirmwareUpdated { device: DeviceId, version: FirmwareVersion },
		/// An organisation offered a device to another.
		TransferOffered { device: DeviceId, from: OrgId, to: OrgId },
		/// A transfer offer was withdrawn.
		TransferCancelled { device: DeviceId },
		/// A device changed owner.
		DeviceTransferred { device: DeviceId, from: OrgId, to: OrgId },
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
		/// A batch is empty or larger than `MaxBatchSize`.
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

		/// Add an admin to the caller's organisation. Admins only.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_admin())]
		pub fn add_admin(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_add_account(&caller, account, Membership::Admin)
		}

		/// Remove an admin from the caller's organisation; the last admin stays. Admins only.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_admin())]
		pub fn remove_admin(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_remove_account(&caller, account, Membership::Admin)
		}

		/// Add a member (operator) account to the caller's organisation. Admins only.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::add_member())]
		pub fn add_member(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_add_account(&caller, account, Membership::Member)
		}

		/// Remove a member account from the caller's organisation. Admins only.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::remove_member())]
		pub fn remove_member(origin: OriginFor<T>, account: T::AccountId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_remove_account(&caller, account, Membership::Member)
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

		/// Register up to `MaxBatchSize` devices for the caller's organisation, each with its
		/// key's proof: all or none.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::register_devices(registrations.len() as u32))]
		pub fn register_devices(
			origin: OriginFor<T>,
			registrations: Vec<ProvenRegistrationOf<T>>,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_register_devices(&caller, registrations)
		}

		/// Replace a device's signing account; `key_proof` is the new key's consent. The old
		/// account stops being recognised at once and can never be used again.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::rotate_key())]
		pub fn rotate_key(
			origin: OriginFor<T>,
			device: DeviceId,
			new_account: T::AccountId,
			key_proof: T::DeviceKeySignature,
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

		/// Accept a device offered to the caller's organisation. A gateway's devices in the
		/// organisation it leaves are unassigned from it.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::accept_transfer(T::MaxDevicesPerGateway::get()))]
		pub fn accept_transfer(
			origin: OriginFor<T>,
			device: DeviceId,
		) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			let unassigned = Self::do_accept_transfer(&caller, device)?;
			Ok(Some(T::WeightInfo::accept_transfer(unassigned)).into())
		}
	}

	/// Which list of an organisation an account is added to or removed from.
	#[derive(Clone, Copy, PartialEq, Eq)]
	pub(crate) enum Membership {
		Admin,
		Member,
	}

	impl<T: Config> Pallet<T> {
		fn now() -> BlockNumberFor<T> {
			frame_system::Pallet::<T>::block_number()
		}

		pub(crate) fn do_create_org(
			name: Vec<u8>,
			roles: OrgRoles,
			admin: T::AccountId,
		) -> Result<OrgId, DispatchError> {
			let name: BoundedVec<u8, T::MaxNameLen> =
				name.try_into().map_err(|_| Error::<T>::BadOrgName)?;
			ensure!(!name.is_empty(), Error::<T>::BadOrgName);
			ensure!(roles.any(), Error::<T>::NoRoles);
			Self::ensure_fresh_org_account(&admin)?;
			let org = NextOrgId::<T>::get();
			let next = org.checked_add(1).ok_or(ArithmeticError::Overflow)?;
			let admins = BoundedVec::try_from(alloc::vec![admin.clone()])
				.map_err(|_| Error::<T>::TooManyAdmins)?;

			NextOrgId::<T>::put(next);
			OrgOfAccount::<T>::insert(&admin, org);
			Organisations::<T>::insert(
				org,
				Organisation {
					name,
					roles,
					admins,
					members: BoundedVec::new(),
					status: OrgStatus::Active,
					created: Self::now(),
				},
			);
			Self::deposit_event(Event::OrgCreated { org, roles, admin });
			Ok(org)
		}

		pub(crate) fn do_set_org_status(org_id: OrgId, status: OrgStatus) -> DispatchResult {
			Organisations::<T>::try_mutate(org_id, |org| {
				let org = org.as_mut().ok_or(Error::<T>::OrgNotFound)?;
				match status {
					OrgStatus::Suspended => {
						ensure!(org.status == OrgStatus::Active, Error::<T>::OrgSuspended)
					},
					OrgStatus::Active => {
						ensure!(org.status == OrgStatus::Suspended, Error::<T>::OrgNotSuspended)
					},
				}
				org.status = status;
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(match status {
				OrgStatus::Suspended => Event::OrgSuspended { org: org_id },
				OrgStatus::Active => Event::OrgResumed { org: org_id },
			});
			Ok(())
		}

		/// The active organisation `admin` administers.
		fn admin_org(admin: &T::AccountId) -> Result<(OrgId, OrganisationOf<T>), DispatchError> {
			let org_id = OrgOfAccount::<T>::get(admin).ok_or(Error::<T>::NotOrgAdmin)?;
			let org = Organisations::<T>::get(org_id).ok_or(Error::<T>::OrgNotFound)?;
			ensure!(org.admins.contains(admin), Error::<T>::NotOrgAdmin);
			ensure!(org.status == OrgStatus::Active, Error::<T>::OrgSuspended);
			Ok((org_id, org))
		}

		/// The active organisation `account` serves as admin or member.
		fn acting_org(account: &T::AccountId) -> Result<OrgId, DispatchError> {
			let org_id = OrgOfAccount::<T>::get(account).ok_or(Error::<T>::NotOrgAccount)?;
			let org = Organisations::<T>::get(org_id).ok_or(Error::<T>::OrgNotFound)?;
			ensure!(org.status == OrgStatus::Active, Error::<T>::OrgSuspended);
			Ok(org_id)
		}

		pub(crate) fn do_add_account(
			admin: &T::AccountId,
			account: T::AccountId,
			membership: Membership,
		) -> DispatchResult {
			let (org_id, mut org) = Self::admin_org(admin)?;
			Self::ensure_fresh_org_account(&account)?;
			match membership {
				Membership::Admin => {
					org.admins.try_push(account.clone()).map_err(|_| Error::<T>::TooManyAdmins)?
				},
				Membership::Member => {
					org.members.try_push(account.clone()).map_err(|_| Error::<T>::TooManyMembers)?
				},
			}

			OrgOfAccount::<T>::insert(&account, org_id);
			Organisations::<T>::insert(org_id, org);
			Self::deposit_event(match membership {
				Membership::Admin => Event::AdminAdded { org: org_id, account },
				Membership::Member => Event::MemberAdded { org: org_id, account },
			});
			Ok(())
		}

		fn do_remove_account(
			admin: &T::AccountId,
			account: T::AccountId,
			membership: Membership,
		) -> DispatchResult {
			let (org_id, mut org) = Self::admin_org(admin)?;
			match membership {
				Membership::Admin => {
					ensure!(org.admins.contains(&account), Error::<T>::NotAMember);
					ensure!(org.admins.len() > 1, Error::<T>::LastAdmin);
					org.admins.retain(|a| a != &account);
				},
				Membership::Member => {
					ensure!(org.members.contains(&account), Error::<T>::NotAMember);
					org.members.retain(|a| a != &account);
				},
			}

			OrgOfAccount::<T>::remove(&account);
			Organisations::<T>::insert(org_id, org);
			Self::deposit_event(match membership {
				Membership::Admin => Event::AdminRemoved { org: org_id, account },
				Membership::Member => Event::MemberRemoved { org: org_id, account },
			});
			Ok(())
		}

		/// Whether `account` could join an organisation: it serves none, and no device ever
		/// signed with it (device keys and people's keys stay apart).
		fn ensure_fresh_org_account(account: &T::AccountId) -> DispatchResult {
			ensure!(!OrgOfAccount::<T>::contains_key(account), Error::<T>::AccountAlreadyInOrg);
			ensure!(
				!DeviceOfAccount::<T>::contains_key(account)
					&& !RetiredAccounts::<T>::contains_key(account),
				Error::<T>::AccountInUse
			);
			Ok(())
		}

		/// Whether `account` could become a device key: never a device's, nor an organisation's,
		/// nor a council member's or validator's.
		fn ensure_fresh_device_account(account: &T::AccountId) -> DispatchResult {
			ensure!(
				!DeviceOfAccount::<T>::contains_key(account)
					&& !RetiredAccounts::<T>::contains_key(account)
					&& !OrgOfAccount::<T>::contains_key(account),
				Error::<T>::AccountInUse
			);
			ensure!(!T::ReservedAccounts::contains(account), Error::<T>::AccountReserved);
			Ok(())
		}

		/// This chain's genesis hash, which every key proof names.
		fn genesis_hash() -> [u8; 32] {
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			<[u8; 32]>::try_from(genesis.as_ref()).unwrap_or_default()
		}

		/// The bytes the key of `account` signs to consent to being device `id` of `org`.
		pub fn key_proof_payload(org: OrgId, id: &DeviceId, account: &T::AccountId) -> Vec<u8> {
			iotchain_possession_proofs::device_key_payload(
				&Self::genesis_hash(),
				org,
				id,
				&account.encode(),
			)
		}

		fn ensure_key_proof(
			org: OrgId,
			id: &DeviceId,
			account: &T::AccountId,
			proof: &T::DeviceKeySignature,
		) -> DispatchResult {
			let payload = Self::key_proof_payload(org, id, account);
			ensure!(proof.verify(&payload[..], account), Error::<T>::BadKeyProof);
			Ok(())
		}

		pub(crate) fn do_register_devices(
			caller: &T::AccountId,
			registrations: Vec<ProvenRegistrationOf<T>>,
		) -> DispatchResult {
			let org = Self::acting_org(caller)?;
			let (registrations, proofs): (Vec<_>, Vec<_>) = registrations
				.into_iter()
				.map(|proven| (proven.registration, proven.key_proof))
				.unzip();
			let checked = Self::check_batch(org, &registrations)?;
			for (registration, proof) in registrations.iter().zip(&proofs) {
				Self::ensure_key_proof(org, &registration.id, &registration.account, proof)?;
			}
			Self::enroll(org, registrations, checked);
			Ok(())
		}

		/// Every check of a batch but the key proofs: its size, the organisation's room, the
		/// models, and ids and accounts that are new. Returns the batch's models and the
		/// organisation's device count after it.
		fn check_batch(
			org: OrgId,
			registrations: &[DeviceRegistrationOf<T>],
		) -> Result<CheckedBatch<T>, DispatchError> {
			let count = registrations.len() as u32;
			ensure!(count > 0 && count <= T::MaxBatchSize::get(), Error::<T>::BadBatchSize);
			let owned = OrgDeviceCount::<T>::get(org);
			let new_total = owned.checked_add(count).ok_or(ArithmeticError::Overflow)?;
			ensure!(new_total <= T::MaxDevicesPerOrg::get(), Error::<T>::TooManyDevices);

			let mut ids = BTreeSet::new();
			let mut accounts = BTreeSet::new();
			let mut models = Vec::with_capacity(registrations.len());
			for registration in registrations {
				let model: ModelId<T::MaxModelLen> =
					registration.model.clone().try_into().map_err(|_| Error::<T>::BadModel)?;
				ensure!(!model.is_empty(), Error::<T>::BadModel);
				models.push(model);
				ensure!(
					ids.insert(registration.id) && accounts.insert(registration.account.clone()),
					Error::<T>::DuplicateInBatch
				);
				ensure!(
					!Devices::<T>::contains_key(registration.id),
					Error::<T>::DeviceAlreadyExists
				);
				Self::ensure_fresh_device_account(&registration.account)?;
			}
			Ok(CheckedBatch { models, new_total })
		}

		/// Stores a batch that passed every check.
		fn enroll(
			org: OrgId,
			registrations: Vec<DeviceRegistrationOf<T>>,
			checked: CheckedBatch<T>,
		) {
			let CheckedBatch { models, new_total } = checked;
			let now = Self::now();
			OrgDeviceCount::<T>::insert(org, new_total);
			for (registration, model) in registrations.into_iter().zip(models) {
				let DeviceRegistration { id, kind, account, metadata_hash, firmware, .. } =
					registration;
				DeviceOfAccount::<T>::insert(&account, id);
				// Devices hold no tokens; this reference keeps their account (and its nonce)
				// alive so they can sign transactions.
				frame_system::Pallet::<T>::inc_sufficients(&account);
				OrgDevices::<T>::insert(org, id, ());
				ModelUsers::<T>::mutate(&model, org, |count| *count = count.saturating_add(1));
				Devices::<T>::insert(
					id,
					Device {
						org,
						kind,
						model,
						account: account.clone(),
						metadata_hash,
						firmware,
						gateway: None,
						status: DeviceStatus::Active,
						created: now,
						updated: now,
					},
				);
				Self::deposit_event(Event::DeviceRegistered { device: id, org, kind, account });
			}
		}

		/// The device, if `caller` may manage it: an account of its active owner, and the
		/// device not revoked.
		fn managed_device(
			caller: &T::AccountId,
			id: &DeviceId,
		) -> Result<DeviceOf<T>, DispatchError> {
			let org = Self::acting_org(caller)?;
			let device = Devices::<T>::get(id).ok_or(Error::<T>::DeviceNotFound)?;
			ensure!(device.org == org, Error::<T>::NotOrgAccount);
			ensure!(device.status != DeviceStatus::Revoked, Error::<T>::DeviceRevoked);
			Ok(device)
		}

		/// Moves `account` into a device's history and the never-reuse set.
		fn retire_account(id: DeviceId, account: T::AccountId, now: BlockNumberFor<T>) {
			DeviceOfAccount::<T>::remove(&account);
			// A retired key never signs again; its account may be reaped (ids and keys are
			// never reused, so a reset nonce opens no replay).
			frame_system::Pallet::<T>::dec_sufficients(&account);
			RetiredAccounts::<T>::insert(&account, id);
			KeyHistory::<T>::mutate(id, |history| {
				keep_recent(
					history.get_or_insert_with(BoundedVec::new),
					RetiredKey { account, retired: now },
				);
			});
		}

		pub(crate) fn do_rotate_key(
			caller: &T::AccountId,
			id: DeviceId,
			new_account: T::AccountId,
			key_proof: &T::DeviceKeySignature,
		) -> DispatchResult {
			let mut device = Self::managed_device(caller, &id)?;
			Self::ensure_fresh_device_account(&new_account)?;
			Self::ensure_key_proof(device.org, &id, &new_account, key_proof)?;

			let now = Self::now();
			let old_account = core::mem::replace(&mut device.account, new_account.clone());
			device.updated = now;
			Self::retire_account(id, old_account.clone(), now);
			DeviceOfAccount::<T>::insert(&new_account, id);
			frame_system::Pallet::<T>::inc_sufficients(&new_account);
			Devices::<T>::insert(id, device);
			Self::deposit_event(Event::KeyRotated { device: id, old_account, new_account });
			Ok(())
		}

		pub(crate) fn do_set_device_status(
			caller: &T::AccountId,
			id: DeviceId,
			status: DeviceStatus,
		) -> DispatchResult {
			let mut device = Self::managed_device(caller, &id)?;
			match status {
				DeviceStatus::Suspended => {
					ensure!(device.status == DeviceStatus::Active, Error::<T>::DeviceNotActive)
				},
				DeviceStatus::Active => ensure!(
					device.status == DeviceStatus::Suspended,
					Error::<T>::DeviceNotSuspended
				),
				DeviceStatus::Revoked => (),
			}

			let now = Self::now();
			device.status = status;
			device.updated = now;
			if status == DeviceStatus::Revoked {
				Self::retire_account(id, device.account.clone(), now);
				PendingTransfers::<T>::remove(id);
			}
			Devices::<T>::insert(id, device);
			Self::deposit_event(match status {
				DeviceStatus::Suspended => Event::DeviceSuspended { device: id },
				DeviceStatus::Active => Event::DeviceResumed { device: id },
				DeviceStatus::Revoked => Event::DeviceRevoked { device: id },
			});
			Ok(())
		}

		pub(crate) fn do_assign_gateway(
			caller: &T::AccountId,
			id: DeviceId,
			gateway: Option<DeviceId>,
		) -> DispatchResult {
			let mut device = Self::managed_device(caller, &id)?;
			ensure!(device.kind == DeviceKind::Device, Error::<T>::GatewayCannotHaveGateway);
			if let Some(gateway_id) = gateway {
				let gateway = Devices::<T>::get(gateway_id).ok_or(Error::<T>::DeviceNotFound)?;
				ensure!(gateway.kind == DeviceKind::Gateway, Error::<T>::NotAGateway);
				ensure!(gateway.org == device.org, Error::<T>::GatewayOfAnotherOrg);
				ensure!(gateway.status == DeviceStatus::Active, Error::<T>::DeviceNotActive);
				ensure!(
					device.gateway == Some(gateway_id)
						|| GatewayDeviceCount::<T>::get(gateway_id)
							< T::MaxDevicesPerGateway::get(),
					Error::<T>::TooManyGatewayDevices
				);
			}

			if device.gateway != gateway {
				if let Some(previous) = device.gateway {
					Self::unindex_gateway_device(previous, id);
				}
				if let Some(next) = gateway {
					GatewayDevices::<T>::insert(next, id, ());
					GatewayDeviceCount::<T>::mutate(next, |count| *count = count.saturating_add(1));
				}
			}
			device.gateway = gateway;
			device.updated = Self::now();
			Devices::<T>::insert(id, device);
			Self::deposit_event(Event::GatewayAssigned { device: id, gateway });
			Ok(())
		}

		fn do_update_metadata(
			caller: &T::AccountId,
			id: DeviceId,
			metadata_hash: ContentHash,
		) -> DispatchResult {
			let mut device = Self::managed_device(caller, &id)?;
			device.metadata_hash = metadata_hash;
			device.updated = Self::now();
			Devices::<T>::insert(id, device);
			Self::deposit_event(Event::MetadataUpdated { device: id, metadata_hash });
			Ok(())
		}

		pub(crate) fn do_offer_transfer(
			caller: &T::AccountId,
			id: DeviceId,
			to: OrgId,
		) -> DispatchResult {
			let device = Self::managed_device(caller, &id)?;
			ensure!(device.org != to, Error::<T>::TransferToSelf);
			ensure!(Organisations::<T>::contains_key(to), Error::<T>::OrgNotFound);
			ensure!(!PendingTransfers::<T>::contains_key(id), Error::<T>::TransferPending);

			PendingTransfers::<T>::insert(id, to);
			Self::deposit_event(Event::TransferOffered { device: id, from: device.org, to });
			Ok(())
		}

		fn do_cancel_transfer(caller: &T::AccountId, id: DeviceId) -> DispatchResult {
			Self::managed_device(caller, &id)?;
			ensure!(PendingTransfers::<T>::contains_key(id), Error::<T>::NoTransferPending);

			PendingTransfers::<T>::remove(id);
			Self::deposit_event(Event::TransferCancelled { device: id });
			Ok(())
		}

		/// Removes `device` from `gateway`'s index.
		fn unindex_gateway_device(gateway: DeviceId, device: DeviceId) {
			if GatewayDevices::<T>::take(gateway, device).is_some() {
				GatewayDeviceCount::<T>::mutate(gateway, |count| *count = count.saturating_sub(1));
			}
		}

		/// Unassigns every device `gateway` serves; returns how many it served.
		fn unassign_gateway_devices(gateway: DeviceId) -> u32 {
			let mut unassigned = 0u32;
			// At most `MaxDevicesPerGateway` entries, which the caller's weight covers.
			for device in GatewayDevices::<T>::drain_prefix(gateway).map(|(device, ())| device) {
				Devices::<T>::mutate(device, |record| {
					if let Some(record) = record {
						record.gateway = None;
					}
				});
				unassigned = unassigned.saturating_add(1);
			}
			GatewayDeviceCount::<T>::remove(gateway);
			unassigned
		}

		/// Moves device `id` to the organisation that accepted its offer. Returns how many
		/// devices it served, if it is a gateway (they are unassigned).
		fn do_accept_transfer(caller: &T::AccountId, id: DeviceId) -> Result<u32, DispatchError> {
			let org = Self::acting_org(caller)?;
			let to = PendingTransfers::<T>::get(id).ok_or(Error::<T>::NoTransferPending)?;
			ensure!(to == org, Error::<T>::NotTransferRecipient);
			let mut device = Devices::<T>::get(id).ok_or(Error::<T>::DeviceNotFound)?;
			let from = device.org;
			// A suspended organisation's offers are frozen with everything else it does.
			ensure!(
				Organisations::<T>::get(from).is_some_and(|org| org.status == OrgStatus::Active),
				Error::<T>::OfferingOrgSuspended
			);
			let received = OrgDeviceCount::<T>::get(to)
				.checked_add(1)
				.filter(|count| *count <= T::MaxDevicesPerOrg::get())
				.ok_or(Error::<T>::TooManyDevices)?;

			PendingTransfers::<T>::remove(id);
			OrgDevices::<T>::remove(from, id);
			OrgDeviceCount::<T>::mutate(from, |count| *count = count.saturating_sub(1));
			OrgDevices::<T>::insert(to, id, ());
			OrgDeviceCount::<T>::insert(to, received);
			ModelUsers::<T>::mutate(&device.model, from, |count| *count = count.saturating_sub(1));
			ModelUsers::<T>::mutate(&device.model, to, |count| *count = count.saturating_add(1));
			device.org = to;
			// The old owner's gateway no longer relays for the device...
			if let Some(gateway) = device.gateway.take() {
				Self::unindex_gateway_device(gateway, id);
			}
			// ...and a gateway no longer relays for the old owner's devices.
			let unassigned = match device.kind {
				DeviceKind::Gateway => Self::unassign_gateway_devices(id),
				DeviceKind::Device => 0,
			};
			device.updated = Self::now();
			Devices::<T>::insert(id, device);
			if unassigned > 0 {
				Self::deposit_event(Event::GatewayDevicesUnassigned {
					gateway: id,
					devices: unassigned,
				});
			}
			Self::deposit_event(Event::DeviceTransferred { device: id, from, to });
			Ok(unassigned)
		}

		/// Whether a device counts as active: its own status and its organisation's.
		fn is_active(device: &DeviceOf<T>) -> bool {
			device.status == DeviceStatus::Active
				&& Organisations::<T>::get(device.org)
					.is_some_and(|org| org.status == OrgStatus::Active)
		}

		/// Devices of an organisation, at most `limit` of them after the id `after`, in
		/// storage order (for paging: pass the last id of the previous page).
		pub fn devices_of_org(
			org: OrgId,
			after: Option<DeviceId>,
			limit: u32,
		) -> Vec<(DeviceId, DeviceOf<T>)> {
			let limit = limit.min(MAX_PAGE_SIZE) as usize;
			let ids = match after {
				Some(last) => OrgDevices::<T>::iter_key_prefix_from(
					org,
					OrgDevices::<T>::hashed_key_for(org, last),
				),
				None => OrgDevices::<T>::iter_key_prefix(org),
			};
			ids.filter_map(|id| Devices::<T>::get(id).map(|device| (id, device)))
				.take(limit)
				.collect()
		}

		/// The device that signs with `account`, whatever its status.
		pub fn device_by_account(account: &T::AccountId) -> Option<(DeviceId, DeviceOf<T>)> {
			let id = DeviceOfAccount::<T>::get(account)?;
			Devices::<T>::get(id).map(|device| (id, device))
		}

		/// Checks the invariants between the maps and their indexes.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let mut counted = alloc::collections::BTreeMap::<OrgId, u32>::new();
			for (id, device) in Devices::<T>::iter() {
				ensure!(
					OrgDevices::<T>::contains_key(device.org, id),
					"a device is missing from its organisation's index"
				);
				let count = counted.entry(device.org).or_default();
				*count = count.saturating_add(1);
				match device.status {
					DeviceStatus::Revoked => ensure!(
						!DeviceOfAccount::<T>::contains_key(&device.account)
							&& RetiredAccounts::<T>::get(&device.account) == Some(id),
						"a revoked device's key is still live"
					),
					_ => ensure!(
						DeviceOfAccount::<T>::get(&device.account) == Some(id),
						"a device's key does not map back to it"
					),
				}
			}
			for (account, id) in DeviceOfAccount::<T>::iter() {
				ensure!(
					Devices::<T>::get(id).is_some_and(|d| d.account == account),
					"an account maps to a device that signs with another key"
				);
				ensure!(
					!RetiredAccounts::<T>::contains_key(&account),
					"a retired account is live again"
				);
				ensure!(
					frame_system::Pallet::<T>::sufficients(&account) > 0,
					"a live device key's account can be reaped"
				);
			}
			for (org, id) in OrgDevices::<T>::iter_keys() {
				ensure!(Organisations::<T>::contains_key(org), "an index names no organisation");
				ensure!(
					Devices::<T>::get(id).is_some_and(|device| device.org == org),
					"an index entry names a device its organisation does not own"
				);
			}
			for (gateway, device) in GatewayDevices::<T>::iter_keys() {
				ensure!(
					Devices::<T>::get(device).is_some_and(|d| d.gateway == Some(gateway)),
					"a gateway's index names a device assigned elsewhere"
				);
			}
			for (id, device) in Devices::<T>::iter() {
				if let Some(gateway) = device.gateway {
					ensure!(
						GatewayDevices::<T>::contains_key(gateway, id),
						"an assigned device is missing from its gateway's index"
					);
				}
			}
			for (gateway, count) in GatewayDeviceCount::<T>::iter() {
				ensure!(
					GatewayDevices::<T>::iter_key_prefix(gateway).count() as u32 == count
						&& count <= T::MaxDevicesPerGateway::get(),
					"a gateway's device count disagrees with its index"
				);
			}
			let mut model_users =
				alloc::collections::BTreeMap::<(ModelId<T::MaxModelLen>, OrgId), u32>::new();
			for (_, device) in Devices::<T>::iter() {
				let count = model_users.entry((device.model, device.org)).or_default();
				*count = count.saturating_add(1);
			}
			for (model, org, count) in ModelUsers::<T>::iter() {
				ensure!(
					count == 0 || model_users.get(&(model, org)).copied() == Some(count),
					"a model's user count disagrees with the devices"
				);
			}
			ensure!(
				model_users
					.iter()
					.all(|((model, org), count)| ModelUsers::<T>::get(model, org) == *count),
				"a device's model is missing from the model users"
			);
			for (org, count) in OrgDeviceCount::<T>::iter() {
				ensure!(
					counted.get(&org).copied().unwrap_or_default() == count,
					"an organisation's device count disagrees with its index"
				);
			}
			for (org_id, org) in Organisations::<T>::iter() {
				ensure!(!org.admins.is_empty(), "an organisation has no admin");
				for account in org.admins.iter().chain(org.members.iter()) {
					ensure!(
						OrgOfAccount::<T>::get(account) == Some(org_id),
						"an organisation's account does not map back to it"
					);
				}
			}
			Ok(())
		}
	}

	/// A registration batch that passed every check but its key proofs: the models to store and
	/// the organisation's device count once it is stored.
	pub(crate) struct CheckedBatch<T: Config> {
		models: Vec<ModelId<T::MaxModelLen>>,
		new_total: u32,
	}

	/// Appends `entry` to a window of the most recent entries, dropping the oldest when full. A
	/// window of size 0 (`MaxKeyHistory = 0`) keeps nothing; the events keep every key.
	pub(crate) fn keep_recent<E, S: Get<u32>>(window: &mut BoundedVec<E, S>, entry: E) {
		if window.is_full() && !window.is_empty() {
			window.remove(0);
		}
		// Refused only when the window holds nothing at all, by design.
		let _ = window.try_push(entry);
	}

	impl<T: Config> DeviceRegistry<T::AccountId> for Pallet<T> {
		fn active_device_by_account(account: &T::AccountId) -> Option<ActiveDevice> {
			let id = DeviceOfAccount::<T>::get(account)?;
			Self::active_device(&id)
		}

		fn active_device(id: &DeviceId) -> Option<ActiveDevice> {
			let device = Devices::<T>::get(id)?;
			Self::is_active(&device).then(|| ActiveDevice {
				id: *id,
				org: device.org,
				kind: device.kind,
			})
		}

		fn active_org_of(account: &T::AccountId) -> Option<OrgId> {
			Self::acting_org(account).ok()
		}

		fn active_admin_org_of(account: &T::AccountId) -> Option<OrgId> {
			Self::admin_org(account).ok().map(|(org, _)| org)
		}

		fn gateway_of(id: &DeviceId) -> Option<DeviceId> {
			let device = Devices::<T>::get(id)?;
			let gateway = device.gateway?;
			// A gateway that moved to another organisation no longer serves the device.
			Devices::<T>::get(gateway).filter(|g| g.org == device.org).map(|_| gateway)
		}

		fn model_used_outside(model: &[u8], org: OrgId) -> bool {
			let Ok(model) = ModelId::<T::MaxModelLen>::try_from(model.to_vec()) else {
				return false;
			};
			ModelUsers::<T>::iter_prefix(&model).any(|(user, count)| user != org && count > 0)
		}

		fn active_org_roles(org: OrgId) -> Option<OrgRoles> {
			Organisations::<T>::get(org)
				.filter(|org| org.status == OrgStatus::Active)
				.map(|org| org.roles)
		}

		fn org_of(id: &DeviceId) -> Option<OrgId> {
			Devices::<T>::get(id).map(|device| device.org)
		}

		fn model_of(id: &DeviceId) -> Option<Vec<u8>> {
			Devices::<T>::get(id).map(|device| device.model.into_inner())
		}

		fn firmware_version(id: &DeviceId) -> Option<FirmwareVersion> {
			Devices::<T>::get(id).map(|device| device.firmware)
		}

		fn set_firmware_version(id: &DeviceId, version: FirmwareVersion) -> DispatchResult {
			Devices::<T>::try_mutate(id, |device| {
				let device = device.as_mut().ok_or(Error::<T>::DeviceNotFound)?;
				ensure!(device.status != DeviceStatus::Revoked, Error::<T>::DeviceRevoked);
				ensure!(version >= device.firmware, Error::<T>::FirmwareDowngrade);
				device.firmware = version;
				device.updated = Self::now();
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::FirmwareUpdated { device: *id, version });
			Ok(())
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn org_for_benchmark(admin: &T::AccountId, roles: OrgRoles) -> OrgId {
			Self::do_create_org(b"benchmark".to_vec(), roles, admin.clone())
				.expect("benchmark setup creates a fresh organisation")
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn device_for_benchmark(admin: &T::AccountId, id: DeviceId, account: &T::AccountId) {
			Self::register_for_benchmark(admin, id, DeviceKind::Device, b"bench", account);
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn member_for_benchmark(admin: &T::AccountId, member: &T::AccountId) {
			Self::do_add_account(admin, member.clone(), Membership::Member)
				.expect("benchmark setup adds a fresh member");
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn gateway_for_benchmark(
			admin: &T::AccountId,
			device: DeviceId,
			gateway: DeviceId,
			account: &T::AccountId,
		) {
			Self::register_for_benchmark(admin, gateway, DeviceKind::Gateway, b"bench-gw", account);
			Self::do_assign_gateway(admin, device, Some(gateway))
				.expect("benchmark setup assigns the gateway");
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn assign_for_benchmark(admin: &T::AccountId, device: DeviceId, gateway: DeviceId) {
			Self::do_assign_gateway(admin, device, Some(gateway))
				.expect("benchmark setup assigns the gateway");
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl<T: Config> Pallet<T> {
		/// Registers one device or gateway at factory firmware 1.0.0, for benchmark setups.
		fn register_for_benchmark(
			admin: &T::AccountId,
			id: DeviceId,
			kind: DeviceKind,
			model: &[u8],
			account: &T::AccountId,
		) {
			let registration = DeviceRegistration {
				id,
				kind,
				model: model.to_vec(),
				account: account.clone(),
				metadata_hash: [0; 32],
				firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
			};
			// Other pallets' benchmarks name arbitrary accounts, whose keys nobody holds: their
			// setup skips the key proof, which only this pallet's own benchmarks measure.
			let org = Self::acting_org(admin).expect("benchmark setup acts for an organisation");
			let registrations = alloc::vec![registration];
			let checked = Self::check_batch(org, &registrations)
				.expect("benchmark setup registers a fresh device");
			Self::enroll(org, registrations, checked);
		}
	}
}
