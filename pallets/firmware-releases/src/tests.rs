//! One test per behaviour of each call, and per error it can return; then fleet status.

use crate::{mock::*, *};
use frame_support::{assert_noop, assert_ok};
use pallet_device_registry::{DeviceRegistry, FirmwareVersion};
use sp_runtime::{DispatchError, DispatchResult};

const IMAGE: Sha256 = [0xaa; 32];

fn origin(account: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(account)
}

fn v(major: u16, minor: u16, patch: u16) -> FirmwareVersion {
	FirmwareVersion { major, minor, patch }
}

/// Approvers A and B, both needed.
fn two_of_two() {
	assert_ok!(Firmware::set_approvers(origin(MAKER), vec![APPROVER_A, APPROVER_B], 2));
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

mod set_approvers {
	use super::*;

	#[test]
	fn an_admin_sets_approvers_and_threshold() {
		run_test(|| {
			two_of_two();
			System::assert_last_event(
				Event::ApproversSet {
					org: 0,
					approvers: vec![APPROVER_A, APPROVER_B],
					threshold: 2,
				}
				.into(),
			);
			let set = Approvers::<Test>::get(0).unwrap();
			assert_eq!((set.approvers.to_vec(), set.threshold), (vec![APPROVER_A, APPROVER_B], 2));
		});
	}

	#[test]
	fn refuses_members_other_organisations_and_strangers() {
		run_test(|| {
			// A member is not an admin; an operator's admin is not a manufacturer's.
			for caller in [APPROVER_A, OPERATOR, STRANGER] {
				assert_noop!(
					Firmware::set_approvers(origin(caller), vec![APPROVER_A], 1),
					Error::<Test>::NotManufacturerAdmin
				);
			}
			assert_noop!(
				Firmware::set_approvers(RuntimeOrigin::root(), vec![APPROVER_A], 1),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn refuses_bad_thresholds() {
		run_test(|| {
			for threshold in [0, 3] {
				assert_noop!(
					Firmware::set_approvers(origin(MAKER), vec![APPROVER_A, APPROVER_B], threshold),
					Error::<Test>::BadThreshold
				);
			}
		});
	}

	#[test]
	fn refuses_outsiders_duplicates_and_too_many() {
		run_test(|| {
			assert_noop!(
				Firmware::set_approvers(origin(MAKER), vec![APPROVER_A, RIVAL], 1),
				Error::<Test>::BadApprover
			);
			assert_noop!(
				Firmware::set_approvers(origin(MAKER), vec![APPROVER_A, APPROVER_A], 1),
				Error::<Test>::BadApprover
			);
			assert_noop!(
				Firmware::set_approvers(origin(MAKER), vec![MAKER, APPROVER_A, APPROVER_B, 4], 1),
				Error::<Test>::TooManyApprovers
			);
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
				Event::Approved { release: id, approver: APPROVER_A, approvals: 1 }.into(),
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
			assert_ok!(Firmware::set_approvers(origin(MAKER), vec![MAKER, APPROVER_A], 2));
			let id = publish(v(1, 1, 0));
			assert_eq!(Releases::<Test>::get(id).unwrap().approvals.to_vec(), vec![MAKER]);
			assert_ok!(Firmware::approve(origin(APPROVER_A), id));
			assert!(matches!(status(id), ReleaseStatus::Active { .. }));
		});
	}

	#[test]
	fn with_a_threshold_of_one_an_approver_publishes_an_active_release() {
		run_test(|| {
			assert_ok!(Firmware::set_approvers(origin(MAKER), vec![APPROVER_A], 1));
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
			assert_noop!(publish_as(MAKER, v(1, 1, 0)), Error::<Test>::NoApprovers);
		});
	}

	#[test]
	fn refuses_another_manufacturers_model() {
		run_test(|| {
			two_of_two();
			publish(v(1, 1, 0));
			assert_ok!(Firmware::set_approvers(origin(RIVAL), vec![RIVAL], 1));
			assert_noop!(publish_as(RIVAL, v(9, 0, 0)), Error::<Test>::ModelOfAnotherManufacturer);
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
			assert_noop!(Firmware::approve(origin(APPROVER_A), 7), Error::<Test>::UnknownRelease);
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
			assert_ok!(Firmware::set_approvers(origin(MAKER), vec![APPROVER_A, APPROVER_B], 1));
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
				Error::<Test>::UnknownRelease
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
					reporter: DEVICE_ACCOUNT,
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
			assert_noop!(install(DEVICE_ACCOUNT, 9), Error::<Test>::UnknownRelease);
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
