//! The runtime fuzzer, after SRLabs' substrate-runtime-fuzzer: arbitrary sequences of calls,
//! from arbitrary actors, against the real runtime, block after block.
//!
//! The input is a list of chunks separated by [`SEPARATOR`]. Each chunk is one byte of lapse
//! (blocks to move on before this call, built empty; 0 stays in the current block), one byte
//! naming the actor, then a SCALE-encoded `RuntimeCall` (nesting bounded). A signed actor's call
//! goes through every transaction extension exactly as a signed extrinsic would — admission, nonce,
//! weight, fees and the feeless rules — with only the signature check skipped; the unsigned
//! actor's goes through `ValidateUnsigned`. Each block is initialised with an Aura slot and a
//! timestamp, as a validator builds it, and finalised; after each block every pallet's
//! `try_state` must hold. A panic anywhere, or a broken invariant, is a finding.
//!
//! The actors: the council (Alice, Bob, Charlie, also the validators), the admins of an
//! operator (Dave), a certifier (Eve) and a manufacturer (Ferdie), two devices and a gateway of
//! the operator, a stranger, and "nobody" (unsigned).
#![no_main]

use codec::{DecodeLimit, Encode};
use frame_support::{
	dispatch::GetDispatchInfo,
	traits::{TryState, TryStateSelect},
};
use iotchain_runtime::{
	immortal_tx_extension, AccountId, AllPalletsWithSystem, BalancesConfig, BlockNumber,
	CouncilMembershipConfig, Executive, Header, Runtime, RuntimeCall, RuntimeGenesisConfig,
	RuntimeOrigin, SessionConfig, SessionKeys, System, TxExtension, ValidatorSetConfig,
	SLOT_DURATION, UNIT,
};
use libfuzzer_sys::fuzz_target;
use pallet_device_registry::{DeviceId, DeviceKind, DeviceRegistration, FirmwareVersion, OrgRoles};
use sp_core::{sr25519, Pair};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};
use sp_runtime::{
	generic::{CheckedExtrinsic, ExtrinsicFormat},
	traits::{Applyable, Dispatchable, Header as _},
	BuildStorage, Digest, DigestItem,
};
use std::sync::LazyLock;

/// What separates one call of the input from the next.
const SEPARATOR: &[u8] = b"\xde\xad\xbe\xef";

/// How deep a decoded call may nest (utility batches of batches).
const MAX_CALL_DEPTH: u32 = 16;

/// The most blocks one input may span, so one input stays fast.
const MAX_BLOCKS: u32 = 64;

/// The devices the operator registers: two devices and a gateway, with their keys.
const DEVICES: [(u8, DeviceKind); 3] =
	[(1, DeviceKind::Device), (2, DeviceKind::Device), (3, DeviceKind::Gateway)];

fn device_id(n: u8) -> DeviceId {
	[n; 32]
}

fn device_key(n: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[n; 32])
}

fn account_of(pair: &sr25519::Pair) -> AccountId {
	AccountId::from(pair.public())
}

/// Everyone the fuzzer signs as, by the index an input's byte names (modulo their number);
/// the last index is nobody: the call goes in unsigned.
static ACTORS: LazyLock<Vec<AccountId>> = LazyLock::new(|| {
	let mut actors: Vec<AccountId> = [
		Sr25519Keyring::Alice,
		Sr25519Keyring::Bob,
		Sr25519Keyring::Charlie,
		Sr25519Keyring::Dave,
		Sr25519Keyring::Eve,
		Sr25519Keyring::Ferdie,
	]
	.iter()
	.map(|key| key.to_account_id())
	.collect();
	actors.extend(DEVICES.iter().map(|(n, _)| account_of(&device_key(*n))));
	actors.push(account_of(&sr25519::Pair::from_seed(&[0x57; 32])));
	actors
});

