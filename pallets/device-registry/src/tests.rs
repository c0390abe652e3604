//! One test per behaviour of each call, and per error it can return.

use crate::{mock::*, *};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, traits::Get, BoundedVec};
use sp_runtime::{testing::TestSignature, DispatchError};

const ADMIN: u64 = 1;
const MEMBER: u64 = 2;
const OTHER_ADMIN: u64 = 10;
const STRANGER: u64 = 99;

const MANUFACTURER: OrgRoles = OrgRoles { manufacturer: true, operator: false, certifier: false };

fn origin(account: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(account)
}

fn create_org(admin: u64) -> OrgId {
	let org = NextOrgId::<Test>::get();
	assert_ok!(Registry::create_org(RuntimeOrigin::root(), b"acme".to_vec(), MANUFACTURER, admin));
	org
}

/// Org 0 administered by `ADMIN` with member `MEMBER`, and org 1 administered by `OTHER_ADMIN`.
fn two_orgs() -> (OrgId, OrgId) {
	let org = create_org(ADMIN);
	assert_ok!(Registry::add_member(origin(ADMIN), MEMBER));
	(org, create_org(OTHER_ADMIN))
}

fn id(n: u8) -> DeviceId {
	[n; 32]
}

fn registration(n: u8, account: u64, kind: DeviceKind) -> DeviceRegistrationOf<Test> {
	DeviceRegistration {
		id: id(n),
		kind,
		model: b"TH100".to_vec(),
		account,
		metadata_hash: [n; 32],
		firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
	}
}

/// Registers device `n` (account `100 + n`) for the caller's organisation.
fn register(caller: u64, n: u8) -> DeviceId {
	assert_ok!(Registry::register_device(
		origin(caller),
		proven(caller, registration(n, 100 + n as u64, DeviceKind::Device))
	));
	id(n)
}

fn register_gateway(caller: u64, n: u8) -> DeviceId {
	assert_ok!(Registry::register_device(
		origin(caller),
		proven(caller, registration(n, 100 + n as u64, DeviceKind::Gateway))
	));
	id(n)
}

/// `registration` with its key's consent to joining `caller`'s organisation.
fn proven(caller: u64, registration: DeviceRegistrationOf<Test>) -> ProvenRegistrationOf<Test> {
	let org = OrgOfAccount::<Test>::get(caller).unwrap_or_default();
	let payload = Registry::key_proof_payload(org, &registration.id, &registration.account);
	let key_proof = TestSignature(registration.account, payload);
	ProvenRegistration { registration, key_proof }
}

fn proven_batch(
	caller: u64,
	registrations: Vec<DeviceRegistrationOf<Test>>,
) -> BoundedVec<ProvenRegistrationOf<Test>, <Test as Config>::MaxBatchSize> {
	let batch: Vec<_> = registrations
		.into_iter()
		.map(|registration| proven(caller, registration))
		.collect();
	batch.try_into().ok().expect("a test batch fits MaxBatchSize")
}

/// The consent of `account`'s key to becoming device `device` of `caller`'s organisation.
fn key_proof(caller: u64, device: DeviceId, account: u64) -> TestSignature {
	let org = OrgOfAccount::<Test>::get(caller).unwrap_or_default();
	TestSignature(account, Registry::key_proof_payload(org, &device, &account))
}

fn device(n: u8) -> DeviceOf<Test> {
	Devices::<Test>::get(id(n)).expect("device exists")
}

mod organisations {
	use super::*;

	#[test]
	fn governance_creates_an_organisation_with_its_first_admin() {
		run_test(|| {
			assert_ok!(Registry::create_org(
				RuntimeOrigin::root(),
				b"acme".to_vec(),
				MANUFACTURER,
				ADMIN
			));
			let org = Organisations::<Test>::get(0).expect("created");
			assert_eq!(org.name.to_vec(), b"acme".to_vec());
			assert_eq!(org.admins.to_vec(), vec![ADMIN]);
			assert_eq!(org.status, OrgStatus::Active);
			assert_eq!(org.created, 1);
			assert_eq!(OrgOfAccount::<Test>::get(ADMIN), Some(0));
			assert_eq!(NextOrgId::<Test>::get(), 1);
			System::assert_last_event(
				Event::OrgCreated { org: 0, roles: MANUFACTURER, admin: ADMIN }.into(),
			);
		});
	}

