//! Named genesis states: the only way a chain spec gets its initial state.
//!
//! - `development`: one validator and council member (Alice) and a sudo key, for a single-node
//!   dev chain.
//! - `local_testnet`: three validators and council members (Alice, Bob, Charlie) and no sudo
//!   key, the shape of a consortium on one machine.
//!
//! Validators enter through `ValidatorSet` and their session keys through `Session`, whose
//! genesis hands Aura and GRANDPA their first authorities.

use crate::{
	AccountId, BalancesConfig, CouncilMembershipConfig, RuntimeGenesisConfig, SessionConfig,
	SessionKeys, SudoConfig, ValidatorSetConfig, UNIT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Balance each well-known development account starts with.
const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// A development validator's keys, derived from one well-known seed: sr25519 for Aura, ed25519
/// for GRANDPA (the schemes each engine signs with).
type ValidatorKeys = (Sr25519Keyring, Ed25519Keyring);

/// The session keys of a development validator.
fn session_keys((aura, grandpa): &ValidatorKeys) -> SessionKeys {
	SessionKeys { aura: AuraId::from(aura.public()), grandpa: GrandpaId::from(grandpa.public()) }
}

/// The genesis state shared by every preset, from its validators (each validating with the
/// account of its Aura seed), the fewest validators the chain may run with, the council, funded
/// accounts and (development only) sudo key.
fn consortium_genesis(
	validators: &[ValidatorKeys],
	min_validators: u32,
	council: Vec<AccountId>,
	endowed_accounts: Vec<AccountId>,
	sudo_key: Option<AccountId>,
) -> Value {
	let validator_account = |(aura, _): &ValidatorKeys| aura.to_account_id();
	build_struct_json_patch!(RuntimeGenesisConfig {
		council_membership: CouncilMembershipConfig {
			members: council.try_into().expect("the presets seat at most MAX_COUNCIL_MEMBERS"),
		},
		balances: BalancesConfig {
			balances: endowed_accounts.into_iter().map(|account| (account, ENDOWMENT)).collect(),
		},
		validator_set: ValidatorSetConfig {
			validators: validators.iter().map(validator_account).collect(),
			min_validators,
		},
		session: SessionConfig {
			keys: validators
				.iter()
				.map(|keys| (validator_account(keys), validator_account(keys), session_keys(keys)))
				.collect(),
		},
		sudo: SudoConfig { key: sudo_key },
	})
}

/// Every well-known development account, funded on both presets.
fn development_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// Single-node development chain: Alice validates, is the whole council and holds the sudo key.
pub fn development_genesis() -> Value {
	consortium_genesis(
		&[(Sr25519Keyring::Alice, Ed25519Keyring::Alice)],
		1,
		vec![Sr25519Keyring::Alice.to_account_id()],
		development_accounts(),
		Some(Sr25519Keyring::Alice.to_account_id()),
	)
}

/// Three-validator local testnet without sudo: the validators and council seats of a consortium
/// of three member organisations (Alice, Bob, Charlie); only a council majority governs.
pub fn local_testnet_genesis() -> Value {
	consortium_genesis(
		&[
			(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		],
		// Three validators tolerate no fault; none may be removed until a fourth joins.
		3,
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
			.iter()
			.map(|member| member.to_account_id())
			.collect(),
		development_accounts(),
		None,
	)
}

/// The JSON genesis patch of the preset named `id`, or `None` for an unknown name.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		DEV_RUNTIME_PRESET => development_genesis(),
		LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("a serde_json::Value always serialises; qed")
			.into_bytes(),
	)
}

/// The names `get_preset` answers to.
pub fn preset_names() -> Vec<PresetId> {
	vec![PresetId::from(DEV_RUNTIME_PRESET), PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)]
}
