//! A minimal runtime for the device registry's tests.

use crate as pallet_device_registry;
use frame_support::derive_impl;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Registry = pallet_device_registry;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

/// A council member's account and a validator's, which never become device keys.
pub const COUNCIL_MEMBER: u64 = 77;
pub const VALIDATOR: u64 = 78;

frame_support::parameter_types! {
	pub const GovernanceAccounts: [u64; 2] = [COUNCIL_MEMBER, VALIDATOR];
}

/// The accounts in [`GovernanceAccounts`].
pub struct ReservedInTests;

impl frame_support::traits::Contains<u64> for ReservedInTests {
	fn contains(account: &u64) -> bool {
		GovernanceAccounts::get().contains(account)
	}
}

#[derive_impl(pallet_device_registry::config_preludes::TestDefaultConfig)]
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type ReservedAccounts = ReservedInTests;
	// Four, so the tests show a majority that is not every admin, and a change pending with
	// more approvals than its proposer's.
	type MaxAdmins = frame_support::traits::ConstU32<4>;
}

/// Test externalities at block 1 (events are only recorded from block 1 on).
pub fn new_test_ext() -> sp_io::TestExternalities {
	let storage = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("an empty genesis builds");
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs a test, then checks the pallet's invariants on the state it left.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Registry::do_try_state().expect("the registry's invariants hold");
	});
}
