use crate::{
	mock::*, Error, Event, ExpiryQueue, GrantId, GrantTerms, Grants as GrantStore, Holdings,
	NextExpirySlot, Object, ObjectGrantCount, PendingGrants, ReadLevel, Right, Rights, Subject,
	SubjectGrants, EXPIRY_SLOT_MS,
};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

type TestTerms = crate::GrantTermsOf<Test>;

fn origin(account: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(account)
}

fn login() -> crate::RightsOf<Test> {
	Rights { register: false, login: true, read: None, command: false, firmware: false }
}

fn register() -> crate::RightsOf<Test> {
	Rights { register: true, ..no_rights() }
}

fn no_rights() -> crate::RightsOf<Test> {
	Rights { register: false, login: false, read: None, command: false, firmware: false }
}

fn read(level: ReadLevel<frame_support::traits::ConstU32<8>>) -> crate::RightsOf<Test> {
	Rights { read: Some(level), ..no_rights() }
}

fn basics() -> ReadLevel<frame_support::traits::ConstU32<8>> {
	ReadLevel::Subset(b"basics".to_vec().try_into().expect("fits"))
}

/// Terms for `subject` on `object`, in force for the hour after `START`.
fn terms(
	subject: Subject<u64>,
	object: crate::ObjectOf<Test>,
	rights: crate::RightsOf<Test>,
) -> TestTerms {
	GrantTerms {
		subject,
		object,
		rights,
		valid_from: START,
		valid_until: START + HOUR,
		delegable: false,
	}
}

fn phone_login_on_lock() -> TestTerms {
	terms(Subject::UserDevice(PHONE), Object::Device(LOCK), login())
}

fn model(org: u32, name: &[u8]) -> crate::ObjectOf<Test> {
	Object::Model { org, model: name.to_vec().try_into().expect("fits") }
}

/// Issues `terms` by `by` and returns the grant's number.
fn issue(by: u64, terms: TestTerms) -> GrantId {
	let id = crate::NextGrantId::<Test>::get();
	assert_ok!(Grants::issue(origin(by), terms));
	assert!(GrantStore::<Test>::contains_key(id), "the grant was issued");
	id
}

fn phone_may_log_in() -> bool {
	Grants::may(&Subject::UserDevice(PHONE), Right::Login, &LOCK)
}

fn at(now: u64) {
	Timestamp::set_timestamp(now);
}

mod issue {
	use super::*;

	#[test]
	fn a_member_grants_a_phone_login_for_a_window() {
		run_test(|| {
			let id = issue(OWNER_MEMBER, phone_login_on_lock());
			System::assert_last_event(
				Event::GrantIssued {
					grant: id,
					terms: phone_login_on_lock(),
					owner: OWNER_ORG,
					parent: None,
					by: OWNER_MEMBER,
				}
				.into(),
			);
			assert!(phone_may_log_in());
			// Only the right granted, only on the device granted.
			assert!(!Grants::may(&Subject::UserDevice(PHONE), Right::Command, &LOCK));
			assert!(!Grants::may(&Subject::UserDevice(PHONE), Right::Login, &CAMERA));
			assert!(!Grants::may(&Subject::UserDevice([8; 32]), Right::Login, &LOCK));
		});
	}

	#[test]
	fn a_grant_is_in_force_only_inside_its_window() {
		run_test(|| {
			let mut later = phone_login_on_lock();
			later.valid_from = START + HOUR;
			later.valid_until = START + 2 * HOUR;
			issue(OWNER_ADMIN, later);
			assert!(!phone_may_log_in(), "before the window");
			at(START + HOUR);
			assert!(phone_may_log_in(), "at its first moment");
			at(START + 2 * HOUR - 1);
			assert!(phone_may_log_in(), "at its last moment");
			at(START + 2 * HOUR);
			assert!(!phone_may_log_in(), "the moment it ends, removed or not");
		});
	}

