//! A minimal runtime for the registration registry's tests, with the real device registry and
//! access grants behind their traits.

use crate as pallet_registration_hashes;
use frame_support::{assert_ok, derive_impl, traits::ConstU32};
use pallet_access_grants::{Object, Right, Subject};
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
	pub type Devices = pallet_device_registry;

	#[runtime::pallet_index(2)]
	pub type RegistrationHashes = pallet_registration_hashes;

	#[runtime::pallet_index(3)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(4)]
	pub type Grants = pallet_access_grants;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = frame_support::traits::ConstU64<1>;
	type WeightInfo = ();
}

#[derive_impl(pallet_access_grants::config_preludes::TestDefaultConfig)]
impl pallet_access_grants::Config for Test {
	type Registry = Devices;
	type Time = Timestamp;
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type MaxModelLen = <Test as pallet_device_registry::Config>::MaxModelLen;
	type MaxAdmins = <Test as pallet_device_registry::Config>::MaxAdmins;
	type ApprovalWindow = frame_support::traits::ConstU64<10>;
}

// Three versions per pair and four pairs per device, so tests reach the limits quickly.
impl pallet_registration_hashes::Config for Test {
	type Registry = Devices;
	type Access = Grants;
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
pub const RIVAL_CERTIFIER_ORG: OrgId = 3;

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

/// Grants `certifier_org` `register` on all of the owner's devices, as the owner.
pub fn grant_register(certifier_org: OrgId) {
	assert_ok!(pallet_access_grants::testing::grant_for_tests::<Test>(
		OWNER,
		Subject::Organisation(certifier_org),
		Object::Organisation(OWNER_ORG),
		pallet_access_grants::testing::only::<Test>(Right::Register),
	));
}

/// A certifier organisation (0), the device owner (1) with device 1, an outsider (2) and a
/// second certifier (3); the owner granted both certifiers `register` on all its devices.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("an empty genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		let role = |certifier, manufacturer| OrgRoles { certifier, manufacturer, operator: false };
		Fixture::<Test>::new()
			.org(b"org", role(true, false), CERTIFIER)
			.org(b"org", role(false, true), OWNER)
			.org(b"org", OrgRoles { operator: true, ..Default::default() }, OUTSIDER)
			.org(b"org", role(true, false), RIVAL_CERTIFIER)
			// Device 1, as `register_device(1)` registers it.
			.device(OWNER, [1; 32], DeviceKind::Device, b"LOCK1", DEVICE_ACCOUNT_BASE + 1)
			.build();
		grant_register(CERTIFIER_ORG);
		grant_register(RIVAL_CERTIFIER_ORG);
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
