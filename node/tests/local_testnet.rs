//! End-to-end tests on real `iotchain-node` processes, exercised through their JSON-RPC
//! endpoints: consensus among three validators of the `local` chain on loopback, the IoT
//! runtime APIs of a `--dev` node, and the command line.

mod stranger;

use iotchain_testing::*;
use serde_json::Value;
use std::{collections::BTreeSet, fs, process::Command, thread::sleep, time::Duration};

fn blocks_and_finality_of_three_validators(testnet: &mut Network) {
	let alice = 0;
	// Round-robin authorship: every validator has authored within the first blocks.
	wait_until(Duration::from_secs(120), "12 blocks are built", || {
		at_least(testnet.nodes[alice].best_number(), 12)
	});
	let authors: Vec<u64> =
		(1..=12).map(|n| aura_slot(&testnet.nodes[alice].header_at(n)) % 3).collect();
	let distinct: BTreeSet<u64> = authors.iter().copied().collect();
	assert_eq!(distinct.len(), 3, "all three validators author in turn, got authors {authors:?}");
	for (index, validator) in testnet.nodes.iter().enumerate() {
		let authored = authors.iter().filter(|author| **author == index as u64).count();
		assert!(authored >= 2, "{} authored {authored} of 12 blocks", validator.name);
	}

	// GRANDPA finalises, and every validator agrees on a rising finalised height.
	let finalized = wait_until(Duration::from_secs(60), "GRANDPA finalises block 5", || {
		at_least(testnet.nodes[alice].finalized_number(), 5)
	});
	wait_until(Duration::from_secs(60), "the finalised height rises", || {
		at_least(testnet.nodes[alice].finalized_number(), finalized + 1)
	});
	for validator in &testnet.nodes {
		wait_until(Duration::from_secs(30), "each validator sees finality", || {
			at_least(validator.finalized_number(), finalized)
		});
	}
}

#[test]
fn three_validators_author_in_turn_and_finality_needs_all_of_them() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let mut testnet = Network::local_testnet("consensus");
	blocks_and_finality_of_three_validators(&mut testnet);

	// GRANDPA needs more than 2/3 of the voters: with 3 voters that is all 3, so stopping one
	// must stall finality while the other two keep authoring their slots.
	let charlie = 2;
	testnet.stop(charlie);
	sleep(3 * SLOT); // votes already in flight may still complete a round
	let alice = &testnet.nodes[0];
	let stalled_at = alice.finalized_number().expect("finalised head");
	let best_before = alice.best_number().expect("best block");
	sleep(10 * SLOT);
	let alice = &testnet.nodes[0];
	assert_eq!(
		alice.finalized_number().expect("finalised head"),
		stalled_at,
		"finality must stall with one of three validators down"
	);
	let best_after = alice.best_number().expect("best block");
	assert!(
		best_after >= best_before + 4,
		"two of three validators keep authoring: best went {best_before} -> {best_after}"
	);

	// Back to three voters: finality resumes past the stall and catches up with the chain.
	testnet.start(charlie);
	wait_until(Duration::from_secs(120), "finality resumes after the restart", || {
		at_least(testnet.nodes[0].finalized_number(), best_after + 1)
	});
	wait_until(Duration::from_secs(60), "the restarted validator follows finality", || {
		at_least(testnet.nodes[charlie].finalized_number(), best_after + 1)
	});
}

#[test]
fn the_iot_runtime_apis_answer_on_a_dev_node() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let node = DevNode::start();
	let device = [7u8; 32];
	let pair = [device, [8u8; 32]].concat();
	// Option::None, an empty Vec, and a default pair state (0 failures, not locked).
	let none = "0x00";
	assert_eq!(node.runtime_call("DeviceRegistryApi_device", &device), none);
	assert_eq!(node.runtime_call("DeviceRegistryApi_device_by_account", &[1; 32]), none);
	let first_page_of_org_0 = [&0u32.to_le_bytes()[..], &[0], &10u32.to_le_bytes()].concat();
	assert_eq!(node.runtime_call("DeviceRegistryApi_devices_of_org", &first_page_of_org_0), none);
	assert_eq!(node.runtime_call("RegistrationHashesApi_latest_registration", &pair), none);
	assert_eq!(node.runtime_call("RegistrationHashesApi_registration_history", &pair), none);
	let recent = [&device[..], &10u32.to_le_bytes()].concat();
	assert_eq!(node.runtime_call("LoginRecordsApi_recent_logins", &recent), none);
	assert_eq!(node.runtime_call("LoginRecordsApi_pair_state", &pair), "0x0000000000");
	assert_eq!(node.runtime_call("FirmwareReleasesApi_release", &0u32.to_le_bytes()), none);
	// A model of no releases: no latest, 0 behind, 0 on yanked, no releases.
	let model = [&[5 << 2][..], b"LOCK1"].concat();
	assert_eq!(
		node.runtime_call("FirmwareReleasesApi_fleet_status", &model),
		"0x00000000000000000000"
	);
	let first_page_of_release_0 = [&0u32.to_le_bytes()[..], &[0], &10u32.to_le_bytes()].concat();
	assert_eq!(
		node.runtime_call("FirmwareReleasesApi_devices_on_release", &first_page_of_release_0),
		none
	);
}

