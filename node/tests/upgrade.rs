//! A governed runtime upgrade of a live four-organisation consortium (`new-consortium.sh`, real
//! validator processes): the council's two-thirds majority authorises the upgrade rehearsal
//! (the tree's runtime one spec version on, with a storage migration), anyone submits its code,
//! and the chain moves to it without a node restarting.

use codec::Encode;
use iotchain_runtime::{RuntimeCall, UncheckedExtrinsic};
use iotchain_testing::{consortium::*, *};
use serde_json::{json, Value};
use sp_io::hashing::{blake2_256, twox_128};
use std::{collections::BTreeMap, time::Duration};

/// The pallets that hold the consortium's records and who may act on them; their storage must
/// read the same after the upgrade. (System, balances and the council's motions change with
/// every transaction, so they are not compared.)
const RECORD_PALLETS: [&str; 8] = [
	"DeviceRegistry",
	"RegistrationHashes",
	"LoginRecords",
	"FirmwareReleases",
	"TelemetryAnchors",
	"ValidatorSet",
	"PeerAllowlist",
	"CouncilMembership",
];

/// Every key and value under `pallet`'s storage prefix at block `at`.
fn pallet_storage(node: &Node, pallet: &str, at: &Value) -> BTreeMap<String, String> {
	let prefix = format!("0x{}", hex_of(&twox_128(pallet.as_bytes())));
	storage_under(node, &prefix, at).expect("the pallet's storage")
}

/// The record pallets' storage at block `at`.
fn records(node: &Node, at: &Value) -> BTreeMap<String, String> {
	RECORD_PALLETS
		.iter()
		.flat_map(|pallet| pallet_storage(node, pallet, at))
		.collect()
}

/// The key under which a pallet's on-chain storage version is kept.
fn storage_version_key(pallet: &str) -> String {
	format!(
		"0x{}{}",
		hex_of(&twox_128(pallet.as_bytes())),
		hex_of(&twox_128(b":__STORAGE_VERSION__:"))
	)
}

fn spec_version(node: &Node, at: Option<&Value>) -> Result<u64, String> {
	let version = node.rpc("state_getRuntimeVersion", json!([at]))?;
	version["specVersion"]
		.as_u64()
		.ok_or_else(|| format!("no spec version in {version}"))
}

fn finalized_head(node: &Node) -> Value {
	node.rpc("chain_getFinalizedHead", json!([])).expect("a finalised head")
}

fn authorized_upgrade(node: &Node) -> Value {
	node.rpc("state_getStorage", json!([storage_key("System", "AuthorizedUpgrade")]))
		.expect("storage")
}

