//! A minimal runtime for the telemetry anchors' tests, with the real device registry behind
//! its trait.

use crate as pallet_telemetry_anchors;
use frame_support::{derive_impl, traits::ConstU32};
use pallet_device_registry::{testing::Fixture, DeviceId, DeviceKind, OrgRoles};
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
	pub type Anchors = pallet_telemetry_anchors;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type MaxDevicesPerOrg = ConstU32<8>;
	type MaxDevicesPerGateway = ConstU32<4>;
}

/// Small bounds, so tests reach every limit with a handful of readings.
impl pallet_telemetry_anchors::Config for Test {
	type Registry = Devices;
	type MaxDevicesPerBatch = ConstU32<3>;
	type MaxLeavesPerBatch = ConstU32<100>;
	type WeightInfo = ();
}

/// Admin of the organisation that owns the gateway and devices 1–4.
pub const OWNER: u64 = 1;
/// Admin of another organisation, owning its own gateway and device 9.
pub const RIVAL: u64 = 2;
/// An account no organisation knows.
pub const STRANGER: u64 = 99;

/// The owner's gateway and its signing account.
pub const GATEWAY: DeviceId = [0xee; 32];
pub const GATEWAY_ACCOUNT: u64 = 50;
/// The rival's gateway and its signing account.
pub const RIVAL_GATEWAY: DeviceId = [0xef; 32];
pub const RIVAL_GATEWAY_ACCOUNT: u64 = 51;
/// The rival's device.
pub const RIVAL_DEVICE: DeviceId = [9; 32];
/// The signing account of device `n` is `DEVICE_ACCOUNT_BASE + n`.
pub const DEVICE_ACCOUNT_BASE: u64 = 100;

/// Device `n` of the owner (`n` in 1..=4).
pub fn device(n: u8) -> DeviceId {
	[n; 32]
}

/// The model of every device and gateway in the tests.
const MODEL: &[u8] = b"SENSOR";

/// Two operator organisations, each with a gateway; the owner has devices 1–4, the rival
/// device 9. At block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("an empty genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		let operator = OrgRoles { operator: true, ..Default::default() };
		let mut fixture = Fixture::<Test>::new()
			.org(b"org", operator, OWNER)
			.org(b"org", operator, RIVAL)
			.device(OWNER, GATEWAY, DeviceKind::Gateway, MODEL, GATEWAY_ACCOUNT);
		for n in 1..=4 {
			let account = DEVICE_ACCOUNT_BASE + n as u64;
			fixture = fixture.device(OWNER, device(n), DeviceKind::Device, MODEL, account);
		}
		fixture
			.device(RIVAL, RIVAL_GATEWAY, DeviceKind::Gateway, MODEL, RIVAL_GATEWAY_ACCOUNT)
			.device(RIVAL, RIVAL_DEVICE, DeviceKind::Device, MODEL, DEVICE_ACCOUNT_BASE + 9)
			.build();
		System::reset_events();
	});
	ext
}

/// Runs a test, then checks the anchors' invariants on the state it left.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Anchors::do_try_state().expect("the telemetry anchors' invariants hold");
	});
}