	#[test]
	fn only_governance_creates_organisations() {
		run_test(|| {
			assert_noop!(
				Registry::create_org(origin(ADMIN), b"acme".to_vec(), MANUFACTURER, ADMIN),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn an_organisation_name_must_fit_and_not_be_empty() {
		run_test(|| {
			for name in [vec![], vec![b'x'; 17]] {
				assert_noop!(
					Registry::create_org(RuntimeOrigin::root(), name, MANUFACTURER, ADMIN),
					Error::<Test>::BadOrgName
				);
			}
		});
	}

	#[test]
	fn an_organisation_needs_a_role() {
		run_test(|| {
			assert_noop!(
				Registry::create_org(
					RuntimeOrigin::root(),
					b"acme".to_vec(),
					OrgRoles::default(),
					ADMIN
				),
				Error::<Test>::NoRoles
			);
		});
	}

	#[test]
	fn an_account_serves_one_organisation() {
		run_test(|| {
			create_org(ADMIN);
			assert_noop!(
				Registry::create_org(RuntimeOrigin::root(), b"other".to_vec(), MANUFACTURER, ADMIN),
				Error::<Test>::AccountAlreadyInOrg
			);
		});
	}

	#[test]
	fn governance_suspends_and_resumes_an_organisation() {
		run_test(|| {
			let org = create_org(ADMIN);
			assert_ok!(Registry::suspend_org(RuntimeOrigin::root(), org));
			assert_eq!(
				Organisations::<Test>::get(org).map(|o| o.status),
				Some(OrgStatus::Suspended)
			);
			System::assert_last_event(Event::OrgSuspended { org }.into());
			assert_ok!(Registry::resume_org(RuntimeOrigin::root(), org));
			assert_eq!(Organisations::<Test>::get(org).map(|o| o.status), Some(OrgStatus::Active));
			System::assert_last_event(Event::OrgResumed { org }.into());
		});
	}

	#[test]
	fn suspending_and_resuming_check_origin_existence_and_state() {
		run_test(|| {
			let org = create_org(ADMIN);
			assert_noop!(Registry::suspend_org(origin(ADMIN), org), DispatchError::BadOrigin);
			assert_noop!(Registry::resume_org(origin(ADMIN), org), DispatchError::BadOrigin);
			assert_noop!(
				Registry::suspend_org(RuntimeOrigin::root(), 7),
				Error::<Test>::OrgNotFound
			);
			assert_noop!(
				Registry::resume_org(RuntimeOrigin::root(), org),
				Error::<Test>::OrgNotSuspended
			);
			assert_ok!(Registry::suspend_org(RuntimeOrigin::root(), org));
			assert_noop!(
				Registry::suspend_org(RuntimeOrigin::root(), org),
				Error::<Test>::OrgSuspended
			);
		});
	}

	#[test]
	fn an_active_organisation_reports_its_roles() {
		run_test(|| {
			let org = create_org(ADMIN);
			assert_eq!(Registry::active_org_roles(org), Some(MANUFACTURER));
			assert_eq!(Registry::active_org_roles(org + 1), None);
		});
	}

	#[test]
	fn a_suspended_organisation_cannot_act_and_its_devices_are_inactive() {
		run_test(|| {
			let org = create_org(ADMIN);
			register(ADMIN, 1);
			assert_ok!(Registry::suspend_org(RuntimeOrigin::root(), org));
			assert_eq!(Registry::active_device(&id(1)), None);
			assert_eq!(Registry::active_device_by_account(&101), None);
			assert_eq!(Registry::active_org_of(&ADMIN), None);
			assert_eq!(Registry::active_org_roles(org), None);
			assert_noop!(
				Registry::register_device(
					origin(ADMIN),
					proven(ADMIN, registration(2, 102, DeviceKind::Device))
				),
				Error::<Test>::OrgSuspended
			);
			assert_noop!(Registry::add_member(origin(ADMIN), MEMBER), Error::<Test>::OrgSuspended);
		});
	}
}

mod accounts {
	use super::*;

	#[test]
	fn admins_add_and_remove_members() {
		run_test(|| {
			let org = create_org(ADMIN);
			assert_ok!(Registry::add_member(origin(ADMIN), MEMBER));
			System::assert_last_event(Event::MemberAdded { org, account: MEMBER }.into());
			assert_eq!(OrgOfAccount::<Test>::get(MEMBER), Some(org));
			assert_eq!(Registry::active_org_of(&MEMBER), Some(org));
			assert_ok!(Registry::remove_member(origin(ADMIN), MEMBER));
			System::assert_last_event(Event::MemberRemoved { org, account: MEMBER }.into());
			assert_eq!(OrgOfAccount::<Test>::get(MEMBER), None);
		});
	}

	#[test]
	fn admins_add_and_remove_admins_but_keep_one() {
		run_test(|| {
			let org = create_org(ADMIN);
			assert_ok!(Registry::add_admin(origin(ADMIN), 3));
			System::assert_last_event(Event::AdminAdded { org, account: 3 }.into());
			assert_ok!(Registry::remove_admin(origin(3), ADMIN));
			System::assert_last_event(Event::AdminRemoved { org, account: ADMIN }.into());
			assert_noop!(Registry::remove_admin(origin(3), 3), Error::<Test>::LastAdmin);
		});
	}

	#[test]
	fn only_admins_manage_accounts() {
		run_test(|| {
			two_orgs();
			assert_noop!(Registry::add_member(origin(MEMBER), 5), Error::<Test>::NotOrgAdmin);
			assert_noop!(Registry::add_admin(origin(STRANGER), 5), Error::<Test>::NotOrgAdmin);
			assert_noop!(
				Registry::remove_member(origin(MEMBER), MEMBER),
				Error::<Test>::NotOrgAdmin
			);
			assert_noop!(
				Registry::remove_admin(origin(STRANGER), ADMIN),
				Error::<Test>::NotOrgAdmin
			);
		});
	}

	#[test]
	fn an_admin_cannot_remove_another_organisations_accounts() {
		run_test(|| {
			two_orgs();
			assert_noop!(
				Registry::remove_member(origin(OTHER_ADMIN), MEMBER),
				Error::<Test>::NotAMember
			);
			assert_noop!(
				Registry::remove_admin(origin(OTHER_ADMIN), ADMIN),
				Error::<Test>::NotAMember
			);
		});
	}

	#[test]
	fn accounts_are_bounded_and_unique() {
		run_test(|| {
			two_orgs();
			assert_noop!(
				Registry::add_member(origin(ADMIN), OTHER_ADMIN),
				Error::<Test>::AccountAlreadyInOrg
			);
			assert_ok!(Registry::add_member(origin(ADMIN), 3));
			assert_noop!(Registry::add_member(origin(ADMIN), 4), Error::<Test>::TooManyMembers);
			assert_ok!(Registry::add_admin(origin(ADMIN), 5));
			assert_noop!(Registry::add_admin(origin(ADMIN), 6), Error::<Test>::TooManyAdmins);
		});
	}

	#[test]
	fn a_device_key_cannot_join_an_organisation() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_noop!(Registry::add_member(origin(ADMIN), 101), Error::<Test>::AccountInUse);
			assert_ok!(Registry::rotate_key(
				origin(ADMIN),
				id(1),
				201,
				key_proof(ADMIN, id(1), 201)
			));
			assert_noop!(Registry::add_admin(origin(ADMIN), 101), Error::<Test>::AccountInUse);
		});
	}
}

mod registration {
	use super::*;

