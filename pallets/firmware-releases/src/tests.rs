//! One test per behaviour of each call, and per error it can return; then fleet status.

use crate::{mock::*, *};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, traits::Get, BoundedVec};
use pallet_device_registry::{DeviceId, DeviceRegistry, FirmwareVersion};
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
	Firmware::publish(
		origin(caller),
		MODEL.to_vec(),
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
			assert_noop!(
				Firmware::force_claim_model(RuntimeOrigin::root(), MODEL.to_vec(), 2),
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
			assert_ok!(Firmware::yank(origin(MAKER), yanked, YankReason::Withdrawn));
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

mod yank {
	use super::*;

	#[test]
	fn the_manufacturer_yanks_a_release_for_good() {
		run_test(|| {
			two_of_two();
			let id = activate(v(1, 1, 0));
			System::set_block_number(6);
			assert_ok!(Firmware::yank(origin(APPROVER_A), id, YankReason::Vulnerable));
			System::assert_last_event(
				Event::Yanked { release: id, reason: YankReason::Vulnerable, by: APPROVER_A }
					.into(),
			);
			assert_eq!(status(id), ReleaseStatus::Yanked { reason: YankReason::Vulnerable, at: 6 });
			assert_noop!(install(DEVICE_ACCOUNT, id), Error::<Test>::NotActive);
			// Rollback protection survives the yank: the version stays used.
			assert_noop!(publish_as(MAKER, v(1, 1, 0)), Error::<Test>::VersionNotAboveActive);
		});
	}

	#[test]
	fn refuses_unknown_releases_outsiders_and_a_second_yank() {
		run_test(|| {
			two_of_two();
			assert_noop!(
				Firmware::yank(origin(MAKER), 0, YankReason::Defective),
				Error::<Test>::ReleaseNotFound
			);
			let id = publish(v(1, 1, 0));
			for caller in [RIVAL, OPERATOR, STRANGER] {
				assert_noop!(
					Firmware::yank(origin(caller), id, YankReason::Defective),
					Error::<Test>::NotManufacturerAccount
				);
			}
			assert_ok!(Firmware::yank(origin(MAKER), id, YankReason::Defective));
			assert_noop!(
				Firmware::yank(origin(MAKER), id, YankReason::Defective),
				Error::<Test>::AlreadyYanked
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
			assert_ok!(Devices::accept_transfer(origin(RIVAL), GATEWAY));
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
			assert_ok!(Devices::accept_transfer(origin(RIVAL), GATEWAY));
			assert_noop!(install(GATEWAY_ACCOUNT, id), Error::<Test>::NotDeviceOrGateway);
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
			assert_ok!(Firmware::yank(origin(MAKER), first, YankReason::Vulnerable));

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
