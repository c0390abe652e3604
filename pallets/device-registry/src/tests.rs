//! One test per behaviour of each call, and per error it can return.

use crate::{
	mock::*,
	testing::{consent_for_tests, OrgRole},
	*,
};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, traits::Get, BoundedVec};
use sp_runtime::{testing::TestSignature, DispatchError, DispatchResult};

const ADMIN: u64 = 1;
const MEMBER: u64 = 2;
/// A second admin of `ADMIN`'s organisation, in the tests that need two.
const CO_ADMIN: u64 = 3;
const OTHER_ADMIN: u64 = 10;
/// An account that serves no organisation yet.
const NEWCOMER: u64 = 30;
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
	assert_ok!(add_member(ADMIN, MEMBER));
	(org, create_org(OTHER_ADMIN))
}

/// An organisation administered by `ADMIN` and `CO_ADMIN`, which `ADMIN` added (alone: it was
/// then the only admin), so `CO_ADMIN` is on probation.
fn two_admins() -> OrgId {
	let org = create_org(ADMIN);
	assert_ok!(add_admin(ADMIN, CO_ADMIN));
	org
}

/// The last block the tests' consents hold in: 100 blocks from now.
/// Half the mock's consent lifetime ahead, so a forged expiry one block later is still legal.
fn valid_until() -> u64 {
	System::block_number() + 50
}

/// `account`'s consent to joining the organisation `admin` serves, as `role`.
fn consent(admin: u64, role: OrgRole, account: u64) -> AccountConsentOf<Test> {
	let org = OrgOfAccount::<Test>::get(admin).unwrap_or_default();
	consent_for_tests::<Test>(org, role, account, valid_until())
}

/// `admin` adds `account`, with its consent, as a member of `admin`'s organisation.
fn add_member(admin: u64, account: u64) -> DispatchResult {
	Registry::add_member(origin(admin), account, consent(admin, OrgRole::Member, account))
}

/// `admin` approves adding `account`, with its consent, as an admin of `admin`'s organisation.
fn add_admin(admin: u64, account: u64) -> DispatchResult {
	Registry::add_admin(origin(admin), account, consent(admin, OrgRole::Admin, account))
}

fn admins(org: OrgId) -> Vec<u64> {
	Organisations::<Test>::get(org)
		.map(|stored| stored.admins.to_vec())
		.unwrap_or_default()
}

fn members(org: OrgId) -> Vec<u64> {
	Organisations::<Test>::get(org)
		.map(|stored| stored.members.to_vec())
		.unwrap_or_default()
}

/// `org`'s pending admin changes, as (change, proposer, block proposed, approvals).
fn pending(org: OrgId) -> Vec<(AdminChange<u64>, u64, u64, Vec<u64>)> {
	PendingAdminChanges::<Test>::get(org)
		.into_inner()
		.into_iter()
		.map(|open| (open.change, open.proposed_by, open.proposed_at, open.approvals.into_inner()))
		.collect()
}

fn admin_list(accounts: Vec<u64>) -> BoundedVec<u64, <Test as Config>::MaxAdmins> {
	accounts.try_into().ok().expect("a test list fits MaxAdmins")
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
	let payload = Registry::key_proof_payload(
		org,
		registration.kind,
		&registration.id,
		&registration.account,
	);
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

/// The consent of `account`'s key to becoming device `device` of `caller`'s organisation, of
/// the kind `device` is registered as (a leaf device if it is not registered).
fn key_proof(caller: u64, device: DeviceId, account: u64) -> TestSignature {
	let org = OrgOfAccount::<Test>::get(caller).unwrap_or_default();
	let kind = Devices::<Test>::get(device).map_or(DeviceKind::Device, |stored| stored.kind);
	TestSignature(account, Registry::key_proof_payload(org, kind, &device, &account))
}

/// `account` as device `device`'s new key, consenting to serve `receiver`'s organisation.
fn new_key(receiver: u64, device: DeviceId, account: u64) -> ProvenKeyOf<Test> {
	ProvenKey { account, key_proof: key_proof(receiver, device, account) }
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
			assert_noop!(add_member(ADMIN, MEMBER), Error::<Test>::OrgSuspended);
		});
	}
}

mod accounts {
	use super::*;

	#[test]
	fn admins_add_and_remove_members() {
		run_test(|| {
			let org = create_org(ADMIN);
			assert_ok!(add_member(ADMIN, MEMBER));
			System::assert_last_event(
				Event::MemberAdded { org, account: MEMBER, by: ADMIN }.into(),
			);
			assert_eq!(OrgOfAccount::<Test>::get(MEMBER), Some(org));
			assert_eq!(Registry::active_org_of(&MEMBER), Some(org));
			assert_ok!(Registry::remove_member(origin(ADMIN), MEMBER));
			System::assert_last_event(
				Event::MemberRemoved { org, account: MEMBER, by: ADMIN }.into(),
			);
			assert_eq!(OrgOfAccount::<Test>::get(MEMBER), None);
		});
	}

	#[test]
	fn admins_add_and_remove_admins_but_keep_one() {
		run_test(|| {
			let org = create_org(ADMIN);
			// Alone, `ADMIN` is the majority.
			assert_ok!(add_admin(ADMIN, 3));
			System::assert_last_event(Event::AdminAdded { org, account: 3, by: ADMIN }.into());
			// Of two admins, both make the majority: here the one removed agrees.
			assert_ok!(Registry::remove_admin(origin(3), ADMIN));
			assert_eq!(admins(org), vec![ADMIN, 3]);
			assert_ok!(Registry::remove_admin(origin(ADMIN), ADMIN));
			System::assert_last_event(
				Event::AdminRemoved { org, account: ADMIN, by: ADMIN }.into(),
			);
			assert_eq!(admins(org), vec![3]);
			assert_noop!(Registry::remove_admin(origin(3), 3), Error::<Test>::LastAdmin);
		});
	}

