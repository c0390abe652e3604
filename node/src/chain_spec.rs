//! The built-in chain specifications; any other is loaded from a JSON file.

use iotchain_runtime::WASM_BINARY;
use sc_service::{ChainType, Properties};
use sp_genesis_builder::{DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};

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
