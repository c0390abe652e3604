//! A consortium of four member organisations made by `scripts/new-consortium.sh`, run as real
//! validator processes on loopback and governed through signed extrinsics: the member-only
//! pool, the peer allow-list, finality with one validator down, and a fifth validator added and
//! removed by council vote while the others keep running.

mod stranger;

use codec::{Decode, Encode};
use iotchain_runtime::{AccountId, RuntimeCall, SessionKeys, UNIT};
use iotchain_testing::{consortium::*, *};
use serde_json::json;
use sp_core::{sr25519, Pair};
use std::{
	process::Command,
	str::FromStr,
	thread::sleep,
	time::{Duration, Instant},
};

/// Long enough for a validator-set change: planned at the next session boundary (sessions are
/// 30 blocks) and enacted at the one after — up to 60 blocks, which take up to 80 slots
/// (160 s) while one of four validators is down and its slots stay empty.
const TWO_SESSIONS: Duration = Duration::from_secs(4 * 60);

/// The council creates an operator organisation (admin: the third member), which registers a
/// device. The device — compromised, say — signs records far ahead of its nonce: the pool takes
/// two blocks' worth of its quota and refuses the next with the admission code 2; once blocks
/// include some, the window moves on.
fn a_flooding_device_gets_no_more_than_its_window_into_the_pool(
	chain: &Chain,
	network: &Network,
	council: &mut Council,
) {
	use pallet_device_registry::OrgRoles;
	let node = &network.nodes[0];
	let admin = council.members[2].account();
	let create_org = RuntimeCall::DeviceRegistry(pallet_device_registry::Call::create_org {
		name: b"fleet operator".to_vec(),
		roles: OrgRoles { operator: true, ..Default::default() },
		admin,
	});
	council.pass(chain, node, create_org);
	// The chain's first organisation.
	let device_id = [0xd0; 32];
	let mut device = register_device(chain, node, &mut council.members[2], 0, device_id);

	let record = |n: u8| pair_registration(device_id, n);
	// Quota 4 a block, a window of 2 blocks: nonces 0..8 wait in the pool, 8 is refused.
	let window = 8u8;
	for n in 0..window {
		chain
			.submit(node, &mut device, record(n))
			.expect("within the window: the pool takes it");
	}
	let refusal = chain.submit(node, &mut device, record(window)).expect_err("beyond the window");
	assert!(
		refusal.contains("1010") && refusal.contains("Custom error: 2"),
		"refused as over quota (InvalidTransaction::Custom(2)): {refusal}"
	);
	device.nonce -= 1;
	// The parked records go in, at most four a block, and the window moves with the nonce.
	wait_for_nonce(node, &device.account(), 4);
	chain.execute(node, &mut device, record(window));
	assert_eq!(device.nonce, u32::from(window) + 1, "every record within the window was included");
}

/// The validators `ValidatorSet` has approved, at `node`'s best block.
fn approved_validators(node: &Node) -> Result<Vec<AccountId>, String> {
	let value =
		node.rpc("state_getStorage", json!([storage_key("ValidatorSet", "ApprovedValidators")]))?;
	Vec::<AccountId>::decode(&mut &bytes_of(value.as_str().unwrap_or("0x00"))[..])
		.map_err(|e| e.to_string())
}

/// How many Aura authorities author at `node`'s best block.
fn aura_authorities(node: &Node) -> Result<usize, String> {
	let answer = node.rpc("state_call", json!(["AuraApi_authorities", "0x"]))?;
	Vec::<[u8; 32]>::decode(&mut &bytes_of(answer.as_str().unwrap_or_default())[..])
		.map(|authorities| authorities.len())
		.map_err(|e| e.to_string())
}

/// The numbers of the blocks a node's log says it authored.
fn blocks_authored(node: &Node) -> Vec<u64> {
	node.log()
		.split("Prepared block for proposing at ")
		.skip(1)
		.filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
		.collect()
}

#[test]
fn new_consortium_refuses_a_bad_count_and_an_existing_directory() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let existing = std::env::temp_dir();
	for (args, complaint) in [
		(vec!["0".to_owned()], "N must be 1 to 32"),
		(vec!["four".to_owned()], "N must be 1 to 32"),
		(vec!["33".to_owned()], "N must be 1 to 32"),
		(vec!["4".to_owned(), existing.display().to_string()], "exists"),
	] {
		let output = Command::new("bash")
			.arg(new_consortium_script())
			.args(&args)
			.env("IOTCHAIN_NODE", node_binary())
			.output()
			.expect("new-consortium.sh runs");
		assert_eq!(output.status.code(), Some(2), "{args:?} is refused");
		let stderr = String::from_utf8_lossy(&output.stderr);
		assert!(stderr.contains(complaint), "{args:?}: {stderr}");
	}
}