	#[test]
	fn a_grant_on_a_model_or_on_all_devices_covers_the_owners_devices_only() {
		run_test(|| {
			let phone = Subject::UserDevice(PHONE);
			issue(OWNER_ADMIN, terms(phone.clone(), model(OWNER_ORG, b"LOCK1"), login()));
			assert!(Grants::may(&phone, Right::Login, &LOCK));
			assert!(!Grants::may(&phone, Right::Login, &CAMERA), "another model");
			assert!(!Grants::may(&phone, Right::Login, &RIVAL_DEVICE), "another owner's lock");

			let auditor = Subject::Account(STRANGER);
			issue(
				OWNER_ADMIN,
				terms(auditor.clone(), Object::Organisation(OWNER_ORG), read(ReadLevel::Full)),
			);
			assert!(Grants::may(&auditor, Right::Read, &LOCK));
			assert!(Grants::may(&auditor, Right::Read, &CAMERA));
			assert!(!Grants::may(&auditor, Right::Read, &RIVAL_DEVICE));
		});
	}

	#[test]
	fn only_the_owner_issues_grants() {
		run_test(|| {
			for outsider in [RIVAL, CERTIFIER, STRANGER] {
				assert_noop!(
					Grants::issue(origin(outsider), phone_login_on_lock()),
					Error::<Test>::NotObjectOwner
				);
			}
			let on_owner = terms(Subject::Account(RIVAL), Object::Organisation(OWNER_ORG), login());
			assert_noop!(Grants::issue(origin(RIVAL), on_owner), Error::<Test>::NotObjectOwner);
		});
	}

	#[test]
	fn refuses_an_object_that_does_not_exist() {
		run_test(|| {
			let phone = Subject::UserDevice(PHONE);
			for object in [Object::Device([5; 32]), Object::Organisation(77), model(77, b"LOCK1")] {
				assert_noop!(
					Grants::issue(origin(OWNER_ADMIN), terms(phone.clone(), object, login())),
					Error::<Test>::ObjectNotFound
				);
			}
		});
	}

	#[test]
	fn refuses_terms_that_allow_nothing_or_have_no_sound_window() {
		run_test(|| {
			let mut nothing = phone_login_on_lock();
			nothing.rights = no_rights();
			assert_noop!(Grants::issue(origin(OWNER_ADMIN), nothing), Error::<Test>::NoRights);

			let mut empty = phone_login_on_lock();
			empty.valid_until = empty.valid_from;
			assert_noop!(Grants::issue(origin(OWNER_ADMIN), empty), Error::<Test>::BadWindow);

			let mut over = phone_login_on_lock();
			over.valid_from = START - 2 * HOUR;
			over.valid_until = START;
			assert_noop!(Grants::issue(origin(OWNER_ADMIN), over), Error::<Test>::BadWindow);

			let mut too_long = phone_login_on_lock();
			too_long.valid_until = START + MAX_LIFETIME + 1;
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), too_long),
				Error::<Test>::WindowTooLong
			);
			// A short window far ahead would never be swept: every grant ends within the
			// lifetime of now.
			let mut far_ahead = phone_login_on_lock();
			far_ahead.valid_from = u64::MAX - 1;
			far_ahead.valid_until = u64::MAX;
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), far_ahead),
				Error::<Test>::WindowTooLong
			);
			let mut longest = phone_login_on_lock();
			longest.valid_until = START + MAX_LIFETIME;
			assert_ok!(Grants::issue(origin(OWNER_ADMIN), longest));
		});
	}

	#[test]
	fn bounds_grants_per_object_subject_and_holding() {
		run_test(|| {
			let lock = Object::Device(LOCK);
			issue(OWNER_ADMIN, phone_login_on_lock());
			issue(OWNER_ADMIN, phone_login_on_lock());
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), phone_login_on_lock()),
				Error::<Test>::TooManyGrantsInHolding
			);
			issue(OWNER_ADMIN, terms(Subject::UserDevice([8; 32]), lock.clone(), login()));
			issue(OWNER_ADMIN, terms(Subject::UserDevice([9; 32]), lock.clone(), login()));
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), terms(Subject::Account(AGENCY), lock, login())),
				Error::<Test>::TooManyGrantsOnObject
			);
			// The phone holds two; a third on another object is its last.
			issue(OWNER_ADMIN, terms(Subject::UserDevice(PHONE), Object::Device(CAMERA), login()));
			let fourth =
				terms(Subject::UserDevice(PHONE), Object::Organisation(OWNER_ORG), login());
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), fourth),
				Error::<Test>::TooManyGrantsOfSubject
			);
			// The bound is per owner: one owner cannot use up what others may grant the phone.
			issue(RIVAL, terms(Subject::UserDevice(PHONE), Object::Device(RIVAL_DEVICE), login()));
		});
	}

	#[test]
	fn a_full_expiry_slot_spills_into_the_next_and_then_refuses() {
		run_test(|| {
			// Two grants a slot, eight slots: sixteen grants ending in the same minute.
			let objects = [
				Object::Device(LOCK),
				Object::Device(CAMERA),
				Object::Organisation(OWNER_ORG),
				model(OWNER_ORG, b"LOCK1"),
				model(OWNER_ORG, b"CAM1"),
			];
			let sixteen = objects.iter().flat_map(|object| [object; 4]).take(16);
			for (n, object) in sixteen.enumerate() {
				let subject = Subject::UserDevice([100 + n as u8; 32]);
				issue(OWNER_ADMIN, terms(subject, object.clone(), login()));
			}
			let first = (START + HOUR) / EXPIRY_SLOT_MS;
			for slot in first..first + 8 {
				assert_eq!(ExpiryQueue::<Test>::get(slot).len(), 2, "slot {slot} is full");
			}
			let one_more =
				terms(Subject::UserDevice([200; 32]), model(OWNER_ORG, b"CAM1"), login());
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), one_more),
				Error::<Test>::ExpiryQueueFull
			);
		});
	}
}

