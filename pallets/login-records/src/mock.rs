//! A minimal runtime for the login records' tests, with the real device and registration
//! registries behind their traits.

use crate as pallet_login_records;
use frame_support::{assert_ok, derive_impl, traits::ConstU32};
use pallet_access_grants::{Object, Right, Subject};
use pallet_device_registry::{testing::Fixture, DeviceId, DeviceKind, OrgId, OrgRoles};
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
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
	pub type Logins = pallet_login_records;

	#[runtime::pallet_index(4)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(5)]
	pub type Grants = pallet_access_grants;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	// A gateway serving a whole batch of devices.
	type MaxDevicesPerGateway = ConstU32<4>;
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

impl pallet_registration_hashes::Config for Test {
	type Registry = Devices;
	type Access = Grants;
	type MaxVersions = ConstU32<3>;
	type MaxPairsPerDevice = ConstU32<8>;
	type MaxBatchSize = ConstU32<3>;
	type WeightInfo = ();
}

/// Challenges live this many blocks in the tests.
pub const CHALLENGE_LIFETIME: u64 = 10;

// Small bounds, so tests reach every limit with a handful of attempts.
impl pallet_login_records::Config for Test {
	type Registry = Devices;
	type Registrations = RegistrationHashes;
	type Access = Grants;
	type MaxFailures = ConstU32<3>;
	type MaxRecentLogins = ConstU32<4>;
	type ChallengeLifetime = frame_support::traits::ConstU64<CHALLENGE_LIFETIME>;
	type MaxLoginsPerChallengeLifetime = ConstU32<5>;
	type MaxBatchSize = ConstU32<3>;
	type WeightInfo = ();
}

/// Admin of the certifier organisation.
pub const CERTIFIER: u64 = 1;
/// Admin of the organisation that owns the devices.
pub const OWNER: u64 = 2;
/// Admin of an operator organisation with no say over the devices.
pub const OUTSIDER: u64 = 3;
/// Admin of a second certifier organisation (3), which certified nothing for the tests' pairs.
pub const RIVAL_CERTIFIER: u64 = 4;
/// An account no organisation knows.
pub const STRANGER: u64 = 99;
/// The signing account of device `n` is `DEVICE_ACCOUNT_BASE + n`.
pub const DEVICE_ACCOUNT_BASE: u64 = 100;

pub const CERTIFIER_ORG: OrgId = 0;
pub const OWNER_ORG: OrgId = 1;
pub const RIVAL_CERTIFIER_ORG: OrgId = 3;
/// The user device the tests' pairs name; the owner grants it `login` on all its devices.
pub const USER_DEVICE: [u8; 32] = [7; 32];

/// Grants `subject` `right` on all of the owner's devices, as the owner.
pub fn grant(subject: Subject<u64>, right: Right) -> u64 {
	let id = pallet_access_grants::NextGrantId::<Test>::get();
	assert_ok!(pallet_access_grants::testing::grant_for_tests::<Test>(
		OWNER,
		subject,
		Object::Organisation(OWNER_ORG),
		pallet_access_grants::testing::only::<Test>(right),
	));
	id
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

/// Organisations 0 (certifier), 1 (owner of device 1), 2 (an operator) and 3 (another
/// certifier), at block 1, with a
/// keystore for signing in benchmarks.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("an empty genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| {
		System::set_block_number(1);
		let certifier = OrgRoles { certifier: true, ..Default::default() };
		Fixture::<Test>::new()
			.org(b"org", certifier, CERTIFIER)
			.org(b"org", OrgRoles { manufacturer: true, ..Default::default() }, OWNER)
			.org(b"org", OrgRoles { operator: true, ..Default::default() }, OUTSIDER)
			.org(b"org", certifier, RIVAL_CERTIFIER)
			// Device 1, as `register_device(1)` registers it.
			.device(OWNER, [1; 32], DeviceKind::Device, b"LOCK1", DEVICE_ACCOUNT_BASE + 1)
			.build();
		for certifier in [CERTIFIER_ORG, RIVAL_CERTIFIER_ORG] {
			grant(Subject::Organisation(certifier), Right::Register);
		}
		grant(Subject::UserDevice(USER_DEVICE), Right::Login);
		System::reset_events();
	});
	ext
}

/// Runs a test, then checks the login records' invariants on the state it left.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Logins::do_try_state().expect("the login records' invariants hold");
	});
}
