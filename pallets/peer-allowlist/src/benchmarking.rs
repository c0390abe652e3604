//! Benchmarks of every call, each in its most expensive case: the longest PeerId (an
//! ed25519 one for claims, which must be signed), an organisation one claim short of its bound.

use super::*;
use crate::Pallet as Allowlist;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{EnsureOrigin, Get};
use frame_system::RawOrigin;
use pallet_device_registry::{DeviceRegistryBenchmarking, OrgRoles};

/// Where the benchmarks keep node identity keys.
const NODE_KEYS: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"bnod");

/// A fresh node identity key's PeerId, and its signature consenting to `org`'s claim.
fn signed_claim<T: Config>(org: OrgId) -> (alloc::vec::Vec<u8>, sp_core::ed25519::Signature) {
	let public = sp_io::crypto::ed25519_generate(NODE_KEYS, None);
	let mut peer_id = ED25519_PEER_ID_PREFIX.to_vec();
	peer_id.extend_from_slice(&public.0);
	let payload = Allowlist::<T>::claim_payload(org, &peer_id);
	let signature = sp_io::crypto::ed25519_sign(NODE_KEYS, &public, &payload)
		.expect("the key was just generated in the keystore");
	(peer_id, signature)
}

/// The longest PeerId the runtime accepts, distinct per `n`.
fn longest_peer_id<T: Config>(n: u32) -> alloc::vec::Vec<u8> {
	let mut peer_id = vec![0xbe; T::MaxPeerIdLength::get() as usize];
	peer_id[..4].copy_from_slice(&n.to_le_bytes());
	peer_id
}

#[benchmarks(where T::Registry: DeviceRegistryBenchmarking<T::AccountId>)]
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
		let (peer_id, signature) = signed_claim::<T>(org);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), peer_id, signature);

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
		let (peer_id, signature) = signed_claim::<T>(org);
		Allowlist::<T>::claim_node(
			RawOrigin::Signed(admin.clone()).into(),
			peer_id.clone(),
			signature,
		)
		.map_err(|_| BenchmarkError::Stop("the admin claims a node"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), peer_id);

		assert_eq!(ClaimedNodes::<T>::get(org), 0);
		Ok(())
	}

	impl_benchmark_test_suite!(Allowlist, crate::mock::new_test_ext(), crate::mock::Test);
}
