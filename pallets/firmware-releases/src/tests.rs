//! One test per behaviour of each call, and per error it can return; then fleet status.

use crate::{mock::*, *};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, traits::Get, BoundedVec};
use pallet_device_registry::{testing::OrgRole, DeviceId, DeviceRegistry, FirmwareVersion};
use sp_runtime::{DispatchError, DispatchResult};

const IMAGE: Sha256 = [0xaa; 32];

fn origin(account: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(account)
}

fn v(major: u16, minor: u16, patch: u16) -> FirmwareVersion {
	FirmwareVersion { major, minor, patch }
}

/// `LOCK1` claimed for the manufacturer by governance (the operator's devices already use it).
fn claim_lock_model() {
	assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 0));
}

/// The model claimed, and approvers A and B, both needed, set by the manufacturer's two admins.
fn two_of_two() {
	claim_lock_model();
	assert_ok!(Firmware::propose_approvers(origin(MAKER), vec![APPROVER_A, APPROVER_B], 2));
	assert_ok!(Firmware::approve_approver_change(origin(SECOND_ADMIN)));
}

/// The model claimed, and `approvers` at `threshold` set by governance (which alone may set 1).
fn governed_approvers(approvers: Vec<u64>, threshold: u32) {
	claim_lock_model();
	assert_ok!(Firmware::force_set_approvers(RuntimeOrigin::root(), 0, approvers, threshold));
}

fn approvers_of(org: u32) -> Option<(Vec<u64>, u32)> {
	Approvers::<Test>::get(org).map(|set| (set.approvers.to_vec(), set.threshold))
}

fn publish_as(caller: u64, version: FirmwareVersion) -> DispatchResult {
	publish_model_as(caller, MODEL, version)
}

fn publish_model_as(caller: u64, model: &[u8], version: FirmwareVersion) -> DispatchResult {
	Firmware::publish(
		origin(caller),
		model.to_vec(),
		version,
		IMAGE,
		1024,
		b"https://fw/1".to_vec(),
		None,
		None,
	)
}

/// Publishes `version` of `LOCK1` and returns its id.
fn publish(version: FirmwareVersion) -> ReleaseId {
	let id = NextReleaseId::<Test>::get();
	assert_ok!(publish_as(MAKER, version));
	id
}

/// Publishes and fully approves `version`.
fn activate(version: FirmwareVersion) -> ReleaseId {
	let id = publish(version);
	assert_ok!(Firmware::approve(origin(APPROVER_A), id));
	assert_ok!(Firmware::approve(origin(APPROVER_B), id));
	id
}

/// Yanks `release` with the approvals of both approvers of [`two_of_two`].
fn yank_by_approvers(release: ReleaseId, reason: YankReason) {
	assert_ok!(Firmware::yank(origin(APPROVER_A), release, reason));
	assert_ok!(Firmware::yank(origin(APPROVER_B), release, reason));
}

fn status(id: ReleaseId) -> ReleaseStatus<u64> {
	Releases::<Test>::get(id).unwrap().status
}

fn install(reporter: u64, release: ReleaseId) -> DispatchResult {
	Firmware::report_update(origin(reporter), DEVICE, release, UpdateOutcome::Installed, IMAGE)
}

mod propose_approvers {
	use super::*;

	#[test]
	fn the_first_set_needs_two_distinct_admins() {
		run_test(|| {
			assert_ok!(Firmware::propose_approvers(origin(MAKER), vec![APPROVER_A, APPROVER_B], 2));
			System::assert_last_event(
				Event::ApproverChangeApproved { org: 0, by: MAKER, approvals: 1 }.into(),
			);
			// One admin alone has set nothing.
			assert_eq!(approvers_of(0), None);
			assert_noop!(
				Firmware::approve_approver_change(origin(MAKER)),
				Error::<Test>::AlreadyApproved
			);
			assert_ok!(Firmware::approve_approver_change(origin(SECOND_ADMIN)));
			System::assert_last_event(
				Event::ApproversSet {
					org: 0,
					approvers: vec![APPROVER_A, APPROVER_B],
					threshold: 2,
					authority: ApproverAuthority::Admins,
				}
				.into(),
			);
			assert_eq!(approvers_of(0), Some((vec![APPROVER_A, APPROVER_B], 2)));
			assert!(PendingApproverChanges::<Test>::get(0).is_none());
		});
	}

	/// The attack of one admin key: add a second admin it controls (its own fresh key, which
	/// consents), then approve the first approver set with it at once. The puppet counts only
	/// after the registry's probation, time in which the consortium sees `AdminAdded` and can
	/// suspend the organisation or set its admins.
	#[test]
	fn an_admin_added_by_its_co_admin_approves_no_first_set_during_its_probation() {
		run_test(|| {
			const PUPPET: u64 = 31;
			assert_ok!(pallet_device_registry::testing::add_account_for_tests::<Test>(
				RIVAL,
				PUPPET,
				OrgRole::Admin,
			));
			assert_ok!(Firmware::propose_approvers(origin(RIVAL), vec![RIVAL, PUPPET], 2));
			assert_noop!(
				Firmware::approve_approver_change(origin(PUPPET)),
				Error::<Test>::NotAllowedToApproveChange
			);
			assert_eq!(approvers_of(2), None);

			let probation: u32 = <Test as pallet_device_registry::Config>::NewAdminProbation::get();
			System::set_block_number(1 + u64::from(probation));
			// Proposed afresh: the approval window of the first proposal is the firmware's own.
			assert_ok!(Firmware::propose_approvers(origin(RIVAL), vec![RIVAL, PUPPET], 2));
			assert_ok!(Firmware::approve_approver_change(origin(PUPPET)));
			assert_eq!(approvers_of(2), Some((vec![RIVAL, PUPPET], 2)));
		});
	}

	/// The attack of a stolen admin key: name itself sole approver, then publish.
	#[test]
	fn one_admin_cannot_make_itself_the_sole_approver() {
		run_test(|| {
			claim_lock_model();
			assert_noop!(
				Firmware::propose_approvers(origin(MAKER), vec![MAKER], 1),
				Error::<Test>::BadThreshold
			);
			assert_ok!(Firmware::propose_approvers(origin(MAKER), vec![MAKER, APPROVER_A], 2));
			assert_noop!(publish_as(MAKER, v(1, 1, 0)), Error::<Test>::NoApprovers);
			// Members may not stand in for the second admin.
			assert_noop!(
				Firmware::approve_approver_change(origin(APPROVER_A)),
				Error::<Test>::NotAllowedToApproveChange
			);
		});
	}

	#[test]
	fn a_change_needs_the_current_approvers_at_their_threshold() {
		run_test(|| {
			two_of_two();
			// An admin proposes; admins no longer approve changes once approvers exist.
			assert_ok!(Firmware::propose_approvers(origin(MAKER), vec![MAKER, APPROVER_A], 2));
			assert_noop!(
				Firmware::approve_approver_change(origin(SECOND_ADMIN)),
				Error::<Test>::NotAllowedToApproveChange
			);
			assert_ok!(Firmware::approve_approver_change(origin(APPROVER_A)));
			assert_eq!(approvers_of(0), Some((vec![APPROVER_A, APPROVER_B], 2)));
			assert_ok!(Firmware::approve_approver_change(origin(APPROVER_B)));
			System::assert_last_event(
				Event::ApproversSet {
					org: 0,
					approvers: vec![MAKER, APPROVER_A],
					threshold: 2,
					authority: ApproverAuthority::Approvers,
				}
				.into(),
			);
		});
	}

	#[test]
	fn an_approver_removed_from_the_organisation_no_longer_counts_for_a_change() {
		run_test(|| {
			two_of_two();
			assert_ok!(Firmware::propose_approvers(origin(APPROVER_A), vec![MAKER, APPROVER_A], 2));
			assert_ok!(Devices::remove_member(origin(MAKER), APPROVER_B));
			// B left, so the set can no longer reach its threshold by itself: governance steps in.
			assert_noop!(
				Firmware::approve_approver_change(origin(APPROVER_B)),
				Error::<Test>::NotManufacturerAccount
			);
			assert_ok!(Firmware::force_set_approvers(
				RuntimeOrigin::root(),
				0,
				vec![MAKER, APPROVER_A],
				2
			));
			assert!(PendingApproverChanges::<Test>::get(0).is_none());
		});
	}