	#[test]
	fn only_admins_manage_accounts() {
		run_test(|| {
			two_orgs();
			assert_noop!(add_member(MEMBER, 5), Error::<Test>::NotOrgAdmin);
			assert_noop!(add_admin(STRANGER, 5), Error::<Test>::NotOrgAdmin);
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
			assert_noop!(add_member(ADMIN, OTHER_ADMIN), Error::<Test>::AccountAlreadyInOrg);
			assert_ok!(add_member(ADMIN, 3));
			assert_noop!(add_member(ADMIN, 4), Error::<Test>::TooManyMembers);
			assert_ok!(add_admin(ADMIN, 5));
			assert_ok!(add_admin(ADMIN, 6));
			assert_ok!(add_admin(5, 6));
			assert_ok!(add_admin(ADMIN, 7));
			assert_ok!(add_admin(5, 7));
			assert_eq!(admins(0), vec![ADMIN, 5, 6, 7]);
			assert_noop!(add_admin(ADMIN, 8), Error::<Test>::TooManyAdmins);
		});
	}

	#[test]
	fn a_device_key_cannot_join_an_organisation() {
		run_test(|| {
			two_orgs();
			register(ADMIN, 1);
			assert_noop!(add_member(ADMIN, 101), Error::<Test>::AccountInUse);
			assert_ok!(Registry::rotate_key(
				origin(ADMIN),
				id(1),
				201,
				key_proof(ADMIN, id(1), 201)
			));
			assert_noop!(add_admin(ADMIN, 101), Error::<Test>::AccountInUse);
		});
	}
}

/// An account joins an organisation only with its own signed consent, for that organisation,
/// role and expiry.
mod consent {
	use super::*;

	/// Consents that do not let `account` join `org` as `role` by block `until`: signed by
	/// another key, not signed at all, for another organisation, for the other role, and
	/// claiming a later or an earlier last block than the one signed.
	fn forged_consents(
		org: OrgId,
		role: OrgRole,
		account: u64,
		until: u64,
	) -> Vec<AccountConsentOf<Test>> {
		let other_role = match role {
			OrgRole::Admin => OrgRole::Member,
			OrgRole::Member => OrgRole::Admin,
		};
		let payload = Registry::consent_payload(org, role, until, &account);
		let honest = consent_for_tests::<Test>(org, role, account, until);
		vec![
			AccountConsent { valid_until: until, signature: TestSignature(ADMIN, payload) },
			AccountConsent { valid_until: until, signature: TestSignature(account, Vec::new()) },
			consent_for_tests::<Test>(org + 1, role, account, until),
			consent_for_tests::<Test>(org, other_role, account, until),
			AccountConsent { valid_until: until + 1, ..honest.clone() },
			AccountConsent { valid_until: until - 1, ..honest },
		]
	}

	/// `NEWCOMER` joins `ADMIN`'s organisation as `role` through `add` only with its own
	/// consent to that role: every forgery is `BadConsent`. Returns the organisation.
	fn joins_only_with_its_own_consent(
		role: OrgRole,
		add: impl Fn(AccountConsentOf<Test>) -> DispatchResult,
	) -> OrgId {
		let (org, _) = two_orgs();
		let until = valid_until();
		for forged in forged_consents(org, role, NEWCOMER, until) {
			assert_noop!(add(forged), Error::<Test>::BadConsent);
		}
		assert_ok!(add(consent_for_tests::<Test>(org, role, NEWCOMER, until)));
		org
	}

	#[test]
	fn a_member_joins_only_with_its_own_consent() {
		run_test(|| {
			let org = joins_only_with_its_own_consent(OrgRole::Member, |consent| {
				Registry::add_member(origin(ADMIN), NEWCOMER, consent)
			});
			assert_eq!(members(org), vec![MEMBER, NEWCOMER]);
		});
	}

	/// A member's consent in particular does not make its account an admin.
	#[test]
	fn an_admin_joins_only_with_its_own_consent() {
		run_test(|| {
			let org = joins_only_with_its_own_consent(OrgRole::Admin, |consent| {
				Registry::add_admin(origin(ADMIN), NEWCOMER, consent)
			});
			assert_eq!(admins(org), vec![ADMIN, NEWCOMER]);
		});
	}

	#[test]
	fn an_expired_consent_enrols_nobody() {
		run_test(|| {
			let org = create_org(ADMIN);
			let member = consent_for_tests::<Test>(org, OrgRole::Member, MEMBER, 5);
			let admin = consent_for_tests::<Test>(org, OrgRole::Admin, CO_ADMIN, 5);
			let late_member = consent_for_tests::<Test>(org, OrgRole::Member, NEWCOMER, 5);
			// Its last block still counts...
			System::set_block_number(5);
			assert_ok!(Registry::add_member(origin(ADMIN), MEMBER, member));
			// ...the next does not.
			System::set_block_number(6);
			assert_noop!(
				Registry::add_admin(origin(ADMIN), CO_ADMIN, admin),
				Error::<Test>::ConsentExpired
			);
			assert_noop!(
				Registry::add_member(origin(ADMIN), NEWCOMER, late_member),
				Error::<Test>::ConsentExpired
			);
		});
	}