/// The hash of block `number`, as a hex string without `0x`.
fn block_hash_hex(rpc_port: u16, number: u64) -> String {
	let hash = rpc(rpc_port, "chain_getBlockHash", serde_json::json!([number])).expect("a hash");
	hash.as_str().expect("a hex string").trim_start_matches("0x").to_owned()
}

#[test]
fn an_open_development_chain_answers_block_and_state_requests_from_anyone() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	// The dev chain lists no nodes, so its network is open: a stranger's requests are served.
	// (This also shows the stranger speaks the protocols correctly, so the consortium test's
	// refusals are the gate's and not a malformed request's.)
	let node = DevNode::start();
	assert_eq!(node.runtime_call("PeerAllowlistApi_allowed_peer_ids", &[]), "0x00", "no nodes");
	wait_until(Duration::from_secs(60), "block 1", || {
		let best = rpc(node.rpc_port, "chain_getHeader", serde_json::json!([]));
		at_least(best.map(|header| hex_u64(&header["number"])), 1)
	});
	let genesis = block_hash_hex(node.rpc_port, 0);
	let first = bytes_of(&block_hash_hex(node.rpc_port, 1));
	let peer_id = rpc(node.rpc_port, "system_localPeerId", serde_json::json!([])).expect("PeerId");
	let address =
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", node.p2p_port, peer_id.as_str().expect("a PeerId"));

	let blocks = stranger::request(
		&address,
		&stranger::block_protocol(&genesis),
		stranger::block_request(1),
	)
	.expect("a stranger gets blocks from an open chain");
	assert!(
		blocks.windows(32).any(|window| window == first.as_slice()),
		"the response holds block 1"
	);

	let state = stranger::request(
		&address,
		&stranger::state_protocol(&genesis),
		stranger::state_request(&first.try_into().expect("32 bytes")),
	)
	.expect("a stranger gets state from an open chain");
	assert!(state.windows(5).any(|window| window == b":code"), "the response holds the runtime");
}

#[test]
fn built_in_chain_specs_name_their_presets() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	for (chain, id, chain_type) in
		[("dev", "iotchain_dev", "Development"), ("local", "iotchain_local", "Local")]
	{
		let (spec, _) = node_command(&["build-spec", "--chain", chain]);
		let spec: Value = serde_json::from_str(&spec).expect("chain spec is JSON");
		assert_eq!(spec["id"], id);
		assert_eq!(spec["chainType"], chain_type);
		assert_eq!(spec["properties"]["tokenSymbol"], "IOT");
		// The raw form executes the wasm runtime's genesis builder.
		let (raw, _) = node_command(&["build-spec", "--chain", chain, "--raw"]);
		let raw: Value = serde_json::from_str(&raw).expect("raw chain spec is JSON");
		assert!(raw["genesis"]["raw"]["top"].as_object().is_some_and(|top| !top.is_empty()));
	}
}

#[test]
fn an_unknown_chain_spec_file_is_refused_with_a_clear_error() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let output = Command::new(node_binary())
		.args(["build-spec", "--chain", "/nonexistent/iotchain.json"])
		.output()
		.expect("iotchain-node runs");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("/nonexistent/iotchain.json"), "error names the file: {stderr}");
}

#[test]
fn key_insert_stores_validator_keys_in_the_keystore() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let dir = std::env::temp_dir().join(format!("iotchain-keystore-{}", std::process::id()));
	let _ = fs::remove_dir_all(&dir);
	insert_key(dir.to_str().expect("utf8 path"), "local", "sr25519", "//Alice", "aura");
	let keystore = dir.join("chains/iotchain_local/keystore");
	let entries: Vec<String> = fs::read_dir(&keystore)
		.expect("keystore directory exists")
		.map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
		.collect();
	// The file name is the hex key type followed by the hex public key.
	assert!(entries.iter().any(|name| name.starts_with(&hex_of(b"aura"))), "{entries:?}");
	let _ = fs::remove_dir_all(&dir);
}

#[test]
fn serving_ipfs_is_refused_with_a_clear_error() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	// The node assembles its own networking (the allow-list gate) and serves no Bitswap.
	let output = Command::new(node_binary())
		.args(["--dev", "--tmp", "--ipfs-server", "--no-mdns", "--no-telemetry", "--no-prometheus"])
		.args(["--listen-addr", "/ip4/127.0.0.1/tcp/0", "--rpc-port", &free_port().to_string()])
		.output()
		.expect("iotchain-node runs");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("do not serve IPFS"), "the refusal says why: {stderr}");
}