mod powerful {
	use super::*;

	fn certifier_registers_on_lock() -> TestTerms {
		terms(Subject::Organisation(CERTIFIER_ORG), Object::Device(LOCK), register())
	}

	#[test]
	fn a_powerful_grant_takes_a_majority_of_the_owners_admins() {
		run_test(|| {
			let terms = certifier_registers_on_lock();
			assert_ok!(Grants::issue(origin(OWNER_ADMIN), terms.clone()));
			System::assert_last_event(
				Event::GrantApproved {
					org: OWNER_ORG,
					terms: terms.clone(),
					parent: None,
					approvals: 1,
					by: OWNER_ADMIN,
				}
				.into(),
			);
			let certifier = Subject::Organisation(CERTIFIER_ORG);
			assert!(!Grants::may(&certifier, Right::Register, &LOCK), "one admin is not enough");
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), terms.clone()),
				Error::<Test>::AlreadyApproved
			);
			let id = issue(SECOND_ADMIN, terms);
			assert!(Grants::may(&certifier, Right::Register, &LOCK));
			assert!(PendingGrants::<Test>::get(OWNER_ORG).is_empty());
			assert_eq!(GrantStore::<Test>::get(id).expect("issued").issued_by, SECOND_ADMIN);
		});
	}

	#[test]
	fn a_member_or_an_admin_on_probation_does_not_approve_powerful_rights() {
		run_test(|| {
			assert_noop!(
				Grants::issue(origin(OWNER_MEMBER), certifier_registers_on_lock()),
				Error::<Test>::NotSettledAdmin
			);
			// The rival's only admin adds a second key of its own: on probation.
			assert_ok!(pallet_device_registry::testing::add_account_for_tests::<Test>(
				RIVAL,
				21,
				pallet_device_registry::testing::OrgRole::Admin,
			));
			let on_rival = terms(
				Subject::Organisation(CERTIFIER_ORG),
				Object::Device(RIVAL_DEVICE),
				register(),
			);
			assert_noop!(Grants::issue(origin(21), on_rival), Error::<Test>::NotSettledAdmin);
		});
	}

	#[test]
	fn approvals_of_an_account_no_longer_admin_stop_counting() {
		run_test(|| {
			let terms = certifier_registers_on_lock();
			assert_ok!(Grants::issue(origin(OWNER_ADMIN), terms.clone()));
			let admins = vec![SECOND_ADMIN, THIRD_ADMIN, 5].try_into().expect("three fit");
			assert_ok!(Devices::force_set_admins(RuntimeOrigin::root(), OWNER_ORG, admins));
			assert_ok!(Grants::issue(origin(SECOND_ADMIN), terms.clone()));
			let certifier = Subject::Organisation(CERTIFIER_ORG);
			assert!(
				!Grants::may(&certifier, Right::Register, &LOCK),
				"the removed admin's approval"
			);
			issue(THIRD_ADMIN, terms);
			assert!(Grants::may(&certifier, Right::Register, &LOCK));
		});
	}

	/// A certifier records as its organisation; a `register` grant to a key would go with the
	/// key to whatever organisation it joined next.
	#[test]
	fn register_is_granted_to_organisations_only() {
		run_test(|| {
			let to_key = terms(Subject::Account(CERTIFIER), Object::Device(LOCK), register());
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), to_key),
				Error::<Test>::RegisterNeedsOrganisation
			);
		});
	}

	#[test]
	fn a_former_admins_proposals_are_dropped() {
		run_test(|| {
			let terms = certifier_registers_on_lock();
			assert_ok!(Grants::issue(origin(OWNER_ADMIN), terms.clone()));
			let admins = vec![SECOND_ADMIN, THIRD_ADMIN, 5].try_into().expect("three fit");
			assert_ok!(Devices::force_set_admins(RuntimeOrigin::root(), OWNER_ORG, admins));
			assert_ok!(Grants::issue(origin(SECOND_ADMIN), terms.clone()));
			let pending = PendingGrants::<Test>::get(OWNER_ORG);
			assert_eq!(pending.len(), 1);
			assert_eq!(pending[0].proposer, SECOND_ADMIN, "a fresh proposal, the old one gone");
			assert_eq!(pending[0].approvals.to_vec(), vec![SECOND_ADMIN]);
		});
	}

	#[test]
	fn approvals_lapse_after_the_approval_window() {
		run_test(|| {
			let terms = certifier_registers_on_lock();
			assert_ok!(Grants::issue(origin(OWNER_ADMIN), terms.clone()));
			System::set_block_number(1 + APPROVAL_WINDOW + 1);
			assert_ok!(Grants::issue(origin(SECOND_ADMIN), terms.clone()));
			System::assert_last_event(
				Event::GrantApproved {
					org: OWNER_ORG,
					terms,
					parent: None,
					approvals: 1,
					by: SECOND_ADMIN,
				}
				.into(),
			);
		});
	}

	#[test]
	fn an_admin_has_at_most_two_proposals_open() {
		run_test(|| {
			for object in [Object::Device(LOCK), Object::Device(CAMERA)] {
				let proposal = terms(Subject::Organisation(CERTIFIER_ORG), object, register());
				assert_ok!(Grants::issue(origin(OWNER_ADMIN), proposal));
			}
			let third = terms(
				Subject::Organisation(CERTIFIER_ORG),
				Object::Organisation(OWNER_ORG),
				register(),
			);
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), third.clone()),
				Error::<Test>::TooManyPendingGrants
			);
			// Another admin still proposes.
			assert_ok!(Grants::issue(origin(SECOND_ADMIN), third));
		});
	}
}