	/// A consent is reusable until it expires, so none holds for longer than
	/// `MaxConsentLifetime`: an account that leaves cannot be added back with a consent it
	/// signed long ago.
	#[test]
	fn a_consent_holds_for_at_most_its_lifetime() {
		run_test(|| {
			let org = create_org(ADMIN);
			let lifetime = u64::from(<<Test as Config>::MaxConsentLifetime as Get<u32>>::get());
			let too_long =
				consent_for_tests::<Test>(org, OrgRole::Member, MEMBER, 1 + lifetime + 1);
			assert_noop!(
				Registry::add_member(origin(ADMIN), MEMBER, too_long),
				Error::<Test>::ConsentTooLong
			);
			let longest = consent_for_tests::<Test>(org, OrgRole::Member, MEMBER, 1 + lifetime);
			assert_ok!(Registry::add_member(origin(ADMIN), MEMBER, longest));
		});
	}

	/// The attack: governance's motion to create an organisation with `NEWCOMER` as its admin
	/// is public while it is voted on. Another organisation's admin enrols `NEWCOMER` first, so
	/// that the motion fails with `AccountAlreadyInOrg`. Without `NEWCOMER`'s consent it cannot.
	#[test]
	fn an_admin_cannot_squat_an_account_governance_is_about_to_appoint() {
		run_test(|| {
			let squatter = create_org(OTHER_ADMIN);
			let until = valid_until();
			// The squatter signs for `NEWCOMER`.
			let forged = |role| AccountConsent {
				valid_until: until,
				signature: TestSignature(
					OTHER_ADMIN,
					Registry::consent_payload(squatter, role, until, &NEWCOMER),
				),
			};
			assert_noop!(
				Registry::add_member(origin(OTHER_ADMIN), NEWCOMER, forged(OrgRole::Member)),
				Error::<Test>::BadConsent
			);
			assert_noop!(
				Registry::add_admin(origin(OTHER_ADMIN), NEWCOMER, forged(OrgRole::Admin)),
				Error::<Test>::BadConsent
			);
			assert_eq!(OrgOfAccount::<Test>::get(NEWCOMER), None);
			assert!(pending(squatter).is_empty());

			let org = create_org(NEWCOMER);
			System::assert_last_event(
				Event::OrgCreated { org, roles: MANUFACTURER, admin: NEWCOMER }.into(),
			);
			assert_eq!(OrgOfAccount::<Test>::get(NEWCOMER), Some(org));
		});
	}
}

/// Adding and removing admins takes a majority of the admins. The mock's `MaxAdmins` is 3, so
/// these tests show it with three admins (majority 2), two (majority 2) and one (majority 1);
/// the rule for more admins is shown on `admin_majority` alone.
mod admin_changes {
	use super::*;

