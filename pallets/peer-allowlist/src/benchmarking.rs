//! Benchmarks of every call, each in its most expensive case: the longest PeerId, an
//! organisation one claim short of its bound.

use super::*;
use crate::Pallet as Allowlist;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_system::RawOrigin;
use pallet_device_registry::{DeviceRegistry, OrgRoles};

/// The longest PeerId the runtime accepts, distinct per `n`.
fn longest_peer_id<T: Config>(n: u32) -> alloc::vec::Vec<u8> {
	let mut peer_id = vec![0xbe; T::MaxPeerIdLength::get() as usize];
	peer_id[..4].copy_from_slice(&n.to_le_bytes());
	peer_id
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_node() -> Result<(), BenchmarkError> {
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let peer_id = longest_peer_id::<T>(0);

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, peer_id.clone());

		assert!(Allowlist::<T>::allowed_peer_ids().iter().any(|node| node.0 == peer_id));
		Ok(())
	}

	#[benchmark]
	fn claim_node() {
		let admin: T::AccountId = account("admin", 0, 0);
		let org = T::Registry::org_for_benchmark(
			&admin,
			OrgRoles { operator: true, ..Default::default() },
		);
		ClaimedNodes::<T>::insert(org, T::MaxNodesPerOrg::get() - 1);
		let peer_id = longest_peer_id::<T>(1);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), peer_id);

		assert_eq!(ClaimedNodes::<T>::get(org), T::MaxNodesPerOrg::get());
	}

	#[benchmark]
	fn remove_node() -> Result<(), BenchmarkError> {
		// An organisation's admin removing its own node reads the most: the registry too.
		let admin: T::AccountId = account("admin", 0, 0);
		let org = T::Registry::org_for_benchmark(
			&admin,
			OrgRoles { operator: true, ..Default::default() },
		);
		let peer_id = longest_peer_id::<T>(2);
		Allowlist::<T>::claim_node(RawOrigin::Signed(admin.clone()).into(), peer_id.clone())
			.map_err(|_| BenchmarkError::Stop("the admin claims a node"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), peer_id);

		assert_eq!(ClaimedNodes::<T>::get(org), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(Allowlist, crate::mock::new_test_ext(), crate::mock::Test);
}
