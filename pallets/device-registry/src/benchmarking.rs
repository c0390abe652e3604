//! Benchmarks of every call, each in its most expensive case.

use super::*;
use crate::Pallet as Registry;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_support::BoundedVec;
use frame_system::RawOrigin;
use iotchain_possession_proofs::OrgRole;

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(
		<T as frame_system::Config>::RuntimeEvent::from(event).into(),
	);
}

const ALL_ROLES: OrgRoles = OrgRoles { manufacturer: true, operator: true, certifier: true };

/// An organisation with a full admin list but for one slot; returns it and the admin who
/// acts.
fn org_with_admin<T: Config>(seed: u32) -> (OrgId, T::AccountId) {
	let (org, admins) = org_with_admins::<T>(seed, T::MaxAdmins::get().saturating_sub(1));
	(org, admins[0].clone())
}

/// An organisation with `count` admins (one at least), appointed by governance; returns it and
/// them.
fn org_with_admins<T: Config>(seed: u32, count: u32) -> (OrgId, Vec<T::AccountId>) {
	let admin: T::AccountId = account("admin", seed, 0);
	let name = vec![b'n'; T::MaxNameLen::get() as usize];
	let org = Registry::<T>::do_create_org(name, ALL_ROLES, admin)
		.expect("benchmark organisation is valid");
	let admins: Vec<T::AccountId> = (0..count.max(1)).map(|i| account("admin", seed, i)).collect();
	Registry::<T>::do_force_set_admins(org, BoundedVec::truncate_from(admins.clone()))
		.expect("fresh accounts within MaxAdmins");
	(org, admins)
}

/// Seeds of the keys that consent to joining organisations, apart from device keys' seeds.
const JOINING_KEY_SEEDS: u32 = 2_000_000;

/// The `seed`th joining key's account and its consent to join `org` as `role`.
fn consenting<T: Config>(
	org: OrgId,
	role: OrgRole,
	seed: u32,
) -> (T::AccountId, AccountConsentOf<T>) {
	let account = T::BenchmarkHelper::key_account(JOINING_KEY_SEEDS + seed);
	let valid_until = frame_system::Pallet::<T>::block_number() + 1u32.into();
	let payload = Registry::<T>::consent_payload(org, role, valid_until, &account);
	let signature = T::BenchmarkHelper::sign(&account, &payload);
	(account, AccountConsent { valid_until, signature })
}

/// Opens `change` with all approvals but one of a majority of `admins`, and beside it one
/// proposal by each admin that did not approve it but the last; returns that last admin, whose
/// approval completes `change`.
fn pending_admin_changes<T: Config>(
	admins: &[T::AccountId],
	change: AdminChange<T::AccountId>,
	consent: Option<&AccountConsentOf<T>>,
) -> T::AccountId {
	let majority = admin_majority(admins.len() as u32) as usize;
	let (approvers, others) = admins.split_at(majority - 1);
	let (last, others) = others.split_first().expect("a majority leaves one admin to approve");
	for approver in approvers {
		Registry::<T>::do_approve_admin_change(approver.clone(), change.clone(), consent)
			.expect("an admin approves");
	}
	for (index, other) in others.iter().enumerate() {
		// Each proposes removing a different admin.
		let target = admins[index % admins.len()].clone();
		Registry::<T>::do_approve_admin_change(other.clone(), AdminChange::Remove(target), None)
			.expect("an admin proposes");
	}
	last.clone()
}

fn device_id(seed: u32) -> DeviceId {
	let mut id = [0u8; 32];
	id[..4].copy_from_slice(&seed.to_le_bytes());
	id
}

/// The device key of `account`'s proof of consent to being device `id`, of kind `kind`, of
/// `org`.
fn key_proof<T: Config>(
	org: OrgId,
	kind: DeviceKind,
	id: &DeviceId,
	account: &T::AccountId,
) -> T::ConsentSignature {
	T::BenchmarkHelper::sign(account, &Registry::<T>::key_proof_payload(org, kind, id, account))
}

