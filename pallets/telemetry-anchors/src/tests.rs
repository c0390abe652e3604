use crate::{mock::*, AnchoredBatch, Batch, BatchOf, DeviceAnchor, DeviceRange, Error, Event};
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo, pallet_prelude::Pays};
use pallet_device_registry::DeviceId;

fn range(device: DeviceId, first: u64, last: u64) -> DeviceRange {
	DeviceRange { device, first, last }
}

/// Batch `sequence` of 10 readings from devices 1 and 2.
fn batch(sequence: u64) -> BatchOf {
	Batch {
		sequence,
		root: [sequence as u8; 32],
		leaf_count: 10,
		first_timestamp_ms: 1_000,
		last_timestamp_ms: 2_000,
		devices: vec![
			range(device(1), sequence * 10 + 1, sequence * 10 + 5),
			range(device(2), sequence * 10 + 1, sequence * 10 + 5),
		],
	}
}

fn anchor_as(account: u64, batch: BatchOf) -> frame_support::dispatch::DispatchResult {
	Anchors::anchor(RuntimeOrigin::signed(account), batch)
}

#[test]
fn a_gateway_anchors_its_batches_in_sequence() {
	run_test(|| {
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
		System::assert_last_event(
			Event::BatchAnchored {
				gateway: GATEWAY,
				sequence: 0,
				root: [0; 32],
				leaf_count: 10,
				first_timestamp_ms: 1_000,
				last_timestamp_ms: 2_000,
				devices: batch(0).devices,
				by: GATEWAY_ACCOUNT,
			}
			.into(),
		);
		System::set_block_number(2);
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(1)));
		assert_eq!(Anchors::next_batch(GATEWAY), 2);
		assert_eq!(
			Anchors::batch(GATEWAY, 1),
			Some(AnchoredBatch {
				root: [1; 32],
				leaf_count: 10,
				first_timestamp_ms: 1_000,
				last_timestamp_ms: 2_000,
				device_count: 2,
				anchored_at: 2,
			})
		);
		assert_eq!(
			Anchors::device_anchor(device(2)),
			Some(DeviceAnchor { gateway: GATEWAY, batch: 1, last_sequence: 15 })
		);
		assert_eq!(Anchors::device_anchor(device(3)), None);
	});
}

#[test]
fn a_batch_anchored_twice_or_with_a_gap_is_refused() {
	run_test(|| {
		// A gap: batch 1 before batch 0.
		assert_noop!(anchor_as(GATEWAY_ACCOUNT, batch(1)), Error::<Test>::BatchOutOfSequence);
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
		// A gateway resubmitting after a restart: the same batch again.
		assert_noop!(anchor_as(GATEWAY_ACCOUNT, batch(0)), Error::<Test>::BatchOutOfSequence);
		assert_noop!(anchor_as(GATEWAY_ACCOUNT, batch(2)), Error::<Test>::BatchOutOfSequence);
	});
}

#[test]
fn each_gateway_has_its_own_sequence() {
	run_test(|| {
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
		let mut rival = batch(0);
		rival.devices = vec![range(RIVAL_DEVICE, 1, 1)];
		assert_ok!(anchor_as(RIVAL_GATEWAY_ACCOUNT, rival));
		assert_eq!(Anchors::next_batch(GATEWAY), 1);
		assert_eq!(Anchors::next_batch(RIVAL_GATEWAY), 1);
	});
}

#[test]
fn only_an_active_gateway_anchors() {
	run_test(|| {
		for outsider in [STRANGER, OWNER, DEVICE_ACCOUNT_BASE + 1] {
			assert_noop!(anchor_as(outsider, batch(0)), Error::<Test>::NotActiveGateway);
		}
		assert_ok!(Devices::suspend_device(RuntimeOrigin::signed(OWNER), GATEWAY));
		assert_noop!(anchor_as(GATEWAY_ACCOUNT, batch(0)), Error::<Test>::NotActiveGateway);
		assert_ok!(Devices::resume_device(RuntimeOrigin::signed(OWNER), GATEWAY));
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
	});
}

#[test]
fn a_gateway_anchors_only_its_own_organisations_devices() {
	run_test(|| {
		let mut foreign = batch(0);
		foreign.devices.push(range(RIVAL_DEVICE, 1, 1));
		assert_noop!(
			anchor_as(GATEWAY_ACCOUNT, foreign),
			Error::<Test>::DeviceOfAnotherOrganisation
		);
		let mut unknown = batch(0);
		unknown.devices.push(range([0x77; 32], 1, 1));
		assert_noop!(anchor_as(GATEWAY_ACCOUNT, unknown), Error::<Test>::DeviceNotFound);
	});
}