mod delegate {
	use super::*;

	/// The owner grants the agency `login` on the lock for the hour, delegable.
	fn agency_grant() -> GrantId {
		let mut contract = terms(Subject::Account(AGENCY), Object::Device(LOCK), login());
		contract.delegable = true;
		issue(OWNER_ADMIN, contract)
	}

	fn tenant_stay() -> TestTerms {
		let mut stay = phone_login_on_lock();
		stay.valid_from = START + HOUR / 4;
		stay.valid_until = START + HOUR / 2;
		stay
	}

	#[test]
	fn an_agency_re_grants_a_lock_to_a_tenant_inside_its_own_dates() {
		run_test(|| {
			let contract = agency_grant();
			let id = crate::NextGrantId::<Test>::get();
			assert_ok!(Grants::delegate(origin(AGENCY), contract, tenant_stay()));
			System::assert_last_event(
				Event::GrantIssued {
					grant: id,
					terms: tenant_stay(),
					owner: OWNER_ORG,
					parent: Some(contract),
					by: AGENCY,
				}
				.into(),
			);
			assert!(!phone_may_log_in(), "before the stay");
			at(START + HOUR / 4);
			assert!(phone_may_log_in(), "during the stay");
			at(START + HOUR / 2);
			assert!(!phone_may_log_in(), "after the stay");
		});
	}