/// Device `seed` of `org`, with its key's proof (each device has its own key).
fn registration<T: Config>(org: OrgId, seed: u32, kind: DeviceKind) -> ProvenRegistrationOf<T> {
	let account = T::BenchmarkHelper::key_account(seed);
	let id = device_id(seed);
	let key_proof = key_proof::<T>(org, kind, &id, &account);
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

/// Key seeds the benchmarks rotate in, above every registered device's seed (a gateway's
/// served devices reach `MaxDevicesPerGateway`).
const ROTATED_KEY_SEEDS: u32 = 1_000_000;

/// Fills a device's key history, so a rotation must drop its oldest entry.
fn fill_key_history<T: Config>(org: OrgId, admin: &T::AccountId, device: DeviceId) {
	for i in 0..T::MaxKeyHistory::get() {
		let new_key = T::BenchmarkHelper::key_account(ROTATED_KEY_SEEDS + i);
		let kind = Devices::<T>::get(device).expect("a registered device").kind;
		let proof = key_proof::<T>(org, kind, &device, &new_key);
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

	/// The approval that makes the majority, among the most pending changes an organisation
	/// holds: the consent is checked and the change enacted.
	#[benchmark]
	fn add_admin() {
		let (org, admins) = org_with_admins::<T>(0, T::MaxAdmins::get() - 1);
		let (new_admin, consent) = consenting::<T>(org, OrgRole::Admin, 0);
		let change = AdminChange::Add(new_admin.clone());
		let last = pending_admin_changes::<T>(&admins, change, Some(&consent));

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), new_admin.clone(), consent);

		assert_last_event::<T>(Event::AdminAdded { org, account: new_admin, by: last });
	}

	/// The approval that makes the majority, among the most pending changes an organisation
	/// holds; the admin removed is the last in the list.
	#[benchmark]
	fn remove_admin() {
		let (org, admins) = org_with_admins::<T>(0, T::MaxAdmins::get());
		let leaving = admins.last().expect("admins").clone();
		let change = AdminChange::Remove(leaving.clone());
		let last = pending_admin_changes::<T>(&admins, change, None);

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), leaving.clone());

		assert_last_event::<T>(Event::AdminRemoved { org, account: leaving, by: last });
	}

	#[benchmark]
	fn add_member() {
		let (org, admin) = org_with_admin::<T>(0);
		for i in 1..T::MaxMembers::get() {
			Registry::<T>::member_for_benchmark(&admin, &account("member", i, 0));
		}
		let (member, consent) = consenting::<T>(org, OrgRole::Member, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), member.clone(), consent);

		assert_last_event::<T>(Event::MemberAdded { org, account: member, by: admin });
	}

	#[benchmark]
	fn remove_member() {
		let (org, admin) = org_with_admin::<T>(0);
		for i in 0..T::MaxMembers::get() {
			Registry::<T>::member_for_benchmark(&admin, &account("member", i, 0));
		}
		// The last member in the list is the most expensive to find.
		let member: T::AccountId = account("member", T::MaxMembers::get().saturating_sub(1), 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), member.clone());

		assert_last_event::<T>(Event::MemberRemoved { org, account: member, by: admin });
	}

	/// An admin added by its co-admins (so on probation) leaves, last in the list.
	#[benchmark]
	fn leave_org() {
		let (org, admins) = org_with_admins::<T>(0, T::MaxAdmins::get() - 1);
		let (leaving, consent) = consenting::<T>(org, OrgRole::Admin, 0);
		let change = AdminChange::Add(leaving.clone());
		let last = pending_admin_changes::<T>(&admins, change.clone(), Some(&consent));
		Registry::<T>::do_approve_admin_change(last, change, Some(&consent))
			.expect("the approval that makes the majority");

		#[extrinsic_call]
		_(RawOrigin::Signed(leaving.clone()));

		assert_last_event::<T>(Event::AdminRemoved { org, account: leaving.clone(), by: leaving });
	}

	/// Governance replaces an organisation's full list of admins, with changes pending, with
	/// `n` new ones.
	#[benchmark]
	fn force_set_admins(n: Linear<1, { T::MaxAdmins::get() }>) -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let (org, admins) = org_with_admins::<T>(0, T::MaxAdmins::get());
		let leaving = admins.last().expect("admins").clone();
		pending_admin_changes::<T>(&admins, AdminChange::Remove(leaving), None);
		let new_admins: Vec<T::AccountId> = (0..n).map(|i| account("recovery", i, 0)).collect();
		let new_admins = BoundedVec::<_, T::MaxAdmins>::truncate_from(new_admins);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org, new_admins.clone());

		assert_last_event::<T>(Event::AdminsSet { org, admins: new_admins.into_inner() });
		assert!(PendingAdminChanges::<T>::get(org).is_empty());
		Ok(())
	}

	#[benchmark]
	fn register_device() {
		let (org, admin) = org_with_admin::<T>(0);
		let registration = registration::<T>(org, 0, DeviceKind::Device);
		let account = registration.registration.account.clone();

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), registration);

		assert_last_event::<T>(Event::DeviceRegistered {
			device: device_id(0),
			org,
			kind: DeviceKind::Device,
			account,
			by: admin,
		});
	}

	#[benchmark]
	fn register_devices(n: Linear<1, { T::MaxBatchSize::get() }>) {
		let (org, admin) = org_with_admin::<T>(0);
		let batch: Vec<_> = (0..n).map(|i| registration::<T>(org, i, DeviceKind::Device)).collect();
		let batch = frame_support::BoundedVec::<_, T::MaxBatchSize>::truncate_from(batch);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), batch);

		assert_eq!(OrgDeviceCount::<T>::get(org), n);
	}

	#[benchmark]
	fn rotate_key() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);
		fill_key_history::<T>(org, &admin, device);
		let new_account = T::BenchmarkHelper::key_account(ROTATED_KEY_SEEDS - 1);
		let proof = key_proof::<T>(org, DeviceKind::Device, &device, &new_account);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), device, new_account.clone(), proof);

		assert_eq!(DeviceOfAccount::<T>::get(&new_account), Some(device));
	}

	#[benchmark]
	fn suspend_device() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), device);

		assert_last_event::<T>(Event::DeviceSuspended { device, by: admin });
	}

	#[benchmark]
	fn resume_device() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);
		Registry::<T>::do_set_device_status(&admin, device, DeviceStatus::Suspended)
			.expect("active device suspends");

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), device);

		assert_last_event::<T>(Event::DeviceResumed { device, by: admin });
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
		_(RawOrigin::Signed(admin.clone()), device);

		assert_last_event::<T>(Event::DeviceRevoked { device, by: admin });
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
		_(RawOrigin::Signed(admin.clone()), device, Some(gateway));

		assert_last_event::<T>(Event::GatewayAssigned {
			device,
			gateway: Some(gateway),
			by: admin,
		});
	}

	#[benchmark]
	fn update_metadata() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), device, [9; 32]);

		assert_last_event::<T>(Event::MetadataUpdated {
			device,
			metadata_hash: [9; 32],
			by: admin,
		});
	}

	#[benchmark]
	fn offer_transfer() {
		let (from, admin) = org_with_admin::<T>(0);
		let device = register::<T>(from, &admin, 0, DeviceKind::Device);
		let (to, _) = org_with_admin::<T>(1);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), device, to);

		assert_last_event::<T>(Event::TransferOffered { device, from, to, by: admin });
	}

	#[benchmark]
	fn cancel_transfer() {
		let (org, admin) = org_with_admin::<T>(0);
		let device = register::<T>(org, &admin, 0, DeviceKind::Device);
		let (to, _) = org_with_admin::<T>(1);
		Registry::<T>::do_offer_transfer(&admin, device, to).expect("valid offer");

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), device);

		assert_last_event::<T>(Event::TransferCancelled { device, by: admin });
	}

	/// A gateway serving `n` devices changes hands with a new key, whose history is full:
	/// each device is unassigned and the oldest retired key drops out.
	#[benchmark]
	fn accept_transfer(n: Linear<0, { T::MaxDevicesPerGateway::get() }>) {
		let (from, admin) = org_with_admin::<T>(0);
		let gateway = register::<T>(from, &admin, 0, DeviceKind::Gateway);
		fill_key_history::<T>(from, &admin, gateway);
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
		let account = T::BenchmarkHelper::key_account(ROTATED_KEY_SEEDS - 1);
		let key_proof = key_proof::<T>(to, DeviceKind::Gateway, &gateway, &account);
		let new_key = ProvenKey { account: account.clone(), key_proof };

		#[extrinsic_call]
		_(RawOrigin::Signed(receiver.clone()), gateway, Some(new_key));

		assert_last_event::<T>(Event::DeviceTransferred {
			device: gateway,
			from,
			to,
			by: receiver,
			key_rotated: true,
		});
		assert_eq!(DeviceOfAccount::<T>::get(&account), Some(gateway));
		assert!(served
			.iter()
			.all(|device| Devices::<T>::get(device).is_some_and(|d| d.gateway.is_none())));
	}

	impl_benchmark_test_suite!(Registry, crate::mock::new_test_ext(), crate::mock::Test);
}