	#[test]
	fn a_change_not_approved_within_the_window_lapses() {
		run_test(|| {
			assert_ok!(Firmware::propose_approvers(origin(MAKER), vec![APPROVER_A, APPROVER_B], 2));
			System::set_block_number(12);
			assert_noop!(
				Firmware::approve_approver_change(origin(SECOND_ADMIN)),
				Error::<Test>::ApprovalWindowClosed
			);
		});
	}

	#[test]
	fn refuses_members_other_organisations_and_strangers() {
		run_test(|| {
			assert_noop!(
				Firmware::propose_approvers(origin(APPROVER_A), vec![APPROVER_A, APPROVER_B], 2),
				Error::<Test>::NotAllowedToPropose
			);
			for caller in [OPERATOR, STRANGER] {
				assert_noop!(
					Firmware::propose_approvers(origin(caller), vec![APPROVER_A, APPROVER_B], 2),
					Error::<Test>::NotManufacturerAccount
				);
			}
			assert_noop!(
				Firmware::approve_approver_change(origin(MAKER)),
				Error::<Test>::NoApproverChange
			);
		});
	}

	#[test]
	fn refuses_bad_thresholds() {
		run_test(|| {
			for threshold in [0, 1, 3] {
				assert_noop!(
					Firmware::propose_approvers(
						origin(MAKER),
						vec![APPROVER_A, APPROVER_B],
						threshold
					),
					Error::<Test>::BadThreshold
				);
			}
		});
	}

	#[test]
	fn refuses_outsiders_duplicates_and_too_many() {
		run_test(|| {
			assert_noop!(
				Firmware::propose_approvers(origin(MAKER), vec![APPROVER_A, RIVAL], 2),
				Error::<Test>::BadApprover
			);
			assert_noop!(
				Firmware::propose_approvers(origin(MAKER), vec![APPROVER_A, APPROVER_A], 2),
				Error::<Test>::BadApprover
			);
			assert_noop!(
				Firmware::propose_approvers(
					origin(MAKER),
					vec![MAKER, APPROVER_A, APPROVER_B, 4],
					2
				),
				Error::<Test>::TooManyApprovers
			);
		});
	}
}

mod force_set_approvers {
	use super::*;

	#[test]
	fn governance_alone_sets_a_threshold_of_one_and_the_event_says_so() {
		run_test(|| {
			assert_ok!(Firmware::force_set_approvers(
				RuntimeOrigin::root(),
				0,
				vec![APPROVER_A],
				1
			));
			System::assert_last_event(
				Event::ApproversSet {
					org: 0,
					approvers: vec![APPROVER_A],
					threshold: 1,
					authority: ApproverAuthority::Governance,
				}
				.into(),
			);
			assert_noop!(
				Firmware::force_set_approvers(origin(MAKER), 0, vec![APPROVER_A], 1),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn refuses_non_manufacturers_and_bad_sets() {
		run_test(|| {
			assert_noop!(
				Firmware::force_set_approvers(RuntimeOrigin::root(), 1, vec![OPERATOR], 1),
				Error::<Test>::NotManufacturer
			);
			assert_noop!(
				Firmware::force_set_approvers(RuntimeOrigin::root(), 0, vec![APPROVER_A], 0),
				Error::<Test>::BadThreshold
			);
			assert_noop!(
				Firmware::force_set_approvers(RuntimeOrigin::root(), 0, vec![OPERATOR], 1),
				Error::<Test>::BadApprover
			);
		});
	}
}

mod claim_model {
	use super::*;

	#[test]
	fn an_admin_claims_a_model_no_other_organisation_uses() {
		run_test(|| {
			assert_ok!(Firmware::claim_model(origin(MAKER), b"NEW1".to_vec()));
			System::assert_last_event(
				Event::ModelClaimed {
					model: b"NEW1".to_vec(),
					org: 0,
					authority: ClaimAuthority::Manufacturer,
					previous: None,
				}
				.into(),
			);
			assert_noop!(
				Firmware::claim_model(origin(RIVAL), b"NEW1".to_vec()),
				Error::<Test>::ModelAlreadyClaimed
			);
		});
	}

	/// The attack: a rival manufacturer claims a model deployed in someone else's fleet, to push
	/// its own firmware to those devices.
	#[test]
	fn a_model_other_organisations_devices_use_is_refused() {
		run_test(|| {
			assert_noop!(
				Firmware::claim_model(origin(RIVAL), MODEL.to_vec()),
				Error::<Test>::ModelInUse
			);
			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 0));
			// Assigning it to its holder again has nothing to do.
			assert_noop!(
				Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 0),
				Error::<Test>::ModelAlreadyClaimed
			);
		});
	}

	#[test]
	fn refuses_members_other_roles_bad_models_and_other_origins() {
		run_test(|| {
			for caller in [APPROVER_A, OPERATOR, STRANGER] {
				assert_noop!(
					Firmware::claim_model(origin(caller), b"NEW1".to_vec()),
					Error::<Test>::NotManufacturerAdmin
				);
			}
			assert_noop!(Firmware::claim_model(origin(MAKER), vec![]), Error::<Test>::BadModel);
			assert_noop!(
				Firmware::claim_model(origin(MAKER), b"TOO-LONG-MODEL".to_vec()),
				Error::<Test>::BadModel
			);
			assert_noop!(
				Firmware::force_claim_model(origin(MAKER), b"NEW1".to_vec(), 0),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Firmware::force_claim_model(RuntimeOrigin::root(), b"NEW1".to_vec(), 1),
				Error::<Test>::NotManufacturer
			);
		});
	}
}

mod withdraw {
	use super::*;

	#[test]
	fn the_manufacturer_withdraws_a_pending_release_and_frees_its_place() {
		run_test(|| {
			two_of_two();
			for patch in 1..=4 {
				publish(v(1, 1, patch));
			}
			assert_noop!(publish_as(MAKER, v(1, 1, 5)), Error::<Test>::TooManyReleases);
			assert_ok!(Firmware::withdraw(origin(APPROVER_A), 0));
			System::assert_last_event(Event::Withdrawn { release: 0, by: APPROVER_A }.into());
			assert!(Releases::<Test>::get(0).is_none());
			assert_ok!(publish_as(MAKER, v(1, 1, 5)));
			assert_noop!(Firmware::withdraw(origin(MAKER), 0), Error::<Test>::ReleaseNotFound);
		});
	}

	#[test]
	fn anyone_clears_a_release_whose_window_closed_but_not_before() {
		run_test(|| {
			two_of_two();
			let id = publish(v(1, 1, 0));
			assert_noop!(
				Firmware::withdraw(origin(RIVAL), id),
				Error::<Test>::NotAllowedToWithdraw
			);
			System::set_block_number(12);
			assert_noop!(
				Firmware::approve(origin(APPROVER_A), id),
				Error::<Test>::ApprovalWindowClosed
			);
			assert_ok!(Firmware::withdraw(origin(STRANGER), id));
		});
	}

	#[test]
	fn active_releases_are_yanked_not_withdrawn() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_noop!(Firmware::withdraw(origin(MAKER), id), Error::<Test>::NotPending);
		});
	}
}

mod publish {
	use super::*;

	#[test]
	fn a_release_waits_for_its_threshold_then_activates() {
		run_test(|| {
			two_of_two();
			let id = publish(v(1, 1, 0));
			System::assert_last_event(
				Event::Published {
					release: id,
					org: 0,
					model: MODEL.to_vec(),
					version: v(1, 1, 0),
					image_sha256: IMAGE,
					by: MAKER,
				}
				.into(),
			);
			// The publisher is not an approver: no approval yet.
			assert_eq!(status(id), ReleaseStatus::Pending);
			assert!(Releases::<Test>::get(id).unwrap().approvals.is_empty());
			assert_ok!(Firmware::approve(origin(APPROVER_A), id));
			System::assert_last_event(
				Event::Approved { release: id, by: APPROVER_A, approvals: 1 }.into(),
			);
			// Below the threshold nothing can be installed.
			assert_noop!(install(DEVICE_ACCOUNT, id), Error::<Test>::NotActive);
			System::set_block_number(4);
			assert_ok!(Firmware::approve(origin(APPROVER_B), id));
			System::assert_last_event(Event::Activated { release: id }.into());
			assert_eq!(status(id), ReleaseStatus::Active { since: 4 });
			assert_eq!(
				Models::<Test>::get(ModelOf::<Test>::try_from(MODEL.to_vec()).unwrap())
					.unwrap()
					.highest_active,
				Some((v(1, 1, 0), id))
			);
		});
	}

