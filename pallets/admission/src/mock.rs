//! A minimal runtime for the admission tests: the real device registry decides which accounts
//! are devices, gateways and organisation accounts; a fixed council stands in for the
//! membership pallet.

use crate::{self as pallet_admission, AccountKind, KnownAccounts};
use frame_support::{assert_ok, derive_impl, traits::ConstU32};
use pallet_device_registry::{DeviceId, DeviceKind, DeviceRegistry, OrgRoles};
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
	pub type Admission = pallet_admission;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
}

/// The council member of the tests.
pub const COUNCIL_MEMBER: u64 = 1;
/// Admin of the organisation that owns the devices.
pub const ORG_ADMIN: u64 = 2;
/// An account nobody knows.
pub const STRANGER: u64 = 99;
/// The device's signing account.
pub const DEVICE_ACCOUNT: u64 = 100;
/// The gateway's signing account.
pub const GATEWAY_ACCOUNT: u64 = 101;
pub const DEVICE: DeviceId = [1; 32];
pub const GATEWAY: DeviceId = [2; 32];

/// Per-block quotas in the tests, and how many blocks of them the pool holds.
pub const DEVICE_QUOTA: u32 = 2;
pub const GATEWAY_QUOTA: u32 = 3;
pub const QUOTA_WINDOW: u32 = 2;

/// The council, organisations' accounts, devices and gateways — as the runtime composes them.
pub struct TestAccounts;
impl KnownAccounts<u64> for TestAccounts {
	fn kind_of(account: &u64) -> Option<AccountKind> {
		if *account == COUNCIL_MEMBER || Devices::active_org_of(account).is_some() {
			return Some(AccountKind::Member);
		}
		Devices::active_device_by_account(account).map(|device| match device.kind {
			DeviceKind::Device => AccountKind::Device,
			DeviceKind::Gateway => AccountKind::Gateway,
		})
	}
}

impl pallet_admission::Config for Test {
	type KnownAccounts = TestAccounts;
	type DeviceQuota = ConstU32<DEVICE_QUOTA>;
	type GatewayQuota = ConstU32<GATEWAY_QUOTA>;
	type QuotaWindow = ConstU32<QUOTA_WINDOW>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestAccounts;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for TestAccounts {
	fn costliest_quota_account() -> u64 {
		DEVICE_ACCOUNT
	}
}

/// An organisation (admin `ORG_ADMIN`) with one active device and one active gateway.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		// Members pay fees, so they have accounts (a balance, in the runtime).
		for member in [COUNCIL_MEMBER, ORG_ADMIN] {
			System::inc_providers(&member);
		}
		assert_ok!(Devices::create_org(
			RuntimeOrigin::root(),
			b"acme".to_vec(),
			OrgRoles { operator: true, ..Default::default() },
			ORG_ADMIN,
		));
		for (id, kind, account) in [
			(DEVICE, DeviceKind::Device, DEVICE_ACCOUNT),
			(GATEWAY, DeviceKind::Gateway, GATEWAY_ACCOUNT),
		] {
			assert_ok!(pallet_device_registry::testing::register_for_tests::<Test>(
				ORG_ADMIN, id, kind, b"TH100", account,
			));
		}
	});
	ext
}
