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

/// `--dev`: a single validator (Alice) with a sudo key.
pub fn development() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(runtime_wasm()?, None)
		.with_name("iotchain development")
		.with_id("iotchain_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// `--chain local`: three validators (Alice, Bob, Charlie), no sudo key.
pub fn local_testnet() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(runtime_wasm()?, None)
		.with_name("iotchain local testnet")
		.with_id("iotchain_local")
		.with_chain_type(ChainType::Local)
		.with_genesis_config_preset_name(LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