	/// The attack: one of three admins' keys is stolen; its thief tries to add a key of its
	/// own and to remove an honest admin. Alone it only proposes; a second admin decides.
	#[test]
	fn one_of_three_admins_neither_adds_nor_removes_alone() {
		run_test(|| {
			const THIRD: u64 = 4;
			let org = two_admins();
			assert_ok!(add_admin(ADMIN, THIRD));
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN]);
			assert_ok!(add_admin(CO_ADMIN, THIRD));
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN, THIRD]);

			assert_ok!(add_admin(THIRD, NEWCOMER));
			assert_eq!(OrgOfAccount::<Test>::get(NEWCOMER), None);
			// Its own proposal had no other approval, so a new one replaces it.
			assert_ok!(Registry::remove_admin(origin(THIRD), ADMIN));
			System::assert_last_event(
				Event::AdminChangeApproved {
					org,
					change: AdminChange::Remove(ADMIN),
					by: THIRD,
					approvals: 1,
				}
				.into(),
			);
			assert_eq!(pending(org), vec![(AdminChange::Remove(ADMIN), THIRD, 1, vec![THIRD])]);
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN, THIRD]);

			// A second admin's approval is a majority of three.
			assert_ok!(Registry::remove_admin(origin(CO_ADMIN), ADMIN));
			System::assert_last_event(
				Event::AdminRemoved { org, account: ADMIN, by: CO_ADMIN }.into(),
			);
			assert_eq!(admins(org), vec![CO_ADMIN, THIRD]);

			// Between two admins, the thief's addition alone is only a proposal.
			assert_ok!(add_admin(THIRD, NEWCOMER));
			assert_eq!(OrgOfAccount::<Test>::get(NEWCOMER), None);
			assert_eq!(admins(org), vec![CO_ADMIN, THIRD]);
		});
	}

	/// The attack: a thief of one of four admins' keys proposes its own removal first, so it
	/// owns that proposal, then proposes something else after each honest approval to erase
	/// them. A proposal others approved stands until it is enacted or lapses.
	#[test]
	fn a_proposer_cannot_erase_others_approvals_by_proposing_again() {
		run_test(|| {
			const THIRD: u64 = 4;
			const THIEF: u64 = 5;
			let org = two_admins();
			assert_ok!(add_admin(ADMIN, THIRD));
			assert_ok!(add_admin(CO_ADMIN, THIRD));
			assert_ok!(add_admin(ADMIN, THIEF));
			assert_ok!(add_admin(CO_ADMIN, THIEF));
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN, THIRD, THIEF]);

			assert_ok!(Registry::remove_admin(origin(THIEF), THIEF));
			assert_ok!(Registry::remove_admin(origin(ADMIN), THIEF));
			let change = AdminChange::Remove(THIEF);
			assert_eq!(pending(org), vec![(change, THIEF, 1, vec![THIEF, ADMIN])]);
			assert_noop!(
				Registry::remove_admin(origin(THIEF), CO_ADMIN),
				Error::<Test>::AdminChangeOpen
			);
			assert_noop!(
				Registry::remove_admin(origin(THIEF), THIRD),
				Error::<Test>::AdminChangeOpen
			);
			// The third approval of four admins enacts it.
			assert_ok!(Registry::remove_admin(origin(CO_ADMIN), THIEF));
			System::assert_last_event(
				Event::AdminRemoved { org, account: THIEF, by: CO_ADMIN }.into(),
			);
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN, THIRD]);
		});
	}

	#[test]
	fn a_majority_is_more_than_half_of_the_admins() {
		run_test(|| {
			let majorities: Vec<u32> = (1..=6).map(admin_majority).collect();
			assert_eq!(majorities, vec![1, 2, 2, 3, 3, 4]);
		});
	}

	#[test]
	fn a_sole_admin_adds_a_second_alone() {
		run_test(|| {
			let org = create_org(ADMIN);
			assert_ok!(add_admin(ADMIN, CO_ADMIN));
			System::assert_last_event(
				Event::AdminAdded { org, account: CO_ADMIN, by: ADMIN }.into(),
			);
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN]);
			assert_eq!(OrgOfAccount::<Test>::get(CO_ADMIN), Some(org));
			assert!(pending(org).is_empty());
		});
	}

	/// The attack: one of two admins' keys is stolen, and its thief removes the other admin to
	/// take the organisation over. Alone it only proposes.
	#[test]
	fn one_of_two_admins_cannot_remove_the_other_alone() {
		run_test(|| {
			let org = two_admins();
			assert_ok!(Registry::remove_admin(origin(CO_ADMIN), ADMIN));
			let change = AdminChange::Remove(ADMIN);
			System::assert_last_event(
				Event::AdminChangeApproved {
					org,
					change: change.clone(),
					by: CO_ADMIN,
					approvals: 1,
				}
				.into(),
			);
			assert_eq!(pending(org), vec![(change.clone(), CO_ADMIN, 1, vec![CO_ADMIN])]);
			// The target is still an admin, and still acts as one.
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN]);
			assert_eq!(Registry::active_admin_org_of(&ADMIN), Some(org));
			assert_ok!(add_member(ADMIN, MEMBER));
			// Approving again counts for nothing.
			assert_noop!(
				Registry::remove_admin(origin(CO_ADMIN), ADMIN),
				Error::<Test>::AlreadyApproved
			);
			// The second admin's approval (here the target's own) makes the majority.
			assert_ok!(Registry::remove_admin(origin(ADMIN), ADMIN));
			System::assert_last_event(
				Event::AdminRemoved { org, account: ADMIN, by: ADMIN }.into(),
			);
			assert_eq!(admins(org), vec![CO_ADMIN]);
			assert_eq!(OrgOfAccount::<Test>::get(ADMIN), None);
			assert!(pending(org).is_empty());
			assert_noop!(add_member(ADMIN, NEWCOMER), Error::<Test>::NotOrgAdmin);
		});
	}

	#[test]
	fn approvals_lapse_after_the_window() {
		run_test(|| {
			let org = two_admins();
			let window = u64::from(<<Test as Config>::AdminChangeWindow as Get<u32>>::get());
			assert_ok!(Registry::remove_admin(origin(ADMIN), CO_ADMIN));
			// Past the window, an approval starts the change afresh.
			System::set_block_number(1 + window + 1);
			assert_ok!(Registry::remove_admin(origin(CO_ADMIN), CO_ADMIN));
			let change = AdminChange::Remove(CO_ADMIN);
			System::assert_last_event(
				Event::AdminChangeApproved {
					org,
					change: change.clone(),
					by: CO_ADMIN,
					approvals: 1,
				}
				.into(),
			);
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN]);
			assert_eq!(pending(org), vec![(change, CO_ADMIN, window + 2, vec![CO_ADMIN])]);
			// Within the window of that fresh proposal (its last block included), the other
			// approval enacts it.
			System::set_block_number(window + 2 + window);
			assert_ok!(Registry::remove_admin(origin(ADMIN), CO_ADMIN));
			System::assert_last_event(
				Event::AdminRemoved { org, account: CO_ADMIN, by: ADMIN }.into(),
			);
			assert_eq!(admins(org), vec![ADMIN]);
		});
	}

	#[test]
	fn a_new_proposal_replaces_the_proposers_previous_one() {
		run_test(|| {
			let org = two_admins();
			assert_ok!(Registry::remove_admin(origin(ADMIN), CO_ADMIN));
			assert_ok!(Registry::remove_admin(origin(ADMIN), ADMIN));
			assert_eq!(pending(org), vec![(AdminChange::Remove(ADMIN), ADMIN, 1, vec![ADMIN])]);
			// `ADMIN`'s approval of removing `CO_ADMIN` went with its first proposal.
			assert_ok!(Registry::remove_admin(origin(CO_ADMIN), CO_ADMIN));
			System::assert_last_event(
				Event::AdminChangeApproved {
					org,
					change: AdminChange::Remove(CO_ADMIN),
					by: CO_ADMIN,
					approvals: 1,
				}
				.into(),
			);
			assert_eq!(admins(org), vec![ADMIN, CO_ADMIN]);
			assert_eq!(pending(org).len(), 2, "one proposal per admin");
		});
	}

	/// Nor does rejoining bring its approval back.
	#[test]
	fn a_proposal_dies_when_its_proposer_leaves() {
		run_test(|| {
			let org = two_admins();
			assert_ok!(Registry::remove_admin(origin(ADMIN), CO_ADMIN));
			assert_ok!(Registry::leave_org(origin(ADMIN)));
			System::set_block_number(3);
			// `CO_ADMIN`, now alone, takes `ADMIN` back.
			assert_ok!(add_admin(CO_ADMIN, ADMIN));
			assert_eq!(admins(org), vec![CO_ADMIN, ADMIN]);
			assert!(pending(org).is_empty());
			// `ADMIN`'s old approval is gone: approving again starts a new proposal.
			assert_ok!(Registry::remove_admin(origin(ADMIN), CO_ADMIN));
			let change = AdminChange::Remove(CO_ADMIN);
			System::assert_last_event(
				Event::AdminChangeApproved { org, change: change.clone(), by: ADMIN, approvals: 1 }
					.into(),
			);
			assert_eq!(pending(org), vec![(change, ADMIN, 3, vec![ADMIN])]);
			assert_eq!(admins(org), vec![CO_ADMIN, ADMIN]);
		});
	}

	#[test]
	fn an_admin_added_by_its_co_admins_is_on_probation() {
		run_test(|| {
			let org = create_org(ADMIN);
			let probation = u64::from(<<Test as Config>::NewAdminProbation as Get<u32>>::get());
			assert_ok!(add_admin(ADMIN, CO_ADMIN));
			assert_eq!(AdminSince::<Test>::get(CO_ADMIN), Some(1));
			// An admin at once, but not a settled one.
			assert_eq!(Registry::active_admin_org_of(&CO_ADMIN), Some(org));
			assert!(!Registry::has_served_probation(&CO_ADMIN));
			assert_eq!(Registry::settled_admin_org_of(&CO_ADMIN), None);
			System::set_block_number(probation);
			assert_eq!(Registry::settled_admin_org_of(&CO_ADMIN), None);
			System::set_block_number(1 + probation);
			assert!(Registry::has_served_probation(&CO_ADMIN));
			assert_eq!(Registry::settled_admin_org_of(&CO_ADMIN), Some(org));
			// A suspended organisation has no settled admins.
			assert_ok!(Registry::suspend_org(RuntimeOrigin::root(), org));
			assert_eq!(Registry::settled_admin_org_of(&CO_ADMIN), None);
			assert_eq!(Registry::settled_admin_org_of(&ADMIN), None);
		});
	}

	#[test]
	fn governance_appointed_admins_are_settled_at_once() {
		run_test(|| {
			let org = create_org(ADMIN);
			assert_eq!(AdminSince::<Test>::get(ADMIN), None);
			assert_eq!(Registry::settled_admin_org_of(&ADMIN), Some(org));
			// An admin on probation whom governance then names is settled too.
			assert_ok!(add_admin(ADMIN, CO_ADMIN));
			assert_eq!(Registry::settled_admin_org_of(&CO_ADMIN), None);
			assert_ok!(Registry::force_set_admins(
				RuntimeOrigin::root(),
				org,
				admin_list(vec![ADMIN, CO_ADMIN])
			));
			assert_eq!(AdminSince::<Test>::get(CO_ADMIN), None);
			assert_eq!(Registry::settled_admin_org_of(&CO_ADMIN), Some(org));
			assert_eq!(Registry::settled_admin_org_of(&ADMIN), Some(org));
		});
	}
}