	#[test]
	fn a_member_registers_a_device() {
		run_test(|| {
			let (org, _) = two_orgs();
			register(MEMBER, 1);
			let stored = device(1);
			assert_eq!(stored.org, org);
			assert_eq!(stored.account, 101);
			assert_eq!(stored.status, DeviceStatus::Active);
			assert_eq!(stored.model.to_vec(), b"TH100".to_vec());
			assert_eq!((stored.created, stored.updated), (1, 1));
			assert_eq!(DeviceOfAccount::<Test>::get(101), Some(id(1)));
			assert!(OrgDevices::<Test>::contains_key(org, id(1)));
			assert_eq!(OrgDeviceCount::<Test>::get(org), 1);
			System::assert_last_event(
				Event::DeviceRegistered {
					device: id(1),
					org,
					kind: DeviceKind::Device,
					account: 101,
				}
				.into(),
			);
			assert_eq!(
				Registry::active_device_by_account(&101),
				Some(ActiveDevice { id: id(1), org, kind: DeviceKind::Device })
			);
		});
	}

	/// The attack: an organisation registers another party's account (here another
	/// organisation's admin) as its device, to burn it by revoking the device. Without the
	/// key's signature over this organisation and device, it cannot.
	#[test]
	fn an_account_becomes_a_device_only_with_its_keys_consent() {
		run_test(|| {
			two_orgs();
			let victim = 150;
			let unsigned = registration(1, victim, DeviceKind::Device);
			let payload = Registry::key_proof_payload(0, &id(1), &victim);
			// Signed by another key, for another organisation, for another device.
			for key_proof in [
				TestSignature(ADMIN, payload.clone()),
				TestSignature(victim, Registry::key_proof_payload(1, &id(1), &victim)),
				TestSignature(victim, Registry::key_proof_payload(0, &id(2), &victim)),
			] {
				let forged = ProvenRegistration { registration: unsigned.clone(), key_proof };
				assert_noop!(
					Registry::register_device(origin(ADMIN), forged),
					Error::<Test>::BadKeyProof
				);
			}
			// One bad proof refuses the whole batch.
			let mut batch = proven_batch(ADMIN, vec![registration(2, 102, DeviceKind::Device)]);
			assert!(batch
				.try_push(ProvenRegistration {
					registration: unsigned,
					key_proof: TestSignature(ADMIN, payload),
				})
				.is_ok());
			assert_noop!(
				Registry::register_devices(origin(ADMIN), batch),
				Error::<Test>::BadKeyProof
			);
			// A rotation needs the new key's consent too.
			register(ADMIN, 3);
			assert_noop!(
				Registry::rotate_key(origin(ADMIN), id(3), victim, key_proof(ADMIN, id(2), victim)),
				Error::<Test>::BadKeyProof
			);
		});
	}

	#[test]
	fn council_and_validator_accounts_never_become_devices() {
		run_test(|| {
			two_orgs();
			for reserved in [COUNCIL_MEMBER, VALIDATOR] {
				assert_noop!(
					Registry::register_device(
						origin(ADMIN),
						proven(ADMIN, registration(1, reserved, DeviceKind::Device))
					),
					Error::<Test>::AccountReserved
				);
			}
			register(ADMIN, 2);
			assert_noop!(
				Registry::rotate_key(
					origin(ADMIN),
					id(2),
					COUNCIL_MEMBER,
					key_proof(ADMIN, id(2), COUNCIL_MEMBER)
				),
				Error::<Test>::AccountReserved
			);
		});
	}

	#[test]
	fn a_stranger_cannot_register() {
		run_test(|| {
			two_orgs();
			assert_noop!(
				Registry::register_device(
					origin(STRANGER),
					proven(STRANGER, registration(1, 101, DeviceKind::Device))
				),
				Error::<Test>::NotOrgAccount
			);
		});
	}