	#[test]
	fn an_approver_publishing_counts_as_an_approval() {
		run_test(|| {
			governed_approvers(vec![MAKER, APPROVER_A], 2);
			let id = publish(v(1, 1, 0));
			assert_eq!(Releases::<Test>::get(id).unwrap().approvals.to_vec(), vec![MAKER]);
			assert_ok!(Firmware::approve(origin(APPROVER_A), id));
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
		});
	}

	#[test]
	fn with_a_governed_threshold_of_one_an_approver_publishes_an_active_release() {
		run_test(|| {
			governed_approvers(vec![APPROVER_A], 1);
			let id = NextReleaseId::<Test>::get();
			assert_ok!(publish_as(APPROVER_A, v(1, 1, 0)));
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
		});
	}

	#[test]
	fn versions_only_go_up() {
		run_test(|| {
			two_of_two();
			activate(v(1, 2, 0));
			for version in [v(1, 2, 0), v(1, 1, 9), v(0, 9, 0)] {
				assert_noop!(publish_as(MAKER, version), Error::<Test>::VersionNotAboveActive);
			}
			assert_ok!(publish_as(MAKER, v(1, 2, 1)));
		});
	}

	#[test]
	fn a_lower_pending_release_cannot_activate_after_a_higher_one() {
		run_test(|| {
			two_of_two();
			let lower = publish(v(1, 1, 0));
			assert_ok!(Firmware::approve(origin(APPROVER_A), lower));
			activate(v(1, 2, 0));
			assert_noop!(
				Firmware::approve(origin(APPROVER_B), lower),
				Error::<Test>::VersionNotAboveActive
			);
		});
	}

	#[test]
	fn refuses_accounts_that_are_not_of_a_manufacturer() {
		run_test(|| {
			two_of_two();
			for caller in [OPERATOR, DEVICE_ACCOUNT, STRANGER] {
				assert_noop!(publish_as(caller, v(1, 1, 0)), Error::<Test>::NotManufacturerAccount);
			}
		});
	}

	#[test]
	fn refuses_a_manufacturer_without_approvers() {
		run_test(|| {
			claim_lock_model();
			assert_noop!(publish_as(MAKER, v(1, 1, 0)), Error::<Test>::NoApprovers);
		});
	}

	#[test]
	fn refuses_another_manufacturers_model() {
		run_test(|| {
			two_of_two();
			publish(v(1, 1, 0));
			assert_ok!(Firmware::force_set_approvers(RuntimeOrigin::root(), 2, vec![RIVAL], 1));
			assert_noop!(publish_as(RIVAL, v(9, 0, 0)), Error::<Test>::ModelOfAnotherManufacturer);
			assert_noop!(
				Firmware::publish(
					origin(RIVAL),
					b"CAM9".to_vec(),
					v(1, 0, 0),
					IMAGE,
					1,
					b"u".to_vec(),
					None,
					None
				),
				Error::<Test>::ModelNotClaimed
			);
		});
	}

	#[test]
	fn refuses_bad_models_uris_sizes_and_past_expiry() {
		run_test(|| {
			two_of_two();
			System::set_block_number(5);
			let attempt = |model: &[u8], size: u64, uri: &[u8], expires_at: Option<u64>| {
				Firmware::publish(
					origin(MAKER),
					model.to_vec(),
					v(1, 1, 0),
					IMAGE,
					size,
					uri.to_vec(),
					None,
					expires_at,
				)
			};
			assert_noop!(attempt(b"", 1, b"u", None), Error::<Test>::BadModel);
			assert_noop!(attempt(b"TOO-LONG-MODEL", 1, b"u", None), Error::<Test>::BadModel);
			assert_noop!(attempt(MODEL, 1, b"", None), Error::<Test>::BadUri);
			assert_noop!(attempt(MODEL, 1, &[b'u'; 17], None), Error::<Test>::BadUri);
			assert_noop!(attempt(MODEL, 0, b"u", None), Error::<Test>::EmptyImage);
			assert_noop!(attempt(MODEL, 1, b"u", Some(4)), Error::<Test>::AlreadyExpired);
			assert_ok!(attempt(MODEL, 1, b"u", Some(5)));
		});
	}

	#[test]
	fn refuses_more_than_max_releases_per_model() {
		run_test(|| {
			two_of_two();
			for patch in 1..=4 {
				publish(v(1, 1, patch));
			}
			assert_noop!(publish_as(MAKER, v(1, 1, 5)), Error::<Test>::TooManyReleases);
		});
	}
}

mod approve {
	use super::*;

	#[test]
	fn refuses_unknown_releases_and_non_approvers() {
		run_test(|| {
			two_of_two();
			assert_noop!(Firmware::approve(origin(APPROVER_A), 7), Error::<Test>::ReleaseNotFound);
			let id = publish(v(1, 1, 0));
			for caller in [MAKER, RIVAL, OPERATOR, STRANGER] {
				assert_noop!(Firmware::approve(origin(caller), id), Error::<Test>::NotApprover);
			}
		});
	}

	#[test]
	fn an_approver_who_left_the_organisation_cannot_approve() {
		run_test(|| {
			two_of_two();
			let id = publish(v(1, 1, 0));
			assert_ok!(Devices::remove_member(origin(MAKER), APPROVER_B));
			assert_noop!(Firmware::approve(origin(APPROVER_B), id), Error::<Test>::NotApprover);
		});
	}

	/// Approvals given before an approver was removed from the set do not count towards the
	/// threshold of the set in force at activation.
	#[test]
	fn approvals_of_removed_approvers_are_dropped_at_activation() {
		run_test(|| {
			two_of_two();
			let id = publish(v(1, 1, 0));
			assert_ok!(Firmware::approve(origin(APPROVER_B), id));
			// The approvers replace B with the maker.
			assert_ok!(Firmware::propose_approvers(origin(APPROVER_A), vec![APPROVER_A, MAKER], 2));
			assert_ok!(Firmware::approve_approver_change(origin(APPROVER_B)));
			assert_ok!(Firmware::approve(origin(APPROVER_A), id));
			// B's approval was dropped: one of two.
			assert_eq!(status(id), ReleaseStatus::Pending);
			assert_eq!(Releases::<Test>::get(id).unwrap().approvals.to_vec(), vec![APPROVER_A]);
			assert_ok!(Firmware::approve(origin(MAKER), id));
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
		});
	}

	#[test]
	fn refuses_a_second_approval_by_the_same_approver() {
		run_test(|| {
			two_of_two();
			let id = publish(v(1, 1, 0));
			assert_ok!(Firmware::approve(origin(APPROVER_A), id));
			assert_noop!(Firmware::approve(origin(APPROVER_A), id), Error::<Test>::AlreadyApproved);
		});
	}

	#[test]
	fn refuses_active_and_yanked_releases() {
		run_test(|| {
			governed_approvers(vec![APPROVER_A, APPROVER_B], 1);
			let active = publish(v(1, 1, 0));
			assert_ok!(Firmware::approve(origin(APPROVER_A), active));
			assert_noop!(Firmware::approve(origin(APPROVER_B), active), Error::<Test>::NotPending);
			let yanked = publish(v(1, 2, 0));
			// A threshold of one: one approver's approval yanks.
			assert_ok!(Firmware::yank(origin(APPROVER_A), yanked, YankReason::Withdrawn));
			assert_noop!(Firmware::approve(origin(APPROVER_B), yanked), Error::<Test>::NotPending);
		});
	}

	#[test]
	fn refuses_expired_releases() {
		run_test(|| {
			two_of_two();
			let id = NextReleaseId::<Test>::get();
			assert_ok!(Firmware::publish(
				origin(MAKER),
				MODEL.to_vec(),
				v(1, 1, 0),
				IMAGE,
				1,
				b"u".to_vec(),
				None,
				Some(3)
			));
			System::set_block_number(4);
			assert_noop!(Firmware::approve(origin(APPROVER_A), id), Error::<Test>::Expired);
		});
	}
}

