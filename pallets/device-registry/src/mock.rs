//! A minimal runtime for the device registry's tests.

use crate as pallet_device_registry;
use frame_support::{derive_impl, traits::ConstU32};
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

// Small bounds, so tests reach every limit with a handful of entries.
impl pallet_device_registry::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type MaxNameLen = ConstU32<16>;
	type MaxAdmins = ConstU32<2>;
	type MaxMembers = ConstU32<2>;
	type MaxModelLen = ConstU32<8>;
	type MaxDevicesPerOrg = ConstU32<4>;
	type MaxBatchSize = ConstU32<3>;
	type MaxKeyHistory = ConstU32<2>;
	type WeightInfo = ();
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