	#[test]
	fn a_delegated_grant_falls_with_its_parent() {
		run_test(|| {
			let contract = agency_grant();
			assert_ok!(Grants::delegate(origin(AGENCY), contract, tenant_stay()));
			at(START + HOUR / 4);
			assert!(phone_may_log_in());
			assert_ok!(Grants::revoke(origin(OWNER_ADMIN), contract));
			assert!(!phone_may_log_in(), "the agency's contract was revoked");
		});
	}

	#[test]
	fn refuses_delegating_beyond_the_parent() {
		run_test(|| {
			let contract = agency_grant();
			let mut more_rights = tenant_stay();
			more_rights.rights.command = true;
			let mut longer = tenant_stay();
			longer.valid_until = START + 2 * HOUR;
			let mut earlier = tenant_stay();
			earlier.valid_from = START - 1;
			let mut wider = tenant_stay();
			wider.object = Object::Organisation(OWNER_ORG);
			let mut other_device = tenant_stay();
			other_device.object = Object::Device(CAMERA);
			for beyond in [more_rights, longer, earlier, wider, other_device] {
				assert_noop!(
					Grants::delegate(origin(AGENCY), contract, beyond),
					Error::<Test>::BeyondParentGrant
				);
			}
		});
	}

	#[test]
	fn a_read_level_is_delegated_at_most_as_high_as_held() {
		run_test(|| {
			let mut doctor =
				terms(Subject::Account(AGENCY), Object::Device(CAMERA), read(basics()));
			doctor.delegable = true;
			let parent = issue(OWNER_ADMIN, doctor);
			let full =
				terms(Subject::Account(STRANGER), Object::Device(CAMERA), read(ReadLevel::Full));
			assert_noop!(
				Grants::delegate(origin(AGENCY), parent, full),
				Error::<Test>::BeyondParentGrant
			);
			let same = terms(Subject::Account(STRANGER), Object::Device(CAMERA), read(basics()));
			assert_ok!(Grants::delegate(origin(AGENCY), parent, same));
			assert!(Grants::may(&Subject::Account(STRANGER), Right::Read, &CAMERA));
		});
	}

	#[test]
	fn only_the_subject_delegates_a_delegable_grant() {
		run_test(|| {
			let fixed =
				issue(OWNER_ADMIN, terms(Subject::Account(AGENCY), Object::Device(LOCK), login()));
			assert_noop!(
				Grants::delegate(origin(AGENCY), fixed, tenant_stay()),
				Error::<Test>::NotDelegable
			);
			let contract = agency_grant();
			assert_noop!(
				Grants::delegate(origin(STRANGER), contract, tenant_stay()),
				Error::<Test>::NotGrantSubject
			);
			let mut phone_delegable = phone_login_on_lock();
			phone_delegable.delegable = true;
			let phones = issue(OWNER_ADMIN, phone_delegable);
			assert_noop!(
				Grants::delegate(origin(AGENCY), phones, tenant_stay()),
				Error::<Test>::NotGrantSubject
			);
			assert_noop!(
				Grants::delegate(origin(AGENCY), 999, tenant_stay()),
				Error::<Test>::GrantNotFound
			);
		});
	}

