//! Benchmarks of every call, each in its most expensive case.

use super::*;
use crate::Pallet as Registry;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_system::RawOrigin;

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(
		<T as frame_system::Config>::RuntimeEvent::from(event).into(),
	);
}

const ALL_ROLES: OrgRoles = OrgRoles { manufacturer: true, operator: true, certifier: true };

/// An organisation with a full admin list; returns it and the admin who acts.
fn org_with_admin<T: Config>(seed: u32) -> (OrgId, T::AccountId) {
	let admin: T::AccountId = account("admin", seed, 0);
	let name = vec![b'n'; T::MaxNameLen::get() as usize];
	let org = Registry::<T>::do_create_org(name, ALL_ROLES, admin.clone())
		.expect("benchmark organisation is valid");
	// Fill the admin list but for one slot, so the admin under test is found last.
	for i in 1..T::MaxAdmins::get().saturating_sub(1) {
		Registry::<T>::do_add_account(&admin, account("admin", seed, i), Membership::Admin)
			.expect("below MaxAdmins");
	}
	(org, admin)
}

fn device_id(seed: u32) -> DeviceId {
	let mut id = [0u8; 32];
	id[..4].copy_from_slice(&seed.to_le_bytes());
	id
}

/// The `key`th device key's proof of consent to being device `id` of `org`.
fn key_proof<T: Config>(
	org: OrgId,
	id: &DeviceId,
	account: &T::AccountId,
) -> T::DeviceKeySignature {
	T::BenchmarkHelper::sign(account, &Registry::<T>::key_proof_payload(org, id, account))
}

/// Device `seed` of `org`, with its key's proof (each device has its own key).
fn registration<T: Config>(org: OrgId, seed: u32, kind: DeviceKind) -> ProvenRegistrationOf<T> {
	let account = T::BenchmarkHelper::device_account(seed);
	let id = device_id(seed);
	let key_proof = key_proof::<T>(org, &id, &account);
	let registration = DeviceRegistration {
		id,
		kind,
		model: vec![b'm'; T::MaxModelLen::get() as usize],
		account,
		metadata_hash: [1; 32],
		firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
	};
	ProvenRegistration { registration, key_proof }
}

fn register<T: Config>(org: OrgId, admin: &T::AccountId, seed: u32, kind: DeviceKind) -> DeviceId {
	Registry::<T>::do_register_devices(admin, vec![registration::<T>(org, seed, kind)])
		.expect("benchmark device is valid");
	device_id(seed)
}

/// Key seeds the benchmarks rotate in, apart from the seeds of registered devices.
const ROTATED_KEY_SEEDS: u32 = 1_000;