/// Yanking: the manufacturer's approvers at their threshold for one reason, or governance at once.
mod yank {
	use super::*;

	fn pending_yank(id: ReleaseId, reason: YankReason) -> Option<(Vec<u64>, u64)> {
		PendingYanks::<Test>::get(id, reason)
			.map(|pending| (pending.approvals.to_vec(), pending.proposed_at))
	}

	fn pending_yanks_of(id: ReleaseId) -> usize {
		PendingYanks::<Test>::iter_prefix(id).count()
	}

	/// The attack of a stolen approver key: one approval takes an active release out of
	/// service for good.
	#[test]
	fn one_approver_cannot_yank_alone() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			System::set_block_number(3);
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			System::assert_last_event(
				Event::YankApproved {
					release: id,
					reason: YankReason::Vulnerable,
					by: APPROVER_A,
					approvals: 1,
				}
				.into(),
			);
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
			assert_eq!(pending_yank(id, YankReason::Vulnerable), Some((vec![APPROVER_A], 3)));
			// Devices still install it.
			assert_ok!(install(DEVICE_ACCOUNT, id));
		});
	}

	#[test]
	fn the_approvers_yank_a_release_for_good_at_their_threshold() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			System::set_block_number(6);
			assert_ok!(Firmware::yank(origin(APPROVER_B), id, YankReason::Vulnerable));
			System::assert_has_event(
				Event::YankApproved {
					release: id,
					reason: YankReason::Vulnerable,
					by: APPROVER_B,
					approvals: 2,
				}
				.into(),
			);
			System::assert_last_event(
				Event::Yanked { release: id, reason: YankReason::Vulnerable, by: APPROVER_B }
					.into(),
			);
			assert_eq!(status(id), ReleaseStatus::Yanked { reason: YankReason::Vulnerable, at: 6 });
			assert_eq!(pending_yanks_of(id), 0);
			assert_noop!(install(DEVICE_ACCOUNT, id), Error::<Test>::NotActive);
			// Rollback protection survives the yank: the version stays used.
			assert_noop!(publish_as(MAKER, v(1, 1, 0)), Error::<Test>::VersionNotAboveActive);
		});
	}

	/// Each reason gathers its approvals on its own; reaching the threshold for one yanks the
	/// release and drops the yanks pending for the others.
	#[test]
	fn approvers_yanking_for_different_reasons_count_separately() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			assert_ok!(Firmware::yank(origin(APPROVER_B), id, YankReason::Defective));
			System::assert_last_event(
				Event::YankApproved {
					release: id,
					reason: YankReason::Defective,
					by: APPROVER_B,
					approvals: 1,
				}
				.into(),
			);
			// One approval for each of two reasons is not two approvals of either.
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
			assert_eq!(pending_yank(id, YankReason::Vulnerable), Some((vec![APPROVER_A], 1)));
			assert_eq!(pending_yank(id, YankReason::Defective), Some((vec![APPROVER_B], 1)));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Defective));
			System::assert_last_event(
				Event::Yanked { release: id, reason: YankReason::Defective, by: APPROVER_A }.into(),
			);
			assert_eq!(status(id), ReleaseStatus::Yanked { reason: YankReason::Defective, at: 1 });
			assert_eq!(pending_yanks_of(id), 0);
		});
	}

	/// The attack of a compromised approver: it proposes a yank for one reason, so the others
	/// cannot yank for the true one until its window closes. Once governance removes it, the
	/// others yank for their reason at once.
	#[test]
	fn a_removed_approvers_pending_yank_does_not_lock_the_reason() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Withdrawn));
			// Governance replaces A with the maker.
			assert_ok!(Firmware::force_set_approvers(
				RuntimeOrigin::root(),
				0,
				vec![APPROVER_B, MAKER],
				2
			));
			assert_noop!(
				Firmware::yank(origin(APPROVER_A), id, YankReason::Withdrawn),
				Error::<Test>::NotApprover
			);
			assert_ok!(Firmware::yank(origin(APPROVER_B), id, YankReason::Vulnerable));
			assert_ok!(Firmware::yank(origin(MAKER), id, YankReason::Vulnerable));
			System::assert_last_event(
				Event::Yanked { release: id, reason: YankReason::Vulnerable, by: MAKER }.into(),
			);
			assert_eq!(status(id), ReleaseStatus::Yanked { reason: YankReason::Vulnerable, at: 1 });
			// A's pending yank went with the release.
			assert_eq!(pending_yanks_of(id), 0);
		});
	}

	/// The attack: any member's key, stolen or disgruntled, yanks the fleet's active release
	/// for good.
	#[test]
	fn a_member_who_is_not_an_approver_cannot_yank() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			// The admins are accounts of the manufacturer, but not approvers.
			for caller in [MAKER, SECOND_ADMIN] {
				assert_noop!(
					Firmware::yank(origin(caller), id, YankReason::Vulnerable),
					Error::<Test>::NotApprover
				);
			}
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
		});
	}

	#[test]
	fn refuses_unknown_releases_outsiders_and_approvers_who_left() {
		run_test(|| {
			two_of_two();
			assert_noop!(
				Firmware::yank(origin(APPROVER_A), 7, YankReason::Defective),
				Error::<Test>::ReleaseNotFound
			);
			let id = activate(v(1, 1, 0));
			for caller in [RIVAL, OPERATOR, STRANGER] {
				assert_noop!(
					Firmware::yank(origin(caller), id, YankReason::Defective),
					Error::<Test>::NotApprover
				);
			}
			assert_ok!(Devices::remove_member(origin(MAKER), APPROVER_B));
			assert_noop!(
				Firmware::yank(origin(APPROVER_B), id, YankReason::Defective),
				Error::<Test>::NotApprover
			);
		});
	}

	#[test]
	fn refuses_a_second_approval_by_the_same_approver() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			assert_noop!(
				Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable),
				Error::<Test>::AlreadyApproved
			);
		});
	}

	#[test]
	fn a_yank_not_completed_within_the_window_starts_afresh() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			// Approvals of a yank first approved at block 1 are taken up to block 11.
			System::set_block_number(12);
			assert_ok!(Firmware::yank(origin(APPROVER_B), id, YankReason::Vulnerable));
			System::assert_last_event(
				Event::YankApproved {
					release: id,
					reason: YankReason::Vulnerable,
					by: APPROVER_B,
					approvals: 1,
				}
				.into(),
			);
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
			assert_eq!(pending_yank(id, YankReason::Vulnerable), Some((vec![APPROVER_B], 12)));
			// A's approval lapsed with the old window: A approves the fresh yank.
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			assert_eq!(
				status(id),
				ReleaseStatus::Yanked { reason: YankReason::Vulnerable, at: 12 }
			);
		});
	}

	/// Approvals given before an approver was removed from the set do not count towards the
	/// threshold of the set in force when the yank completes.
	#[test]
	fn approvals_of_removed_approvers_are_dropped() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Firmware::yank(origin(APPROVER_B), id, YankReason::Vulnerable));
			// The approvers replace B with the maker.
			assert_ok!(Firmware::propose_approvers(origin(APPROVER_A), vec![APPROVER_A, MAKER], 2));
			assert_ok!(Firmware::approve_approver_change(origin(APPROVER_B)));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			// B's approval was dropped: one of two.
			System::assert_last_event(
				Event::YankApproved {
					release: id,
					reason: YankReason::Vulnerable,
					by: APPROVER_A,
					approvals: 1,
				}
				.into(),
			);
			assert_eq!(pending_yank(id, YankReason::Vulnerable), Some((vec![APPROVER_A], 1)));
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
			assert_ok!(Firmware::yank(origin(MAKER), id, YankReason::Vulnerable));
			assert!(matches!(status(id), ReleaseStatus::Yanked { .. }));
		});
	}

	#[test]
	fn a_pending_release_is_yanked_too_and_a_yank_is_final() {
		run_test(|| {
			two_of_two();
			let id = publish(v(1, 1, 0));
			yank_by_approvers(id, YankReason::Withdrawn);
			assert!(matches!(status(id), ReleaseStatus::Yanked { .. }));
			assert_noop!(Firmware::approve(origin(APPROVER_A), id), Error::<Test>::NotPending);
			assert_noop!(
				Firmware::yank(origin(APPROVER_A), id, YankReason::Withdrawn),
				Error::<Test>::AlreadyYanked
			);
		});
	}

	#[test]
	fn withdrawing_a_pending_release_drops_its_pending_yanks() {
		run_test(|| {
			two_of_two();
			let id = publish(v(1, 1, 0));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Withdrawn));
			assert_ok!(Firmware::yank(origin(APPROVER_B), id, YankReason::Defective));
			assert_eq!(pending_yanks_of(id), 2);
			assert_ok!(Firmware::withdraw(origin(MAKER), id));
			assert_eq!(pending_yanks_of(id), 0);
		});
	}

	#[test]
	fn governance_yanks_at_once() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			assert_ok!(Firmware::yank(origin(APPROVER_B), id, YankReason::Withdrawn));
			System::set_block_number(4);
			assert_ok!(Firmware::force_yank(RuntimeOrigin::root(), id, YankReason::Defective));
			System::assert_last_event(
				Event::ForceYanked { release: id, reason: YankReason::Defective }.into(),
			);
			assert_eq!(status(id), ReleaseStatus::Yanked { reason: YankReason::Defective, at: 4 });
			assert_eq!(pending_yanks_of(id), 0);
			assert_noop!(
				Firmware::force_yank(RuntimeOrigin::root(), id, YankReason::Defective),
				Error::<Test>::AlreadyYanked
			);
			assert_noop!(
				Firmware::yank(origin(APPROVER_B), id, YankReason::Vulnerable),
				Error::<Test>::AlreadyYanked
			);
			assert_noop!(
				Firmware::force_yank(RuntimeOrigin::root(), 7, YankReason::Defective),
				Error::<Test>::ReleaseNotFound
			);
		});
	}

	#[test]
	fn force_yank_by_a_signed_account_is_refused() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			for caller in [MAKER, APPROVER_A] {
				assert_noop!(
					Firmware::force_yank(origin(caller), id, YankReason::Vulnerable),
					DispatchError::BadOrigin
				);
			}
		});
	}
}