	#[test]
	fn an_organisation_delegates_through_its_staff() {
		run_test(|| {
			let mut to_certifier =
				terms(Subject::Organisation(CERTIFIER_ORG), Object::Device(LOCK), login());
			to_certifier.delegable = true;
			let parent = issue(OWNER_ADMIN, to_certifier);
			assert_noop!(
				Grants::delegate(origin(RIVAL), parent, tenant_stay()),
				Error::<Test>::NotGrantSubject
			);
			assert_ok!(Grants::delegate(origin(CERTIFIER), parent, tenant_stay()));
		});
	}

	#[test]
	fn refuses_a_parent_out_of_force_or_too_deep() {
		run_test(|| {
			let mut later = terms(Subject::Account(AGENCY), Object::Device(LOCK), login());
			later.valid_from = START + HOUR / 2;
			later.delegable = true;
			let waiting = issue(OWNER_ADMIN, later);
			let mut inside = phone_login_on_lock();
			inside.valid_from = START + HOUR / 2;
			assert_noop!(
				Grants::delegate(origin(AGENCY), waiting, inside),
				Error::<Test>::ParentNotInForce
			);

			// The owner's grant, then two steps: the most the mock allows.
			let contract = agency_grant();
			let mut step = terms(Subject::Account(STRANGER), Object::Device(LOCK), login());
			step.delegable = true;
			let first = crate::NextGrantId::<Test>::get();
			assert_ok!(Grants::delegate(origin(AGENCY), contract, step.clone()));
			step.subject = Subject::Account(RIVAL);
			let second = crate::NextGrantId::<Test>::get();
			assert_ok!(Grants::delegate(origin(STRANGER), first, step));
			assert_noop!(
				Grants::delegate(origin(RIVAL), second, tenant_stay()),
				Error::<Test>::DelegationTooDeep
			);
		});
	}
}

mod revoke {
	use super::*;

	#[test]
	fn the_owner_revokes_at_once() {
		run_test(|| {
			let id = issue(OWNER_ADMIN, phone_login_on_lock());
			assert_ok!(Grants::revoke(origin(OWNER_MEMBER), id));
			System::assert_last_event(
				Event::GrantRevoked { grant: id, by: Some(OWNER_MEMBER) }.into(),
			);
			assert!(!phone_may_log_in());
			assert!(!GrantStore::<Test>::contains_key(id));
			assert!(
				Holdings::<Test>::get(Object::Device(LOCK), Subject::UserDevice(PHONE)).is_empty()
			);
			assert_eq!(ObjectGrantCount::<Test>::get(Object::Device(LOCK)), 0);
			assert!(SubjectGrants::<Test>::get(Subject::UserDevice(PHONE), OWNER_ORG).is_empty());
			assert!(ExpiryQueue::<Test>::iter().next().is_none(), "it left its expiry slot");
		});
	}

	#[test]
	fn the_delegator_and_the_subject_revoke_but_nobody_else() {
		run_test(|| {
			let mut contract = terms(Subject::Account(AGENCY), Object::Device(LOCK), login());
			contract.delegable = true;
			let contract = issue(OWNER_ADMIN, contract);
			let to_stranger = terms(Subject::Account(STRANGER), Object::Device(LOCK), login());
			let child = crate::NextGrantId::<Test>::get();
			assert_ok!(Grants::delegate(origin(AGENCY), contract, to_stranger.clone()));
			assert_noop!(Grants::revoke(origin(RIVAL), child), Error::<Test>::NotAllowedToRevoke);
			assert_noop!(
				Grants::revoke(origin(CERTIFIER), child),
				Error::<Test>::NotAllowedToRevoke
			);
			assert_ok!(Grants::revoke(origin(AGENCY), child));

			let again = crate::NextGrantId::<Test>::get();
			assert_ok!(Grants::delegate(origin(AGENCY), contract, to_stranger));
			// The subject renounces it.
			assert_ok!(Grants::revoke(origin(STRANGER), again));
			assert_noop!(Grants::revoke(origin(AGENCY), again), Error::<Test>::GrantNotFound);
		});
	}

