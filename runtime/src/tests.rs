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
	storage_of_patch(patch)
}

/// The genesis storage a patch over the default genesis config builds.
fn storage_of_patch(patch: Value) -> sp_runtime::Storage {
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
			pallet_session::Validators::<Runtime>::get(),
			vec![sp_keyring::Sr25519Keyring::Alice.to_account_id()]
		);
		assert_eq!(pallet_validator_set::MinValidators::<Runtime>::get(), 1);
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
		assert_eq!(pallet_session::Validators::<Runtime>::get().len(), 3);
		assert_eq!(pallet_validator_set::MinValidators::<Runtime>::get(), 3);
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

#[test]
fn a_consortium_genesis_seats_funds_and_allows_its_members_and_no_one_else() {
	use crate::{AccountId, SessionKeys, UNIT};
	use genesis_config_presets::{consortium_genesis, Member, MAX_MEMBERS};
	use sp_core::{ed25519, sr25519, Pair};
	let members: Vec<Member> = (1..=5u8)
		.map(|i| Member {
			account: sr25519::Pair::from_seed(&[i; 32]).public().into(),
			session_keys: SessionKeys {
				aura: sr25519::Pair::from_seed(&[i + 100; 32]).public().into(),
				grandpa: ed25519::Pair::from_seed(&[i; 32]).public().into(),
			},
			// As libp2p forms an ed25519 key's PeerId: an identity multihash of the protobuf key.
			peer_id: [&[0x00, 0x24, 0x08, 0x01, 0x12, 0x20][..], &[i; 32][..]].concat(),
		})
		.collect();
	let mut accounts: Vec<AccountId> = members.iter().map(|m| m.account.clone()).collect();
	accounts.sort();
	let patch = consortium_genesis(&members).expect("five members make a consortium");
	sp_io::TestExternalities::new(storage_of_patch(patch)).execute_with(|| {
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 5);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 5);
		let mut validators = pallet_session::Validators::<Runtime>::get();
		validators.sort();
		assert_eq!(validators, accounts);
		assert_eq!(pallet_validator_set::MinValidators::<Runtime>::get(), 4, "min(N, 4)");
		let mut council =
			pallet_membership::Members::<Runtime, frame_support::instances::Instance1>::get()
				.into_inner();
		council.sort();
		assert_eq!(council, accounts, "every member holds a council seat");
		assert_eq!(pallet_sudo::Key::<Runtime>::get(), None);
		for account in &accounts {
			let balance = pallet_balances::Pallet::<Runtime>::free_balance(account);
			assert_eq!(balance, 1_000_000 * UNIT);
		}
		let bob = sp_keyring::Sr25519Keyring::Bob.to_account_id();
		assert_eq!(pallet_balances::Pallet::<Runtime>::free_balance(&bob), 0, "only members");
		let allowed = pallet_peer_allowlist::Pallet::<Runtime>::allowed_peer_ids();
		assert_eq!(allowed.len(), 5, "every member's node, and only theirs, may join");
	});
	assert!(consortium_genesis(&[]).is_err(), "a consortium has members");
	let too_many = vec![members[0].clone(); MAX_MEMBERS as usize + 1];
	assert!(consortium_genesis(&too_many).is_err(), "beyond the council's bound");
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
	let mut pallets: Vec<(String, u8)> =
		latest_metadata().pallets.iter().map(|p| (p.name.clone(), p.index)).collect();
	pallets.sort_by_key(|(_, index)| *index);
	let expected = [
		("System", 0),
		("Timestamp", 1),
		("Aura", 2),
		("Grandpa", 3),
		("ValidatorSet", 4),
		("Session", 5),
		("Balances", 10),
		("TransactionPayment", 11),
		("SkipFeelessPayment", 12),
		("Utility", 20),
		("Council", 30),
		("CouncilMembership", 31),
		("PeerAllowlist", 32),
		("Admission", 33),
		("ChainGovernance", 34),
		("DeviceRegistry", 40),
		("RegistrationHashes", 41),
		("LoginRecords", 42),
		("FirmwareReleases", 43),
		("TelemetryAnchors", 44),
		("AccessGrants", 45),
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
	for api in [
		"DeviceRegistryApi",
		"RegistrationHashesApi",
		"LoginRecordsApi",
		"FirmwareReleasesApi",
		"PeerAllowlistApi",
	] {
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

/// How many signed transactions of `call` fit in one block: each pays its call, the base
/// extrinsic weight and the transaction extensions' weight (the admission check among them).
fn fit_in_one_block(call: RuntimeCall) -> u64 {
	use sp_runtime::traits::TransactionExtension;
	let normal = RuntimeBlockWeights::get().get(DispatchClass::Normal).clone();
	let budget = normal.max_total.expect("the normal class is bounded");
	let extensions = crate::immortal_tx_extension(0).weight(&call);
	let each = call.get_dispatch_info().call_weight + normal.base_extrinsic + extensions;
	budget.ref_time() / each.ref_time()
}

#[test]
fn the_extrinsic_base_is_a_measured_remark_less_its_extensions_and_its_call() {
	use crate::weights::extrinsic_weights::{
		EXTENSIONS_COMPUTE_NANOS, REMARK_NANOS, SIGNED_REMARK_NANOS,
	};
	use frame_support::weights::constants::{ParityDbWeight, WEIGHT_REF_TIME_PER_NANOS};
	use sp_runtime::traits::TransactionExtension;
	let remark = RuntimeCall::System(frame_system::Call::remark { remark: Vec::new() });
	// The extensions' storage, priced apart: admission 6 reads and 3 writes (the signer's and
	// its organisation's budget usage among them), the fee 1 and 1.
	let storage = ParityDbWeight::get().reads_writes(7, 4);
	let compute = crate::immortal_tx_extension(0).weight(&remark).saturating_sub(storage);
	assert_eq!(
		compute.ref_time(),
		EXTENSIONS_COMPUTE_NANOS * WEIGHT_REF_TIME_PER_NANOS,
		"the extensions' weights were re-measured: derive the extrinsic base weight again"
	);
	let base = RuntimeBlockWeights::get().get(DispatchClass::Normal).base_extrinsic;
	assert_eq!(
		base.ref_time() + compute.ref_time() + REMARK_NANOS * WEIGHT_REF_TIME_PER_NANOS,
		SIGNED_REMARK_NANOS * WEIGHT_REF_TIME_PER_NANOS,
		"base + extensions + call is what a signed remark measured"
	);
	assert_eq!(
		RuntimeBlockWeights::get().base_block,
		crate::weights::block_weights::BlockExecutionWeight::get()
	);
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
	// Fewer would make a burst of logins at a large site wait several blocks. Each is charged
	// the access check's worst grant state (docs/benchmarks.md, "Access grants"), which took
	// these from over 400 a block to about 300; gateways batch logins at about twice that.
	let (reports, signed_logins) = (fit_in_one_block(reported), fit_in_one_block(signed));
	assert!(reports >= 250, "only {reports} reported logins fit in a block");
	assert!(signed_logins >= 250, "only {signed_logins} signed logins fit in a block");
}

#[test]
fn a_full_registration_batch_fits_in_one_transaction() {
	use pallet_device_registry::{
		DeviceKind, DeviceRegistration, FirmwareVersion, ProvenRegistration,
	};
	let batch = (0..<Runtime as pallet_device_registry::Config>::MaxBatchSize::get())
		.map(|i| {
			let mut id = [0u8; 32];
			id[..4].copy_from_slice(&i.to_le_bytes());
			(id, i)
		})
		.map(|(id, i)| ProvenRegistration {
			registration: DeviceRegistration {
				id,
				kind: DeviceKind::Device,
				model: b"TH100".to_vec(),
				account: sp_core::crypto::AccountId32::new([i as u8; 32]),
				metadata_hash: [0; 32],
				firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
			},
			// The weight is charged before any proof is checked.
			key_proof: sp_runtime::MultiSignature::Sr25519(sp_core::sr25519::Signature::from_raw(
				[0; 64],
			)),
		})
		.collect::<Vec<_>>();
	let call = RuntimeCall::DeviceRegistry(pallet_device_registry::Call::register_devices {
		registrations: batch.try_into().ok().expect("MaxBatchSize registrations fit"),
	});
	assert_fits_in_one_transaction(call);
}

/// A gateway's full batch of each kind (`MAX_RECORD_BATCH` records) is one valid transaction.
#[test]
fn a_full_batch_of_records_fits_in_one_transaction() {
	let items = <Runtime as pallet_login_records::Config>::MaxBatchSize::get();
	let device = |i: u32| {
		let mut id = [0u8; 32];
		id[..4].copy_from_slice(&i.to_le_bytes());
		id
	};
	let logins = (0..items)
		.map(|i| pallet_login_records::SignedLogin {
			device: device(i),
			user_device: [2; 32],
			nonce: [3; 32],
			challenge_block: 1,
			signature: pallet_login_records::UserDeviceSignature::Sr25519(
				sp_core::sr25519::Signature::from_raw([0; 64]),
			),
		})
		.collect::<Vec<_>>();
	assert_fits_in_one_transaction(RuntimeCall::LoginRecords(
		pallet_login_records::Call::submit_signed_logins {
			logins: logins.try_into().ok().expect("MaxBatchSize logins fit"),
		},
	));
	let items = <Runtime as pallet_firmware_releases::Config>::MaxBatchSize::get();
	let reports = (0..items)
		.map(|i| pallet_firmware_releases::UpdateReport {
			device: device(i),
			release: 0,
			outcome: pallet_firmware_releases::UpdateOutcome::Installed,
			measured_sha256: [0; 32],
		})
		.collect::<Vec<_>>();
	assert_fits_in_one_transaction(RuntimeCall::FirmwareReleases(
		pallet_firmware_releases::Call::report_updates {
			reports: reports.try_into().ok().expect("MaxBatchSize reports fit"),
		},
	));
	let items = <Runtime as pallet_registration_hashes::Config>::MaxBatchSize::get();
	let pairs = (0..items)
		.map(|i| pallet_registration_hashes::PairRegistration {
			device: device(i),
			user_device: [2; 32],
			credential: pallet_registration_hashes::Credential::Key(
				pallet_registration_hashes::UserDeviceKey::Sr25519([0; 32]),
			),
			app_integrity_key: [0; 32],
		})
		.collect::<Vec<_>>();
	assert_fits_in_one_transaction(RuntimeCall::RegistrationHashes(
		pallet_registration_hashes::Call::register_pairs {
			pairs: pairs.try_into().ok().expect("MaxBatchSize pairs fit"),
		},
	));
}

fn assert_fits_in_one_transaction(call: RuntimeCall) {
	let weight = call.get_dispatch_info().call_weight;
	let normal = RuntimeBlockWeights::get().get(DispatchClass::Normal).clone();
	let limit = normal.max_extrinsic.expect("the normal class bounds one extrinsic");
	assert!(weight.all_lte(limit), "a full batch weighs {weight:?}, over {limit:?}");
}

mod council {
	use super::*;
	use crate::{Council, DeviceRegistry, RuntimeOrigin, System};
	use codec::Encode;
	use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo};
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

	/// `members` vote aye on the motion.
	fn vote((hash, index): (crate::Hash, u32), members: &[sp_keyring::Sr25519Keyring]) {
		for member in members {
			assert_ok!(Council::vote(
				RuntimeOrigin::signed(member.to_account_id()),
				hash,
				index,
				true
			));
		}
	}

	/// Charlie closes the motion of `call`, then releases its cost (Alice's deposit and slot).
	fn close(call: &RuntimeCall, (hash, index): (crate::Hash, u32)) {
		let charlie = RuntimeOrigin::signed(Charlie.to_account_id());
		assert_ok!(Council::close(
			charlie.clone(),
			hash,
			index,
			call.get_dispatch_info().call_weight,
			call.encoded_size() as u32
		));
		assert_ok!(Council::release_proposal_cost(charlie, hash));
	}

	fn pass(call: RuntimeCall) {
		let motion = propose(call.clone(), 2);
		vote(motion, &[Alice, Bob]);
		close(&call, motion);
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
	fn a_council_majority_adds_a_validator_enacted_two_sessions_later() {
		use crate::{Session, SessionKeys, ValidatorSet};
		use sp_keystore::{testing::MemoryKeystore, KeystoreExt};

		let mut ext = local_testnet();
		ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
		ext.execute_with(|| {
			let dave = Dave.to_account_id();
			pass(RuntimeCall::ValidatorSet(pallet_validator_set::Call::add_validator {
				validator: dave.clone(),
			}));
			assert!(ValidatorSet::is_approved(&dave));

			// What `author_rotateKeys` does on Dave's node, then `session.set_keys` from Dave.
			let generated = SessionKeys::generate(&dave.encode(), None);
			assert_ok!(Session::set_keys(
				RuntimeOrigin::signed(dave.clone()),
				generated.keys.clone(),
				generated.proof.encode()
			));

			Session::rotate_session();
			assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 3, "only planned");
			Session::rotate_session();
			let aura = pallet_aura::Authorities::<Runtime>::get();
			assert_eq!(aura.len(), 4);
			assert!(aura.contains(&generated.keys.aura));
			let change = pallet_grandpa::PendingChange::<Runtime>::get()
				.expect("GRANDPA schedules the new set");
			assert!(change.next_authorities.iter().any(|(key, _)| key == &generated.keys.grandpa));
		});
	}

	#[test]
	fn the_council_cannot_remove_a_validator_below_the_minimum() {
		local_testnet().execute_with(|| {
			pass(RuntimeCall::ValidatorSet(pallet_validator_set::Call::remove_validator {
				validator: Charlie.to_account_id(),
			}));
			assert!(crate::ValidatorSet::is_approved(&Charlie.to_account_id()));
			// One member alone reaches no validator change either.
			assert!(crate::ValidatorSet::add_validator(
				RuntimeOrigin::signed(Alice.to_account_id()),
				Dave.to_account_id()
			)
			.is_err());
		});
	}

	/// The attack: with five seats, the prime member and one ally vote aye and let the motion
	/// run out, hoping the three silent members count as ayes.
	#[test]
	fn a_prime_member_and_abstentions_do_not_pass_a_minority_motion() {
		use sp_keyring::Sr25519Keyring::{Eve, Ferdie};
		local_testnet().execute_with(|| {
			let seats: Vec<_> =
				[Alice, Bob, Charlie, Eve, Ferdie].iter().map(|m| m.to_account_id()).collect();
			assert_ok!(Council::set_members(
				RuntimeOrigin::root(),
				seats,
				Some(Alice.to_account_id()),
				3
			));
			let call = create_org_call();
			let motion = propose(call.clone(), 3);
			vote(motion, &[Alice, Bob]);
			// The motion runs out (three days) before it is closed with two ayes of five.
			System::set_block_number(1 + 3 * crate::DAYS + 1);
			close(&call, motion);
			let (hash, _) = motion;
			System::assert_has_event(
				pallet_collective::Event::<Runtime, crate::configs::CouncilInstance>::Disapproved {
					proposal_hash: hash,
				}
				.into(),
			);
			assert_eq!(DeviceRegistry::active_org_of(&Dave.to_account_id()), None);
		});
	}

	/// The runtime upgrade the chain has authorised, if any (`frame_system` keeps it private).
	fn authorized_upgrade() -> Option<frame_system::CodeUpgradeAuthorization<Runtime>> {
		let key =
			[sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"AuthorizedUpgrade")]
				.concat();
		frame_support::storage::unhashed::get(&key)
	}

	/// Five seats: a bare majority (three) is short of two thirds (four).
	fn five_seats() {
		use sp_keyring::Sr25519Keyring::{Eve, Ferdie};
		let seats: Vec<_> =
			[Alice, Bob, Charlie, Eve, Ferdie].iter().map(|m| m.to_account_id()).collect();
		assert_ok!(Council::set_members(RuntimeOrigin::root(), seats, None, 4));
	}

	/// Four seats, as a four-organisation consortium has.
	fn four_seats() {
		let seats: Vec<_> = [Alice, Bob, Charlie, Dave].iter().map(|m| m.to_account_id()).collect();
		assert_ok!(Council::set_members(RuntimeOrigin::root(), seats, None, 3));
	}

	/// Passes `call` with the ayes of `members`, and returns the result of its execution.
	fn execute_with_ayes(
		call: RuntimeCall,
		members: &[sp_keyring::Sr25519Keyring],
	) -> sp_runtime::DispatchResult {
		let motion = propose(call.clone(), members.len() as u32);
		vote(motion, members);
		close(&call, motion);
		System::events()
			.into_iter()
			.rev()
			.find_map(|record| match record.event {
				crate::RuntimeEvent::Council(pallet_collective::Event::Executed {
					proposal_hash,
					result,
				}) if proposal_hash == motion.0 => Some(result),
				_ => None,
			})
			.expect("the motion was approved and executed")
	}

	/// The attack: a bare majority of organisations (two of four, or three of five) tries to
	/// replace the runtime, which could rewrite any record.
	#[test]
	fn only_two_thirds_of_the_seats_authorise_a_runtime_upgrade() {
		use sp_keyring::Sr25519Keyring::{Eve, Ferdie};
		local_testnet().execute_with(|| {
			four_seats();
			let code_hash = crate::Hash::repeat_byte(0xc0);
			let authorize =
				RuntimeCall::ChainGovernance(pallet_chain_governance::Call::authorize_upgrade {
					code_hash,
				});
			assert_eq!(
				execute_with_ayes(authorize.clone(), &[Alice, Bob]),
				Err(sp_runtime::DispatchError::BadOrigin)
			);
			assert!(authorized_upgrade().is_none());
			// Nor can one member alone, nor root's own call without root.
			assert!(crate::ChainGovernance::authorize_upgrade(
				RuntimeOrigin::signed(Alice.to_account_id()),
				code_hash
			)
			.is_err());
			assert!(crate::System::authorize_upgrade(
				RuntimeOrigin::signed(Alice.to_account_id()),
				code_hash
			)
			.is_err());
			assert!(authorized_upgrade().is_none());

			// Three of five is a majority, and still short of two thirds.
			let seats: Vec<_> =
				[Alice, Bob, Charlie, Eve, Ferdie].iter().map(|m| m.to_account_id()).collect();
			assert_ok!(Council::set_members(RuntimeOrigin::root(), seats, None, 4));
			assert_eq!(
				execute_with_ayes(authorize.clone(), &[Alice, Bob, Charlie]),
				Err(sp_runtime::DispatchError::BadOrigin)
			);
			assert!(authorized_upgrade().is_none());

			// Four of five (and three of four) are two thirds.
			assert_ok!(execute_with_ayes(authorize, &[Alice, Bob, Charlie, Eve]));
			let authorization = authorized_upgrade().expect("set");
			assert_eq!(authorization.code_hash(), &code_hash);
		});
	}

	/// The attack: a bare majority first packs the council with allies, or removes opponents,
	/// to reach two thirds.
	#[test]
	fn a_bare_majority_cannot_pack_the_council() {
		use sp_keyring::Sr25519Keyring::{Eve, Ferdie};
		local_testnet().execute_with(|| {
			four_seats();
			let seats =
				|| pallet_collective::Members::<Runtime, crate::configs::CouncilInstance>::get();
			let before = seats();
			for change in [
				pallet_membership::Call::add_member { who: Eve.to_account_id().into() },
				pallet_membership::Call::remove_member { who: Dave.to_account_id().into() },
				pallet_membership::Call::swap_member {
					remove: Dave.to_account_id().into(),
					add: Ferdie.to_account_id().into(),
				},
				pallet_membership::Call::reset_members {
					members: vec![Alice.to_account_id(), Bob.to_account_id()],
				},
			] {
				assert_eq!(
					execute_with_ayes(RuntimeCall::CouncilMembership(change), &[Alice, Bob]),
					Err(sp_runtime::DispatchError::BadOrigin)
				);
				assert_eq!(seats(), before);
			}
			assert_ok!(execute_with_ayes(
				RuntimeCall::CouncilMembership(pallet_membership::Call::add_member {
					who: Eve.to_account_id().into()
				}),
				&[Alice, Bob, Charlie]
			));
			assert!(seats().contains(&Eve.to_account_id()));
		});
	}

	#[test]
	fn only_two_thirds_of_the_seats_signal_a_finality_stall() {
		local_testnet().execute_with(|| {
			four_seats();
			System::set_block_number(100);
			let stall = RuntimeCall::ChainGovernance(pallet_chain_governance::Call::note_stalled {
				delay: 10,
				best_finalized_block_number: 90,
			});
			assert_eq!(
				execute_with_ayes(stall.clone(), &[Alice, Bob]),
				Err(sp_runtime::DispatchError::BadOrigin)
			);
			assert_eq!(pallet_grandpa::Stalled::<Runtime>::get(), None);
			assert!(crate::Grandpa::note_stalled(
				RuntimeOrigin::signed(Alice.to_account_id()),
				10,
				90
			)
			.is_err());
			assert_ok!(execute_with_ayes(stall, &[Alice, Bob, Charlie]));
			assert_eq!(pallet_grandpa::Stalled::<Runtime>::get(), Some((10, 90)));
		});
	}

	/// A motion nobody will pass: a remark, distinct for each `salt`.
	fn idle_motion(salt: u32) -> RuntimeCall {
		RuntimeCall::System(frame_system::Call::remark { remark: salt.encode() })
	}

	fn motion_deposit_held(member: sp_keyring::Sr25519Keyring) -> crate::Balance {
		use frame_support::traits::fungible::InspectHold;
		crate::Balances::balance_on_hold(
			&crate::configs::MotionHoldReason::get(),
			&member.to_account_id(),
		)
	}

	/// The attack: one seat opens motion after motion to take every slot, so that the others
	/// cannot propose a suspension, a validator change or a stall recovery.
	#[test]
	fn one_seat_cannot_fill_the_councils_motion_slots() {
		use crate::configs::{MotionDeposit, MAX_OPEN_MOTIONS_PER_SEAT};
		local_testnet().execute_with(|| {
			four_seats();
			let flood: Vec<_> = (0..MAX_OPEN_MOTIONS_PER_SEAT)
				.map(|salt| propose(idle_motion(salt), 3))
				.collect();
			assert_eq!(
				motion_deposit_held(Alice),
				MotionDeposit::get() * crate::Balance::from(MAX_OPEN_MOTIONS_PER_SEAT)
			);
			assert_noop!(
				Council::propose(
					RuntimeOrigin::signed(Alice.to_account_id()),
					3,
					Box::new(idle_motion(99)),
					100
				),
				pallet_chain_governance::Error::<Runtime>::TooManyOpenMotions
			);
			// Another seat still proposes a suspension.
			let suspend =
				RuntimeCall::DeviceRegistry(pallet_device_registry::Call::suspend_org { org: 0 });
			assert_ok!(Council::propose(
				RuntimeOrigin::signed(Bob.to_account_id()),
				3,
				Box::new(suspend.clone()),
				suspend.encoded_size() as u32
			));
			assert_eq!(motion_deposit_held(Bob), MotionDeposit::get());

			// A closed motion's slot and deposit come back once its cost is released.
			System::set_block_number(1 + 3 * crate::DAYS + 1);
			close(&idle_motion(0), flood[0]);
			assert_eq!(
				motion_deposit_held(Alice),
				MotionDeposit::get() * crate::Balance::from(MAX_OPEN_MOTIONS_PER_SEAT - 1)
			);
			propose(idle_motion(99), 3);
		});
	}

	/// The attack: Alice's motion has closed, its cost not yet released; Bob proposes the
	/// same call (alone, or batched after closing it himself), which would overwrite her cost
	/// record and keep her deposit and slot for ever.
	#[test]
	fn a_member_cannot_take_over_a_closed_motions_unreleased_cost() {
		use crate::configs::MotionDeposit;
		use sp_runtime::traits::Dispatchable;
		local_testnet().execute_with(|| {
			four_seats();
			let call = idle_motion(0);
			let (hash, index) = propose(call.clone(), 3);
			System::set_block_number(1 + 3 * crate::DAYS + 1);
			assert_ok!(Council::close(
				RuntimeOrigin::signed(Bob.to_account_id()),
				hash,
				index,
				call.get_dispatch_info().call_weight,
				call.encoded_size() as u32
			));
			let again = RuntimeCall::Council(pallet_collective::Call::propose {
				threshold: 3,
				proposal: Box::new(call.clone()),
				length_bound: call.encoded_size() as u32,
			});
			let bob = || RuntimeOrigin::signed(Bob.to_account_id());
			let filtered: sp_runtime::DispatchError =
				frame_system::Error::<Runtime>::CallFiltered.into();
			assert_eq!(again.clone().dispatch(bob()).map_err(|e| e.error), Err(filtered));
			let batched = RuntimeCall::Utility(pallet_utility::Call::batch_all {
				calls: vec![again.clone()],
			});
			assert_eq!(batched.dispatch(bob()).map_err(|e| e.error), Err(filtered));
			assert_eq!(motion_deposit_held(Alice), MotionDeposit::get());

			// Once released, the same call may be proposed again, by anyone.
			assert_ok!(Council::release_proposal_cost(bob(), hash));
			assert_eq!(motion_deposit_held(Alice), 0);
			assert_ok!(again.dispatch(bob()));
			assert_eq!(motion_deposit_held(Bob), MotionDeposit::get());
		});
	}

	/// Each seat's slots are its own, whatever every other seat holds.
	#[test]
	fn every_seat_of_a_full_council_has_its_own_slots() {
		use crate::configs::{MAX_COUNCIL_MEMBERS, MAX_OPEN_MOTIONS_PER_SEAT};
		local_testnet().execute_with(|| {
			let seats: Vec<crate::AccountId> = (0..MAX_COUNCIL_MEMBERS)
				.map(|seat| crate::AccountId::from([seat as u8 + 1; 32]))
				.collect();
			assert_ok!(Council::set_members(
				RuntimeOrigin::root(),
				seats.clone(),
				None,
				MAX_COUNCIL_MEMBERS
			));
			for (number, seat) in seats.iter().enumerate() {
				assert_ok!(crate::Balances::force_set_balance(
					RuntimeOrigin::root(),
					seat.clone().into(),
					1_000 * crate::UNIT
				));
				for slot in 0..MAX_OPEN_MOTIONS_PER_SEAT {
					let call = idle_motion(number as u32 * 100 + slot);
					assert_ok!(Council::propose(
						RuntimeOrigin::signed(seat.clone()),
						2,
						Box::new(call.clone()),
						call.encoded_size() as u32
					));
				}
			}
			assert_eq!(
				pallet_collective::Proposals::<Runtime, crate::configs::CouncilInstance>::get()
					.len() as u32,
				MAX_COUNCIL_MEMBERS * MAX_OPEN_MOTIONS_PER_SEAT
			);
		});
	}

	/// The attack: a bare majority (three of five organisations) takes another organisation's
	/// validator out of consensus, lowers the minimum first, or adds validators of its own
	/// until it finalises alone.
	#[test]
	fn a_bare_majority_cannot_change_who_validates() {
		use crate::ValidatorSet;
		use sp_keyring::Sr25519Keyring::Eve;
		local_testnet().execute_with(|| {
			five_seats();
			let dave = Dave.to_account_id();
			let validator_call = |call| RuntimeCall::ValidatorSet(call);
			assert_ok!(execute_with_ayes(
				validator_call(pallet_validator_set::Call::add_validator {
					validator: dave.clone()
				}),
				&[Alice, Bob, Charlie, Eve]
			));
			for call in [
				pallet_validator_set::Call::remove_validator { validator: dave.clone() },
				pallet_validator_set::Call::set_min_validators { min_validators: 1 },
				pallet_validator_set::Call::add_validator {
					validator: sp_keyring::Sr25519Keyring::Eve.to_account_id(),
				},
			] {
				assert_eq!(
					execute_with_ayes(validator_call(call), &[Alice, Bob, Charlie]),
					Err(sp_runtime::DispatchError::BadOrigin)
				);
			}
			assert!(ValidatorSet::is_approved(&dave));
			assert_eq!(pallet_validator_set::MinValidators::<Runtime>::get(), 3);
			assert!(!ValidatorSet::is_approved(&sp_keyring::Sr25519Keyring::Eve.to_account_id()));

			// Nor can another organisation's account; the validator's own can.
			assert!(ValidatorSet::remove_validator(
				RuntimeOrigin::signed(Alice.to_account_id()),
				dave.clone()
			)
			.is_err());
			assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::signed(dave.clone()), dave));
		});
	}

	/// The attack: a bare majority (three of five) removes another organisation's node from
	/// the allow-list, so that the node can no longer sync, vote or send anything.
	#[test]
	fn a_bare_majority_cannot_cut_a_node_off_the_network() {
		use crate::PeerAllowlist;
		use sp_keyring::Sr25519Keyring::Eve;
		local_testnet().execute_with(|| {
			five_seats();
			let mut peer_id = pallet_peer_allowlist::ED25519_PEER_ID_PREFIX.to_vec();
			peer_id.extend([7u8; 32]);
			let allowed =
				|| PeerAllowlist::allowed_peer_ids().iter().any(|node| node.0 == peer_id.clone());
			// Allowing a node takes the day-to-day majority.
			assert_ok!(execute_with_ayes(
				RuntimeCall::PeerAllowlist(pallet_peer_allowlist::Call::add_node {
					peer_id: peer_id.clone()
				}),
				&[Alice, Bob, Charlie]
			));
			assert!(allowed());
			let remove = RuntimeCall::PeerAllowlist(pallet_peer_allowlist::Call::remove_node {
				peer_id: peer_id.clone(),
			});
			assert_eq!(
				execute_with_ayes(remove.clone(), &[Alice, Bob, Charlie]),
				Err(sp_runtime::DispatchError::BadOrigin)
			);
			assert!(allowed());
			assert_ok!(execute_with_ayes(remove, &[Alice, Bob, Charlie, Eve]));
			assert!(!allowed());
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

mod admission {
	//! The member-only gate as the assembled runtime applies it, on real signed extrinsics.
	use super::*;
	use crate::{Executive, Header, SignedPayload, UncheckedExtrinsic, UNIT};
	use codec::Encode;
	use frame_support::assert_ok;
	use pallet_admission::AdmissionError;
	use pallet_device_registry::{
		DeviceKind, DeviceRegistration, FirmwareVersion, OrgRoles, ProvenRegistration,
	};
	use sp_core::{sr25519, Pair};
	use sp_keyring::Sr25519Keyring::{Alice, Dave, Ferdie};
	use sp_runtime::{
		traits::{Header as _, IdentifyAccount},
		transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
		MultiSigner,
	};

	fn account_of(pair: &sr25519::Pair) -> crate::AccountId {
		MultiSigner::from(pair.public()).into_account()
	}

	fn signed(pair: &sr25519::Pair, nonce: u32, call: RuntimeCall) -> UncheckedExtrinsic {
		let extension = crate::immortal_tx_extension(nonce);
		let payload = SignedPayload::new(call.clone(), extension.clone()).expect("payload");
		let signature = payload.using_encoded(|bytes| pair.sign(bytes));
		UncheckedExtrinsic::new_signed(call, account_of(pair).into(), signature.into(), extension)
	}

	fn transfer_to_alice() -> RuntimeCall {
		RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: Alice.to_account_id().into(),
			value: UNIT,
		})
	}

	fn register_hash(device: [u8; 32], user_device: u8) -> RuntimeCall {
		RuntimeCall::RegistrationHashes(pallet_registration_hashes::Call::register {
			device,
			user_device: [user_device; 32],
			credential: pallet_registration_hashes::Credential::Hash {
				registration_hash: [7; 32],
				combination: iotchain_certification_scheme::Combination::from_bits(
					iotchain_certification_scheme::Combination::FIRST,
				)
				.expect("one hash is a valid combination"),
			},
			app_integrity_key: [9; 32],
		})
	}

	fn validate(xt: UncheckedExtrinsic) -> Result<(), TransactionValidityError> {
		Executive::validate_transaction(TransactionSource::External, xt, Default::default())
			.map(|_| ())
	}

	fn refused(error: AdmissionError) -> Result<(), TransactionValidityError> {
		Err(InvalidTransaction::Custom(error as u8).into())
	}

	/// The local testnet at block 1 with an operator organisation (admin Dave) and one
	/// active device that holds no tokens; returns the device's key and id.
	/// Registers `id` of `kind` for Dave's organisation (0), signing with the key `seed`
	/// derives, and returns that key.
	fn register_for_dave(kind: DeviceKind, seed: &str, id: [u8; 32]) -> sr25519::Pair {
		let key = sr25519::Pair::from_string(seed, None).expect("a valid derivation");
		let account = account_of(&key);
		let payload = crate::DeviceRegistry::key_proof_payload(0, kind, &id, &account);
		assert_ok!(crate::DeviceRegistry::register_device(
			crate::RuntimeOrigin::signed(Dave.to_account_id()),
			ProvenRegistration {
				registration: DeviceRegistration {
					id,
					kind,
					model: b"TH100".to_vec(),
					account,
					metadata_hash: [0; 32],
					firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
				},
				key_proof: sp_runtime::MultiSignature::Sr25519(key.sign(&payload)),
			}
		));
		key
	}

	fn with_device(test: impl FnOnce(sr25519::Pair, [u8; 32])) {
		sp_io::TestExternalities::new(genesis_storage(LOCAL_TESTNET_RUNTIME_PRESET)).execute_with(
			|| {
				Executive::initialize_block(&Header::new(
					1,
					Default::default(),
					Default::default(),
					frame_system::Pallet::<Runtime>::block_hash(0),
					Default::default(),
				));
				assert_ok!(crate::DeviceRegistry::create_org(
					crate::RuntimeOrigin::root(),
					b"acme".to_vec(),
					OrgRoles { operator: true, ..Default::default() },
					Dave.to_account_id(),
				));
				let device_id = [0xd1; 32];
				let device_key =
					register_for_dave(DeviceKind::Device, "//iotchain-test-device", device_id);
				test(device_key, device_id)
			},
		)
	}

	#[test]
	fn a_strangers_transfer_is_refused_with_the_unknown_account_code() {
		with_device(|_, _| {
			// Ferdie holds tokens but belongs to no organisation.
			let ferdie = Ferdie.pair();
			assert_eq!(
				validate(signed(&ferdie, 0, transfer_to_alice())),
				refused(AdmissionError::UnknownAccount)
			);
			assert_eq!(
				Executive::apply_extrinsic(signed(&ferdie, 0, transfer_to_alice())),
				Err(InvalidTransaction::Custom(AdmissionError::UnknownAccount as u8).into())
			);
		});
	}

	#[test]
	fn council_members_and_organisation_accounts_are_admitted() {
		with_device(|_, _| {
			assert_eq!(validate(signed(&Alice.pair(), 0, transfer_to_alice())), Ok(()));
			assert_eq!(validate(signed(&Dave.pair(), 0, transfer_to_alice())), Ok(()));
		});
	}

	#[test]
	fn a_device_records_without_tokens_within_its_budget() {
		with_device(|device, id| {
			assert_eq!(pallet_balances::Pallet::<Runtime>::free_balance(account_of(&device)), 0);
			let mut nonce = 0;
			let refused = loop {
				match Executive::apply_extrinsic(signed(
					&device,
					nonce,
					register_hash(id, nonce as u8),
				)) {
					Ok(applied) => {
						assert_ok!(applied);
					},
					Err(refusal) => break refusal,
				}
				nonce += 1;
			};
			// Past its budget of this block it waits for the next block, where the pool
			// validates it: skipped, not refused for good.
			assert_eq!(refused, InvalidTransaction::ExhaustsResources.into());
			assert!(nonce >= 8, "a budget of many records, not a count of transactions");
			assert_eq!(validate(signed(&device, nonce, register_hash(id, nonce as u8))), Ok(()));
		});
	}

	/// The attack on the pool: a compromised device signs records far ahead of its nonce so
	/// they wait in the pool and crowd out honest devices. The pool takes its depth of them;
	/// the rest is refused with the admission code.
	#[test]
	fn a_device_parks_at_most_its_pool_depth_in_the_pool() {
		with_device(|device, id| {
			let depth: u32 = <Runtime as pallet_admission::Config>::DevicePoolDepth::get();
			assert_eq!(depth, 8, "the figure README.md and docs/security.md give");
			let record = |nonce: u32| signed(&device, nonce, register_hash(id, nonce as u8));
			for nonce in 0..depth {
				assert_eq!(validate(record(nonce)), Ok(()), "nonce {nonce}");
			}
			assert_eq!(validate(record(depth)), refused(AdmissionError::QuotaExhausted));
			assert_eq!(validate(record(10 * depth)), refused(AdmissionError::QuotaExhausted));
		});
	}

	/// A gateway anchors telemetry without tokens; a device signing the same call would pay,
	/// which it cannot, so the pool refuses it.
	#[test]
	fn a_gateway_anchors_telemetry_without_tokens_and_a_device_cannot() {
		with_device(|device, id| {
			let gateway_id = [0xd2; 32];
			let gateway =
				register_for_dave(DeviceKind::Gateway, "//iotchain-test-gateway", gateway_id);
			assert_eq!(pallet_balances::Pallet::<Runtime>::free_balance(account_of(&gateway)), 0);
			let anchor = RuntimeCall::TelemetryAnchors(pallet_telemetry_anchors::Call::anchor {
				batch: pallet_telemetry_anchors::Batch {
					sequence: 0,
					root: [1; 32],
					leaf_count: 10,
					first_timestamp_ms: 1,
					last_timestamp_ms: 2,
					devices: frame_support::BoundedVec::truncate_from(vec![
						pallet_telemetry_anchors::DeviceRange { device: id, first: 1, last: 10 },
					]),
				},
			});
			assert_eq!(
				validate(signed(&device, 0, anchor.clone())),
				Err(InvalidTransaction::Payment.into())
			);
			let applied = Executive::apply_extrinsic(signed(&gateway, 0, anchor))
				.expect("admitted and feeless");
			assert_ok!(applied);
			assert_eq!(crate::TelemetryAnchors::next_batch(gateway_id), 1);
		});
	}

	#[test]
	fn a_device_pays_for_calls_that_are_not_its_records() {
		with_device(|device, _| {
			assert_eq!(
				validate(signed(&device, 0, transfer_to_alice())),
				Err(InvalidTransaction::Payment.into())
			);
		});
	}

	/// The attack: a compromised device writes records about other devices, which fail at
	/// dispatch, to fill blocks for free. Only records about itself are feeless.
	#[test]
	fn a_device_pays_for_records_about_another_device() {
		with_device(|device, _| {
			assert_eq!(
				validate(signed(&device, 0, register_hash([0xee; 32], 0))),
				Err(InvalidTransaction::Payment.into())
			);
		});
	}

	/// The worst blocks feeless actors can make: each signs full batches of junk logins (wrong
	/// signatures, every item about a device it speaks for, so feeless) until the block refuses
	/// the next one. The share of the normal block each took is its budget, not the block.
	mod worst_blocks {
		use super::*;
		use frame_support::{dispatch::DispatchClass, traits::Get};
		use sp_runtime::{traits::Saturating, Perbill};

		/// The normal-class weight the current block holds, as a share of what normal-class
		/// transactions may fill.
		fn normal_share_of_block() -> Perbill {
			let weights = <Runtime as frame_system::Config>::BlockWeights::get();
			let max = weights.get(DispatchClass::Normal).max_total.expect("a normal limit");
			let used = frame_system::Pallet::<Runtime>::block_weight();
			Perbill::from_rational(used.get(DispatchClass::Normal).ref_time(), max.ref_time())
		}

		/// A full batch of logins about `devices` in turn, with signatures that fail.
		fn junk_logins(devices: &[[u8; 32]], salt: u32) -> RuntimeCall {
			let items = <Runtime as pallet_login_records::Config>::MaxBatchSize::get();
			let logins: Vec<_> = (0..items)
				.map(|i| pallet_login_records::SignedLogin {
					device: devices[i as usize % devices.len()],
					user_device: [2; 32],
					nonce: sp_io::hashing::blake2_256(&(salt, i).encode()),
					challenge_block: 1,
					signature: pallet_login_records::UserDeviceSignature::Sr25519(
						sr25519::Signature::from_raw([0; 64]),
					),
				})
				.collect();
			RuntimeCall::LoginRecords(pallet_login_records::Call::submit_signed_logins {
				logins: logins.try_into().expect("a full batch is within the bound"),
			})
		}

		/// Applies `signer`'s junk batches about `devices` until the block refuses one; the
		/// refusal, which must be the one that keeps it for a later block.
		fn fill(signer: &sr25519::Pair, devices: &[[u8; 32]]) -> u32 {
			let mut included = 0;
			loop {
				let nonce = frame_system::Pallet::<Runtime>::account_nonce(account_of(signer));
				match Executive::apply_extrinsic(signed(signer, nonce, junk_logins(devices, nonce)))
				{
					Ok(_) => included += 1,
					Err(refusal) => {
						assert_eq!(refusal, InvalidTransaction::ExhaustsResources.into());
						return included;
					},
				}
			}
		}

		fn budget_share(budget: frame_support::weights::Weight) -> Perbill {
			let weights = <Runtime as frame_system::Config>::BlockWeights::get();
			let max = weights.get(DispatchClass::Normal).max_total.expect("a normal limit");
			Perbill::from_rational(budget.ref_time(), max.ref_time())
		}

		/// A stolen device key: at most its budget (12 % of the normal block), where four full
		/// batches a block took 40 % when budgets counted transactions.
		#[test]
		fn a_device_takes_at_most_its_budget_of_a_block() {
			with_device(|device, id| {
				let before = normal_share_of_block();
				assert!(fill(&device, &[id]) >= 1, "a full batch of its own fits its budget");
				let taken = normal_share_of_block().saturating_sub(before);
				let budget = budget_share(crate::configs::DeviceBudget::get());
				assert!(taken <= budget, "a device took {taken:?} of the block");
				assert!(taken <= Perbill::from_percent(12));
			});
		}

		/// A stolen gateway key: at most the gateway's budget (40 %).
		#[test]
		fn a_gateway_takes_at_most_its_budget_of_a_block() {
			with_device(|_, id| {
				let gateway_id = [0xd2; 32];
				let gateway =
					register_for_dave(DeviceKind::Gateway, "//iotchain-test-gateway", gateway_id);
				assert_ok!(crate::DeviceRegistry::assign_gateway(
					crate::RuntimeOrigin::signed(Dave.to_account_id()),
					id,
					Some(gateway_id),
				));
				let before = normal_share_of_block();
				assert!(fill(&gateway, &[id]) >= 3, "three full batches fit a gateway's budget");
				let taken = normal_share_of_block().saturating_sub(before);
				let budget = budget_share(crate::configs::GatewayBudget::get());
				assert!(taken <= budget, "a gateway took {taken:?} of the block");
				assert!(taken <= Perbill::from_percent(40));
			});
		}

		/// An organisation that registered many devices and a gateway, every one of them
		/// flooding: together at most the organisation's budget (75 %), and a device of
		/// another organisation still gets its record in.
		#[test]
		fn an_organisation_takes_at_most_its_budget_of_a_block() {
			with_device(|first, first_id| {
				let gateway_id = [0xd2; 32];
				let gateway =
					register_for_dave(DeviceKind::Gateway, "//iotchain-test-gateway", gateway_id);
				let mut devices = vec![(first, first_id)];
				for i in 0..8u8 {
					let id = [0xe0 + i; 32];
					devices.push((
						register_for_dave(DeviceKind::Device, &format!("//iotchain-flood-{i}"), id),
						id,
					));
				}
				let before = normal_share_of_block();
				for (device, id) in &devices {
					fill(device, &[*id]);
				}
				assert_ok!(crate::DeviceRegistry::assign_gateway(
					crate::RuntimeOrigin::signed(Dave.to_account_id()),
					first_id,
					Some(gateway_id),
				));
				fill(&gateway, &[first_id]);
				let taken = normal_share_of_block().saturating_sub(before);
				let budget = budget_share(crate::configs::OrganisationBudget::get());
				assert!(taken <= budget, "an organisation took {taken:?} of the block");
				assert!(taken <= Perbill::from_percent(75));

				// Another organisation's device is not held back by the first one's flood.
				assert_ok!(crate::DeviceRegistry::create_org(
					crate::RuntimeOrigin::root(),
					b"globex".to_vec(),
					OrgRoles { operator: true, ..Default::default() },
					Ferdie.to_account_id(),
				));
				let key = sr25519::Pair::from_string("//iotchain-other-org-device", None)
					.expect("a valid derivation");
				let other_id = [0xf1; 32];
				let account = account_of(&key);
				let payload = crate::DeviceRegistry::key_proof_payload(
					1,
					DeviceKind::Device,
					&other_id,
					&account,
				);
				assert_ok!(crate::DeviceRegistry::register_device(
					crate::RuntimeOrigin::signed(Ferdie.to_account_id()),
					ProvenRegistration {
						registration: DeviceRegistration {
							id: other_id,
							kind: DeviceKind::Device,
							model: b"TH100".to_vec(),
							account,
							metadata_hash: [0; 32],
							firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
						},
						key_proof: sp_runtime::MultiSignature::Sr25519(key.sign(&payload)),
					}
				));
				assert_ok!(Executive::apply_extrinsic(signed(&key, 0, register_hash(other_id, 1)))
					.expect("admitted within its own organisation's budget"));
			});
		}
	}

	#[test]
	fn inherents_are_unaffected() {
		with_device(|_, _| {
			let set_time = RuntimeCall::Timestamp(pallet_timestamp::Call::set { now: 1_000 });
			assert_ok!(Executive::apply_extrinsic(UncheckedExtrinsic::new_bare(set_time))
				.expect("an inherent is applied"));
		});
	}
}