/// Moving, removing and expiring claims: no model name is squatted for good, and releases live
/// only under the claim they were published under.
mod models {
	use super::*;

	/// A model no organisation's devices use, which the rival claims first.
	const SQUATTED: &[u8] = b"LOCK2";
	/// A model no organisation's devices use.
	const NEW: &[u8] = b"NEW1";

	fn model(name: &[u8]) -> ModelOf<Test> {
		ModelOf::<Test>::try_from(name.to_vec()).unwrap()
	}

	fn info(name: &[u8]) -> Option<(u32, Option<(FirmwareVersion, ReleaseId)>, u32)> {
		Models::<Test>::get(model(name))
			.map(|info| (info.manufacturer, info.highest_active, info.releases))
	}

	fn clear(name: &[u8]) -> DispatchResult {
		Firmware::clear_unused_claim(origin(STRANGER), name.to_vec())
	}

	/// The rival (organisation 2) as its own sole approver, by governance's exception.
	fn rival_approves_alone() {
		assert_ok!(Firmware::force_set_approvers(RuntimeOrigin::root(), 2, vec![RIVAL], 1));
	}

	/// The attack: a rival claims the name of a model another manufacturer makes, activates an
	/// inflated version and fills the model's releases, so the maker could never publish for it
	/// even once governance gives the name back.
	#[test]
	fn governance_reassigns_a_squatted_model() {
		run_test(|| {
			two_of_two();
			rival_approves_alone();
			assert_ok!(Firmware::claim_model(origin(RIVAL), SQUATTED.to_vec()));
			// Its sole approver, the rival activates each release as it publishes it.
			let squatters = NextReleaseId::<Test>::get();
			for patch in 0..4 {
				assert_ok!(publish_model_as(RIVAL, SQUATTED, v(60_000, 0, patch)));
			}
			assert!(matches!(status(squatters), ReleaseStatus::Active { .. }));
			assert_noop!(
				publish_model_as(RIVAL, SQUATTED, v(60_000, 1, 0)),
				Error::<Test>::TooManyReleases
			);

			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), SQUATTED.to_vec(), 0));
			System::assert_last_event(
				Event::ModelClaimed {
					model: SQUATTED.to_vec(),
					org: 0,
					authority: ClaimAuthority::Governance,
					previous: Some(2),
				}
				.into(),
			);
			// The maker starts afresh: no highest active version, no releases counted.
			assert_eq!(info(SQUATTED), Some((0, None, 0)));
			assert_noop!(
				publish_model_as(RIVAL, SQUATTED, v(60_000, 1, 0)),
				Error::<Test>::ModelOfAnotherManufacturer
			);
			let makers = NextReleaseId::<Test>::get();
			assert_ok!(publish_model_as(MAKER, SQUATTED, v(1, 0, 0)));
			assert_ok!(Firmware::approve(origin(APPROVER_A), makers));
			assert_ok!(Firmware::approve(origin(APPROVER_B), makers));
			assert_eq!(status(makers), ReleaseStatus::Active { since: 1 });
			assert_eq!(info(SQUATTED), Some((0, Some((v(1, 0, 0), makers)), 1)));
			// The squatter's releases stay in the model's index, as history.
			assert_eq!(ModelReleases::<Test>::iter_key_prefix(model(SQUATTED)).count(), 5);
		});
	}

	/// The old claimant's approvers cannot activate a release of a model taken from it.
	#[test]
	fn the_old_claimants_pending_release_cannot_be_activated_after_reassignment() {
		run_test(|| {
			two_of_two();
			rival_approves_alone();
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			let id = NextReleaseId::<Test>::get();
			assert_ok!(publish_model_as(MAKER, NEW, v(1, 0, 0)));
			assert_ok!(Firmware::approve(origin(APPROVER_A), id));
			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), NEW.to_vec(), 2));
			assert_noop!(
				Firmware::approve(origin(APPROVER_B), id),
				Error::<Test>::ModelOfAnotherManufacturer
			);
			assert_eq!(status(id), ReleaseStatus::Pending);
			assert_ok!(publish_model_as(RIVAL, NEW, v(0, 1, 0)));
			// Its publisher may still withdraw it; that frees no place of the new claimant.
			assert_ok!(Firmware::withdraw(origin(MAKER), id));
			assert_eq!(info(NEW).map(|(_, _, releases)| releases), Some(1));
		});
	}

	/// Moving a claim back to an organisation that held it does not revive the releases it
	/// published under its earlier claim.
	#[test]
	fn a_claim_moved_back_does_not_revive_its_earlier_releases() {
		run_test(|| {
			two_of_two();
			let old = activate(v(1, 1, 0));
			let pending = publish(v(1, 2, 0));
			assert_ok!(Firmware::approve(origin(APPROVER_A), pending));
			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 2));
			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 0));
			System::assert_last_event(
				Event::ModelClaimed {
					model: MODEL.to_vec(),
					org: 0,
					authority: ClaimAuthority::Governance,
					previous: Some(2),
				}
				.into(),
			);
			assert_eq!(info(MODEL), Some((0, None, 0)));
			assert_noop!(
				Firmware::approve(origin(APPROVER_B), pending),
				Error::<Test>::ModelOfAnotherManufacturer
			);
			assert_noop!(install(DEVICE_ACCOUNT, old), Error::<Test>::ModelOfAnotherManufacturer);
			assert_eq!(Firmware::fleet_status(MODEL).latest, None);
			let new = activate(v(1, 0, 1));
			assert_ok!(install(DEVICE_ACCOUNT, new));
			assert_eq!(info(MODEL), Some((0, Some((v(1, 0, 1), new)), 1)));
		});
	}

	/// Only a claim a manufacturer's admin made expires; one governance made or moved does not.
	#[test]
	fn a_governance_assignment_never_expires() {
		run_test(|| {
			claim_lock_model();
			assert_eq!(UnusedClaimSince::<Test>::get(model(MODEL)), None);
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			assert_eq!(UnusedClaimSince::<Test>::get(model(NEW)), Some(1));
			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), NEW.to_vec(), 2));
			assert_eq!(UnusedClaimSince::<Test>::get(model(NEW)), None);
			System::set_block_number(1_000);
			for name in [MODEL, NEW] {
				assert_noop!(clear(name), Error::<Test>::ClaimDoesNotExpire);
			}
		});
	}

	#[test]
	fn governance_unclaims_a_model_without_releases() {
		run_test(|| {
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			assert_ok!(Firmware::force_unclaim_model(RuntimeOrigin::root(), NEW.to_vec()));
			System::assert_last_event(Event::ModelUnclaimed { model: NEW.to_vec(), org: 0 }.into());
			assert_eq!(Models::<Test>::get(model(NEW)), None);
			assert_eq!(UnusedClaimSince::<Test>::get(model(NEW)), None);
			assert!(!ClaimStart::<Test>::contains_key(model(NEW)));
			assert_ok!(Firmware::claim_model(origin(RIVAL), NEW.to_vec()));
		});
	}

	/// The claim of a model with releases holds their rollback protection: governance
	/// moves it, never removes it.
	#[test]
	fn refuses_unclaiming_a_model_with_releases() {
		run_test(|| {
			two_of_two();
			publish(v(1, 1, 0));
			assert_noop!(
				Firmware::force_unclaim_model(RuntimeOrigin::root(), MODEL.to_vec()),
				Error::<Test>::ModelHasReleases
			);
		});
	}

	#[test]
	fn refuses_unclaiming_unclaimed_and_bad_models_and_other_origins() {
		run_test(|| {
			assert_noop!(
				Firmware::force_unclaim_model(RuntimeOrigin::root(), NEW.to_vec()),
				Error::<Test>::ModelNotClaimed
			);
			for bad in [vec![], b"TOO-LONG-MODEL".to_vec()] {
				assert_noop!(
					Firmware::force_unclaim_model(RuntimeOrigin::root(), bad),
					Error::<Test>::BadModel
				);
			}
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			assert_noop!(
				Firmware::force_unclaim_model(origin(MAKER), NEW.to_vec()),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn anyone_clears_a_claim_unused_for_its_lifetime_but_not_before() {
		run_test(|| {
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			// Claimed at block 1, with a lifetime of 100 blocks.
			System::set_block_number(101);
			assert_noop!(clear(NEW), Error::<Test>::ClaimStillFresh);
			System::set_block_number(102);
			assert_ok!(clear(NEW));
			System::assert_last_event(
				Event::UnusedClaimCleared { model: NEW.to_vec(), org: 0, by: STRANGER }.into(),
			);
			assert_eq!(Models::<Test>::get(model(NEW)), None);
			assert_eq!(UnusedClaimSince::<Test>::get(model(NEW)), None);
			assert!(!ClaimStart::<Test>::contains_key(model(NEW)));
			// Another manufacturer may claim the name now.
			assert_ok!(Firmware::claim_model(origin(RIVAL), NEW.to_vec()));
			System::assert_last_event(
				Event::ModelClaimed {
					model: NEW.to_vec(),
					org: 2,
					authority: ClaimAuthority::Manufacturer,
					previous: None,
				}
				.into(),
			);
		});
	}

	/// Publishing alone keeps no claim: only activating a release does, for good.
	#[test]
	fn a_claim_that_activated_a_release_never_expires() {
		run_test(|| {
			two_of_two();
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			let id = NextReleaseId::<Test>::get();
			assert_ok!(publish_model_as(MAKER, NEW, v(1, 0, 0)));
			assert_ok!(Firmware::approve(origin(APPROVER_A), id));
			assert_eq!(UnusedClaimSince::<Test>::get(model(NEW)), Some(1));
			assert_ok!(Firmware::approve(origin(APPROVER_B), id));
			assert_eq!(UnusedClaimSince::<Test>::get(model(NEW)), None);
			System::set_block_number(1_000);
			assert_noop!(clear(NEW), Error::<Test>::ClaimDoesNotExpire);
		});
	}

	/// The attack: a squatter keeps a name by publishing releases it never activates. The
	/// claim expires all the same; its pending releases stay stored, dead, until withdrawn.
	#[test]
	fn a_claim_that_only_published_expires_and_its_pending_releases_are_dead() {
		run_test(|| {
			two_of_two();
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			System::set_block_number(95);
			let first = NextReleaseId::<Test>::get();
			assert_ok!(publish_model_as(MAKER, NEW, v(1, 0, 0)));
			let second = NextReleaseId::<Test>::get();
			assert_ok!(publish_model_as(MAKER, NEW, v(1, 0, 1)));
			assert_ok!(Firmware::approve(origin(APPROVER_A), first));
			System::set_block_number(102);
			assert_ok!(clear(NEW));
			assert_eq!(status(first), ReleaseStatus::Pending);
			assert_ok!(Firmware::do_try_state());
			// Their approval window is still open, but their claim is gone.
			assert_noop!(
				Firmware::approve(origin(APPROVER_B), first),
				Error::<Test>::ModelNotClaimed
			);
			assert_ok!(Firmware::withdraw(origin(MAKER), first));
			assert!(Releases::<Test>::get(first).is_none());
			// Claiming the name again does not revive the other.
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			assert_eq!(info(NEW), Some((0, None, 0)));
			assert_noop!(
				Firmware::approve(origin(APPROVER_A), second),
				Error::<Test>::ModelOfAnotherManufacturer
			);
			assert_ok!(Firmware::withdraw(origin(MAKER), second));
			assert_eq!(info(NEW), Some((0, None, 0)));
		});
	}

	/// A claim made before claims expired has no `UnusedClaimSince` entry: it never expires,
	/// and only governance removes it.
	#[test]
	fn a_claim_from_before_claims_expired_never_expires() {
		run_test(|| {
			assert_ok!(Firmware::claim_model(origin(MAKER), NEW.to_vec()));
			UnusedClaimSince::<Test>::remove(model(NEW));
			System::set_block_number(1_000);
			assert_noop!(clear(NEW), Error::<Test>::ClaimDoesNotExpire);
			assert_ok!(Firmware::force_unclaim_model(RuntimeOrigin::root(), NEW.to_vec()));
		});
	}

	#[test]
	fn refuses_clearing_unclaimed_and_bad_models_and_unsigned_origins() {
		run_test(|| {
			assert_noop!(clear(NEW), Error::<Test>::ModelNotClaimed);
			assert_noop!(clear(b""), Error::<Test>::BadModel);
			assert_noop!(
				Firmware::clear_unused_claim(RuntimeOrigin::none(), NEW.to_vec()),
				DispatchError::BadOrigin
			);
		});
	}
}

mod report_update {
	use super::*;

	#[test]
	fn an_install_updates_the_registry_and_the_fleet() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(install(DEVICE_ACCOUNT, id));
			System::assert_last_event(
				Event::UpdateReported {
					device: DEVICE,
					release: id,
					outcome: UpdateOutcome::Installed,
					measured_sha256: IMAGE,
					by: DEVICE_ACCOUNT,
				}
				.into(),
			);
			assert_eq!(Devices::firmware_version(&DEVICE), Some(v(1, 1, 0)));
			assert_eq!(InstalledRelease::<Test>::get(DEVICE), Some(id));
			assert_eq!(ReleaseDeviceCount::<Test>::get(id), 1);
		});
	}

	#[test]
	fn the_assigned_gateway_reports_for_its_device() {
		run_test(|| {
			two_of_two();
			let first = activate(v(1, 1, 0));
			assert_ok!(install(GATEWAY_ACCOUNT, first));
			let second = activate(v(1, 2, 0));
			assert_ok!(install(GATEWAY_ACCOUNT, second));
			// The device moved from the first release to the second.
			assert_eq!(ReleaseDeviceCount::<Test>::get(first), 0);
			assert_eq!(Firmware::devices_on_release(second, None, 10), vec![DEVICE]);
		});
	}

	#[test]
	fn a_failed_update_is_recorded_without_changing_the_version() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			let failed = UpdateOutcome::Failed(UpdateFailure::Verification);
			// A failed download measures some other hash; that is the point of reporting it.
			assert_ok!(Firmware::report_update(
				origin(DEVICE_ACCOUNT),
				DEVICE,
				id,
				failed,
				[0; 32]
			));
			assert_eq!(Devices::firmware_version(&DEVICE), Some(FACTORY));
			assert_eq!(InstalledRelease::<Test>::get(DEVICE), None);
		});
	}

	#[test]
	fn refuses_a_mismatching_hash() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_noop!(
				Firmware::report_update(
					origin(DEVICE_ACCOUNT),
					DEVICE,
					id,
					UpdateOutcome::Installed,
					[0xbb; 32]
				),
				Error::<Test>::HashMismatch
			);
		});
	}

	#[test]
	fn refuses_another_models_release() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_noop!(
				Firmware::report_update(
					origin(103),
					OTHER_MODEL_DEVICE,
					id,
					UpdateOutcome::Installed,
					IMAGE
				),
				Error::<Test>::ModelMismatch
			);
		});
	}

	#[test]
	fn refuses_a_downgrade() {
		run_test(|| {
			two_of_two();
			let old = activate(v(1, 1, 0));
			let new = activate(v(1, 2, 0));
			assert_ok!(install(DEVICE_ACCOUNT, new));
			assert_noop!(install(DEVICE_ACCOUNT, old), Error::<Test>::Downgrade);
			// Reinstalling the same version is allowed (e.g. after a repair).
			assert_ok!(install(DEVICE_ACCOUNT, new));
		});
	}

	#[test]
	fn refuses_pending_yanked_expired_and_unknown_releases() {
		run_test(|| {
			two_of_two();
			assert_noop!(install(DEVICE_ACCOUNT, 9), Error::<Test>::ReleaseNotFound);
			let pending = publish(v(1, 1, 0));
			assert_noop!(install(DEVICE_ACCOUNT, pending), Error::<Test>::NotActive);
			let expiring = NextReleaseId::<Test>::get();
			assert_ok!(Firmware::publish(
				origin(MAKER),
				MODEL.to_vec(),
				v(1, 2, 0),
				IMAGE,
				1,
				b"u".to_vec(),
				None,
				Some(3)
			));
			assert_ok!(Firmware::approve(origin(APPROVER_A), expiring));
			assert_ok!(Firmware::approve(origin(APPROVER_B), expiring));
			System::set_block_number(4);
			assert_noop!(install(DEVICE_ACCOUNT, expiring), Error::<Test>::Expired);
		});
	}

	#[test]
	fn refuses_reporters_other_than_the_device_and_its_gateway() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			// Device 2's account, the operator, a stranger; and the gateway is not device 2's.
			for caller in [102, OPERATOR, STRANGER] {
				assert_noop!(install(caller, id), Error::<Test>::NotDeviceOrGateway);
			}
			assert_noop!(
				Firmware::report_update(
					origin(GATEWAY_ACCOUNT),
					SECOND_DEVICE,
					id,
					UpdateOutcome::Installed,
					IMAGE
				),
				Error::<Test>::NotDeviceOrGateway
			);
		});
	}

	/// Reports are feeless only when they would be accepted from their signer: the device or
	/// its assigned gateway. A device's or gateway's report about another device pays fees it
	/// does not have, so the pool refuses it instead of including a failing call for free.
	#[test]
	fn is_feeless_only_for_the_device_and_its_gateway() {
		use frame_support::dispatch::CheckIfFeeless;
		run_test(|| {
			let report = |device| Call::<Test>::report_update {
				device,
				release: 0,
				outcome: UpdateOutcome::Installed,
				measured_sha256: IMAGE,
			};
			assert!(report(DEVICE).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(report(DEVICE).is_feeless(&origin(GATEWAY_ACCOUNT)));
			assert!(!report(SECOND_DEVICE).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!report(SECOND_DEVICE).is_feeless(&origin(GATEWAY_ACCOUNT)));
			assert!(!report(DEVICE).is_feeless(&origin(OPERATOR)));
			// Once the gateway leaves the organisation, it no longer speaks for the device.
			assert_ok!(Devices::offer_transfer(origin(OPERATOR), GATEWAY, 2));
			assert_ok!(Devices::accept_transfer(origin(RIVAL), GATEWAY, None));
			assert!(!report(DEVICE).is_feeless(&origin(GATEWAY_ACCOUNT)));
		});
	}

	/// The attack: an organisation takes over a gateway that served another's devices and
	/// reports updates for them.
	#[test]
	fn a_gateway_transferred_to_another_organisation_no_longer_reports() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Devices::offer_transfer(origin(OPERATOR), GATEWAY, 2));
			assert_ok!(Devices::accept_transfer(origin(RIVAL), GATEWAY, None));
			assert_noop!(install(GATEWAY_ACCOUNT, id), Error::<Test>::NotDeviceOrGateway);
		});
	}

	/// Once governance moves a model's claim, the releases of the earlier claim are dead: no
	/// device installs them, however high their version. A device that ran one keeps its
	/// downgrade protection against the new claimant's lower versions.
	#[test]
	fn a_previous_claimants_release_cannot_be_installed_after_the_claim_moves() {
		run_test(|| {
			two_of_two();
			let old = activate(v(1, 1, 0));
			assert_ok!(install(DEVICE_ACCOUNT, old));
			assert_ok!(Firmware::force_set_approvers(RuntimeOrigin::root(), 2, vec![RIVAL], 1));
			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 2));
			let install_on_second_device = |release| {
				Firmware::report_update(
					origin(102),
					SECOND_DEVICE,
					release,
					UpdateOutcome::Installed,
					IMAGE,
				)
			};
			assert_noop!(install_on_second_device(old), Error::<Test>::ModelOfAnotherManufacturer);
			let new = NextReleaseId::<Test>::get();
			assert_ok!(publish_as(RIVAL, v(1, 0, 1)));
			assert_ok!(install_on_second_device(new));
			assert_noop!(install(DEVICE_ACCOUNT, new), Error::<Test>::Downgrade);
		});
	}

	#[test]
	fn a_release_of_a_model_no_longer_claimed_cannot_be_installed() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			// Moved, then removed: the new claimant has no releases of its own.
			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 2));
			assert_ok!(Firmware::force_unclaim_model(RuntimeOrigin::root(), MODEL.to_vec()));
			assert_noop!(install(DEVICE_ACCOUNT, id), Error::<Test>::ModelNotClaimed);
			assert_eq!(Firmware::fleet_status(MODEL).latest, None);
		});
	}

	#[test]
	fn refuses_inactive_devices() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Devices::suspend_device(origin(OPERATOR), DEVICE));
			assert_noop!(install(GATEWAY_ACCOUNT, id), Error::<Test>::DeviceNotActive);
		});
	}
}