	#[test]
	fn governance_revokes_any_grant() {
		run_test(|| {
			let id = issue(OWNER_ADMIN, phone_login_on_lock());
			assert_noop!(Grants::force_revoke(origin(OWNER_ADMIN), id), DispatchError::BadOrigin);
			assert_ok!(Grants::force_revoke(RuntimeOrigin::root(), id));
			System::assert_last_event(Event::GrantRevoked { grant: id, by: None }.into());
			assert!(!phone_may_log_in());
		});
	}
}

mod ownership {
	use super::*;

	fn transfer_lock_to_rival() {
		assert_ok!(Devices::offer_transfer(origin(OWNER_ADMIN), LOCK, RIVAL_ORG));
		assert_ok!(Devices::accept_transfer(origin(RIVAL), LOCK, None));
	}

	#[test]
	fn a_transferred_device_leaves_its_grants_behind() {
		run_test(|| {
			let old = issue(OWNER_ADMIN, phone_login_on_lock());
			transfer_lock_to_rival();
			assert!(!phone_may_log_in(), "the old owner's grant no longer speaks for the lock");
			assert_noop!(
				Grants::issue(origin(OWNER_ADMIN), phone_login_on_lock()),
				Error::<Test>::NotObjectOwner
			);
			issue(RIVAL, phone_login_on_lock());
			assert!(phone_may_log_in(), "the new owner's does");
			// The new owner clears what the old one left on its lock.
			assert_ok!(Grants::revoke(origin(RIVAL), old));
		});
	}

	#[test]
	fn a_grant_left_behind_is_delegated_no_further() {
		run_test(|| {
			let mut contract = terms(Subject::Account(AGENCY), Object::Device(LOCK), login());
			contract.delegable = true;
			let contract = issue(OWNER_ADMIN, contract);
			transfer_lock_to_rival();
			assert_noop!(
				Grants::delegate(origin(AGENCY), contract, phone_login_on_lock()),
				Error::<Test>::ParentNotInForce
			);
		});
	}

	#[test]
	fn a_suspended_device_honours_no_grant() {
		run_test(|| {
			issue(OWNER_ADMIN, phone_login_on_lock());
			assert_ok!(Devices::suspend_device(origin(OWNER_ADMIN), LOCK));
			assert!(!phone_may_log_in());
		});
	}
}

mod expiry {
	use super::*;

	/// Runs blocks `blocks` at time `now`.
	fn run_blocks(blocks: core::ops::RangeInclusive<u64>, now: u64) {
		for block in blocks {
			run_to(block, now);
		}
	}

	#[test]
	fn expired_grants_are_removed_with_an_event_a_bounded_number_per_block() {
		run_test(|| {
			let ids: Vec<GrantId> = [[7; 32], [8; 32], [9; 32]]
				.into_iter()
				.map(|phone| {
					let lock = Object::Device(LOCK);
					issue(OWNER_ADMIN, terms(Subject::UserDevice(phone), lock, login()))
				})
				.collect();
			// The chain runs through the hour; the sweep reaches the minute the grants end in
			// (eight slots a block) before any of it is over.
			run_blocks(2..=10, START + HOUR + 1);
			assert!(ids.iter().all(|id| GrantStore::<Test>::contains_key(id)), "not over yet");
			System::reset_events();
			// The first two fill the slot of their minute; the third spilled into the next.
			let later = START + HOUR + 2 * EXPIRY_SLOT_MS;
			run_blocks(11..=12, later);
			// Two a block in the mock.
			let expired: Vec<_> = System::events()
				.into_iter()
				.filter_map(|record| match record.event {
					RuntimeEvent::Grants(Event::GrantExpired { grant }) => Some(grant),
					_ => None,
				})
				.collect();
			assert_eq!(expired, ids[..2].to_vec());
			run_to(13, later + 6_000);
			System::assert_last_event(Event::GrantExpired { grant: ids[2] }.into());
			assert_eq!(ObjectGrantCount::<Test>::get(Object::Device(LOCK)), 0);
			assert_eq!(ExpiryQueue::<Test>::iter().count(), 0);
		});
	}