#[test]
fn the_council_upgrades_a_running_consortium_and_every_record_survives() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let (network, members) = finalising_consortium("upgrade");
	let node = &network.nodes[0];
	let chain = Chain::of(node);
	assert_eq!(chain.spec_version, iotchain_runtime::VERSION.spec_version);
	let mut council = Council { members, motions: 0 };

	// Records to keep: an organisation, its device, and the device's registration record.
	let create_org = RuntimeCall::DeviceRegistry(pallet_device_registry::Call::create_org {
		name: b"fleet operator".to_vec(),
		roles: pallet_device_registry::OrgRoles { operator: true, ..Default::default() },
		admin: council.members[2].account(),
	});
	council.pass(&chain, node, create_org);
	let device_id = [0xd1; 32];
	let mut device = register_device(&chain, node, &mut council.members[2], 0, device_id);
	let record = |n: u8| pair_registration(device_id, n);
	chain.execute(node, &mut device, record(1));
	let written = node.best_number().expect("best block");
	wait_until(Duration::from_secs(60), "the records are finalised", || {
		at_least(node.finalized_number(), written)
	});
	let before = records(node, &finalized_head(node));
	assert!(before.len() > 10, "the records are there: {} keys", before.len());
	let version_key = storage_version_key("DeviceRegistry");
	assert_eq!(before.get(&version_key).map(String::as_str), Some("0x0000"));

	let code = iotchain_runtime::upgrade_rehearsal::WASM_BINARY
		.expect("the runtime's build script built the upgrade rehearsal");
	let authorize =
		RuntimeCall::ChainGovernance(pallet_chain_governance::Call::authorize_upgrade {
			code_hash: blake2_256(code).into(),
		});

	// Two of four seats are a bare majority, short of two thirds: the motion passes the council
	// but its call is refused, and nothing is authorised.
	council.pass_with_ayes(&chain, node, authorize.clone(), 2);
	assert_eq!(authorized_upgrade(node), Value::Null, "two of four authorise nothing");

	// Three of four do.
	council.pass(&chain, node, authorize);
	assert_ne!(authorized_upgrade(node), Value::Null, "three of four authorise the upgrade");

	// Anyone applies it — here as an unsigned transaction, through another organisation's node.
	// Other code than the authorised is refused, here the runtime the chain already runs.
	let apply_code = |code: &[u8]| {
		UncheckedExtrinsic::new_bare(RuntimeCall::System(
			frame_system::Call::apply_authorized_upgrade { code: code.to_vec() },
		))
	};
	let release = iotchain_runtime::WASM_BINARY.expect("the release runtime");
	let refusal = network.nodes[3]
		.rpc(
			"author_submitExtrinsic",
			json!([format!("0x{}", hex_of(&apply_code(release).encode()))]),
		)
		.expect_err("code other than the authorised is refused");
	assert!(refusal.contains("1010"), "refused as an invalid transaction: {refusal}");
	let pids: Vec<_> = network.nodes.iter().map(Node::pid).collect();
	let apply = apply_code(code);
	network.nodes[3]
		.rpc("author_submitExtrinsic", json!([format!("0x{}", hex_of(&apply.encode()))]))
		.expect("the pool takes the authorised code");
	let upgraded = iotchain_runtime::VERSION.spec_version as u64 + 1;
	for node in &network.nodes {
		wait_until(Duration::from_secs(60), "every node runs the new runtime", || {
			match spec_version(node, None)? {
				version if version == upgraded => Ok(()),
				version => Err(format!("{}: spec version {version}", node.name)),
			}
		});
	}

	// Blocks and finality continue on every node, on the new runtime, with no node restarted.
	let best = network.nodes[0].best_number().expect("best block");
	for node in &network.nodes {
		wait_until(Duration::from_secs(60), "finality continues past the upgrade", || {
			at_least(node.finalized_number(), best + 3)
		});
		assert_eq!(spec_version(node, Some(&finalized_head(node))), Ok(upgraded));
	}
	assert_eq!(network.nodes.iter().map(Node::pid).collect::<Vec<_>>(), pids);

	// The migration ran once: the registry is at storage version 1, and every record reads as
	// it did.
	let node = &network.nodes[0];
	let mut after = records(node, &finalized_head(node));
	assert_eq!(after.get(&version_key).map(String::as_str), Some("0x0100"));
	after.insert(version_key.clone(), "0x0000".to_owned());
	assert_eq!(after, before, "records read the same after the upgrade");
	assert_eq!(authorized_upgrade(node), Value::Null, "the authorisation is spent");

	// Transactions signed for the new spec version go in; the device writes again.
	let chain = Chain::of(node);
	assert_eq!(chain.spec_version as u64, upgraded);
	chain.execute(node, &mut device, record(2));

	// `iotctl`, built with the old runtime's metadata, still reads the device and says its
	// metadata is older than the chain's.
	let device_hex = format!("0x{}", hex_of(&device_id));
	let (stdout, stderr) = iotctl(node, &["--json", "device", "show", &device_hex]);
	assert!(stdout.contains(&hex_of(&device_id)), "the device is shown: {stdout}");
	assert!(
		stderr.contains(&format!(
			"(runtime spec version {}) is older than the chain's (spec version {upgraded})",
			upgraded - 1
		)),
		"iotctl says its metadata is older: {stderr}"
	);
}