	#[test]
	fn ids_and_accounts_are_never_reused() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_noop!(
				Registry::register_device(
					origin(ADMIN),
					proven(ADMIN, registration(1, 150, DeviceKind::Device))
				),
				Error::<Test>::DeviceAlreadyExists
			);
			assert_noop!(
				Registry::register_device(
					origin(OTHER_ADMIN),
					proven(OTHER_ADMIN, registration(2, 101, DeviceKind::Device))
				),
				Error::<Test>::AccountInUse
			);
			assert_noop!(
				Registry::register_device(
					origin(ADMIN),
					proven(ADMIN, registration(2, MEMBER, DeviceKind::Device))
				),
				Error::<Test>::AccountInUse
			);
			assert_ok!(Registry::revoke_device(origin(ADMIN), id(1)));
			assert_noop!(
				Registry::register_device(
					origin(ADMIN),
					proven(ADMIN, registration(1, 150, DeviceKind::Device))
				),
				Error::<Test>::DeviceAlreadyExists
			);
			assert_noop!(
				Registry::register_device(
					origin(ADMIN),
					proven(ADMIN, registration(2, 101, DeviceKind::Device))
				),
				Error::<Test>::AccountInUse
			);
		});
	}

	#[test]
	fn a_model_must_fit_and_not_be_empty() {
		run_test(|| {
			two_orgs();
			for model in [vec![], vec![b'm'; 9]] {
				let mut bad = registration(1, 101, DeviceKind::Device);
				bad.model = model;
				assert_noop!(
					Registry::register_device(origin(ADMIN), proven(ADMIN, bad)),
					Error::<Test>::BadModel
				);
			}
		});
	}

	#[test]
	fn an_organisation_owns_at_most_max_devices() {
		run_test(|| {
			two_orgs();
			for n in 1..=4 {
				register(ADMIN, n);
			}
			assert_noop!(
				Registry::register_device(
					origin(ADMIN),
					proven(ADMIN, registration(5, 105, DeviceKind::Device))
				),
				Error::<Test>::TooManyDevices
			);
		});
	}

	#[test]
	fn a_batch_registers_every_device() {
		run_test(|| {
			let (org, _) = two_orgs();
			let batch =
				(1..=3).map(|n| registration(n, 100 + n as u64, DeviceKind::Device)).collect();
			assert_ok!(Registry::register_devices(origin(MEMBER), proven_batch(MEMBER, batch)));
			assert_eq!(OrgDeviceCount::<Test>::get(org), 3);
			for n in 1..=3 {
				assert_eq!(device(n).org, org);
			}
		});
	}

	#[test]
	fn a_batch_is_all_or_nothing() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 9);
			let batch = vec![
				registration(1, 101, DeviceKind::Device),
				registration(2, 109, DeviceKind::Device), // device 9's key
			];
			assert_noop!(
				Registry::register_devices(origin(ADMIN), proven_batch(ADMIN, batch)),
				Error::<Test>::AccountInUse
			);
		});
	}

	#[test]
	fn a_batch_must_not_be_empty() {
		run_test(|| {
			let (org, _) = two_orgs();
			let result = Registry::register_devices(origin(ADMIN), BoundedVec::new());
			let error = result.unwrap_err();
			assert_eq!(error.error, Error::<Test>::BadBatchSize.into());
			// Refused before any work: charged as a batch of none.
			assert_eq!(
				error.post_info.actual_weight,
				Some(<<Test as Config>::WeightInfo as WeightInfo>::register_devices(0))
			);
			assert_eq!(OrgDeviceCount::<Test>::get(org), 0);
		});
	}

	#[test]
	fn an_oversized_batch_never_decodes() {
		run_test(|| {
			two_orgs();
			let max: u32 = <Test as Config>::MaxBatchSize::get();
			let batch: Vec<_> = (1..=max as u8 + 1)
				.map(|n| proven(ADMIN, registration(n, 100 + n as u64, DeviceKind::Device)))
				.collect();
			// `register_devices` is call 8; its batch encodes as `Compact(len) ++ items`, as a
			// `Vec` does.
			let oversized = (8u8, batch.clone()).encode();
			assert!(<Call<Test> as Decode>::decode(&mut &oversized[..]).is_err());
			let full = (8u8, batch[..max as usize].to_vec()).encode();
			let decoded = <Call<Test> as Decode>::decode(&mut &full[..]);
			assert!(matches!(
				decoded,
				Ok(Call::register_devices { registrations }) if registrations.len() == max as usize
			));
		});
	}

	#[test]
	fn a_batch_must_not_repeat_an_id_or_account() {
		run_test(|| {
			two_orgs();
			let same_id = vec![
				registration(1, 101, DeviceKind::Device),
				registration(1, 102, DeviceKind::Device),
			];
			assert_noop!(
				Registry::register_devices(origin(ADMIN), proven_batch(ADMIN, same_id)),
				Error::<Test>::DuplicateInBatch
			);
			let same_account = vec![
				registration(1, 101, DeviceKind::Device),
				registration(2, 101, DeviceKind::Device),
			];
			assert_noop!(
				Registry::register_devices(origin(ADMIN), proven_batch(ADMIN, same_account)),
				Error::<Test>::DuplicateInBatch
			);
		});
	}

	#[test]
	fn a_batch_respects_the_organisation_limit() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 9);
			register(ADMIN, 8);
			let batch =
				(1..=3).map(|n| registration(n, 100 + n as u64, DeviceKind::Device)).collect();
			assert_noop!(
				Registry::register_devices(origin(ADMIN), proven_batch(ADMIN, batch)),
				Error::<Test>::TooManyDevices
			);
		});
	}
}

mod keys {
	use super::*;

