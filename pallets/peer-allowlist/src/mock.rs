//! A minimal runtime for the allow-list's tests, with the real device registry deciding who
//! administers which organisation.

use crate as pallet_peer_allowlist;
use frame_support::{derive_impl, traits::ConstU32};
use pallet_device_registry::{testing::Fixture, OrgRoles};
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(RuntimeCall, RuntimeEvent, RuntimeError, RuntimeOrigin, RuntimeTask)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Devices = pallet_device_registry;

	#[runtime::pallet_index(2)]
	pub type Allowlist = pallet_peer_allowlist;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
}

impl pallet_peer_allowlist::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type RemovalOrigin = frame_system::EnsureRoot<u64>;
	type Registry = Devices;
	// Room for an ed25519 PeerId (38 bytes) and a little more.
	type MaxPeerIdLength = ConstU32<40>;
	type MaxNodes = ConstU32<4>;
	type MaxNodesPerOrg = ConstU32<2>;
	type WeightInfo = ();
}

/// Admin of organisation 0.
pub const ADMIN: u64 = 1;
/// Admin of organisation 1.
pub const OTHER_ADMIN: u64 = 2;
/// An account no organisation knows.
pub const STRANGER: u64 = 99;
/// The identity key of test node `n`.
pub fn node_key(n: u8) -> sp_core::ed25519::Pair {
	<sp_core::ed25519::Pair as sp_core::Pair>::from_seed(&[n; 32])
}

/// The PeerId of test node `n`, in binary form, as libp2p derives it from its ed25519 key.
pub fn peer(n: u8) -> Vec<u8> {
	let mut peer_id = crate::ED25519_PEER_ID_PREFIX.to_vec();
	peer_id.extend_from_slice(&sp_core::Pair::public(&node_key(n)).0);
	peer_id
}

/// The node in genesis.
pub fn genesis_node() -> Vec<u8> {
	peer(0xaa)
}

/// `admin` claims test node `n` for its organisation, with the node's signature.
pub fn claim(admin: u64, n: u8) -> sp_runtime::DispatchResult {
	let org = pallet_device_registry::OrgOfAccount::<Test>::get(admin).unwrap_or_default();
	let signature = sp_core::Pair::sign(&node_key(n), &Allowlist::claim_payload(org, &peer(n)));
	Allowlist::claim_node(RuntimeOrigin::signed(admin), peer(n), signature)
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_peer_allowlist::GenesisConfig::<Test> {
		nodes: vec![genesis_node()],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	// The benchmarks sign claims with node keys from a keystore.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| {
		System::set_block_number(1);
		let operator = OrgRoles { operator: true, ..Default::default() };
		Fixture::<Test>::new()
			.org(b"acme", operator, ADMIN)
			.org(b"globex", operator, OTHER_ADMIN)
			.build();
	});
	ext
}
