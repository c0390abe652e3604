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
//! ### Terminology
//!
//! - **Organisation**: a consortium member (manufacturer, operator and/or certifier) with admin
//!   and member accounts.
//! - **Device**: a sensor, appliance or gateway, identified by a 32-byte id its registrant
//!   chooses, signing with its own chain account.
//! - **Gateway**: a device of kind [`DeviceKind::Gateway`] that relays other devices' traffic.
//! - **Key rotation**: replacing a device's account; the old one stops being recognised at once
//!   and is kept in a bounded history.
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
pub use traits::{is_signed_by_active_device, ActiveDevice, DeviceRegistry};
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
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
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use sp_runtime::ArithmeticError;

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
	/// A device's retired keys, oldest first.
	pub type KeyHistoryOf<T> = BoundedVec<
		RetiredKey<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>,
		<T as Config>::MaxKeyHistory,
	>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Defaults for `#[derive_impl]`: the small bounds this and other pallets' tests use.
	pub mod config_preludes {
		use super::*;
		use frame_support::{derive_impl, traits::ConstU32};

		/// Small bounds, so tests reach every limit with a handful of entries.
		pub struct TestDefaultConfig;

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

		/// Register one device or gateway for the caller's organisation.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::register_device())]
		pub fn register_device(
			origin: OriginFor<T>,
			registration: DeviceRegistrationOf<T>,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_register_devices(&caller, alloc::vec![registration])
		}

		/// Register up to `MaxBatchSize` devices for the caller's organisation: all or none.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::register_devices(registrations.len() as u32))]
		pub fn register_devices(
			origin: OriginFor<T>,
			registrations: Vec<DeviceRegistrationOf<T>>,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_register_devices(&caller, registrations)
		}

		/// Replace a device's signing account. The old account stops being recognised at once
		/// and can never be used again.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::rotate_key())]
		pub fn rotate_key(
			origin: OriginFor<T>,
			device: DeviceId,
			new_account: T::AccountId,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_rotate_key(&caller, device, new_account)
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

		/// Accept a device offered to the caller's organisation.
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::accept_transfer())]
		pub fn accept_transfer(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_accept_transfer(&caller, device)
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

		/// Whether `account` could become a device key: never a device's, nor an organisation's.
		fn ensure_fresh_device_account(account: &T::AccountId) -> DispatchResult {
			ensure!(
				!DeviceOfAccount::<T>::contains_key(account)
					&& !RetiredAccounts::<T>::contains_key(account)
					&& !OrgOfAccount::<T>::contains_key(account),
				Error::<T>::AccountInUse
			);
			Ok(())
		}

		pub(crate) fn do_register_devices(
			caller: &T::AccountId,
			registrations: Vec<DeviceRegistrationOf<T>>,
		) -> DispatchResult {
			let org = Self::acting_org(caller)?;
			let count = registrations.len() as u32;
			ensure!(count > 0 && count <= T::MaxBatchSize::get(), Error::<T>::BadBatchSize);
			let owned = OrgDeviceCount::<T>::get(org);
			let new_total = owned.checked_add(count).ok_or(ArithmeticError::Overflow)?;
			ensure!(new_total <= T::MaxDevicesPerOrg::get(), Error::<T>::TooManyDevices);

			let mut ids = BTreeSet::new();
			let mut accounts = BTreeSet::new();
			let mut models = Vec::with_capacity(registrations.len());
			for registration in &registrations {
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
			Ok(())
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
				let history = history.get_or_insert_with(BoundedVec::new);
				// A full window drops its oldest entry; the KeyRotated events keep every key.
				if history.is_full() {
					history.remove(0);
				}
				// Cannot fail: a full window was just shortened (or MaxKeyHistory is 0, when
				// nothing is kept by design).
				let _ = history.try_push(RetiredKey { account, retired: now });
			});
		}

		pub(crate) fn do_rotate_key(
			caller: &T::AccountId,
			id: DeviceId,
			new_account: T::AccountId,
		) -> DispatchResult {
			let mut device = Self::managed_device(caller, &id)?;
			Self::ensure_fresh_device_account(&new_account)?;

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

		fn do_assign_gateway(
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

		fn do_accept_transfer(caller: &T::AccountId, id: DeviceId) -> DispatchResult {
			let org = Self::acting_org(caller)?;
			let to = PendingTransfers::<T>::get(id).ok_or(Error::<T>::NoTransferPending)?;
			ensure!(to == org, Error::<T>::NotTransferRecipient);
			let mut device = Devices::<T>::get(id).ok_or(Error::<T>::DeviceNotFound)?;
			let from = device.org;
			let received = OrgDeviceCount::<T>::get(to)
				.checked_add(1)
				.filter(|count| *count <= T::MaxDevicesPerOrg::get())
				.ok_or(Error::<T>::TooManyDevices)?;

			PendingTransfers::<T>::remove(id);
			OrgDevices::<T>::remove(from, id);
			OrgDeviceCount::<T>::mutate(from, |count| *count = count.saturating_sub(1));
			OrgDevices::<T>::insert(to, id, ());
			OrgDeviceCount::<T>::insert(to, received);
			device.org = to;
			// The old owner's gateway no longer relays for the device.
			device.gateway = None;
			device.updated = Self::now();
			Devices::<T>::insert(id, device);
			Self::deposit_event(Event::DeviceTransferred { device: id, from, to });
			Ok(())
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
			Devices::<T>::get(id).and_then(|device| device.gateway)
		}

		fn active_org_roles(org: OrgId) -> Option<OrgRoles> {
			Organisations::<T>::get(org)
				.filter(|org| org.status == OrgStatus::Active)
				.map(|org| org.roles)
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
			Self::do_register_devices(admin, alloc::vec![registration])
				.expect("benchmark setup registers a fresh device");
		}
	}
}