	#[test]
	fn rotation_replaces_the_key_and_retires_the_old_one_at_once() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			System::set_block_number(5);
			assert_ok!(Registry::rotate_key(
				origin(MEMBER),
				id(1),
				201,
				key_proof(MEMBER, id(1), 201)
			));
			assert_eq!(device(1).account, 201);
			assert_eq!(device(1).updated, 5);
			assert_eq!(DeviceOfAccount::<Test>::get(201), Some(id(1)));
			assert_eq!(Registry::active_device_by_account(&101), None);
			assert_eq!(RetiredAccounts::<Test>::get(101), Some(id(1)));
			assert_eq!(
				KeyHistory::<Test>::get(id(1)).map(|h| h.to_vec()),
				Some(vec![RetiredKey { account: 101, retired: 5 }])
			);
			System::assert_last_event(
				Event::KeyRotated { device: id(1), old_account: 101, new_account: 201 }.into(),
			);
		});
	}

	#[test]
	fn only_a_live_device_key_keeps_its_account_alive() {
		run_test(|| {
			two_orgs();
			let sufficients = |account: u64| System::account(account).sufficients;
			register(ADMIN, 1);
			// A device holds no tokens, yet its account exists, so it can sign.
			assert_eq!(sufficients(101), 1);
			assert!(System::account_exists(&101));
			assert_ok!(Registry::rotate_key(
				origin(MEMBER),
				id(1),
				201,
				key_proof(MEMBER, id(1), 201)
			));
			assert_eq!((sufficients(101), sufficients(201)), (0, 1));
			assert!(!System::account_exists(&101));
			assert_ok!(Registry::revoke_device(origin(ADMIN), id(1)));
			assert_eq!(sufficients(201), 0);
		});
	}

	#[test]
	fn the_key_history_keeps_the_most_recent_keys() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			for new_key in [201, 202, 203] {
				assert_ok!(Registry::rotate_key(
					origin(ADMIN),
					id(1),
					new_key,
					key_proof(ADMIN, id(1), new_key)
				));
			}
			let history: Vec<u64> = KeyHistory::<Test>::get(id(1))
				.expect("history")
				.iter()
				.map(|key| key.account)
				.collect();
			assert_eq!(history, vec![201, 202]);
			// Keys that dropped out of the window stay unusable.
			assert_eq!(RetiredAccounts::<Test>::get(101), Some(id(1)));
		});
	}

	#[test]
	fn a_retired_or_taken_key_cannot_be_rotated_in() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			register(ADMIN, 2);
			assert_noop!(
				Registry::rotate_key(origin(ADMIN), id(1), 102, key_proof(ADMIN, id(1), 102)),
				Error::<Test>::AccountInUse
			);
			assert_ok!(Registry::rotate_key(
				origin(ADMIN),
				id(1),
				201,
				key_proof(ADMIN, id(1), 201)
			));
			assert_noop!(
				Registry::rotate_key(origin(ADMIN), id(1), 101, key_proof(ADMIN, id(1), 101)),
				Error::<Test>::AccountInUse
			);
		});
	}

	#[test]
	fn only_the_owner_rotates_and_never_a_revoked_device() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_noop!(
				Registry::rotate_key(
					origin(OTHER_ADMIN),
					id(1),
					201,
					key_proof(OTHER_ADMIN, id(1), 201)
				),
				Error::<Test>::NotOrgAccount
			);
			assert_noop!(
				Registry::rotate_key(origin(ADMIN), id(7), 201, key_proof(ADMIN, id(7), 201)),
				Error::<Test>::DeviceNotFound
			);
			assert_ok!(Registry::revoke_device(origin(ADMIN), id(1)));
			assert_noop!(
				Registry::rotate_key(origin(ADMIN), id(1), 201, key_proof(ADMIN, id(1), 201)),
				Error::<Test>::DeviceRevoked
			);
		});
	}
}

mod lifecycle {
	use super::*;