mod leaving {
	use super::*;

	#[test]
	fn members_and_admins_leave_but_the_last_admin_stays() {
		run_test(|| {
			let (org, _) = two_orgs();
			assert_ok!(Registry::leave_org(origin(MEMBER)));
			System::assert_last_event(
				Event::MemberRemoved { org, account: MEMBER, by: MEMBER }.into(),
			);
			assert!(members(org).is_empty());
			assert_eq!(OrgOfAccount::<Test>::get(MEMBER), None);

			assert_ok!(add_admin(ADMIN, CO_ADMIN));
			assert_ok!(Registry::leave_org(origin(CO_ADMIN)));
			System::assert_last_event(
				Event::AdminRemoved { org, account: CO_ADMIN, by: CO_ADMIN }.into(),
			);
			assert_eq!(admins(org), vec![ADMIN]);
			assert_eq!(OrgOfAccount::<Test>::get(CO_ADMIN), None);
			assert_eq!(AdminSince::<Test>::get(CO_ADMIN), None);

			assert_noop!(Registry::leave_org(origin(ADMIN)), Error::<Test>::LastAdmin);
		});
	}

	#[test]
	fn only_an_organisations_account_leaves_it() {
		run_test(|| {
			two_orgs();
			assert_noop!(Registry::leave_org(origin(STRANGER)), Error::<Test>::NotOrgAccount);
			assert_ok!(Registry::leave_org(origin(MEMBER)));
			assert_noop!(Registry::leave_org(origin(MEMBER)), Error::<Test>::NotOrgAccount);
			// A device key is no organisation's account.
			register(ADMIN, 1);
			assert_noop!(Registry::leave_org(origin(101)), Error::<Test>::NotOrgAccount);
		});
	}

	#[test]
	fn a_suspended_organisations_accounts_may_leave() {
		run_test(|| {
			let (org, _) = two_orgs();
			assert_ok!(add_admin(ADMIN, CO_ADMIN));
			assert_ok!(Registry::suspend_org(RuntimeOrigin::root(), org));
			assert_ok!(Registry::leave_org(origin(MEMBER)));
			assert_ok!(Registry::leave_org(origin(CO_ADMIN)));
			assert_noop!(Registry::leave_org(origin(ADMIN)), Error::<Test>::LastAdmin);
			assert_eq!(admins(org), vec![ADMIN]);
			assert!(members(org).is_empty());
		});
	}