/// The state every input starts from, and the block it was left at.
static START: LazyLock<(sp_runtime::Storage, BlockNumber)> = LazyLock::new(|| {
	let validators = [Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie];
	let grandpa = [Ed25519Keyring::Alice, Ed25519Keyring::Bob, Ed25519Keyring::Charlie];
	let mut genesis = RuntimeGenesisConfig::default();
	genesis.council_membership = CouncilMembershipConfig {
		members: validators.map(|v| v.to_account_id()).to_vec().try_into().unwrap(),
		..Default::default()
	};
	genesis.balances = BalancesConfig {
		balances: Sr25519Keyring::iter().map(|k| (k.to_account_id(), 1_000_000 * UNIT)).collect(),
		..Default::default()
	};
	genesis.validator_set = ValidatorSetConfig {
		validators: validators.map(|v| v.to_account_id()).to_vec(),
		min_validators: 3,
		..Default::default()
	};
	genesis.session = SessionConfig {
		keys: validators
			.iter()
			.zip(grandpa)
			.map(|(aura, grandpa)| {
				let keys =
					SessionKeys { aura: aura.public().into(), grandpa: grandpa.public().into() };
				(aura.to_account_id(), aura.to_account_id(), keys)
			})
			.collect(),
		..Default::default()
	};
	let mut ext = sp_io::TestExternalities::new(genesis.build_storage().expect("genesis builds"));
	let (storage, block) = ext.execute_with(|| {
		start_block(1);
		let root = || RuntimeOrigin::root();
		let signed = |key: Sr25519Keyring| RuntimeOrigin::signed(key.to_account_id());
		let registry = |call| RuntimeCall::DeviceRegistry(call);
		for (name, roles, admin) in [
			("operator", OrgRoles { operator: true, ..Default::default() }, Sr25519Keyring::Dave),
			("certifier", OrgRoles { certifier: true, ..Default::default() }, Sr25519Keyring::Eve),
			(
				"manufacturer",
				OrgRoles { manufacturer: true, ..Default::default() },
				Sr25519Keyring::Ferdie,
			),
		] {
			let call = registry(pallet_device_registry::Call::create_org {
				name: name.as_bytes().to_vec(),
				roles,
				admin: admin.to_account_id(),
			});
			call.dispatch(root()).expect("the organisation is created");
		}
		// Claimed before any device uses it, as a manufacturer must.
		let claim = RuntimeCall::FirmwareReleases(pallet_firmware_releases::Call::claim_model {
			model: b"TH100".to_vec(),
		});
		claim.dispatch(signed(Sr25519Keyring::Ferdie)).expect("the model is claimed");
		for (n, kind) in DEVICES {
			let key = device_key(n);
			let account = account_of(&key);
			let payload = pallet_device_registry::Pallet::<Runtime>::key_proof_payload(
				0,
				kind,
				&device_id(n),
				&account,
			);
			let model =
				if kind == DeviceKind::Gateway { b"GW-1".to_vec() } else { b"TH100".to_vec() };
			let call = registry(pallet_device_registry::Call::register_device {
				registration: pallet_device_registry::ProvenRegistration {
					registration: DeviceRegistration {
						id: device_id(n),
						kind,
						model,
						account,
						metadata_hash: [0; 32],
						firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
					},
					key_proof: key.sign(&payload).into(),
				},
			});
			call.dispatch(signed(Sr25519Keyring::Dave)).expect("the device is registered");
		}
		let assign = registry(pallet_device_registry::Call::assign_gateway {
			device: device_id(1),
			gateway: Some(device_id(3)),
		});
		assign.dispatch(signed(Sr25519Keyring::Dave)).expect("the gateway is assigned");
		end_block(1);
		(every_key_and_value(), 1)
	});
	(storage, block)
});

/// The whole state as it stands, to start every input from.
fn every_key_and_value() -> sp_runtime::Storage {
	let mut top = std::collections::BTreeMap::new();
	let mut key = Vec::new();
	while let Some(next) = sp_io::storage::next_key(&key) {
		let value = sp_io::storage::get(&next).expect("a key next_key returned has a value");
		top.insert(next.clone(), value.to_vec());
		key = next;
	}
	sp_runtime::Storage { top, children_default: Default::default() }
}