#[test]
fn a_four_organisation_consortium_is_governed_on_chain() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let (mut network, members) = finalising_consortium("consortium");
	let chain = Chain::of(&network.nodes[0]);

	// A stranger's transfer never reaches the pool: refused at validation with code 1.
	let mut stranger = Signer::new(sr25519::Pair::generate().0);
	let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: members[0].account().into(),
		value: UNIT,
	});
	let refusal = chain
		.submit(&network.nodes[0], &mut stranger, transfer)
		.expect_err("a stranger's transfer is refused");
	assert!(
		refusal.contains("1010") && refusal.contains("Custom error: 1"),
		"refused as an unknown account (InvalidTransaction::Custom(1)): {refusal}"
	);

	// One of four validators down: GRANDPA's two-thirds still finalise.
	network.stop(3);
	let finalized = network.nodes[0].finalized_number().expect("finalised head");
	wait_until(Duration::from_secs(60), "finality continues with three of four", || {
		at_least(network.nodes[0].finalized_number(), finalized + 3)
	});
	// Back up, it catches up with finality.
	network.start(3);
	let finalized = network.nodes[0].finalized_number().expect("finalised head");
	wait_until(Duration::from_secs(90), "the restarted validator catches up", || {
		at_least(network.nodes[3].finalized_number(), finalized + 1)
	});

	// A node whose PeerId is not on the allow-list cannot join: the validators refuse it, so it
	// imports nothing.
	let intruder = Node::new(
		&network.dir,
		"intruder",
		network.dir.join("intruder"),
		network.dir.join("intruder.node-key"),
	);
	network.nodes.push(intruder);
	let intruder = network.nodes.len() - 1;
	network.start(intruder);
	// Nor do transactions it takes in reach the consortium: a member's remark handed to the
	// intruder's pool never reaches a consortium node's pool or block.
	let mut members = members;
	let remark =
		RuntimeCall::System(frame_system::Call::remark { remark: b"via intruder".to_vec() });
	chain
		.submit(&network.nodes[intruder], &mut members[3], remark)
		.expect("the intruder's own pool takes a member's transaction");
	sleep(10 * SLOT);
	assert_eq!(network.nodes[intruder].best_number(), Ok(0), "an unlisted node imports nothing");
	assert!(network.nodes[0].best_number().expect("best block") > 10);
	let pending = network.nodes[0].rpc("author_pendingExtrinsics", json!([])).expect("pool");
	assert_eq!(pending, json!([]), "nothing reached a consortium node's pool from the intruder");
	let nonce = network.nodes[0]
		.rpc("system_accountNextIndex", json!([members[3].account().to_string()]))
		.expect("a nonce");
	assert_eq!(nonce, json!(0), "the remark was never included");
	members[3].nonce = 0;
	network.stop(intruder);

	// Nor can a stranger read the chain by speaking the request protocols itself: every request
	// from a PeerId not on the list is refused. (The same requests succeed on an open chain:
	// `local_testnet: an_open_development_chain_answers_block_and_state_requests_from_anyone`.)
	let genesis = network.nodes[0].rpc("chain_getBlockHash", json!([0])).expect("genesis");
	let genesis = genesis.as_str().expect("a hex hash").trim_start_matches("0x").to_owned();
	let first = network.nodes[0].rpc("chain_getBlockHash", json!([1])).expect("block 1");
	let first: [u8; 32] = bytes_of(first.as_str().expect("a hex hash")).try_into().expect("32");
	let address = network.nodes[0].multiaddr();
	for (what, protocol, request) in [
		("blocks", stranger::block_protocol(&genesis), stranger::block_request(1)),
		("state", stranger::state_protocol(&genesis), stranger::state_request(&first)),
	] {
		let refusal = stranger::request(&address, &protocol, request)
			.expect_err("a stranger's request is refused");
		assert!(refusal.starts_with("Rejected"), "{what}: refused, not failed: {refusal}");
	}
	let refusal = stranger::request(
		&address,
		&stranger::light_client_protocol(&genesis),
		stranger::block_request(1),
	)
	.expect_err("the light-client protocol is not served");
	assert!(
		refusal.starts_with("Rejected") || refusal == "UnsupportedProtocol",
		"light client: {refusal}"
	);

	// A fifth organisation's validator joins: the council allows its node and approves its
	// account in one motion, its node makes its session keys, the account registers them.
	let fifth_dir = network.dir.join("org5");
	let fifth =
		Node::new(&network.dir, "org5", fifth_dir.join("data"), network.dir.join("org5.node-key"));
	let fifth_peer_id = sc_network::PeerId::from_str(&fifth.peer_id()).expect("a PeerId");
	network.nodes.push(fifth);
	let joiner_node = network.nodes.len() - 1;
	let mut joiner = Signer::new(sr25519::Pair::generate().0);

	let mut council = Council { members, motions: 0 };
	a_flooding_device_gets_no_more_than_its_window_into_the_pool(&chain, &network, &mut council);
	let fund = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: joiner.account().into(),
		value: 10 * UNIT,
	});
	chain.execute(&network.nodes[0], &mut council.members[3], fund);
	let admit = RuntimeCall::Utility(pallet_utility::Call::batch_all {
		calls: vec![
			RuntimeCall::PeerAllowlist(pallet_peer_allowlist::Call::add_node {
				peer_id: fifth_peer_id.to_bytes(),
			}),
			RuntimeCall::ValidatorSet(pallet_validator_set::Call::add_validator {
				validator: joiner.account(),
			}),
		],
	});
	council.pass(&chain, &network.nodes[0], admit);
	let approved_at = Instant::now();
	assert!(approved_validators(&network.nodes[0])
		.expect("storage")
		.contains(&joiner.account()));

	network.start(joiner_node);
	wait_until(Duration::from_secs(60), "the fifth node syncs", || {
		at_least(network.nodes[joiner_node].best_number(), network.nodes[0].best_number()?)
	});
	let generated = network.nodes[joiner_node]
		.rpc(
			"author_rotateKeysWithOwner",
			json!([format!("0x{}", hex_of(&joiner.account().encode()))]),
		)
		.expect("the new node generates session keys");
	let keys = SessionKeys::decode(&mut &bytes_of(generated["keys"].as_str().expect("keys"))[..])
		.expect("session keys decode");
	let proof = bytes_of(generated["proof"].as_str().expect("a proof of possession"));
	let set_keys = RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof });
	chain.execute(&network.nodes[0], &mut joiner, set_keys);

	// With the fourth organisation down, a set of five finalises only if the newcomer votes:
	// GRANDPA needs four of five. (The old set of four still finalises with three.)
	network.stop(3);
	let first_block = wait_until(TWO_SESSIONS, "the fifth validator authors a block", || {
		blocks_authored(&network.nodes[joiner_node])
			.first()
			.copied()
			.ok_or("none yet".to_string())
	});
	let first_block_after = approved_at.elapsed();
	wait_until(
		Duration::from_secs(90),
		"the five-validator set finalises with the newcomer",
		|| at_least(network.nodes[0].finalized_number(), first_block),
	);
	let first_vote_after = approved_at.elapsed();
	println!(
		"fifth validator: first authored block (#{first_block}) {:.1} s and first finality it \
		 voted for {:.1} s after the council's vote",
		first_block_after.as_secs_f64(),
		first_vote_after.as_secs_f64()
	);
	network.start(3);

	// The council removes it again: two boundaries later Aura has four authorities and the
	// fifth node authors no more.
	let remove = RuntimeCall::ValidatorSet(pallet_validator_set::Call::remove_validator {
		validator: joiner.account(),
	});
	council.pass(&chain, &network.nodes[0], remove);
	wait_until(TWO_SESSIONS, "the set is back to four", || {
		match aura_authorities(&network.nodes[0]) {
			Ok(4) => Ok(()),
			Ok(n) => Err(format!("{n} authorities")),
			Err(e) => Err(e),
		}
	});
	sleep(2 * SLOT);
	let authored = blocks_authored(&network.nodes[joiner_node]).len();
	sleep(10 * SLOT);
	assert_eq!(
		blocks_authored(&network.nodes[joiner_node]).len(),
		authored,
		"a removed validator stops authoring"
	);
	let finalized = network.nodes[0].finalized_number().expect("finalised head");
	wait_until(Duration::from_secs(60), "finality continues with four", || {
		at_least(network.nodes[0].finalized_number(), finalized + 3)
	});
}
