//! A minimal runtime for the admission tests: the real device registry decides which accounts
//! are devices, gateways and organisation accounts; a fixed council stands in for the
//! membership pallet.

use crate::{self as pallet_admission, AccountKind, KnownAccount, KnownAccounts};
use frame_support::{derive_impl, traits::ConstU32, weights::Weight};
use pallet_device_registry::{testing::Fixture, DeviceId, DeviceKind, DeviceRegistry, OrgRoles};
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

/// A second device of the same organisation, sharing its budget.
pub const SECOND_DEVICE_ACCOUNT: u64 = 102;
pub const SECOND_DEVICE: DeviceId = [3; 32];
/// Admin of a second organisation, with a device of its own.
pub const OTHER_ORG_ADMIN: u64 = 3;
pub const OTHER_ORG_DEVICE_ACCOUNT: u64 = 103;
pub const OTHER_ORG_DEVICE: DeviceId = [4; 32];

/// Per-block budgets in the tests (execution weight), and how many transactions of each kind
/// the pool holds. An organisation's budget is less than its two devices' and gateway's
/// together, so sharing it shows.
pub const DEVICE_BUDGET: u64 = 1_000;
pub const GATEWAY_BUDGET: u64 = 3_000;
pub const ORGANISATION_BUDGET: u64 = 3_500;
pub const MEMBER_BUDGET: u64 = 2_000;
pub const DEVICE_POOL_DEPTH: u32 = 4;
pub const GATEWAY_POOL_DEPTH: u32 = 6;
pub const MEMBER_POOL_DEPTH: u32 = 16;

frame_support::parameter_types! {
	pub const DeviceBudget: Weight = Weight::from_parts(DEVICE_BUDGET, 0);
	pub const GatewayBudget: Weight = Weight::from_parts(GATEWAY_BUDGET, 0);
	pub const OrganisationBudget: Weight = Weight::from_parts(ORGANISATION_BUDGET, 0);
	pub const MemberBudget: Weight = Weight::from_parts(MEMBER_BUDGET, 0);
}

/// The council, organisations' accounts, devices and gateways — as the runtime composes them.
pub struct TestAccounts;
impl KnownAccounts<u64> for TestAccounts {
	type Organisation = pallet_device_registry::OrgId;

	fn known_as(account: &u64) -> Option<KnownAccount<Self::Organisation>> {
		if *account == COUNCIL_MEMBER || Devices::active_org_of(account).is_some() {
			return Some(KnownAccount::member());
		}
		Devices::active_device_by_account(account).map(|device| KnownAccount {
			kind: match device.kind {
				DeviceKind::Device => AccountKind::Device,
				DeviceKind::Gateway => AccountKind::Gateway,
			},
			organisation: Some(device.org),
		})
	}
}

impl pallet_admission::Config for Test {
	type KnownAccounts = TestAccounts;
	type DeviceBudget = DeviceBudget;
	type GatewayBudget = GatewayBudget;
	type OrganisationBudget = OrganisationBudget;
	type MemberBudget = MemberBudget;
	type DevicePoolDepth = ConstU32<DEVICE_POOL_DEPTH>;
	type GatewayPoolDepth = ConstU32<GATEWAY_POOL_DEPTH>;
	type MemberPoolDepth = ConstU32<MEMBER_POOL_DEPTH>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = TestAccounts;
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for TestAccounts {
	fn costliest_budgeted_account() -> u64 {
		DEVICE_ACCOUNT
	}
}

/// An organisation (admin `ORG_ADMIN`) with two active devices and an active gateway, and a
/// second organisation (admin `OTHER_ORG_ADMIN`) with one active device.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		// Members pay fees, so they have accounts (a balance, in the runtime).
		for member in [COUNCIL_MEMBER, ORG_ADMIN, OTHER_ORG_ADMIN] {
			System::inc_providers(&member);
		}
		let operator = OrgRoles { operator: true, ..Default::default() };
		Fixture::<Test>::new()
			.org(b"acme", operator, ORG_ADMIN)
			.org(b"globex", operator, OTHER_ORG_ADMIN)
			.device(ORG_ADMIN, DEVICE, DeviceKind::Device, b"TH100", DEVICE_ACCOUNT)
			.device(ORG_ADMIN, GATEWAY, DeviceKind::Gateway, b"TH100", GATEWAY_ACCOUNT)
			.device(ORG_ADMIN, SECOND_DEVICE, DeviceKind::Device, b"TH100", SECOND_DEVICE_ACCOUNT)
			.device(
				OTHER_ORG_ADMIN,
				OTHER_ORG_DEVICE,
				DeviceKind::Device,
				b"TH100",
				OTHER_ORG_DEVICE_ACCOUNT,
			)
			.build();
	});
	ext
}