/// Starts block `number` as a validator would: an Aura pre-digest for its slot, then the
/// timestamp inherent that matches the slot.
fn start_block(number: BlockNumber) {
	let slot = u64::from(number);
	let digest = Digest {
		logs: vec![DigestItem::PreRuntime(sp_consensus_aura::AURA_ENGINE_ID, slot.encode())],
	};
	let parent_hash = System::block_hash(number - 1);
	let _mode = Executive::initialize_block(&Header::new(
		number,
		Default::default(),
		Default::default(),
		parent_hash,
		digest,
	));
	let timestamp = CheckedExtrinsic::<AccountId, RuntimeCall, TxExtension> {
		format: ExtrinsicFormat::Bare,
		function: RuntimeCall::Timestamp(pallet_timestamp::Call::set { now: slot * SLOT_DURATION }),
	};
	let info = timestamp.function.get_dispatch_info();
	timestamp
		.apply::<Runtime>(&info, 0)
		.expect("the timestamp inherent applies")
		.expect("the timestamp inherent dispatches");
}

/// Finalises block `number` and checks every pallet's invariants on the state it left.
fn end_block(number: BlockNumber) {
	Executive::finalize_block();
	if let Err(error) =
		<AllPalletsWithSystem as TryState<BlockNumber>>::try_state(number, TryStateSelect::All)
	{
		panic!("an invariant broke after block #{number}: {error:?}");
	}
}

/// The calls of `data`, each with its lapse and actor.
fn calls(data: &[u8]) -> impl Iterator<Item = (u8, u8, RuntimeCall)> + '_ {
	let mut rest = data;
	std::iter::from_fn(move || {
		while !rest.is_empty() {
			let (chunk, next) = match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
				Some(at) => (&rest[..at], &rest[at + SEPARATOR.len()..]),
				None => (rest, &[][..]),
			};
			rest = next;
			if let [lapse, actor, call @ ..] = chunk {
				let mut call: &[u8] = call;
				if let Ok(call) =
					RuntimeCall::decode_all_with_depth_limit(MAX_CALL_DEPTH, &mut call)
				{
					return Some((*lapse, *actor, call));
				}
			}
		}
		None
	})
}

fuzz_target!(|data: &[u8]| {
	let (storage, first) = &*START;
	let mut ext = sp_io::TestExternalities::new(storage.clone());
	ext.execute_with(|| {
		let mut block = first + 1;
		start_block(block);
		for (lapse, actor, call) in calls(data) {
			// Block numbers are consecutive: the blocks lapsed over are built empty.
			for _ in 0..lapse {
				if block >= first + MAX_BLOCKS {
					break;
				}
				end_block(block);
				block += 1;
				start_block(block);
			}
			let len = call.encoded_size() + 110;
			let format = match ACTORS.get(usize::from(actor) % (ACTORS.len() + 1)) {
				Some(account) => ExtrinsicFormat::Signed(
					account.clone(),
					immortal_tx_extension(System::account_nonce(account)),
				),
				None => ExtrinsicFormat::Bare,
			};
			let extrinsic: CheckedExtrinsic<AccountId, RuntimeCall, TxExtension> =
				CheckedExtrinsic { format, function: call };
			let info = extrinsic.function.get_dispatch_info();
			// Mandatory calls (the timestamp inherent) are the block author's alone, applied
			// first in each block (`start_block`): the pool refuses them from anyone
			// (`MandatoryValidation`), and a block with a second one is invalid (pallet-timestamp
			// asserts it), as upstream designs it. Dispatching them here finds nothing of ours.
			if info.class == frame_support::dispatch::DispatchClass::Mandatory {
				continue;
			}
			// Refusals and failed dispatches are the runtime doing its job; only panics and
			// broken invariants are findings.
			let _ = extrinsic.apply::<Runtime>(&info, len);
		}
		end_block(block);
	});
});