	#[test]
	fn suspend_and_resume_a_device() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_ok!(Registry::suspend_device(origin(MEMBER), id(1)));
			assert_eq!(device(1).status, DeviceStatus::Suspended);
			assert_eq!(Registry::active_device(&id(1)), None);
			System::assert_last_event(Event::DeviceSuspended { device: id(1) }.into());
			assert_ok!(Registry::resume_device(origin(MEMBER), id(1)));
			assert_eq!(device(1).status, DeviceStatus::Active);
			System::assert_last_event(Event::DeviceResumed { device: id(1) }.into());
		});
	}

	#[test]
	fn suspend_needs_an_active_device_and_resume_a_suspended_one() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_noop!(
				Registry::resume_device(origin(ADMIN), id(1)),
				Error::<Test>::DeviceNotSuspended
			);
			assert_ok!(Registry::suspend_device(origin(ADMIN), id(1)));
			assert_noop!(
				Registry::suspend_device(origin(ADMIN), id(1)),
				Error::<Test>::DeviceNotActive
			);
		});
	}

	#[test]
	fn revocation_is_final() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_ok!(Registry::revoke_device(origin(ADMIN), id(1)));
			assert_eq!(device(1).status, DeviceStatus::Revoked);
			assert_eq!(DeviceOfAccount::<Test>::get(101), None);
			assert_eq!(RetiredAccounts::<Test>::get(101), Some(id(1)));
			System::assert_last_event(Event::DeviceRevoked { device: id(1) }.into());
			for call in [
				Registry::resume_device(origin(ADMIN), id(1)),
				Registry::suspend_device(origin(ADMIN), id(1)),
				Registry::revoke_device(origin(ADMIN), id(1)),
				Registry::update_metadata(origin(ADMIN), id(1), [0; 32]),
				Registry::offer_transfer(origin(ADMIN), id(1), 1),
			] {
				assert_eq!(call, Err(Error::<Test>::DeviceRevoked.into()));
			}
			assert_noop!(
				Registry::set_firmware_version(
					&id(1),
					FirmwareVersion { major: 2, minor: 0, patch: 0 }
				),
				Error::<Test>::DeviceRevoked
			);
		});
	}

	#[test]
	fn another_organisation_cannot_touch_a_device() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_noop!(
				Registry::suspend_device(origin(OTHER_ADMIN), id(1)),
				Error::<Test>::NotOrgAccount
			);
			assert_noop!(
				Registry::revoke_device(origin(OTHER_ADMIN), id(1)),
				Error::<Test>::NotOrgAccount
			);
			assert_noop!(
				Registry::update_metadata(origin(OTHER_ADMIN), id(1), [0; 32]),
				Error::<Test>::NotOrgAccount
			);
			assert_noop!(
				Registry::revoke_device(origin(STRANGER), id(1)),
				Error::<Test>::NotOrgAccount
			);
		});
	}

	#[test]
	fn metadata_hash_updates() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			System::set_block_number(3);
			assert_ok!(Registry::update_metadata(origin(MEMBER), id(1), [7; 32]));
			assert_eq!(device(1).metadata_hash, [7; 32]);
			assert_eq!(device(1).updated, 3);
			System::assert_last_event(
				Event::MetadataUpdated { device: id(1), metadata_hash: [7; 32] }.into(),
			);
			assert_noop!(
				Registry::update_metadata(origin(MEMBER), id(9), [7; 32]),
				Error::<Test>::DeviceNotFound
			);
		});
	}

	#[test]
	fn firmware_version_only_goes_up() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			let v1_1 = FirmwareVersion { major: 1, minor: 1, patch: 0 };
			assert_ok!(Registry::set_firmware_version(&id(1), v1_1));
			assert_eq!(Registry::firmware_version(&id(1)), Some(v1_1));
			System::assert_last_event(
				Event::FirmwareUpdated { device: id(1), version: v1_1 }.into(),
			);
			assert_noop!(
				Registry::set_firmware_version(&id(1), FirmwareVersion::default()),
				Error::<Test>::FirmwareDowngrade
			);
			assert_noop!(
				Registry::set_firmware_version(&id(9), v1_1),
				Error::<Test>::DeviceNotFound
			);
			assert_eq!(Registry::model_of(&id(1)), Some(b"TH100".to_vec()));
		});
	}
}

mod gateways {
	use super::*;

	#[test]
	fn a_device_is_assigned_to_and_unassigned_from_a_gateway() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			register_gateway(ADMIN, 2);
			assert_ok!(Registry::assign_gateway(origin(MEMBER), id(1), Some(id(2))));
			assert_eq!(device(1).gateway, Some(id(2)));
			System::assert_last_event(
				Event::GatewayAssigned { device: id(1), gateway: Some(id(2)) }.into(),
			);
			assert_ok!(Registry::assign_gateway(origin(MEMBER), id(1), None));
			assert_eq!(device(1).gateway, None);
		});
	}

	#[test]
	fn only_an_active_gateway_of_the_same_organisation_is_assigned() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			register(ADMIN, 3);
			register_gateway(ADMIN, 2);
			register_gateway(OTHER_ADMIN, 4);
			assert_noop!(
				Registry::assign_gateway(origin(ADMIN), id(1), Some(id(3))),
				Error::<Test>::NotAGateway
			);
			assert_noop!(
				Registry::assign_gateway(origin(ADMIN), id(1), Some(id(4))),
				Error::<Test>::GatewayOfAnotherOrg
			);
			assert_noop!(
				Registry::assign_gateway(origin(ADMIN), id(1), Some(id(9))),
				Error::<Test>::DeviceNotFound
			);
			assert_noop!(
				Registry::assign_gateway(origin(ADMIN), id(2), Some(id(2))),
				Error::<Test>::GatewayCannotHaveGateway
			);
			assert_ok!(Registry::suspend_device(origin(ADMIN), id(2)));
			assert_noop!(
				Registry::assign_gateway(origin(ADMIN), id(1), Some(id(2))),
				Error::<Test>::DeviceNotActive
			);
		});
	}
}

mod transfers {
	use super::*;