	#[test]
	fn a_revoked_grant_leaves_its_slot_and_nothing_for_the_sweep() {
		run_test(|| {
			let id = issue(OWNER_ADMIN, phone_login_on_lock());
			assert_ok!(Grants::revoke(origin(OWNER_ADMIN), id));
			assert_eq!(ExpiryQueue::<Test>::iter().count(), 0);
			System::reset_events();
			run_blocks(2..=11, START + 2 * HOUR);
			assert!(System::events().is_empty(), "no grant expired: the only one was revoked");
			assert!(NextExpirySlot::<Test>::get() > Some((START + HOUR) / EXPIRY_SLOT_MS));
		});
	}

	/// The genesis block has no time: starting the sweep there would start it in 1970, and it
	/// would crawl for months through empty minutes.
	#[test]
	fn the_sweep_starts_with_the_first_block_that_has_a_time() {
		run_test(|| {
			assert_eq!(NextExpirySlot::<Test>::get(), None, "block 1 ran at no time");
			run_to(2, START + 6_000);
			assert_eq!(NextExpirySlot::<Test>::get(), Some(START / EXPIRY_SLOT_MS));
		});
	}

	#[test]
	fn a_chain_that_stood_still_catches_up_over_blocks() {
		run_test(|| {
			run_to(2, START + 100 * EXPIRY_SLOT_MS);
			let first = NextExpirySlot::<Test>::get().expect("set by the first block with a time");
			run_to(3, START + 100 * EXPIRY_SLOT_MS + 6_000);
			assert_eq!(NextExpirySlot::<Test>::get(), Some(first + 8), "eight slots a block");
		});
	}
}

mod queries {
	use super::*;

	#[test]
	fn lists_an_objects_and_a_subjects_grants_by_page() {
		run_test(|| {
			let lock = Object::Device(LOCK);
			let a = issue(OWNER_ADMIN, terms(Subject::UserDevice(PHONE), lock.clone(), login()));
			let b = issue(OWNER_ADMIN, terms(Subject::UserDevice([8; 32]), lock.clone(), login()));
			let c = issue(
				OWNER_ADMIN,
				terms(Subject::UserDevice(PHONE), Object::Device(CAMERA), login()),
			);
			let ids = |page: Vec<(GrantId, crate::GrantOf<Test>)>| {
				page.into_iter().map(|(id, _)| id).collect::<Vec<_>>()
			};
			assert_eq!(ids(Grants::grants_of_object(&lock, None, 10)), vec![a, b]);
			assert_eq!(ids(Grants::grants_of_object(&lock, None, 1)), vec![a]);
			assert_eq!(ids(Grants::grants_of_object(&lock, Some(a), 10)), vec![b]);
			let phone = Subject::UserDevice(PHONE);
			assert_eq!(ids(Grants::grants_of_subject(&phone, None, 10)), vec![a, c]);
			assert_eq!(ids(Grants::grants_of_subject(&phone, Some(a), 10)), vec![c]);
			assert_eq!(ids(Grants::grants_in_force(&phone, &LOCK)), vec![a]);
		});
	}
}

mod rules {
	use super::*;

	#[test]
	fn powerful_rights_are_register_command_and_firmware() {
		assert!(register().is_powerful());
		assert!(Rights::<frame_support::traits::ConstU32<8>> { command: true, ..no_rights() }
			.is_powerful());
		assert!(Rights::<frame_support::traits::ConstU32<8>> { firmware: true, ..no_rights() }
			.is_powerful());
		assert!(!login().is_powerful());
		assert!(!read(ReadLevel::Full).is_powerful());
	}

	#[test]
	fn the_full_level_covers_every_subset_and_a_subset_only_itself() {
		let other = ReadLevel::Subset(b"steps".to_vec().try_into().expect("fits"));
		assert!(ReadLevel::Full.covers(&basics()));
		assert!(basics().covers(&basics()));
		assert!(!basics().covers(&other));
		assert!(!basics().covers(&ReadLevel::Full));
	}
}
