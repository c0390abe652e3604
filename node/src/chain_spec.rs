//! The built-in chain specifications, a consortium's (`consortium-spec`); any other is loaded
//! from a JSON file.

use iotchain_runtime::{genesis_config_presets::Member, AccountId, SessionKeys, WASM_BINARY};
use sc_service::{ChainType, Properties};
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};
use std::{io::Write, path::PathBuf, str::FromStr};

/// A chain specification with no node-side extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// Token symbol and decimals, so Polkadot.js shows balances without configuration.
fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), "IOT".into());
	properties.insert("tokenDecimals".into(), 12.into());
	properties.insert("ss58Format".into(), iotchain_runtime::configs::SS58Prefix::get().into());
	properties
}

fn runtime_wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"the runtime wasm was not built; rebuild without SKIP_WASM_BUILD".to_string()
	})
}

/// A built-in chain whose genesis is one of the runtime's presets.
fn from_preset(
	name: &str,
	id: &str,
	chain_type: ChainType,
	preset: &str,
) -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(runtime_wasm()?, None)
		.with_name(name)
		.with_id(id)
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `--dev`: a single validator (Alice) with a sudo key.
pub fn development() -> Result<ChainSpec, String> {
	from_preset("iotchain development", "iotchain_dev", ChainType::Development, DEV_RUNTIME_PRESET)
}

/// `--chain local`: three validators (Alice, Bob, Charlie), no sudo key.
pub fn local_testnet() -> Result<ChainSpec, String> {
	from_preset(
		"iotchain local testnet",
		"iotchain_local",
		ChainType::Local,
		LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// A consortium's chain: the genesis of [`consortium_genesis`] for `members`, no sudo key, and
/// `Live` (its keystores live under `chains/iotchain_consortium`).
///
/// [`consortium_genesis`]: iotchain_runtime::genesis_config_presets::consortium_genesis
pub fn consortium(members: &[Member]) -> Result<ChainSpec, String> {
	let genesis = iotchain_runtime::genesis_config_presets::consortium_genesis(members)?;
	Ok(ChainSpec::builder(runtime_wasm()?, None)
		.with_name("iotchain consortium")
		.with_id("iotchain_consortium")
		.with_chain_type(ChainType::Live)
		.with_genesis_config_patch(genesis)
		.with_properties(properties())
		.build())
}

/// The member organisations listed in `orgs.json` (as `scripts/new-consortium.sh` writes it):
/// a JSON array of `{"name", "account", "aura", "grandpa", "peer_id"}`, keys in SS58 and the
/// PeerId in base58, as `iotchain-node key generate` and `key inspect-node-key` print them.
pub fn members_from_json(text: &str) -> Result<Vec<Member>, String> {
	let orgs: serde_json::Value =
		serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
	let orgs = orgs.as_array().ok_or("not a JSON array of organisations")?;
	orgs.iter()
		.enumerate()
		.map(|(index, org)| {
			member_from_json(org).map_err(|error| {
				let name = org["name"].as_str().map_or(format!("#{}", index + 1), str::to_owned);
				format!("organisation {name}: {error}")
			})
		})
		.collect()
}

fn member_from_json(org: &serde_json::Value) -> Result<Member, String> {
	use sp_core::crypto::Ss58Codec;
	let account = AccountId::from_ss58check(text_field(org, "account")?)
		.map_err(|error| not_ss58("account", error))?;
	let aura = sp_core::sr25519::Public::from_ss58check(text_field(org, "aura")?)
		.map_err(|error| not_ss58("aura", error))?;
	let grandpa = sp_core::ed25519::Public::from_ss58check(text_field(org, "grandpa")?)
		.map_err(|error| not_ss58("grandpa", error))?;
	let peer_id = sc_network::PeerId::from_str(text_field(org, "peer_id")?)
		.map_err(|error| format!("\"peer_id\" is not a PeerId: {error}"))?;
	Ok(Member {
		account,
		session_keys: SessionKeys { aura: aura.into(), grandpa: grandpa.into() },
		peer_id: peer_id.to_bytes(),
	})
}

fn text_field<'a>(org: &'a serde_json::Value, name: &str) -> Result<&'a str, String> {
	org[name].as_str().ok_or_else(|| format!("no \"{name}\" (a string)"))
}

fn not_ss58(name: &str, error: sp_core::crypto::PublicError) -> String {
	format!("\"{name}\" is not an SS58 public key: {error:?}")
}

/// `iotchain-node consortium-spec`: the chain spec of a consortium, from its member
/// organisations' public keys, printed as `build-spec` prints one.
#[derive(Debug, Clone, clap::Parser)]
pub struct ConsortiumSpecCmd {
	/// The organisations' public keys: `orgs.json` as `scripts/new-consortium.sh` writes it, a
	/// JSON array of `{"name", "account", "aura", "grandpa", "peer_id"}` (SS58 keys, base58
	/// PeerId). Each holds a council seat and a validator; their nodes alone may connect.
	#[arg(long, value_name = "FILE")]
	pub orgs: PathBuf,

	/// Print the raw chain spec (the genesis storage, what nodes start from) instead of the
	/// human-readable one (the genesis as the runtime's configuration).
	#[arg(long)]
	pub raw: bool,
}

impl ConsortiumSpecCmd {
	pub fn run(&self) -> sc_cli::Result<()> {
		let in_file = |error: String| format!("{}: {error}", self.orgs.display());
		let text = std::fs::read_to_string(&self.orgs).map_err(|e| in_file(e.to_string()))?;
		let members = members_from_json(&text).map_err(in_file)?;
		let json = consortium(&members)?.as_json(self.raw)?;
		std::io::stdout().write_all(json.as_bytes())?;
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_core::crypto::Ss58Codec;
	use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

	fn orgs_json(peer_id: &str) -> serde_json::Value {
		serde_json::json!([{
			"name": "org1",
			"account": Sr25519Keyring::Alice.to_account_id().to_ss58check(),
			"aura": Sr25519Keyring::Bob.public().to_ss58check(),
			"grandpa": Ed25519Keyring::Bob.public().to_ss58check(),
			"peer_id": peer_id,
		}])
	}

	#[test]
	fn orgs_json_gives_each_member_its_keys_and_its_binary_peer_id() {
		let peer_id = sc_network::PeerId::random();
		let members = members_from_json(&orgs_json(&peer_id.to_base58()).to_string());
		let expected = Member {
			account: Sr25519Keyring::Alice.to_account_id(),
			session_keys: SessionKeys {
				aura: Sr25519Keyring::Bob.public().into(),
				grandpa: Ed25519Keyring::Bob.public().into(),
			},
			peer_id: peer_id.to_bytes(),
		};
		assert_eq!(members, Ok(vec![expected]));
	}

	#[test]
	fn a_malformed_organisation_is_refused_by_name_and_field() {
		let refusal = members_from_json(&orgs_json("not a PeerId").to_string()).unwrap_err();
		assert!(refusal.starts_with("organisation org1: \"peer_id\" is not a PeerId"), "{refusal}");
		let mut orgs = orgs_json(&sc_network::PeerId::random().to_base58());
		orgs[0].as_object_mut().expect("an object").remove("account");
		let refusal = members_from_json(&orgs.to_string()).unwrap_err();
		assert_eq!(refusal, "organisation org1: no \"account\" (a string)");
		assert!(members_from_json("{}").unwrap_err().contains("not a JSON array"));
	}
}
