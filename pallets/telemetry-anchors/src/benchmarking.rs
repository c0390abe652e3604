//! Benchmarks of `anchor` in its most expensive case: every device of the batch has been
//! anchored before, so each range reads and rewrites an anchor.

use super::*;
use crate::Pallet as Anchors;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use pallet_device_registry::{DeviceId, DeviceRegistryBenchmarking, OrgRoles};

/// Distinct from the ids the unit tests' mock registers at genesis.
const GATEWAY: DeviceId = [0xbf; 32];

fn device(i: u32) -> DeviceId {
	let mut id = [0xb0; 32];
	id[28..].copy_from_slice(&i.to_be_bytes());
	id
}

#[benchmarks(where T::Registry: DeviceRegistryBenchmarking<T::AccountId>)]
mod benchmarks {
	use super::*;

	/// `d` devices in the batch, each anchored before by batch 0.
	#[benchmark]
	fn anchor(d: Linear<1, { T::MaxDevicesPerBatch::get() }>) {
		let admin: T::AccountId = account("operator", 0, 0);
		T::Registry::org_for_benchmark(&admin, OrgRoles { operator: true, ..Default::default() });
		for i in 0..d {
			T::Registry::device_for_benchmark(&admin, device(i), &account("device", i, 0));
		}
		let gateway_account: T::AccountId = account("gateway", 0, 0);
		T::Registry::gateway_for_benchmark(&admin, device(0), GATEWAY, &gateway_account);
		let ranges: Vec<DeviceRange> =
			(0..d).map(|i| DeviceRange { device: device(i), first: 11, last: 20 }).collect();
		for range in &ranges {
			DeviceAnchors::<T>::insert(
				range.device,
				DeviceAnchor { gateway: GATEWAY, batch: 0, last_sequence: 10 },
			);
		}
		NextBatch::<T>::insert(GATEWAY, 1);
		let batch = Batch {
			sequence: 1,
			root: [7; 32],
			leaf_count: T::MaxLeavesPerBatch::get(),
			first_timestamp_ms: 1,
			last_timestamp_ms: 2,
			devices: frame_support::BoundedVec::<_, T::MaxDevicesPerBatch>::truncate_from(ranges),
		};

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway_account), batch);

		assert_eq!(Anchors::<T>::next_batch(GATEWAY), 2);
		assert_eq!(DeviceAnchors::<T>::get(device(0)).map(|a| a.last_sequence), Some(20));
	}

	impl_benchmark_test_suite!(Anchors, crate::mock::new_test_ext(), crate::mock::Test);
}