/// A gateway's batch of update reports: each checked and recorded on its own.
mod report_updates {
	use super::*;
	use frame_support::dispatch::CheckIfFeeless;

	fn installed(device: DeviceId, release: ReleaseId, measured_sha256: Sha256) -> UpdateReport {
		UpdateReport { device, release, outcome: UpdateOutcome::Installed, measured_sha256 }
	}

	fn item_failed(index: u32, error: Error<Test>) -> RuntimeEvent {
		Event::<Test>::BatchItemFailed { index, error: error.into() }.into()
	}

	/// `reports` as the call takes them; at most `MaxBatchSize` of them.
	fn bounded(
		reports: Vec<UpdateReport>,
	) -> BoundedVec<UpdateReport, <Test as Config>::MaxBatchSize> {
		reports.try_into().ok().expect("a test batch fits MaxBatchSize")
	}

	fn serve_second_device() {
		assert_ok!(Devices::assign_gateway(origin(OPERATOR), SECOND_DEVICE, Some(GATEWAY)));
	}

	#[test]
	fn each_report_is_recorded_on_its_own_and_a_refused_one_does_not_stop_the_rest() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			serve_second_device();
			assert_ok!(Firmware::report_updates(
				origin(GATEWAY_ACCOUNT),
				bounded(vec![
					installed(DEVICE, id, IMAGE),
					installed(SECOND_DEVICE, id, [0xbb; 32]),
					installed(SECOND_DEVICE, id, IMAGE),
				]),
			));
			assert!(System::events()
				.iter()
				.any(|r| r.event == item_failed(1, Error::HashMismatch)));
			assert_eq!(InstalledRelease::<Test>::get(DEVICE), Some(id));
			assert_eq!(InstalledRelease::<Test>::get(SECOND_DEVICE), Some(id));
			assert_eq!(ReleaseDeviceCount::<Test>::get(id), 2);
		});
	}

	/// A gateway cannot slip in a device it does not serve: that report alone is refused.
	#[test]
	fn a_report_for_a_device_the_gateway_does_not_serve_is_refused_alone() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(Firmware::report_updates(
				origin(GATEWAY_ACCOUNT),
				bounded(vec![installed(SECOND_DEVICE, id, IMAGE), installed(DEVICE, id, IMAGE)]),
			));
			assert!(System::events()
				.iter()
				.any(|r| r.event == item_failed(0, Error::NotDeviceOrGateway)));
			assert_eq!(InstalledRelease::<Test>::get(SECOND_DEVICE), None);
			assert_eq!(InstalledRelease::<Test>::get(DEVICE), Some(id));
		});
	}

	#[test]
	fn refuses_an_empty_batch_and_refunds_its_weight() {
		run_test(|| {
			let result = Firmware::report_updates(origin(GATEWAY_ACCOUNT), BoundedVec::new());
			let error = result.unwrap_err();
			assert_eq!(error.error, Error::<Test>::BadBatchSize.into());
			// Refused before any work: charged as a batch of none.
			assert_eq!(
				error.post_info.actual_weight,
				Some(<<Test as Config>::WeightInfo as WeightInfo>::report_updates(0))
			);
			assert_noop!(
				Firmware::report_updates(RuntimeOrigin::none(), BoundedVec::new()),
				DispatchError::BadOrigin
			);
		});
	}

	/// A batch larger than `MaxBatchSize` is refused when the call is decoded, so it never
	/// reaches the pool, let alone dispatch.
	#[test]
	fn an_oversized_batch_never_decodes() {
		run_test(|| {
			let max = <<Test as Config>::MaxBatchSize as Get<u32>>::get() as usize;
			let reports = vec![installed(DEVICE, 0, IMAGE); max + 1];
			// `report_updates` is call 11; its batch encodes as `Compact(len) ++ items`, as a
			// `Vec` does.
			let oversized = (11u8, reports.clone()).encode();
			assert!(<Call<Test> as Decode>::decode(&mut &oversized[..]).is_err());
			let full = (11u8, reports[..max].to_vec()).encode();
			let decoded = <Call<Test> as Decode>::decode(&mut &full[..]);
			assert!(matches!(
				decoded,
				Ok(Call::report_updates { reports }) if reports.len() == max
			));
			// The same bytes as the call built in code.
			let built = Call::<Test>::report_updates { reports: bounded(reports[..max].to_vec()) };
			assert_eq!(built.encode(), full);
		});
	}

	/// Feeless only when every report concerns a device the signer speaks for.
	#[test]
	fn is_feeless_only_when_every_report_concerns_a_device_the_signer_serves() {
		run_test(|| {
			let batch = |devices: &[DeviceId]| Call::<Test>::report_updates {
				reports: bounded(
					devices.iter().map(|device| installed(*device, 0, IMAGE)).collect(),
				),
			};
			assert!(batch(&[DEVICE, DEVICE]).is_feeless(&origin(GATEWAY_ACCOUNT)));
			assert!(batch(&[DEVICE]).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!batch(&[DEVICE, SECOND_DEVICE]).is_feeless(&origin(GATEWAY_ACCOUNT)));
			assert!(!batch(&[SECOND_DEVICE]).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!batch(&[]).is_feeless(&origin(GATEWAY_ACCOUNT)));
			assert!(!batch(&[DEVICE]).is_feeless(&origin(OPERATOR)));
			serve_second_device();
			assert!(batch(&[DEVICE, SECOND_DEVICE]).is_feeless(&origin(GATEWAY_ACCOUNT)));
		});
	}
}

