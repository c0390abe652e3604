//! A four-organisation consortium (`new-consortium.sh`, real validator processes) on a network
//! this test builds: each validator in a network namespace of its own, joined by veth pairs to a
//! Linux bridge. Cutting it 2|2 (two bridges) must stop finality on both sides — neither half
//! holds the more than two thirds GRANDPA needs — and healing it must resume finality on one
//! chain without reverting anything finalised. Then one validator's link is made slow (a token
//! bucket with a small rate and a deep queue, both ways): the other three must go on
//! finalising, and once its link recovers the slow one must end up on their chain: by itself,
//! or after the operator's remedy for a validator left cut off (the README's "A validator that
//! lost its peers"), the other validators restarted one at a time.
//!
//! Creating namespaces, links and queueing disciplines needs root (CAP_NET_ADMIN).

use iotchain_testing::{consortium::*, *};
use serde_json::{json, Value};
use std::{
	process::Command,
	thread::sleep,
	time::{Duration, Instant},
};

/// Runs `ip`/`tc` with `args`, failing the test with its complaint.
fn run(program: &str, args: &[&str]) {
	let output = Command::new(program).args(args).output().expect("iproute2 runs");
	assert!(
		output.status.success(),
		"{program} {}: {} (this test needs root for network namespaces)",
		args.join(" "),
		String::from_utf8_lossy(&output.stderr).trim()
	);
}

/// The test's network: one namespace per validator, each linked to bridge `a` (or `b`, on the
/// far side of a partition). Dropping it deletes everything it made.
struct Lab {
	tag: String,
	size: usize,
}

impl Lab {
	fn new(size: usize) -> Self {
		// Interface names are at most 15 bytes: "iotb" + a 6-digit tag + a suffix.
		let lab = Lab { tag: format!("{:06}", std::process::id() % 1_000_000), size };
		for bridge in [lab.bridge('a'), lab.bridge('b')] {
			run("ip", &["link", "add", &bridge, "type", "bridge"]);
			run("ip", &["link", "set", &bridge, "up"]);
		}
		for i in 0..size {
			let (netns, link) = (lab.netns(i), lab.link(i));
			run("ip", &["netns", "add", &netns]);
			run("ip", &["-n", &netns, "link", "set", "lo", "up"]);
			run(
				"ip",
				&["link", "add", &link, "type", "veth", "peer", "name", "eth0", "netns", &netns],
			);
			run(
				"ip",
				&["-n", &netns, "addr", "add", &format!("{}/24", lab.address(i)), "dev", "eth0"],
			);
			run("ip", &["-n", &netns, "link", "set", "eth0", "up"]);
			run("ip", &["link", "set", &link, "master", &lab.bridge('a'), "up"]);
		}
		lab
	}

	fn bridge(&self, side: char) -> String {
		format!("iotb{}{side}", self.tag)
	}

	fn netns(&self, i: usize) -> String {
		format!("iotchain-{}-{i}", self.tag)
	}

	/// The bridge end of validator `i`'s veth pair.
	fn link(&self, i: usize) -> String {
		format!("iotv{}{i}", self.tag)
	}

	fn address(&self, i: usize) -> String {
		format!("10.77.0.{}", i + 1)
	}

	/// Moves the validators `far` to bridge `b`: the two bridges share nothing.
	fn partition(&self, far: &[usize]) {
		for &i in far {
			run("ip", &["link", "set", &self.link(i), "master", &self.bridge('b')]);
		}
	}

	fn heal(&self) {
		for i in 0..self.size {
			run("ip", &["link", "set", &self.link(i), "master", &self.bridge('a')]);
		}
	}

	/// Validator `i`'s link, both ways: 40 kbit/s — a little above what a validator of four
	/// sends and receives on an idle chain, so every burst (a block, a round of votes) queues —
	/// with up to 500 ms of queue, beyond which packets drop. (This kernel has no `netem`; a
	/// token bucket delays and drops once bursts exceed its rate.)
	fn slow(&self, i: usize) {
		let shape = ["root", "tbf", "rate", "40kbit", "burst", "4kbit", "latency", "500ms"];
		run("tc", &[&["qdisc", "add", "dev", &self.link(i)][..], &shape].concat());
		let netns = self.netns(i);
		let inside = [&["-n", &netns, "qdisc", "add", "dev", "eth0"][..], &shape].concat();
		run("tc", &inside);
	}
}

impl Lab {
	/// Validator `i`'s link back to full speed.
	fn unslow(&self, i: usize) {
		run("tc", &["qdisc", "del", "dev", &self.link(i), "root"]);
		run("tc", &["-n", &self.netns(i), "qdisc", "del", "dev", "eth0", "root"]);
	}
}

impl Drop for Lab {
	fn drop(&mut self) {
		for i in 0..self.size {
			let _ = Command::new("ip").args(["netns", "delete", &self.netns(i)]).status();
		}
		for side in ['a', 'b'] {
			let _ = Command::new("ip").args(["link", "delete", &self.bridge(side)]).status();
		}
	}
}

fn finalized_head(node: &Node) -> Result<(u64, Value), String> {
	let hash = node.rpc("chain_getFinalizedHead", json!([]))?;
	let header = node.rpc("chain_getHeader", json!([hash]))?;
	Ok((hex_u64(&header["number"]), hash))
}