	#[test]
	fn an_account_that_left_may_join_another_organisation() {
		run_test(|| {
			let (_, other) = two_orgs();
			assert_ok!(add_admin(ADMIN, CO_ADMIN));
			// A member that left joins another organisation, with its consent to that one.
			assert_ok!(Registry::leave_org(origin(MEMBER)));
			assert_ok!(add_member(OTHER_ADMIN, MEMBER));
			assert_eq!(OrgOfAccount::<Test>::get(MEMBER), Some(other));
			// An admin that left is free for governance to appoint.
			assert_ok!(Registry::leave_org(origin(CO_ADMIN)));
			let org = create_org(CO_ADMIN);
			assert_eq!(OrgOfAccount::<Test>::get(CO_ADMIN), Some(org));
			assert_eq!(Registry::settled_admin_org_of(&CO_ADMIN), Some(org));
		});
	}

	/// A consent names its last block, so it does not bring its account back for ever after
	/// the account leaves.
	#[test]
	fn a_used_consent_does_not_bring_back_an_account_that_left_once_it_expires() {
		run_test(|| {
			let org = create_org(ADMIN);
			let consent = consent_for_tests::<Test>(org, OrgRole::Member, MEMBER, 10);
			assert_ok!(Registry::add_member(origin(ADMIN), MEMBER, consent.clone()));
			assert_ok!(Registry::leave_org(origin(MEMBER)));
			System::set_block_number(11);
			assert_noop!(
				Registry::add_member(origin(ADMIN), MEMBER, consent),
				Error::<Test>::ConsentExpired
			);
		});
	}
}

/// Governance's recovery of an organisation whose admins' keys are lost or turned against it.
mod recovery {
	use super::*;

	#[test]
	fn governance_replaces_hostile_admins() {
		run_test(|| {
			let (org, _) = two_orgs();
			assert_ok!(add_admin(ADMIN, CO_ADMIN));
			// The hostile admins have a change under way.
			assert_ok!(Registry::remove_admin(origin(ADMIN), CO_ADMIN));
			// Governance makes the member and a newcomer the admins.
			assert_ok!(Registry::force_set_admins(
				RuntimeOrigin::root(),
				org,
				admin_list(vec![MEMBER, NEWCOMER])
			));
			System::assert_last_event(
				Event::AdminsSet { org, admins: vec![MEMBER, NEWCOMER] }.into(),
			);
			assert_eq!(admins(org), vec![MEMBER, NEWCOMER]);
			// The member was promoted: it is no longer also a member.
			assert!(members(org).is_empty());
			assert_eq!(OrgOfAccount::<Test>::get(MEMBER), Some(org));
			assert_eq!(OrgOfAccount::<Test>::get(NEWCOMER), Some(org));
			// The old admins are no longer the organisation's accounts.
			for old in [ADMIN, CO_ADMIN] {
				assert_eq!(OrgOfAccount::<Test>::get(old), None);
				assert_eq!(AdminSince::<Test>::get(old), None);
				assert_eq!(Registry::active_org_of(&old), None);
				assert_noop!(add_member(old, 5), Error::<Test>::NotOrgAdmin);
				assert_noop!(
					Registry::register_device(
						origin(old),
						proven(old, registration(1, 101, DeviceKind::Device))
					),
					Error::<Test>::NotOrgAccount
				);
			}
			// Their pending change was dropped, and the new admins act at once.
			assert!(pending(org).is_empty());
			assert_eq!(Registry::settled_admin_org_of(&NEWCOMER), Some(org));
			assert_ok!(add_member(NEWCOMER, 5));
			// An old admin may join elsewhere.
			assert_ok!(add_member(OTHER_ADMIN, ADMIN));
		});
	}