#[test]
fn readings_anchored_since_suspended_or_revoked_devices_still_anchor() {
	run_test(|| {
		// Accepted while active, anchored after: the chain checks ownership, not status.
		assert_ok!(Devices::revoke_device(RuntimeOrigin::signed(OWNER), device(1)));
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
	});
}

#[test]
fn a_devices_readings_are_anchored_once_and_in_order() {
	run_test(|| {
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
		// Device 1's readings up to 5 are anchored: 5 again, or anything below, is refused.
		for first in [1, 5] {
			let mut again = batch(1);
			again.devices[0] = range(device(1), first, 9);
			assert_noop!(
				anchor_as(GATEWAY_ACCOUNT, again),
				Error::<Test>::SequenceNotAfterAnchored
			);
		}
		let mut next = batch(1);
		next.devices[0] = range(device(1), 6, 6);
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, next));
	});
}

#[test]
fn a_device_moving_to_another_gateway_starts_afresh_there() {
	run_test(|| {
		let second_gateway: DeviceId = [0xed; 32];
		assert_ok!(pallet_device_registry::testing::register_for_tests::<Test>(
			OWNER,
			second_gateway,
			pallet_device_registry::DeviceKind::Gateway,
			b"SENSOR",
			52,
		));
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
		// The second gateway accepted device 1's readings 1–3 while the first was cut off: its
		// own order starts there, and neither gateway's sequence of batches is blocked.
		let mut elsewhere = batch(0);
		elsewhere.devices = vec![range(device(1), 1, 3)];
		assert_ok!(anchor_as(52, elsewhere));
		assert_eq!(
			Anchors::device_anchor(device(1)),
			Some(DeviceAnchor { gateway: second_gateway, batch: 0, last_sequence: 3 })
		);
	});
}

#[test]
fn a_batch_that_misdescribes_itself_is_refused() {
	run_test(|| {
		let cases: Vec<(fn(&mut BatchOf), Error<Test>)> = vec![
			(|b| b.leaf_count = 0, Error::<Test>::BadLeafCount),
			(|b| b.leaf_count = 101, Error::<Test>::BadLeafCount),
			(|b| b.last_timestamp_ms = 999, Error::<Test>::BadTimeRange),
			(|b| b.devices.clear(), Error::<Test>::BadDeviceRanges),
			// More ranges than MaxDevicesPerBatch (3).
			(
				|b| {
					b.devices.push(range(device(3), 1, 1));
					b.devices.push(range(device(4), 1, 1));
				},
				Error::<Test>::BadDeviceRanges,
			),
			// More ranges than leaves.
			(|b| b.leaf_count = 1, Error::<Test>::BadDeviceRanges),
			// Not ordered by device, or a device twice.
			(|b| b.devices.reverse(), Error::<Test>::BadDeviceRanges),
			(|b| b.devices[1].device = device(1), Error::<Test>::BadDeviceRanges),
			// A range that ends before it starts.
			(|b| b.devices[0] = range(device(1), 5, 4), Error::<Test>::BadDeviceRanges),
		];
		for (spoil, error) in cases {
			let mut bad = batch(0);
			spoil(&mut bad);
			assert_noop!(anchor_as(GATEWAY_ACCOUNT, bad), error);
		}
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
	});
}

#[test]
fn anchoring_is_feeless_for_an_active_gateway_only() {
	run_test(|| {
		use frame_support::dispatch::CheckIfFeeless;
		let call = crate::Call::<Test>::anchor { batch: batch(0) };
		let feeless = |account: u64| call.is_feeless(&RuntimeOrigin::signed(account));
		assert!(feeless(GATEWAY_ACCOUNT));
		assert!(!feeless(DEVICE_ACCOUNT_BASE + 1));
		assert!(!feeless(STRANGER));
		assert_ok!(Devices::suspend_device(RuntimeOrigin::signed(OWNER), GATEWAY));
		assert!(!feeless(GATEWAY_ACCOUNT));
		// The call itself pays (so anyone else is charged); only the rule above waives it.
		assert_eq!(call.get_dispatch_info().pays_fee, Pays::Yes);
	});
}