	#[test]
	fn a_device_changes_owner_by_offer_and_accept() {
		run_test(|| {
			let (from, to) = two_orgs();
			register(ADMIN, 1);
			register_gateway(ADMIN, 2);
			assert_ok!(Registry::assign_gateway(origin(ADMIN), id(1), Some(id(2))));
			assert_ok!(Registry::offer_transfer(origin(MEMBER), id(1), to));
			System::assert_last_event(Event::TransferOffered { device: id(1), from, to }.into());
			// Until accepted the device still belongs to its owner.
			assert_eq!(device(1).org, from);
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(1)));
			System::assert_last_event(Event::DeviceTransferred { device: id(1), from, to }.into());
			assert_eq!(device(1).org, to);
			assert_eq!(device(1).gateway, None);
			assert!(OrgDevices::<Test>::contains_key(to, id(1)));
			assert!(!OrgDevices::<Test>::contains_key(from, id(1)));
			assert_eq!(
				(OrgDeviceCount::<Test>::get(from), OrgDeviceCount::<Test>::get(to)),
				(1, 1)
			);
			assert_eq!(PendingTransfers::<Test>::get(id(1)), None);
			assert_noop!(
				Registry::suspend_device(origin(ADMIN), id(1)),
				Error::<Test>::NotOrgAccount
			);
		});
	}

	#[test]
	fn an_offer_can_be_cancelled() {
		run_test(|| {
			let (_, to) = two_orgs();
			register(ADMIN, 1);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			assert_ok!(Registry::cancel_transfer(origin(ADMIN), id(1)));
			System::assert_last_event(Event::TransferCancelled { device: id(1) }.into());
			assert_noop!(
				Registry::accept_transfer(origin(OTHER_ADMIN), id(1)),
				Error::<Test>::NoTransferPending
			);
			assert_noop!(
				Registry::cancel_transfer(origin(ADMIN), id(1)),
				Error::<Test>::NoTransferPending
			);
		});
	}

	#[test]
	fn offers_are_checked() {
		run_test(|| {
			let (from, to) = two_orgs();
			register(ADMIN, 1);
			assert_noop!(
				Registry::offer_transfer(origin(ADMIN), id(1), from),
				Error::<Test>::TransferToSelf
			);
			assert_noop!(
				Registry::offer_transfer(origin(ADMIN), id(1), 42),
				Error::<Test>::OrgNotFound
			);
			assert_noop!(
				Registry::offer_transfer(origin(OTHER_ADMIN), id(1), to),
				Error::<Test>::NotOrgAccount
			);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			assert_noop!(
				Registry::offer_transfer(origin(ADMIN), id(1), to),
				Error::<Test>::TransferPending
			);
		});
	}

	#[test]
	fn only_the_recipient_accepts_and_within_its_limit() {
		run_test(|| {
			let (_, to) = two_orgs();
			create_org(20);
			register(ADMIN, 1);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			assert_noop!(
				Registry::accept_transfer(origin(20), id(1)),
				Error::<Test>::NotTransferRecipient
			);
			assert_noop!(
				Registry::accept_transfer(origin(STRANGER), id(1)),
				Error::<Test>::NotOrgAccount
			);
			for n in 5..=8 {
				register(OTHER_ADMIN, n);
			}
			assert_noop!(
				Registry::accept_transfer(origin(OTHER_ADMIN), id(1)),
				Error::<Test>::TooManyDevices
			);
		});
	}

	/// A suspended organisation is frozen: governance suspended it for a reason, and its
	/// offers must not move devices out from under that decision.
	#[test]
	fn a_transfer_cannot_complete_while_the_offering_organisation_is_suspended() {
		run_test(|| {
			let (from, to) = two_orgs();
			register(ADMIN, 1);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			assert_ok!(Registry::suspend_org(RuntimeOrigin::root(), from));
			assert_noop!(
				Registry::accept_transfer(origin(OTHER_ADMIN), id(1)),
				Error::<Test>::OfferingOrgSuspended
			);
			assert_ok!(Registry::resume_org(RuntimeOrigin::root(), from));
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(1)));
		});
	}

	#[test]
	fn a_transferred_gateway_no_longer_serves_the_old_organisations_devices() {
		run_test(|| {
			let (_, to) = two_orgs();
			register(ADMIN, 1);
			register_gateway(ADMIN, 2);
			assert_ok!(Registry::assign_gateway(origin(ADMIN), id(1), Some(id(2))));
			assert_eq!(Registry::gateway_of(&id(1)), Some(id(2)));
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(2), to));
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(2)));
			System::assert_has_event(
				Event::GatewayDevicesUnassigned { gateway: id(2), devices: 1 }.into(),
			);
			assert_eq!(device(1).gateway, None);
			assert_eq!(Registry::gateway_of(&id(1)), None);
			assert_eq!(GatewayDeviceCount::<Test>::get(id(2)), 0);
			// Transferred back, it serves nobody until its organisation assigns devices again.
			assert_ok!(Registry::offer_transfer(origin(OTHER_ADMIN), id(2), 0));
			assert_ok!(Registry::accept_transfer(origin(ADMIN), id(2)));
			assert_eq!(Registry::gateway_of(&id(1)), None);
		});
	}

	#[test]
	fn a_gateway_serves_at_most_max_devices_per_gateway() {
		run_test(|| {
			two_orgs();
			register_gateway(ADMIN, 9);
			for n in 1..=3 {
				register(ADMIN, n);
			}
			assert_ok!(Registry::assign_gateway(origin(ADMIN), id(1), Some(id(9))));
			assert_ok!(Registry::assign_gateway(origin(ADMIN), id(2), Some(id(9))));
			assert_noop!(
				Registry::assign_gateway(origin(ADMIN), id(3), Some(id(9))),
				Error::<Test>::TooManyGatewayDevices
			);
			// Reassigning a device it already serves is no new device; unassigning frees room.
			assert_ok!(Registry::assign_gateway(origin(ADMIN), id(1), Some(id(9))));
			assert_ok!(Registry::assign_gateway(origin(ADMIN), id(1), None));
			assert_ok!(Registry::assign_gateway(origin(ADMIN), id(3), Some(id(9))));
			assert_eq!(GatewayDeviceCount::<Test>::get(id(9)), 2);
		});
	}

	#[test]
	fn model_users_follow_registrations_and_transfers() {
		run_test(|| {
			let (from, to) = two_orgs();
			register(ADMIN, 1);
			assert!(Registry::model_used_outside(b"TH100", to));
			assert!(!Registry::model_used_outside(b"TH100", from));
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(1)));
			assert!(!Registry::model_used_outside(b"TH100", to));
			assert!(Registry::model_used_outside(b"TH100", from), "the transfer moved the use");
			assert!(!Registry::model_used_outside(b"NEVER", from));
			assert!(!Registry::model_used_outside(&[b'x'; 100], from));
		});
	}

	#[test]
	fn revoking_a_device_withdraws_its_offer() {
		run_test(|| {
			let (_, to) = two_orgs();
			register(ADMIN, 1);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			assert_ok!(Registry::revoke_device(origin(ADMIN), id(1)));
			assert_noop!(
				Registry::accept_transfer(origin(OTHER_ADMIN), id(1)),
				Error::<Test>::NoTransferPending
			);
		});
	}
}

