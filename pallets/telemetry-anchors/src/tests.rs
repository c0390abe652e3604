use crate::{
	mock::*, AnchoredBatch, Batch, BatchOf, Config, DeviceAnchor, DeviceRange, Error, Event,
	WeightInfo,
};
use codec::{Decode, Encode};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{CheckIfFeeless, GetDispatchInfo},
	pallet_prelude::{Pays, Weight},
	traits::Get,
};
use pallet_device_registry::DeviceId;

fn range(device: DeviceId, first: u64, last: u64) -> DeviceRange {
	DeviceRange { device, first, last }
}

/// Batch `sequence` of 10 readings from devices 1 and 2.
fn batch(sequence: u64) -> BatchOf<Test> {
	Batch {
		sequence,
		root: [sequence as u8; 32],
		leaf_count: 10,
		first_timestamp_ms: 1_000,
		last_timestamp_ms: 2_000,
		devices: ranges(vec![
			range(device(1), sequence * 10 + 1, sequence * 10 + 5),
			range(device(2), sequence * 10 + 1, sequence * 10 + 5),
		]),
	}
}

/// `ranges` as a batch holds them; at most `MaxDevicesPerBatch` of them.
fn ranges(
	ranges: Vec<DeviceRange>,
) -> frame_support::BoundedVec<DeviceRange, <Test as Config>::MaxDevicesPerBatch> {
	ranges.try_into().expect("test ranges fit MaxDevicesPerBatch")
}

/// Anchors `batch` as `account`, leaving out what the call charges (see
/// `a_failing_anchor_is_refunded` for that).
fn anchor_as(account: u64, batch: BatchOf<Test>) -> frame_support::dispatch::DispatchResult {
	Anchors::anchor(RuntimeOrigin::signed(account), batch)
		.map(|_| ())
		.map_err(|error| error.error)
}