mod fleet {
	use super::*;

	#[test]
	fn counts_devices_per_release_behind_the_latest_and_on_yanked_releases() {
		run_test(|| {
			two_of_two();
			let first = activate(v(1, 1, 0));
			assert_ok!(install(DEVICE_ACCOUNT, first));
			assert_ok!(Firmware::report_update(
				origin(102),
				SECOND_DEVICE,
				first,
				UpdateOutcome::Installed,
				IMAGE
			));
			let second = activate(v(1, 2, 0));
			assert_ok!(install(DEVICE_ACCOUNT, second));
			yank_by_approvers(first, YankReason::Vulnerable);

			let fleet = Firmware::fleet_status(MODEL);
			assert_eq!(fleet.latest, Some((second, v(1, 2, 0))));
			assert_eq!(fleet.behind_latest, 1);
			assert_eq!(fleet.on_yanked, 1);
			let devices: Vec<_> = fleet.releases.iter().map(|r| (r.release, r.devices)).collect();
			assert_eq!(devices, vec![(first, 1), (second, 1)]);
			assert_eq!(Firmware::devices_on_release(first, None, 10), vec![SECOND_DEVICE]);
		});
	}

	#[test]
	fn pages_the_devices_of_a_release() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			assert_ok!(install(DEVICE_ACCOUNT, id));
			assert_ok!(Firmware::report_update(
				origin(102),
				SECOND_DEVICE,
				id,
				UpdateOutcome::Installed,
				IMAGE
			));
			let first_page = Firmware::devices_on_release(id, None, 1);
			assert_eq!(first_page.len(), 1);
			let second_page = Firmware::devices_on_release(id, Some(first_page[0]), 10);
			assert_eq!(second_page.len(), 1);
			assert_ne!(first_page, second_page);
		});
	}

	/// Releases of an earlier claim are never the latest, however high their version; they
	/// stay listed, as history.
	#[test]
	fn the_latest_release_is_of_the_current_claim() {
		run_test(|| {
			two_of_two();
			let old = activate(v(1, 1, 0));
			assert_ok!(Firmware::force_set_approvers(RuntimeOrigin::root(), 2, vec![RIVAL], 1));
			assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 2));
			assert_eq!(Firmware::fleet_status(MODEL).latest, None);
			let new = NextReleaseId::<Test>::get();
			assert_ok!(publish_as(RIVAL, v(1, 0, 1)));
			let fleet = Firmware::fleet_status(MODEL);
			assert_eq!(fleet.latest, Some((new, v(1, 0, 1))));
			let listed: Vec<_> = fleet.releases.iter().map(|r| r.release).collect();
			assert_eq!(listed, vec![old, new]);
		});
	}

	#[test]
	fn an_unknown_model_has_an_empty_fleet() {
		run_test(|| {
			let fleet = Firmware::fleet_status(b"NOPE");
			assert_eq!((fleet.latest, fleet.releases.len()), (None, 0));
			assert_eq!(Firmware::fleet_status(&[b'x'; 64]).releases.len(), 0);
		});
	}
}

