//! A minimal runtime for the registration registry's tests, with the real device registry
//! behind the `DeviceRegistry` trait.

use crate as pallet_registration_hashes;
use frame_support::{assert_ok, derive_impl, traits::ConstU32};
use pallet_device_registry::{DeviceId, DeviceKind, OrgId, OrgRoles};
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
	pub type RegistrationHashes = pallet_registration_hashes;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
}

// Three versions per pair and four pairs per device, so tests reach the limits quickly.
impl pallet_registration_hashes::Config for Test {
	type Registry = Devices;
	type MaxVersions = ConstU32<3>;
	type MaxPairsPerDevice = ConstU32<4>;
	type MaxBatchSize = ConstU32<3>;
	type WeightInfo = ();
}

/// Admin of the certifier organisation.
pub const CERTIFIER: u64 = 1;
/// Admin of the manufacturer organisation that owns the devices.
pub const OWNER: u64 = 2;
/// Admin of an organisation that is neither.
pub const OUTSIDER: u64 = 3;
/// Admin of a second certifier organisation, which certified nothing for the tests' pair.
pub const RIVAL_CERTIFIER: u64 = 4;
/// An account no organisation knows.
pub const STRANGER: u64 = 99;
/// The signing account of device `n` is `DEVICE_ACCOUNT_BASE + n`.
pub const DEVICE_ACCOUNT_BASE: u64 = 100;

pub const CERTIFIER_ORG: OrgId = 0;
pub const OWNER_ORG: OrgId = 1;

fn create_org(admin: u64, roles: OrgRoles) {
	assert_ok!(Devices::create_org(RuntimeOrigin::root(), b"org".to_vec(), roles, admin));
}

/// Registers device `n` (signing account `DEVICE_ACCOUNT_BASE + n`) for the owner organisation.
pub fn register_device(n: u8) -> DeviceId {
	assert_ok!(pallet_device_registry::testing::register_for_tests::<Test>(
		OWNER,
		[n; 32],
		DeviceKind::Device,
		b"LOCK1",
		DEVICE_ACCOUNT_BASE + n as u64,
	));
	[n; 32]
}

/// A certifier organisation (0), the device owner (1) with device 1, and an outsider (2).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("an empty genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		let role = |certifier, manufacturer| OrgRoles { certifier, manufacturer, operator: false };
		create_org(CERTIFIER, role(true, false));
		create_org(OWNER, role(false, true));
		create_org(OUTSIDER, OrgRoles { operator: true, ..Default::default() });
		create_org(RIVAL_CERTIFIER, role(true, false));
		register_device(1);
		System::reset_events();
	});
	ext
}

/// Runs a test, then checks the registration registry's invariants on the state it left.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		RegistrationHashes::do_try_state().expect("the registration registry's invariants hold");
	});
}
