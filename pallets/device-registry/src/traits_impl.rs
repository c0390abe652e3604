//! This pallet's implementation of [`DeviceRegistry`], the questions the rest of the runtime
//! asks about organisations and devices (see `traits.rs`), and, for benchmarks only, of
//! `DeviceRegistryBenchmarking`, the state other pallets' benchmarks start from (see
//! `benchmark_setup.rs`).

use crate::{
	ActiveDevice, Config, DeviceId, DeviceOfAccount, DeviceRegistry, DeviceStatus, Devices, Error,
	Event, FirmwareVersion, ModelId, ModelUsers, OrgId, OrgRoles, OrgStatus, Organisations, Pallet,
};
#[cfg(feature = "runtime-benchmarks")]
use crate::{DeviceKind, DeviceRegistration, DeviceRegistryBenchmarking, OrgOfAccount};
use alloc::vec::Vec;
use frame_support::ensure;
use sp_runtime::{DispatchError, DispatchResult};

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

	fn settled_admin_org_of(account: &T::AccountId) -> Option<OrgId> {
		let org = Self::active_admin_org_of(account)?;
		Self::has_served_probation(account).then_some(org)
	}

	fn admin_majority_of(org: OrgId) -> Option<u32> {
		Organisations::<T>::get(org)
			.filter(|org| org.status == OrgStatus::Active)
			.map(|org| crate::admin_majority(org.admins.len() as u32))
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
}

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> DeviceRegistryBenchmarking<T::AccountId> for Pallet<T> {
	fn org_for_benchmark(admin: &T::AccountId, roles: OrgRoles) -> OrgId {
		Self::do_create_org(b"benchmark".to_vec(), roles, admin.clone())
			.expect("benchmark setup creates a fresh organisation")
	}

	fn admins_for_benchmark(org: OrgId, admins: Vec<T::AccountId>) {
		let admins = admins.try_into().expect("benchmarks set at most `MaxAdmins` admins");
		Self::do_force_set_admins(org, admins).expect("benchmark admins serve no other org");
	}

	fn device_for_benchmark(admin: &T::AccountId, id: DeviceId, account: &T::AccountId) {
		Self::register_for_benchmark(admin, id, DeviceKind::Device, b"bench", account);
	}

	fn member_for_benchmark(admin: &T::AccountId, member: &T::AccountId) {
		// Benchmark accounts hold no keys to consent with; this pallet's own benchmarks
		// measure the consent.
		let (org_id, mut org) = Self::admin_org(admin).expect("benchmark setup has an admin");
		org.members
			.try_push(member.clone())
			.expect("benchmark setup has room for a member");
		OrgOfAccount::<T>::insert(member, org_id);
		Organisations::<T>::insert(org_id, org);
	}

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
		Self::enroll(admin, org, registrations, checked);
	}
}
