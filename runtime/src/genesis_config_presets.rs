//! Named genesis states, and the genesis of a consortium from its members' public keys: the
//! only ways a chain spec gets its initial state.
//!
//! - `development`: one validator and council member (Alice) and a sudo key, for a single-node
//!   dev chain.
//! - `local_testnet`: three validators and council members (Alice, Bob, Charlie) and no sudo
//!   key, the shape of a consortium on one machine.
//! - [`consortium_genesis`]: a real consortium's, from each member organisation's account,
//!   session keys and node PeerId (`iotchain-node consortium-spec`, which
//!   `scripts/new-consortium.sh` runs).
//!
//! Validators enter through `ValidatorSet` and their session keys through `Session`, whose
//! genesis hands Aura and GRANDPA their first authorities.

use crate::{
	configs::{MAX_AUTHORITIES, MAX_COUNCIL_MEMBERS},
	AccountId, BalancesConfig, CouncilMembershipConfig, PeerAllowlistConfig, RuntimeGenesisConfig,
	SessionConfig, SessionKeys, SudoConfig, ValidatorSetConfig, UNIT,
};
use alloc::{format, string::String, vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// Balance each funded account starts with: one million units, for transaction fees.
const ENDOWMENT: crate::Balance = 1_000_000 * UNIT;

/// A development validator's keys, derived from one well-known seed: sr25519 for Aura, ed25519
/// for GRANDPA (the schemes each engine signs with).
type ValidatorKeys = (Sr25519Keyring, Ed25519Keyring);

/// A validator: the account it validates with, and its session keys.
type Validator = (AccountId, SessionKeys);

/// A development validator, validating with the account of its Aura seed.
fn development_validator((aura, grandpa): &ValidatorKeys) -> Validator {
	let keys = SessionKeys {
		aura: AuraId::from(aura.public()),
		grandpa: GrandpaId::from(grandpa.public()),
	};
	(aura.to_account_id(), keys)
}

/// The genesis state every chain is made of, from its validators, the fewest validators the
/// chain may run with, the council, funded accounts, (development only) sudo key, and the
/// PeerIds allowed on the network (none: an open network).
fn chain_genesis(
	validators: Vec<Validator>,
	min_validators: u32,
	council: Vec<AccountId>,
	endowed_accounts: Vec<AccountId>,
	sudo_key: Option<AccountId>,
	allowed_nodes: Vec<Vec<u8>>,
) -> Value {
	build_struct_json_patch!(RuntimeGenesisConfig {
		council_membership: CouncilMembershipConfig {
			members: council.try_into().expect("callers seat at most MAX_COUNCIL_MEMBERS"),
		},
		balances: BalancesConfig {
			balances: endowed_accounts.into_iter().map(|account| (account, ENDOWMENT)).collect(),
		},
		validator_set: ValidatorSetConfig {
			validators: validators.iter().map(|validator| validator.0.clone()).collect(),
			min_validators,
		},
		session: SessionConfig {
			keys: validators
				.iter()
				.map(|(account, keys)| (account.clone(), account.clone(), keys.clone()))
				.collect(),
		},
		peer_allowlist: PeerAllowlistConfig { nodes: allowed_nodes },
		sudo: SudoConfig { key: sudo_key },
	})
}

/// Every well-known development account, funded on both presets.
fn development_accounts() -> Vec<AccountId> {
	Sr25519Keyring::iter().map(|k| k.to_account_id()).collect()
}

/// Single-node development chain: Alice validates, is the whole council and holds the sudo key.
pub fn development_genesis() -> Value {
	chain_genesis(
		vec![development_validator(&(Sr25519Keyring::Alice, Ed25519Keyring::Alice))],
		1,
		vec![Sr25519Keyring::Alice.to_account_id()],
		development_accounts(),
		Some(Sr25519Keyring::Alice.to_account_id()),
		Vec::new(),
	)
}

/// Three-validator local testnet without sudo: the validators and council seats of a consortium
/// of three member organisations (Alice, Bob, Charlie); only a council majority governs.
pub fn local_testnet_genesis() -> Value {
	chain_genesis(
		[
			(Sr25519Keyring::Alice, Ed25519Keyring::Alice),
			(Sr25519Keyring::Bob, Ed25519Keyring::Bob),
			(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie),
		]
		.iter()
		.map(development_validator)
		.collect(),
		// Three validators tolerate no fault; none may be removed until a fourth joins.
		3,
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie]
			.iter()
			.map(|member| member.to_account_id())
			.collect(),
		development_accounts(),
		None,
		Vec::new(),
	)
}

/// A member organisation of a consortium, by its public keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
	/// Its account: its council seat, the account its validator validates with, and one of the
	/// chain's only funded accounts.
	pub account: AccountId,
	/// Its validator's session keys: Aura (sr25519) authors blocks, GRANDPA (ed25519) finalises.
	pub session_keys: SessionKeys,
	/// Its validator node's PeerId in binary (multihash) form, allowed on the network.
	pub peer_id: Vec<u8>,
}

/// The most member organisations a consortium's genesis seats: the council's and the validator
/// set's bound.
pub const MAX_MEMBERS: u32 =
	if MAX_COUNCIL_MEMBERS < MAX_AUTHORITIES { MAX_COUNCIL_MEMBERS } else { MAX_AUTHORITIES };

/// The genesis of a consortium of `members`: each holds a council seat and a validator, their
/// accounts are the only funded accounts, only their validators' nodes may join the network,
/// and no sudo key exists (only the council governs). The fewest validators the chain may run
/// with is min(N, 4): four validators are the fewest that keep finalising with one of them
/// down. Refuses no members and more than [`MAX_MEMBERS`].
pub fn consortium_genesis(members: &[Member]) -> Result<Value, String> {
	if members.is_empty() || members.len() > MAX_MEMBERS as usize {
		return Err(format!(
			"a consortium has 1 to {MAX_MEMBERS} member organisations, not {}",
			members.len()
		));
	}
	let accounts: Vec<AccountId> = members.iter().map(|member| member.account.clone()).collect();
	Ok(chain_genesis(
		members
			.iter()
			.map(|member| (member.account.clone(), member.session_keys.clone()))
			.collect(),
		(members.len() as u32).min(4),
		accounts.clone(),
		accounts,
		None,
		members.iter().map(|member| member.peer_id.clone()).collect(),
	))
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