/// Fills a device's key history, so a rotation must drop its oldest entry.
fn fill_key_history<T: Config>(org: OrgId, admin: &T::AccountId, device: DeviceId) {
	for i in 0..T::MaxKeyHistory::get() {
		let new_key = T::BenchmarkHelper::device_account(ROTATED_KEY_SEEDS + i);
		let proof = key_proof::<T>(org, &device, &new_key);
		Registry::<T>::do_rotate_key(admin, device, new_key, &proof).expect("fresh keys rotate");
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_org() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let admin: T::AccountId = account("admin", 0, 0);
		let name = vec![b'n'; T::MaxNameLen::get() as usize];

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, name, ALL_ROLES, admin.clone());

		assert_last_event::<T>(Event::OrgCreated { org: 0, roles: ALL_ROLES, admin });
		Ok(())
	}

	#[benchmark]
	fn suspend_org() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let (org, _) = org_with_admin::<T>(0);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org);

		assert_last_event::<T>(Event::OrgSuspended { org });
		Ok(())
	}

	#[benchmark]
	fn resume_org() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let (org, _) = org_with_admin::<T>(0);
		Registry::<T>::do_set_org_status(org, OrgStatus::Suspended)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org);

		assert_last_event::<T>(Event::OrgResumed { org });
		Ok(())
	}

	#[benchmark]
	fn add_admin() {
		let (org, admin) = org_with_admin::<T>(0);
		let new_admin: T::AccountId = account("new-admin", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), new_admin.clone());

		assert_last_event::<T>(Event::AdminAdded { org, account: new_admin });
	}

	#[benchmark]
	fn remove_admin() {
		let (org, admin) = org_with_admin::<T>(0);
		let leaving: T::AccountId = account("new-admin", 0, 0);
		Registry::<T>::do_add_account(&admin, leaving.clone(), Membership::Admin)
			.expect("room for one more admin");

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), leaving.clone());

		assert_last_event::<T>(Event::AdminRemoved { org, account: leaving });
	}

	#[benchmark]
	fn add_member() {
		let (org, admin) = org_with_admin::<T>(0);
		for i in 1..T::MaxMembers::get() {
			Registry::<T>::do_add_account(&admin, account("member", i, 0), Membership::Member)
				.expect("below MaxMembers");
		}
		let member: T::AccountId = account("member", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), member.clone());

		assert_last_event::<T>(Event::MemberAdded { org, account: member });
	}

	#[benchmark]
	fn remove_member() {
		let (org, admin) = org_with_admin::<T>(0);
		for i in 0..T::MaxMembers::get() {
			Registry::<T>::do_add_account(&admin, account("member", i, 0), Membership::Member)
				.expect("below MaxMembers");
		}
		// The last member in the list is the most expensive to find.
		let member: T::AccountId = account("member", T::MaxMembers::get().saturating_sub(1), 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), member.clone());

		assert_last_event::<T>(Event::MemberRemoved { org, account: member });
	}

	#[benchmark]
	fn register_device() {
		let (org, admin) = org_with_admin::<T>(0);
		let registration = registration::<T>(org, 0, DeviceKind::Device);
		let account = registration.registration.account.clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), registration);

		assert_last_event::<T>(Event::DeviceRegistered {
			device: device_id(0),
			org,
			kind: DeviceKind::Device,
			account,
		});
	}

	#[benchmark]
	fn register_devices(n: Linear<1, { T::MaxBatchSize::get() }>) {
		let (org, admin) = org_with_admin::<T>(0);
		let batch: Vec<_> = (0..n).map(|i| registration::<T>(org, i, DeviceKind::Device)).collect();
		let batch = frame_support::BoundedVec::<_, T::MaxBatchSize>::truncate_from(batch);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), batch);

		assert_eq!(OrgDeviceCount::<T>::get(org), n);
	}

	#[benchmark]
	fn rotate_key() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);
		fill_key_history::<T>(org, &admin, device);
		let new_account = T::BenchmarkHelper::device_account(ROTATED_KEY_SEEDS - 1);
		let proof = key_proof::<T>(org, &device, &new_account);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), device, new_account.clone(), proof);

		assert_eq!(DeviceOfAccount::<T>::get(&new_account), Some(device));
	}

	#[benchmark]
	fn suspend_device() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), device);

		assert_last_event::<T>(Event::DeviceSuspended { device });
	}

	#[benchmark]
	fn resume_device() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);
		Registry::<T>::do_set_device_status(&admin, device, DeviceStatus::Suspended)
			.expect("active device suspends");

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), device);

		assert_last_event::<T>(Event::DeviceResumed { device });
	}

	#[benchmark]
	fn revoke_device() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);
		fill_key_history::<T>(org, &admin, device);
		// A pending offer is withdrawn too.
		let (receiver, _) = org_with_admin::<T>(1);
		Registry::<T>::do_offer_transfer(&admin, device, receiver)
			.expect("offer to another organisation");

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), device);

		assert_last_event::<T>(Event::DeviceRevoked { device });
	}

	/// The device moves from one gateway to another: both indexes change.
	#[benchmark]
	fn assign_gateway() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);
		let previous = register::<T>(org, &admin, 2, DeviceKind::Gateway);
		Registry::<T>::do_assign_gateway(&admin, device, Some(previous))
			.expect("an active gateway of the organisation");
		let gateway = register::<T>(org, &admin, 1, DeviceKind::Gateway);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), device, Some(gateway));

		assert_last_event::<T>(Event::GatewayAssigned { device, gateway: Some(gateway) });
	}

	#[benchmark]
	fn update_metadata() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), device, [9; 32]);

		assert_last_event::<T>(Event::MetadataUpdated { device, metadata_hash: [9; 32] });
	}

	#[benchmark]
	fn offer_transfer() {
		let (from, admin) = org_with_admin::<T>(0);
		let device = register::<T>(from, &admin, 0, DeviceKind::Device);
		let (to, _) = org_with_admin::<T>(1);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), device, to);

		assert_last_event::<T>(Event::TransferOffered { device, from, to });
	}

	#[benchmark]
	fn cancel_transfer() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);
		let (to, _) = org_with_admin::<T>(1);
		Registry::<T>::do_offer_transfer(&admin, device, to).expect("valid offer");

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), device);

		assert_last_event::<T>(Event::TransferCancelled { device });
	}

	/// A gateway serving `n` devices changes hands: each of them is unassigned.
	#[benchmark]
	fn accept_transfer(n: Linear<0, { T::MaxDevicesPerGateway::get() }>) {
		let (from, admin) = org_with_admin::<T>(0);
		let gateway = register::<T>(from, &admin, 0, DeviceKind::Gateway);
		let served: Vec<_> = (1..=n)
			.map(|seed| {
				let device = register::<T>(from, &admin, seed, DeviceKind::Device);
				Registry::<T>::do_assign_gateway(&admin, device, Some(gateway))
					.expect("the gateway has room");
				device
			})
			.collect();
		let (to, receiver) = org_with_admin::<T>(1);
		Registry::<T>::do_offer_transfer(&admin, gateway, to).expect("valid offer");

		#[extrinsic_call]
		_(RawOrigin::Signed(receiver), gateway);

		assert_last_event::<T>(Event::DeviceTransferred { device: gateway, from, to });
		assert!(served
			.iter()
			.all(|device| Devices::<T>::get(device).is_some_and(|d| d.gateway.is_none())));
	}

	impl_benchmark_test_suite!(Registry, crate::mock::new_test_ext(), crate::mock::Test);
}