#[test]
fn try_state_catches_a_wrong_device_count() {
	new_test_ext().execute_with(|| {
		two_of_two();
		let id = activate(v(1, 1, 0));
		assert_ok!(install(DEVICE_ACCOUNT, id));
		ReleaseDeviceCount::<Test>::insert(id, 5);
		assert!(Firmware::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_a_pending_yank_of_a_yanked_release() {
	new_test_ext().execute_with(|| {
		two_of_two();
		let id = activate(v(1, 1, 0));
		assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
		let pending = PendingYanks::<Test>::get(id, YankReason::Vulnerable).unwrap();
		assert_ok!(Firmware::force_yank(RuntimeOrigin::root(), id, YankReason::Vulnerable));
		PendingYanks::<Test>::insert(id, YankReason::Vulnerable, pending);
		assert!(Firmware::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_an_unused_claim_mark_of_a_claim_that_activated_a_release() {
	new_test_ext().execute_with(|| {
		two_of_two();
		activate(v(1, 1, 0));
		UnusedClaimSince::<Test>::insert(ModelOf::<Test>::try_from(MODEL.to_vec()).unwrap(), 1);
		assert!(Firmware::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_a_release_count_including_an_earlier_claims_releases() {
	new_test_ext().execute_with(|| {
		two_of_two();
		publish(v(1, 1, 0));
		assert_ok!(Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 2));
		assert_ok!(Firmware::do_try_state());
		let model = ModelOf::<Test>::try_from(MODEL.to_vec()).unwrap();
		Models::<Test>::mutate(&model, |info| {
			if let Some(info) = info {
				info.releases = 1;
			}
		});
		assert!(Firmware::do_try_state().is_err());
	});
}
