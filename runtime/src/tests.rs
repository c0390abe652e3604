//! Checks of the assembled runtime: its genesis presets and the metadata clients rely on.

use crate::{
	configs::MAX_AUTHORITIES, genesis_config_presets, BuildStorage, Runtime, RuntimeGenesisConfig,
};
use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
use serde_json::Value;
use sp_genesis_builder::{PresetId, DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET};

/// Applies a preset's patch over the default genesis config, as the node's chain-spec builder
/// does, and builds the resulting storage.
fn genesis_storage(preset: &str) -> sp_runtime::Storage {
	let patch: Value = serde_json::from_slice(
		&genesis_config_presets::get_preset(&PresetId::from(preset)).expect("preset exists"),
	)
	.expect("a preset is valid JSON");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serialises");
	merge_json(&mut config, patch);
	serde_json::from_value::<RuntimeGenesisConfig>(config)
		.expect("the patched config deserialises")
		.build_storage()
		.expect("genesis storage builds")
}

fn merge_json(base: &mut Value, patch: Value) {
	match (base, patch) {
		(Value::Object(base), Value::Object(patch)) => {
			for (key, value) in patch {
				merge_json(base.entry(key).or_insert(Value::Null), value);
			}
		},
		(base, patch) => *base = patch,
	}
}

fn with_genesis<R>(preset: &str, check: impl FnOnce() -> R) -> R {
	sp_io::TestExternalities::new(genesis_storage(preset)).execute_with(check)
}

#[test]
fn preset_names_are_development_and_local_testnet() {
	assert_eq!(
		genesis_config_presets::preset_names(),
		vec![PresetId::from(DEV_RUNTIME_PRESET), PresetId::from(LOCAL_TESTNET_RUNTIME_PRESET)]
	);
	assert!(genesis_config_presets::get_preset(&PresetId::from("mainnet")).is_none());
}

#[test]
fn development_preset_has_one_validator_and_a_sudo_key() {
	with_genesis(DEV_RUNTIME_PRESET, || {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 1);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 1);
		assert_eq!(
			pallet_sudo::Key::<Runtime>::get(),
			Some(sp_keyring::Sr25519Keyring::Alice.to_account_id())
		);
	});
}

#[test]
fn local_testnet_preset_has_three_validators_and_no_sudo_key() {
	with_genesis(LOCAL_TESTNET_RUNTIME_PRESET, || {
		let aura = pallet_aura::Authorities::<Runtime>::get();
		let grandpa = pallet_grandpa::Pallet::<Runtime>::grandpa_authorities();
		assert_eq!(aura.len(), 3);
		assert_eq!(grandpa.len(), 3);
		assert!(aura.len() as u32 <= MAX_AUTHORITIES);
		assert!(grandpa.iter().all(|(_, weight)| *weight == 1), "validators weigh equally");
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
	});
}

#[test]
fn presets_fund_the_development_accounts() {
	for preset in [DEV_RUNTIME_PRESET, LOCAL_TESTNET_RUNTIME_PRESET] {
		with_genesis(preset, || {
			let bob = sp_keyring::Sr25519Keyring::Bob.to_account_id();
			assert!(pallet_balances::Pallet::<Runtime>::free_balance(&bob) > 0, "{preset}");
		});
	}
}

fn latest_metadata() -> frame_metadata::v16::RuntimeMetadataV16 {
	let latest = *Runtime::metadata_versions().iter().max().expect("some version");
	assert_eq!(latest, 16, "stable2609 supports metadata up to V16");
	let bytes = Runtime::metadata_at_version(latest).expect("latest version is served");
	let prefixed: RuntimeMetadataPrefixed =
		codec::Decode::decode(&mut &bytes[..]).expect("metadata decodes");
	match prefixed.1 {
		RuntimeMetadata::V16(metadata) => metadata,
		other => panic!("expected V16 metadata, got version {}", other.version()),
	}
}

#[test]
fn metadata_lists_the_runtime_pallets_at_their_indices() {
	let pallets: Vec<(String, u8)> =
		latest_metadata().pallets.iter().map(|p| (p.name.clone(), p.index)).collect();
	let expected = [
		("System", 0),
		("Timestamp", 1),
		("Aura", 2),
		("Grandpa", 3),
		("Balances", 10),
		("TransactionPayment", 11),
		("Utility", 20),
		("Sudo", 99),
	];
	assert_eq!(
		pallets,
		expected
			.iter()
			.map(|(name, index)| (name.to_string(), *index))
			.collect::<Vec<_>>()
	);
}

#[test]
fn metadata_keeps_documentation() {
	let metadata = latest_metadata();
	let utility = metadata.pallets.iter().find(|p| p.name == "Utility").expect("Utility");
	let calls = utility.calls.as_ref().expect("Utility has calls");
	let batch_docs = match &metadata.types.resolve(calls.ty.id).expect("call type").type_def {
		scale_info::TypeDef::Variant(calls) => calls
			.variants
			.iter()
			.find(|call| call.name == "batch")
			.map(|call| call.docs.clone()),
		_ => None,
	};
	assert!(
		batch_docs.is_some_and(|docs| !docs.is_empty()),
		"call docs are kept for Polkadot.js users"
	);
	let types_with_docs = metadata.types.types.iter().filter(|t| !t.ty.docs.is_empty()).count();
	assert!(types_with_docs > 0, "type docs are kept (frame-support/full-metadata-docs)");
}