mod queries {
	use super::*;

	#[test]
	fn a_key_history_of_size_zero_keeps_nothing_and_does_not_panic() {
		use frame_support::{traits::ConstU32, BoundedVec};
		let mut none: BoundedVec<u8, ConstU32<0>> = BoundedVec::new();
		features::keys::keep_recent(&mut none, 1);
		assert!(none.is_empty());
		let mut two: BoundedVec<u8, ConstU32<2>> = BoundedVec::new();
		for entry in 1..=3 {
			features::keys::keep_recent(&mut two, entry);
		}
		assert_eq!(two.to_vec(), vec![2, 3]);
	}

	#[test]
	fn devices_of_an_organisation_are_listed_in_pages() {
		run_test(|| {
			let (org, other) = two_orgs();
			for n in 1..=4 {
				register(ADMIN, n);
			}
			register(OTHER_ADMIN, 9);
			let first = Registry::devices_of_org(org, None, 3);
			assert_eq!(first.len(), 3);
			let last_id = first.last().map(|(id, _)| *id);
			let rest = Registry::devices_of_org(org, last_id, 3);
			assert_eq!(rest.len(), 1);
			let mut all: Vec<DeviceId> =
				first.iter().chain(rest.iter()).map(|(id, _)| *id).collect();
			all.sort();
			assert_eq!(all, (1..=4).map(id).collect::<Vec<_>>());
			assert_eq!(Registry::devices_of_org(other, None, 10).len(), 1);
			assert!(Registry::devices_of_org(7, None, 10).is_empty());
		});
	}

	#[test]
	fn a_device_is_found_by_its_account() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_eq!(Registry::device_by_account(&101).map(|(id, _)| id), Some(id(1)));
			assert_eq!(Registry::device_by_account(&STRANGER), None);
		});
	}
}

mod migrations {
	use super::*;
	use crate::migrations::rehearsal::{OrganisationsDigest, RewriteOrganisationsV0ToV1};
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};

	#[test]
	fn the_rehearsal_rewrites_every_organisation_unchanged_and_moves_to_version_1() {
		run_test(|| {
			let (first, second) = two_orgs();
			let before = OrganisationsDigest::<Test>::now();
			assert_eq!(before.count, 2);
			let records = [first, second].map(|org| Organisations::<Test>::get(org));
			assert_eq!(Registry::on_chain_storage_version(), StorageVersion::new(0));

			RewriteOrganisationsV0ToV1::<Test>::on_runtime_upgrade();

			assert_eq!(Registry::on_chain_storage_version(), StorageVersion::new(1));
			assert_eq!(OrganisationsDigest::<Test>::now(), before);
			assert_eq!(records, [first, second].map(|org| Organisations::<Test>::get(org)));
		});
	}

	#[test]
	fn the_rehearsal_runs_once() {
		run_test(|| {
			let (first, _) = two_orgs();
			RewriteOrganisationsV0ToV1::<Test>::on_runtime_upgrade();
			// Applied again (a second upgrade carrying it), it rewrites nothing: a record it
			// would drop as undecodable stays as it is.
			let key = Organisations::<Test>::hashed_key_for(first);
			let record = frame_support::storage::unhashed::get_raw(&key).expect("stored");
			frame_support::storage::unhashed::put_raw(&key, &[0xff]);
			RewriteOrganisationsV0ToV1::<Test>::on_runtime_upgrade();
			assert_eq!(frame_support::storage::unhashed::get_raw(&key), Some(vec![0xff]));
			assert_eq!(Registry::on_chain_storage_version(), StorageVersion::new(1));
			frame_support::storage::unhashed::put_raw(&key, &record);
		});
	}

	#[test]
	fn the_digest_counts_a_record_that_no_longer_decodes() {
		run_test(|| {
			let (first, _) = two_orgs();
			let before = OrganisationsDigest::<Test>::now();
			let key = Organisations::<Test>::hashed_key_for(first);
			let record = frame_support::storage::unhashed::get_raw(&key).expect("stored");
			frame_support::storage::unhashed::put_raw(&key, &[0xff]);
			let corrupted = OrganisationsDigest::<Test>::now();
			assert_eq!(corrupted.count, 2, "the undecodable record still counts");
			assert_ne!(corrupted, before);
			// Restored, so the registry's invariants hold when the test ends.
			frame_support::storage::unhashed::put_raw(&key, &record);
			assert_eq!(OrganisationsDigest::<Test>::now(), before);
		});
	}
}