#[test]
fn a_partition_stops_finality_on_both_sides_and_heals_and_a_slow_validator_does_not_stop_it() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let lab = Lab::new(ORGANISATIONS);
	let mut network = Network::new("partition");
	// The network is dropped (its nodes stopped) before the lab that holds their namespaces.
	four_organisations_placed(&mut network, |i, node| {
		node.in_netns(&lab.netns(i), &lab.address(i))
	});
	for node in &network.nodes {
		wait_until(Duration::from_secs(120), "every validator finalises block 3", || {
			at_least(node.finalized_number(), 3)
		});
	}

	// 2|2: organisations 1 and 2 on one side, 3 and 4 on the other.
	lab.partition(&[2, 3]);
	// A round already under way may still conclude; then finality holds still.
	sleep(4 * SLOT);
	let cut: Vec<(u64, Value)> =
		network.nodes.iter().map(|node| finalized_head(node).expect("head")).collect();
	let best_at_cut: Vec<u64> =
		network.nodes.iter().map(|node| node.best_number().expect("best")).collect();
	sleep(15 * SLOT);
	for (i, node) in network.nodes.iter().enumerate() {
		let (finalized, _) = finalized_head(node).expect("head");
		assert_eq!(finalized, cut[i].0, "{}: no side finalises alone", node.name);
		assert!(
			node.best_number().expect("best") > best_at_cut[i],
			"{}: each side still authors its own slots",
			node.name
		);
	}

	lab.heal();
	let highest = cut.iter().map(|(number, _)| *number).max().expect("four nodes");
	for node in &network.nodes {
		wait_until(Duration::from_secs(180), "finality resumes after healing", || {
			at_least(node.finalized_number(), highest + 3)
		});
	}
	// One chain: every node has every block finalised before the cut, and they agree on it.
	for node in &network.nodes {
		for (number, hash) in &cut {
			let canonical = node.rpc("chain_getBlockHash", json!([number])).expect("hash");
			assert_eq!(&canonical, hash, "{}: block #{number} finalised before the cut", node.name);
		}
	}
	let common = network.nodes.iter().map(|node| node.finalized_number().expect("head")).min();
	let common = common.expect("four nodes");
	let hashes: Vec<Value> = network
		.nodes
		.iter()
		.map(|node| node.rpc("chain_getBlockHash", json!([common])).expect("hash"))
		.collect();
	assert!(hashes.iter().all(|hash| hash == &hashes[0]), "one chain at #{common}: {hashes:?}");

	// One validator on a slow link: the other three, more than two thirds, finalise on time.
	lab.slow(3);
	let start: Vec<u64> = network
		.nodes
		.iter()
		.map(|node| node.finalized_number().expect("head"))
		.collect();
	sleep(30 * SLOT);
	for (i, node) in network.nodes.iter().enumerate() {
		let (finalized, _) = finalized_head(node).expect("head");
		let lag = node.best_number().expect("best").saturating_sub(finalized);
		println!(
			"{}: {} blocks finalised in 30 slots with org4 on a slow link, {lag} behind its best",
			node.name,
			finalized - start[i]
		);
		if i != 3 {
			assert!(finalized >= start[i] + 10, "{}: finality goes on", node.name);
		}
	}
	// What the shaping did to org4's link (towards it): packets held back and dropped.
	let stats = Command::new("tc").args(["-s", "qdisc", "show", "dev", &lab.link(3)]).output();
	println!("{}", String::from_utf8_lossy(&stats.expect("tc runs").stdout));
	// Once its link recovers, the slow validator catches up with what the others finalised,
	// mostly within seconds. It may not: after a saturated link litep2p can leave another
	// validator refusing it for good, and restarting the cut-off validator does not help
	// (docs/security.md, known gaps). What does is the operator's remedy in the README: restart
	// the other validators one at a time. Either way, the slow validator must end up on the
	// chain the others finalised.
	lab.unslow(3);
	let target = network.nodes[0].finalized_number().expect("head");
	if catches_up(&network.nodes[3], target, Duration::from_secs(60)) {
		println!("org4 caught up with #{target} within 60 s of its link recovering");
	} else {
		let health = network.nodes[3].rpc("system_health", json!([])).unwrap_or_default();
		println!(
			"org4 did not catch up with #{target} within 60 s of its link recovering ({} peers); \
			 restarting the other validators one at a time",
			health["peers"]
		);
		for i in 0..3 {
			network.stop(i);
			network.start(i);
			wait_until(Duration::from_secs(120), "the restarted validator finalises again", || {
				let others = network.nodes[(i + 1) % 3].finalized_number()?;
				at_least(network.nodes[i].finalized_number(), others)
			});
		}
		let target = network.nodes[0].finalized_number().expect("head");
		assert!(
			catches_up(&network.nodes[3], target, Duration::from_secs(120)),
			"org4 catches up with #{target} once the other validators have restarted"
		);
		println!("org4 caught up with #{target} after the other validators restarted");
	}
	let (finalized, hash) = finalized_head(&network.nodes[3]).expect("head");
	let theirs = network.nodes[0].rpc("chain_getBlockHash", json!([finalized])).expect("hash");
	assert_eq!(hash, theirs, "org4 finalised the others' chain");
	drop(network);
}

/// Whether `node` finalises block `target` within `timeout`.
fn catches_up(node: &Node, target: u64, timeout: Duration) -> bool {
	let deadline = Instant::now() + timeout;
	loop {
		if node.finalized_number().is_ok_and(|number| number >= target) {
			return true;
		}
		if Instant::now() > deadline {
			return false;
		}
		sleep(Duration::from_secs(1));
	}
}
