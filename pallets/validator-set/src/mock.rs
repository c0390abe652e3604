//! A minimal runtime for the validator set's tests, with the real `pallet-session` enacting its
//! plans every `SESSION_PERIOD` blocks.

use crate as pallet_validator_set;
use codec::Encode;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use pallet_session::{PeriodicSessions, SessionHandler};
use sp_runtime::{
	impl_opaque_keys,
	testing::UintAuthorityId,
	traits::{ConvertInto, OpaqueKeys},
	BuildStorage, KeyTypeId, RuntimeAppPublic,
};

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeTask,
		RuntimeHoldReason,
		RuntimeFreezeReason
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(2)]
	pub type ValidatorSet = pallet_validator_set;

	#[runtime::pallet_index(3)]
	pub type Session = pallet_session;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
}

impl_opaque_keys! {
	pub struct TestSessionKeys {
		pub authority: UintAuthorityId,
	}
}

/// Records nothing: the tests read the session pallet's own storage.
pub struct NoSessionHandler;
impl SessionHandler<u64> for NoSessionHandler {
	const KEY_TYPE_IDS: &'static [KeyTypeId] = &[UintAuthorityId::ID];
	fn on_genesis_session<Ks: OpaqueKeys>(_validators: &[(u64, Ks)]) {}
	fn on_new_session<Ks: OpaqueKeys>(_: bool, _: &[(u64, Ks)], _: &[(u64, Ks)]) {}
	fn on_disabled(_validator_index: u32) {}
}

/// Blocks per session in the tests.
pub const SESSION_PERIOD: u64 = 5;

parameter_types! {
	pub const Period: u64 = SESSION_PERIOD;
	pub const Offset: u64 = 0;
	pub const KeyDeposit: u64 = 0;
}

impl pallet_session::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = u64;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = PeriodicSessions<Period, Offset>;
	type NextSessionRotation = PeriodicSessions<Period, Offset>;
	type SessionManager = ValidatorSet;
	type SessionHandler = NoSessionHandler;
	type Keys = TestSessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = ();
	type Currency = Balances;
	type KeyDeposit = KeyDeposit;
}

impl pallet_validator_set::Config for Test {
	type GovernanceOrigin = frame_system::EnsureRoot<u64>;
	type SessionKeys = Session;
	type MaxValidators = ConstU32<6>;
	type WeightInfo = ();
}

/// The validators at genesis, each with session keys.
pub const GENESIS_VALIDATORS: [u64; 4] = [1, 2, 3, 4];
/// A funded account that is not a validator at genesis.
pub const CANDIDATE: u64 = 5;
/// Genesis minimum: removing one of the four genesis validators is fine, two is not.
pub const GENESIS_MIN: u32 = 3;

/// The session keys of `account` in the tests: an authority id equal to the account.
pub fn keys_of(account: u64) -> TestSessionKeys {
	TestSessionKeys { authority: UintAuthorityId(account) }
}

/// Registers `account`'s session keys the way its operator would, with a proof of ownership.
pub fn set_keys(account: u64) {
	let proof = UintAuthorityId(account)
		.sign(&account.encode())
		.expect("test keys sign")
		.encode();
	frame_support::assert_ok!(Session::set_keys(
		RuntimeOrigin::signed(account),
		keys_of(account),
		proof
	));
}

/// Runs blocks until the chain has reached block `n`, rotating sessions on the way.
pub fn run_to_block(n: u64) {
	System::run_to_block::<AllPalletsWithSystem>(n);
}

/// The validators of the current session, as `pallet-session` enacts them.
pub fn active_validators() -> Vec<u64> {
	pallet_session::Validators::<Test>::get()
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: (1..=10).map(|account| (account, 1_000)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_validator_set::GenesisConfig::<Test> {
		validators: GENESIS_VALIDATORS.to_vec(),
		min_validators: GENESIS_MIN,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_session::GenesisConfig::<Test> {
		keys: GENESIS_VALIDATORS
			.iter()
			.map(|&validator| (validator, validator, keys_of(validator)))
			.collect(),
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
