//! Checks of the assembled runtime: its genesis presets, the metadata clients rely on, and what
//! fits in a block.

use crate::{
	configs::{RuntimeBlockWeights, MAX_AUTHORITIES},
	genesis_config_presets, BuildStorage, Runtime, RuntimeCall, RuntimeGenesisConfig,
};
use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::Get,
};
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
		("Council", 30),
		("CouncilMembership", 31),
		("DeviceRegistry", 40),
		("RegistrationHashes", 41),
		("LoginRecords", 42),
		("FirmwareReleases", 43),
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
fn metadata_lists_the_iot_runtime_apis() {
	let apis: Vec<String> = latest_metadata().apis.iter().map(|api| api.name.clone()).collect();
	for api in
		["DeviceRegistryApi", "RegistrationHashesApi", "LoginRecordsApi", "FirmwareReleasesApi"]
	{
		assert!(apis.iter().any(|name| name == api), "{api} is missing from {apis:?}");
	}
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

/// How many dispatches of `call` fit in one block's share for ordinary transactions.
fn fit_in_one_block(call: RuntimeCall) -> u64 {
	let normal = RuntimeBlockWeights::get().get(DispatchClass::Normal).clone();
	let budget = normal.max_total.expect("the normal class is bounded");
	let each = call.get_dispatch_info().call_weight + normal.base_extrinsic;
	budget.ref_time() / each.ref_time()
}

#[test]
fn a_block_holds_hundreds_of_login_records() {
	use pallet_login_records::{Call, FailureReason, LoginOutcome, UserDeviceSignature};
	let reported = RuntimeCall::LoginRecords(Call::report_login {
		device: [1; 32],
		user_device: [2; 32],
		nonce: [3; 32],
		challenge_block: 1,
		outcome: LoginOutcome::Failure(FailureReason::BadCertificationHash),
		certification_hash: [4; 32],
	});
	let signed = RuntimeCall::LoginRecords(Call::submit_signed_login {
		device: [1; 32],
		user_device: [2; 32],
		nonce: [3; 32],
		challenge_block: 1,
		signature: UserDeviceSignature::Sr25519(sp_core::sr25519::Signature::from_raw([0; 64])),
	});
	// Fewer would make a burst of logins at a large site wait several blocks.
	let (reports, signed_logins) = (fit_in_one_block(reported), fit_in_one_block(signed));
	assert!(reports >= 500, "only {reports} reported logins fit in a block");
	assert!(signed_logins >= 500, "only {signed_logins} signed logins fit in a block");
}

#[test]
fn a_full_registration_batch_fits_in_one_transaction() {
	use pallet_device_registry::{DeviceKind, DeviceRegistration, FirmwareVersion};
	let batch = (0..<Runtime as pallet_device_registry::Config>::MaxBatchSize::get())
		.map(|i| {
			let mut id = [0u8; 32];
			id[..4].copy_from_slice(&i.to_le_bytes());
			(id, i)
		})
		.map(|(id, i)| DeviceRegistration {
			id,
			kind: DeviceKind::Device,
			model: b"TH100".to_vec(),
			account: sp_core::crypto::AccountId32::new([i as u8; 32]),
			metadata_hash: [0; 32],
			firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
		})
		.collect();
	let call = RuntimeCall::DeviceRegistry(pallet_device_registry::Call::register_devices {
		registrations: batch,
	});
	let weight = call.get_dispatch_info().call_weight;
	let normal = RuntimeBlockWeights::get().get(DispatchClass::Normal).clone();
	let limit = normal.max_extrinsic.expect("the normal class bounds one extrinsic");
	assert!(weight.all_lte(limit), "a full batch weighs {weight:?}, over {limit:?}");
}

mod council {
	use super::*;
	use crate::{Council, DeviceRegistry, RuntimeOrigin, System};
	use codec::Encode;
	use frame_support::{assert_ok, dispatch::GetDispatchInfo};
	use pallet_device_registry::{DeviceRegistry as _, OrgRoles};
	use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave};
	use sp_runtime::traits::Hash;

	/// The local testnet's genesis (council: Alice, Bob, Charlie) at block 1.
	fn local_testnet() -> sp_io::TestExternalities {
		let mut ext = sp_io::TestExternalities::new(genesis_storage(LOCAL_TESTNET_RUNTIME_PRESET));
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	fn create_org_call() -> RuntimeCall {
		RuntimeCall::DeviceRegistry(pallet_device_registry::Call::create_org {
			name: b"acme".to_vec(),
			roles: OrgRoles { manufacturer: true, ..Default::default() },
			admin: Dave.to_account_id(),
		})
	}

	/// Alice proposes `call` needing `threshold` ayes; returns the motion's hash and index.
	fn propose(call: RuntimeCall, threshold: u32) -> (crate::Hash, u32) {
		let index =
			pallet_collective::ProposalCount::<Runtime, crate::configs::CouncilInstance>::get();
		let length = call.encoded_size() as u32;
		let hash = <Runtime as frame_system::Config>::Hashing::hash_of(&call);
		assert_ok!(Council::propose(
			RuntimeOrigin::signed(Alice.to_account_id()),
			threshold,
			Box::new(call),
			length
		));
		(hash, index)
	}

	fn pass(call: RuntimeCall) {
		let weight = call.get_dispatch_info().call_weight;
		let length = call.encoded_size() as u32;
		let (hash, index) = propose(call, 2);
		for member in [Alice, Bob] {
			assert_ok!(Council::vote(
				RuntimeOrigin::signed(member.to_account_id()),
				hash,
				index,
				true
			));
		}
		assert_ok!(Council::close(
			RuntimeOrigin::signed(Charlie.to_account_id()),
			hash,
			index,
			weight,
			length
		));
	}

	#[test]
	fn genesis_seats_each_presets_council() {
		for (preset, members) in [
			(DEV_RUNTIME_PRESET, vec![Alice]),
			(LOCAL_TESTNET_RUNTIME_PRESET, vec![Alice, Bob, Charlie]),
		] {
			sp_io::TestExternalities::new(genesis_storage(preset)).execute_with(|| {
				let mut expected: Vec<_> = members.iter().map(|m| m.to_account_id()).collect();
				expected.sort();
				assert_eq!(
					pallet_collective::Members::<Runtime, crate::configs::CouncilInstance>::get(),
					expected
				);
			});
		}
	}

	#[test]
	fn a_council_majority_creates_an_organisation() {
		local_testnet().execute_with(|| {
			pass(create_org_call());
			assert_eq!(DeviceRegistry::active_org_of(&Dave.to_account_id()), Some(0));
		});
	}

	#[test]
	fn one_member_of_three_cannot_govern_alone() {
		local_testnet().execute_with(|| {
			// A threshold of one executes at once, with one of three members behind it.
			propose(create_org_call(), 1);
			assert_eq!(DeviceRegistry::active_org_of(&Dave.to_account_id()), None);
			// And no signed account, member or not, reaches the governance origin directly.
			assert!(DeviceRegistry::create_org(
				RuntimeOrigin::signed(Alice.to_account_id()),
				b"acme".to_vec(),
				OrgRoles { manufacturer: true, ..Default::default() },
				Dave.to_account_id(),
			)
			.is_err());
		});
	}

	#[test]
	fn the_council_changes_its_own_membership() {
		local_testnet().execute_with(|| {
			pass(RuntimeCall::CouncilMembership(pallet_membership::Call::add_member {
				who: Dave.to_account_id().into(),
			}));
			assert!(pallet_collective::Members::<Runtime, crate::configs::CouncilInstance>::get()
				.contains(&Dave.to_account_id()));
		});
	}
}