	#[test]
	fn setting_admins_checks_origin_organisation_and_accounts() {
		run_test(|| {
			let (org, _) = two_orgs();
			register(ADMIN, 1);
			let root = RuntimeOrigin::root;
			assert_noop!(
				Registry::force_set_admins(origin(ADMIN), org, admin_list(vec![ADMIN])),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Registry::force_set_admins(root(), 7, admin_list(vec![NEWCOMER])),
				Error::<Test>::OrgNotFound
			);
			assert_noop!(
				Registry::force_set_admins(root(), org, admin_list(vec![])),
				Error::<Test>::LastAdmin
			);
			assert_noop!(
				Registry::force_set_admins(root(), org, admin_list(vec![NEWCOMER, NEWCOMER])),
				Error::<Test>::DuplicateInBatch
			);
			assert_noop!(
				Registry::force_set_admins(root(), org, admin_list(vec![ADMIN, ADMIN])),
				Error::<Test>::DuplicateInBatch
			);
			// Another organisation's admin.
			assert_noop!(
				Registry::force_set_admins(root(), org, admin_list(vec![OTHER_ADMIN])),
				Error::<Test>::AccountAlreadyInOrg
			);
			// A device's key, live or retired.
			assert_noop!(
				Registry::force_set_admins(root(), org, admin_list(vec![101])),
				Error::<Test>::AccountInUse
			);
			assert_ok!(Registry::rotate_key(
				origin(ADMIN),
				id(1),
				201,
				key_proof(ADMIN, id(1), 201)
			));
			assert_noop!(
				Registry::force_set_admins(root(), org, admin_list(vec![ADMIN, 101])),
				Error::<Test>::AccountInUse
			);
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
					by: MEMBER,
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
			let device = DeviceKind::Device;
			let payload = Registry::key_proof_payload(0, device, &id(1), &victim);
			// Signed by another key, for another organisation, for another device.
			for key_proof in [
				TestSignature(ADMIN, payload.clone()),
				TestSignature(victim, Registry::key_proof_payload(1, device, &id(1), &victim)),
				TestSignature(victim, Registry::key_proof_payload(0, device, &id(2), &victim)),
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

	/// The attack: a key its holder provisioned as a sensor is registered as a gateway, which
	/// relays (and speaks for) other devices. The proof names the kind, so it cannot be.
	#[test]
	fn a_key_proof_is_worth_only_the_kind_it_names() {
		run_test(|| {
			let (org, _) = two_orgs();
			let proof = |kind, n: u8, account: u64| {
				TestSignature(account, Registry::key_proof_payload(org, kind, &id(n), &account))
			};
			let sensor_as_gateway = ProvenRegistration {
				registration: registration(1, 101, DeviceKind::Gateway),
				key_proof: proof(DeviceKind::Device, 1, 101),
			};
			assert_noop!(
				Registry::register_device(origin(ADMIN), sensor_as_gateway),
				Error::<Test>::BadKeyProof
			);
			let gateway_as_sensor = ProvenRegistration {
				registration: registration(2, 102, DeviceKind::Device),
				key_proof: proof(DeviceKind::Gateway, 2, 102),
			};
			assert_noop!(
				Registry::register_device(origin(ADMIN), gateway_as_sensor),
				Error::<Test>::BadKeyProof
			);
			// With the proof of its kind, each registers.
			assert_ok!(Registry::register_device(
				origin(ADMIN),
				ProvenRegistration {
					registration: registration(1, 101, DeviceKind::Device),
					key_proof: proof(DeviceKind::Device, 1, 101),
				}
			));
			assert_ok!(Registry::register_device(
				origin(ADMIN),
				ProvenRegistration {
					registration: registration(2, 102, DeviceKind::Gateway),
					key_proof: proof(DeviceKind::Gateway, 2, 102),
				}
			));
			// A gateway's new key consents to being a gateway's too.
			assert_noop!(
				Registry::rotate_key(origin(ADMIN), id(2), 202, proof(DeviceKind::Device, 2, 202)),
				Error::<Test>::BadKeyProof
			);
			assert_ok!(Registry::rotate_key(
				origin(ADMIN),
				id(2),
				202,
				proof(DeviceKind::Gateway, 2, 202)
			));
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
				Event::KeyRotated { device: id(1), old_account: 101, new_account: 201, by: MEMBER }
					.into(),
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
			System::assert_last_event(Event::DeviceSuspended { device: id(1), by: MEMBER }.into());
			assert_ok!(Registry::resume_device(origin(MEMBER), id(1)));
			assert_eq!(device(1).status, DeviceStatus::Active);
			System::assert_last_event(Event::DeviceResumed { device: id(1), by: MEMBER }.into());
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
			System::assert_last_event(Event::DeviceRevoked { device: id(1), by: ADMIN }.into());
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
				Event::MetadataUpdated { device: id(1), metadata_hash: [7; 32], by: MEMBER }.into(),
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
				Event::GatewayAssigned { device: id(1), gateway: Some(id(2)), by: MEMBER }.into(),
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
			System::assert_last_event(
				Event::TransferOffered { device: id(1), from, to, by: MEMBER }.into(),
			);
			// Until accepted the device still belongs to its owner.
			assert_eq!(device(1).org, from);
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(1), None));
			System::assert_last_event(
				Event::DeviceTransferred {
					device: id(1),
					from,
					to,
					by: OTHER_ADMIN,
					key_rotated: false,
				}
				.into(),
			);
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
	fn accepting_without_a_new_key_keeps_the_key_and_says_so() {
		run_test(|| {
			let (from, to) = two_orgs();
			register(ADMIN, 1);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(1), None));
			System::assert_last_event(
				Event::DeviceTransferred {
					device: id(1),
					from,
					to,
					by: OTHER_ADMIN,
					key_rotated: false,
				}
				.into(),
			);
			// Whoever held the key before still holds it.
			assert_eq!(device(1).account, 101);
			assert_eq!(DeviceOfAccount::<Test>::get(101), Some(id(1)));
			assert_eq!(
				Registry::active_device_by_account(&101),
				Some(ActiveDevice { id: id(1), org: to, kind: DeviceKind::Device })
			);
			assert!(KeyHistory::<Test>::get(id(1)).is_none());
		});
	}

	/// The receiver does not trust a key the previous owner provisioned (and may still hold),
	/// so it puts its own in as it accepts.
	#[test]
	fn the_receiver_puts_its_own_key_in_as_it_accepts() {
		run_test(|| {
			let (from, to) = two_orgs();
			register(ADMIN, 1);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			System::set_block_number(4);
			assert_ok!(Registry::accept_transfer(
				origin(OTHER_ADMIN),
				id(1),
				Some(new_key(OTHER_ADMIN, id(1), 201))
			));
			let events = System::events();
			let last_two: Vec<RuntimeEvent> =
				events[events.len() - 2..].iter().map(|record| record.event.clone()).collect();
			let expected: Vec<RuntimeEvent> = vec![
				Event::KeyRotated {
					device: id(1),
					old_account: 101,
					new_account: 201,
					by: OTHER_ADMIN,
				}
				.into(),
				Event::DeviceTransferred {
					device: id(1),
					from,
					to,
					by: OTHER_ADMIN,
					key_rotated: true,
				}
				.into(),
			];
			assert_eq!(last_two, expected);
			assert_eq!(device(1).org, to);
			assert_eq!(device(1).account, 201);
			assert_eq!(device(1).updated, 4);
			// The new key signs for the device; the old one is retired for good.
			assert_eq!(DeviceOfAccount::<Test>::get(201), Some(id(1)));
			assert_eq!(DeviceOfAccount::<Test>::get(101), None);
			assert_eq!(RetiredAccounts::<Test>::get(101), Some(id(1)));
			assert_eq!(
				KeyHistory::<Test>::get(id(1)).map(|history| history.to_vec()),
				Some(vec![RetiredKey { account: 101, retired: 4 }])
			);
			assert_eq!(Registry::active_device_by_account(&101), None);
			assert!(!is_signed_by_device::<Test, Registry>(&origin(101), &id(1)));
			assert!(is_signed_by_device::<Test, Registry>(&origin(201), &id(1)));
			assert_noop!(
				Registry::rotate_key(
					origin(OTHER_ADMIN),
					id(1),
					101,
					key_proof(OTHER_ADMIN, id(1), 101)
				),
				Error::<Test>::AccountInUse
			);
		});
	}

	#[test]
	fn a_bad_new_key_is_refused_and_the_offer_stays() {
		run_test(|| {
			let (from, to) = two_orgs();
			register(ADMIN, 1);
			register(OTHER_ADMIN, 5);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			let signed = |signer: u64, org: OrgId, kind, n: u8| ProvenKey {
				account: 201,
				key_proof: TestSignature(
					signer,
					Registry::key_proof_payload(org, kind, &id(n), &201),
				),
			};
			// Signed by another key, for the offering organisation, for the other kind, for
			// another device.
			for bad in [
				signed(OTHER_ADMIN, to, DeviceKind::Device, 1),
				signed(201, from, DeviceKind::Device, 1),
				signed(201, to, DeviceKind::Gateway, 1),
				signed(201, to, DeviceKind::Device, 2),
			] {
				assert_noop!(
					Registry::accept_transfer(origin(OTHER_ADMIN), id(1), Some(bad)),
					Error::<Test>::BadKeyProof
				);
			}
			// Accounts that cannot become device keys: another device's key, a retired key, an
			// organisation's account, a council member's.
			assert_ok!(Registry::rotate_key(
				origin(OTHER_ADMIN),
				id(5),
				205,
				key_proof(OTHER_ADMIN, id(5), 205)
			));
			for used in [205, 105, MEMBER, OTHER_ADMIN] {
				assert_noop!(
					Registry::accept_transfer(
						origin(OTHER_ADMIN),
						id(1),
						Some(new_key(OTHER_ADMIN, id(1), used))
					),
					Error::<Test>::AccountInUse
				);
			}
			assert_noop!(
				Registry::accept_transfer(
					origin(OTHER_ADMIN),
					id(1),
					Some(new_key(OTHER_ADMIN, id(1), COUNCIL_MEMBER))
				),
				Error::<Test>::AccountReserved
			);
			// The offer still stands, and the device is its owner's with its key.
			assert_eq!(PendingTransfers::<Test>::get(id(1)), Some(to));
			assert_eq!((device(1).org, device(1).account), (from, 101));
			assert_ok!(Registry::accept_transfer(
				origin(OTHER_ADMIN),
				id(1),
				Some(new_key(OTHER_ADMIN, id(1), 201))
			));
			assert_eq!((device(1).org, device(1).account), (to, 201));
		});
	}

	#[test]
	fn an_offer_can_be_cancelled() {
		run_test(|| {
			let (_, to) = two_orgs();
			register(ADMIN, 1);
			assert_ok!(Registry::offer_transfer(origin(ADMIN), id(1), to));
			assert_ok!(Registry::cancel_transfer(origin(ADMIN), id(1)));
			System::assert_last_event(Event::TransferCancelled { device: id(1), by: ADMIN }.into());
			assert_noop!(
				Registry::accept_transfer(origin(OTHER_ADMIN), id(1), None),
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
				Registry::accept_transfer(origin(20), id(1), None),
				Error::<Test>::NotTransferRecipient
			);
			assert_noop!(
				Registry::accept_transfer(origin(STRANGER), id(1), None),
				Error::<Test>::NotOrgAccount
			);
			for n in 5..=8 {
				register(OTHER_ADMIN, n);
			}
			assert_noop!(
				Registry::accept_transfer(origin(OTHER_ADMIN), id(1), None),
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
				Registry::accept_transfer(origin(OTHER_ADMIN), id(1), None),
				Error::<Test>::OfferingOrgSuspended
			);
			assert_ok!(Registry::resume_org(RuntimeOrigin::root(), from));
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(1), None));
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
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(2), None));
			System::assert_has_event(
				Event::GatewayDevicesUnassigned { gateway: id(2), devices: 1 }.into(),
			);
			assert_eq!(device(1).gateway, None);
			assert_eq!(Registry::gateway_of(&id(1)), None);
			assert_eq!(GatewayDeviceCount::<Test>::get(id(2)), 0);
			// Transferred back, it serves nobody until its organisation assigns devices again.
			assert_ok!(Registry::offer_transfer(origin(OTHER_ADMIN), id(2), 0));
			assert_ok!(Registry::accept_transfer(origin(ADMIN), id(2), None));
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
			assert_ok!(Registry::accept_transfer(origin(OTHER_ADMIN), id(1), None));
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
				Registry::accept_transfer(origin(OTHER_ADMIN), id(1), None),
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
