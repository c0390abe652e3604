//! A minimal runtime for the access grants' tests, with the real device registry behind its
//! trait and the real timestamp pallet as the clock.

use crate as pallet_access_grants;
use frame_support::{
	assert_ok, derive_impl,
	traits::{ConstU32, ConstU64, ConstU8, Hooks},
};
use pallet_device_registry::{testing::Fixture, DeviceId, DeviceKind, OrgId, OrgRoles};
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
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Devices = pallet_device_registry;

	#[runtime::pallet_index(3)]
	pub type Grants = pallet_access_grants;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = ConstU64<1>;
	type WeightInfo = ();
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	// Three admins, so a majority (two) is not every admin.
	type MaxAdmins = ConstU32<3>;
}

/// Blocks the admins' approvals of a powerful grant count.
pub const APPROVAL_WINDOW: u64 = 10;
/// The longest grant window: a day.
pub const MAX_LIFETIME: u64 = 86_400_000;

#[cfg(feature = "runtime-benchmarks")]
pub struct TestClock;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper for TestClock {
	fn set_time(now: crate::Moment) {
		pallet_timestamp::Now::<Test>::put(now);
	}
}

// Small bounds, so tests reach every limit with a handful of grants.
#[derive_impl(pallet_access_grants::config_preludes::TestDefaultConfig)]
impl pallet_access_grants::Config for Test {
	type Registry = Devices;
	type Time = Timestamp;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type MaxModelLen = <Test as pallet_device_registry::Config>::MaxModelLen;
	type MaxLevelLen = ConstU32<8>;
	type MaxAdmins = <Test as pallet_device_registry::Config>::MaxAdmins;
	type MaxGrantsPerObject = ConstU32<4>;
	type MaxGrantsPerSubject = ConstU32<3>;
	type MaxGrantsPerHolding = ConstU32<2>;
	type MaxGrantLifetime = ConstU64<MAX_LIFETIME>;
	type MaxDelegationDepth = ConstU8<2>;
	type ApprovalWindow = ConstU64<APPROVAL_WINDOW>;
	type MaxPendingGrantsPerOrg = ConstU32<6>;
	type MaxGrantsPerExpirySlot = ConstU32<2>;
	type MaxExpiriesPerBlock = ConstU32<2>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestClock;
	type WeightInfo = ();
}

/// The owner organisation's admins (settled: governance set them).
pub const OWNER_ADMIN: u64 = 1;
pub const SECOND_ADMIN: u64 = 2;
pub const THIRD_ADMIN: u64 = 3;
/// A member (operator) of the owner organisation.
pub const OWNER_MEMBER: u64 = 4;
/// Admin of a certifier organisation.
pub const CERTIFIER: u64 = 10;
/// Admin of another operator organisation, with no say over the owner's devices.
pub const RIVAL: u64 = 20;
/// An account no organisation knows: a rental agency's or a tenant's.
pub const AGENCY: u64 = 30;
pub const STRANGER: u64 = 99;

pub const OWNER_ORG: OrgId = 0;
pub const CERTIFIER_ORG: OrgId = 1;
pub const RIVAL_ORG: OrgId = 2;

/// The owner's lock (model `LOCK1`) and camera (model `CAM1`), and the rival's device.
pub const LOCK: DeviceId = [1; 32];
pub const CAMERA: DeviceId = [2; 32];
pub const RIVAL_DEVICE: DeviceId = [9; 32];
/// A tenant's phone, as its registration pairs name it.
pub const PHONE: [u8; 32] = [7; 32];

/// The chain's time at block 1: 2026-01-01T00:00:00Z.
pub const START: u64 = 1_767_225_600_000;
pub const HOUR: u64 = 3_600_000;

/// The owner (0, operator; admins 1, 2, 3 and member 4), a certifier (1) and a rival
/// operator (2), with the lock and the camera of the owner and one device of the rival, at
/// block 1 and `START`.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("an empty genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		// As on a chain: the block hook runs before the block's time is set, and the genesis
		// block has none.
		Grants::on_initialize(1);
		Timestamp::set_timestamp(START);
		let operator = OrgRoles { operator: true, ..Default::default() };
		let certifier = OrgRoles { certifier: true, ..Default::default() };
		Fixture::<Test>::new()
			.org(b"owner", operator, OWNER_ADMIN)
			.org(b"certifier", certifier, CERTIFIER)
			.org(b"rival", operator, RIVAL)
			.device(OWNER_ADMIN, LOCK, DeviceKind::Device, b"LOCK1", 101)
			.device(OWNER_ADMIN, CAMERA, DeviceKind::Device, b"CAM1", 102)
			.device(RIVAL, RIVAL_DEVICE, DeviceKind::Device, b"LOCK1", 109)
			.build();
		let admins = vec![OWNER_ADMIN, SECOND_ADMIN, THIRD_ADMIN].try_into().expect("three fit");
		assert_ok!(Devices::force_set_admins(RuntimeOrigin::root(), OWNER_ORG, admins));
		assert_ok!(pallet_device_registry::testing::add_account_for_tests::<Test>(
			OWNER_ADMIN,
			OWNER_MEMBER,
			pallet_device_registry::testing::OrgRole::Member,
		));
		System::reset_events();
	});
	ext
}

/// Runs `test` on the mock's state, then checks the pallet's invariants.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Grants::do_try_state().expect("the grants' invariants hold after the test");
	});
}

/// Moves to block `n` at time `now` as the chain would: the pallet's block hook runs first,
/// still at the previous block's time, then the block's time is set.
pub fn run_to(n: u64, now: u64) {
	System::set_block_number(n);
	Grants::on_initialize(n);
	Timestamp::set_timestamp(now);
}
