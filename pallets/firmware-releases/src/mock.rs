//! A minimal runtime for the firmware registry's tests, with the real device registry behind
//! the `DeviceRegistry` trait.

use crate as pallet_firmware_releases;
use frame_support::{
	assert_ok, derive_impl,
	traits::{ConstU32, ConstU64},
};
use pallet_device_registry::{
	testing::{Fixture, OrgRole},
	DeviceId, DeviceKind, FirmwareVersion, OrgRoles,
};
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
	pub type Firmware = pallet_firmware_releases;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	// Room for the benchmarks' approver changes: a full set plus a full set of new approvers.
	type MaxMembers = ConstU32<8>;
	// A gateway serving a whole batch of devices.
	type MaxDevicesPerGateway = ConstU32<4>;
}

// Small bounds, so tests reach every limit with a handful of entries.
impl pallet_firmware_releases::Config for Test {
	type Registry = Devices;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type ApprovalWindow = ConstU64<10>;
	type UnusedClaimLifetime = ConstU64<100>;
	type MaxModelLen = ConstU32<8>;
	type MaxUriLen = ConstU32<16>;
	type MaxApprovers = ConstU32<3>;
	type MaxReleasesPerModel = ConstU32<4>;
	type MaxBatchSize = ConstU32<3>;
	type WeightInfo = ();
}

/// Admins of the manufacturer organisation (0); not approvers.
pub const MAKER: u64 = 1;
pub const SECOND_ADMIN: u64 = 5;
/// The manufacturer's two approvers (members of organisation 0).
pub const APPROVER_A: u64 = 11;
pub const APPROVER_B: u64 = 12;
/// Admin of the operator organisation (1) that owns the devices.
pub const OPERATOR: u64 = 2;
/// Admin of another manufacturer organisation (2).
pub const RIVAL: u64 = 3;
/// An account no organisation knows.
pub const STRANGER: u64 = 99;

/// The lock model the manufacturer makes, and the firmware devices leave the factory with.
pub const MODEL: &[u8] = b"LOCK1";
pub const FACTORY: FirmwareVersion = FirmwareVersion { major: 1, minor: 0, patch: 0 };

/// Device 1 (account 101) and device 2 (account 102) of model `LOCK1`, device 3 (account 103)
/// of another model, and gateway 9 (account 109), which relays device 1.
pub const DEVICE: DeviceId = [1; 32];
pub const DEVICE_ACCOUNT: u64 = 101;
pub const SECOND_DEVICE: DeviceId = [2; 32];
pub const OTHER_MODEL_DEVICE: DeviceId = [3; 32];
pub const GATEWAY: DeviceId = [9; 32];
pub const GATEWAY_ACCOUNT: u64 = 109;

/// The organisations and devices above, at block 1. The manufacturer has no approvers yet and
/// has claimed no model; the operator's devices already use `LOCK1`.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("an empty genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		let manufacturer = OrgRoles { manufacturer: true, ..Default::default() };
		let operator = OrgRoles { operator: true, ..Default::default() };
		Fixture::<Test>::new()
			.org(b"org", manufacturer, MAKER)
			.org(b"org", operator, OPERATOR)
			.org(b"org", manufacturer, RIVAL)
			.build();
		// Governance appoints the second admin, so both are settled admins from the start.
		let admins = vec![MAKER, SECOND_ADMIN].try_into().expect("two admins fit");
		assert_ok!(Devices::force_set_admins(RuntimeOrigin::root(), 0, admins));
		for approver in [APPROVER_A, APPROVER_B] {
			assert_ok!(pallet_device_registry::testing::add_account_for_tests::<Test>(
				MAKER,
				approver,
				OrgRole::Member,
			));
		}
		// The devices, registered once the approvers have joined.
		Fixture::<Test>::new()
			.device(OPERATOR, DEVICE, DeviceKind::Device, MODEL, DEVICE_ACCOUNT)
			.device(OPERATOR, SECOND_DEVICE, DeviceKind::Device, MODEL, 102)
			.device(OPERATOR, OTHER_MODEL_DEVICE, DeviceKind::Device, b"CAM2", 103)
			.device(OPERATOR, GATEWAY, DeviceKind::Gateway, b"GW1", GATEWAY_ACCOUNT)
			.build();
		assert_ok!(Devices::assign_gateway(RuntimeOrigin::signed(OPERATOR), DEVICE, Some(GATEWAY)));
		System::reset_events();
	});
	ext
}

/// Runs a test, then checks the firmware registry's invariants on the state it left.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Firmware::do_try_state().expect("the firmware registry's invariants hold");
	});
}