/// The declared weight of an anchor with `ranges` device ranges.
fn anchor_weight(ranges: u32) -> Weight {
	<<Test as Config>::WeightInfo as WeightInfo>::anchor(ranges)
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
				devices: batch(0).devices.into_inner(),
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
		rival.devices = ranges(vec![range(RIVAL_DEVICE, 1, 1)]);
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
		foreign
			.devices
			.try_push(range(RIVAL_DEVICE, 1, 1))
			.expect("below MaxDevicesPerBatch");
		assert_noop!(
			anchor_as(GATEWAY_ACCOUNT, foreign),
			Error::<Test>::DeviceOfAnotherOrganisation
		);
		let mut unknown = batch(0);
		unknown
			.devices
			.try_push(range([0x77; 32], 1, 1))
			.expect("below MaxDevicesPerBatch");
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
		elsewhere.devices = ranges(vec![range(device(1), 1, 3)]);
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
		// (More ranges than MaxDevicesPerBatch do not decode: see
		// `an_oversized_batch_never_decodes`.)
		let cases: Vec<(fn(&mut BatchOf<Test>), Error<Test>)> = vec![
			(|b| b.leaf_count = 0, Error::<Test>::BadLeafCount),
			(|b| b.leaf_count = 101, Error::<Test>::BadLeafCount),
			(|b| b.last_timestamp_ms = 999, Error::<Test>::BadTimeRange),
			(|b| b.devices.clear(), Error::<Test>::BadDeviceRanges),
			// More ranges than leaves.
			(|b| b.leaf_count = 1, Error::<Test>::BadDeviceRanges),
			// Not ordered by device, or a device twice.
			(|b| b.devices.sort_by(|x, y| y.device.cmp(&x.device)), Error::<Test>::BadDeviceRanges),
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

/// Only the signing gateway's next batch, with readings and devices, is feeless: anything else
/// pays, which a gateway (holding no tokens) cannot, so the pool refuses it before dispatch.
#[test]
fn an_anchor_out_of_sequence_is_not_feeless() {
	run_test(|| {
		let feeless = |account: u64, batch: &BatchOf<Test>| {
			Anchors::is_next_batch_of_signing_gateway(&RuntimeOrigin::signed(account), batch)
		};
		assert!(feeless(GATEWAY_ACCOUNT, &batch(0)));
		assert!(!feeless(GATEWAY_ACCOUNT, &batch(1)), "a gap pays");
		assert!(!feeless(DEVICE_ACCOUNT_BASE + 1, &batch(0)), "a device, not a gateway, pays");
		assert!(!feeless(STRANGER, &batch(0)));
		let mut no_devices = batch(0);
		no_devices.devices.clear();
		assert!(!feeless(GATEWAY_ACCOUNT, &no_devices), "a batch naming no device pays");
		let mut no_readings = batch(0);
		no_readings.leaf_count = 0;
		assert!(!feeless(GATEWAY_ACCOUNT, &no_readings), "a batch of no readings pays");
		assert_ok!(anchor_as(GATEWAY_ACCOUNT, batch(0)));
		assert!(!feeless(GATEWAY_ACCOUNT, &batch(0)), "a batch anchored again pays");
		assert!(feeless(GATEWAY_ACCOUNT, &batch(1)));
		// The call's rule is this one.
		let call = crate::Call::<Test>::anchor { batch: batch(0) };
		assert!(!call.is_feeless(&RuntimeOrigin::signed(GATEWAY_ACCOUNT)));
		let call = crate::Call::<Test>::anchor { batch: batch(1) };
		assert!(call.is_feeless(&RuntimeOrigin::signed(GATEWAY_ACCOUNT)));
	});
}

/// A refused anchor is charged for the checks it reached: none of its ranges when refused
/// before the per-range checks, else the ranges up to the one refused.
#[test]
fn a_failing_anchor_is_refunded() {
	run_test(|| {
		let anchor =
			|batch: BatchOf<Test>| Anchors::anchor(RuntimeOrigin::signed(GATEWAY_ACCOUNT), batch);
		let error = anchor(batch(1)).unwrap_err();
		assert_eq!(error.error, Error::<Test>::BatchOutOfSequence.into());
		assert_eq!(error.post_info.actual_weight, Some(anchor_weight(0)));
		// Refused at its third range (index 2): charged for three.
		let mut foreign = batch(0);
		foreign
			.devices
			.try_push(range(RIVAL_DEVICE, 1, 1))
			.expect("below MaxDevicesPerBatch");
		let error = anchor(foreign).unwrap_err();
		assert_eq!(error.error, Error::<Test>::DeviceOfAnotherOrganisation.into());
		assert_eq!(error.post_info.actual_weight, Some(anchor_weight(3)));
		// An anchored batch is charged as declared.
		let applied = anchor(batch(0)).expect("batch 0 is the gateway's next");
		assert_eq!(applied.actual_weight, None);
	});
}

/// A batch naming more than `MaxDevicesPerBatch` devices is refused when the call is decoded,
/// so it never reaches the pool, let alone dispatch.
#[test]
fn an_oversized_batch_never_decodes() {
	let max = <<Test as Config>::MaxDevicesPerBatch as Get<u32>>::get() as u8;
	let plain = |count: u8| Batch {
		sequence: 0,
		root: [0; 32],
		leaf_count: 10,
		first_timestamp_ms: 1_000,
		last_timestamp_ms: 2_000,
		devices: (1..=count).map(|n| range(device(n), 1, 1)).collect::<Vec<_>>(),
	};
	// `anchor` is call 0; its ranges encode as `Compact(len) ++ items`, as a `Vec` does.
	let oversized = (0u8, plain(max + 1)).encode();
	assert!(<crate::Call<Test> as Decode>::decode(&mut &oversized[..]).is_err());
	let full = (0u8, plain(max)).encode();
	let decoded = <crate::Call<Test> as Decode>::decode(&mut &full[..]);
	assert!(matches!(
		decoded,
		Ok(crate::Call::anchor { batch }) if batch.devices.len() == max as usize
	));
}
