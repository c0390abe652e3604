//! End-to-end tests on real `iotchain-node` processes, exercised through their JSON-RPC
//! endpoints: consensus among three validators of the `local` chain on loopback, the IoT
//! runtime APIs of a `--dev` node, and the command line.

use serde_json::{json, Value};
use std::{
	collections::BTreeSet,
	fs,
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::PathBuf,
	process::{Child, Command, Stdio},
	thread::sleep,
	time::{Duration, Instant},
};

const NODE: &str = env!("CARGO_BIN_EXE_iotchain-node");

/// The local chain's validators in genesis order; Aura gives slot `s` to validator `s % 3`.
const VALIDATORS: [&str; 3] = ["alice", "bob", "charlie"];

/// Aura slot of the `local` chain.
const SLOT: Duration = Duration::from_secs(2);

/// A port nothing listens on right now.
fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|listener| listener.local_addr())
		.map(|addr| addr.port())
		.expect("the loopback interface accepts a listener")
}

/// Runs a node subcommand to completion and returns its stdout and stderr.
fn node_command(args: &[&str]) -> (String, String) {
	let output = Command::new(NODE).args(args).output().expect("iotchain-node runs");
	let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
	let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
	assert!(output.status.success(), "iotchain-node {args:?} failed:\n{stderr}");
	(stdout, stderr)
}

/// Inserts a validator key derived from `suri` into the keystore under `base_path`.
fn insert_key(base_path: &str, chain: &str, scheme: &str, suri: &str, key_type: &str) {
	node_command(&[
		"key",
		"insert",
		"--base-path",
		base_path,
		"--chain",
		chain,
		"--scheme",
		scheme,
		"--suri",
		suri,
		"--key-type",
		key_type,
	]);
}

/// A JSON-RPC call over HTTP, which the node serves on its RPC port beside WebSocket.
fn rpc(port: u16, method: &str, params: Value) -> Result<Value, String> {
	let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
	let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
	stream
		.set_read_timeout(Some(Duration::from_secs(10)))
		.map_err(|e| e.to_string())?;
	write!(
		stream,
		"POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	)
	.map_err(|e| e.to_string())?;
	let mut response = String::new();
	stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
	let (_, payload) = response.split_once("\r\n\r\n").ok_or("no HTTP body")?;
	let reply: Value = serde_json::from_str(payload).map_err(|e| format!("{e}: {payload}"))?;
	match reply.get("result") {
		Some(result) => Ok(result.clone()),
		None => Err(format!("{method} failed: {reply}")),
	}
}

fn hex_u64(value: &Value) -> u64 {
	let text = value.as_str().expect("a hex string");
	u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("valid hex")
}

/// The Aura slot a header was authored in, from its `PreRuntime(*b"aura", slot)` digest item:
/// SCALE bytes `06 61757261 20 <u64 little endian>`.
fn aura_slot(header: &Value) -> u64 {
	header["digest"]["logs"]
		.as_array()
		.expect("digest logs")
		.iter()
		.filter_map(|log| log.as_str())
		.find_map(|log| log.strip_prefix("0x0661757261"))
		.map(|rest| {
			let bytes: Vec<u8> = (2..18)
				.step_by(2)
				.map(|i| u8::from_str_radix(&rest[i..i + 2], 16).expect("hex byte"))
				.collect();
			u64::from_le_bytes(bytes.try_into().expect("eight bytes"))
		})
		.expect("every block carries an Aura pre-digest")
}

struct Validator {
	name: &'static str,
	base_path: PathBuf,
	node_key_file: PathBuf,
	p2p_port: u16,
	rpc_port: u16,
	process: Option<Child>,
}

impl Validator {
	fn best_number(&self) -> Result<u64, String> {
		rpc(self.rpc_port, "chain_getHeader", json!([])).map(|h| hex_u64(&h["number"]))
	}

	fn finalized_number(&self) -> Result<u64, String> {
		let hash = rpc(self.rpc_port, "chain_getFinalizedHead", json!([]))?;
		rpc(self.rpc_port, "chain_getHeader", json!([hash])).map(|h| hex_u64(&h["number"]))
	}

	fn header_at(&self, number: u64) -> Value {
		let hash = rpc(self.rpc_port, "chain_getBlockHash", json!([number])).expect("block hash");
		rpc(self.rpc_port, "chain_getHeader", json!([hash])).expect("header")
	}
}

/// Three validator processes sharing one raw chain spec. Dropping it stops every process, also
/// when an assertion fails, and prints the tail of each log if the test is failing.
struct Testnet {
	dir: PathBuf,
	chain_spec: PathBuf,
	validators: Vec<Validator>,
}

impl Testnet {
	fn new(test_name: &str) -> Self {
		let dir = std::env::temp_dir().join(format!("iotchain-{test_name}-{}", std::process::id()));
		let _ = fs::remove_dir_all(&dir);
		fs::create_dir_all(&dir).expect("temp dir");

		let chain_spec = dir.join("local.json");
		let (raw_spec, _) = node_command(&[
			"build-spec",
			"--chain",
			"local",
			"--raw",
			"--disable-default-bootnode",
		]);
		fs::write(&chain_spec, raw_spec).expect("write chain spec");
		let spec = chain_spec.to_str().expect("utf8 path");

		let validators = VALIDATORS
			.iter()
			.map(|name| {
				let base_path = dir.join(name);
				let base = base_path.to_str().expect("utf8 path");
				let suri = format!("//{}{}", name[..1].to_uppercase(), &name[1..]);
				for (scheme, key_type) in [("sr25519", "aura"), ("ed25519", "gran")] {
					insert_key(base, spec, scheme, &suri, key_type);
				}
				let node_key_file = dir.join(format!("{name}.node-key"));
				node_command(&[
					"key",
					"generate-node-key",
					"--file",
					node_key_file.to_str().expect("utf8 path"),
				]);
				Validator {
					name,
					base_path,
					node_key_file,
					p2p_port: free_port(),
					rpc_port: free_port(),
					process: None,
				}
			})
			.collect();
		let mut testnet = Testnet { dir, chain_spec, validators };
		for index in 0..testnet.validators.len() {
			testnet.start(index);
		}
		testnet
	}

	fn peer_multiaddr(validator: &Validator) -> String {
		let (peer_id, _) = node_command(&[
			"key",
			"inspect-node-key",
			"--file",
			validator.node_key_file.to_str().expect("utf8 path"),
		]);
		format!("/ip4/127.0.0.1/tcp/{}/p2p/{}", validator.p2p_port, peer_id.trim())
	}

	fn start(&mut self, index: usize) {
		let bootnodes: Vec<String> = self
			.validators
			.iter()
			.enumerate()
			.filter(|(other, _)| *other != index)
			.map(|(_, validator)| Self::peer_multiaddr(validator))
			.collect();
		let validator = &self.validators[index];
		let log = fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(self.dir.join(format!("{}.log", validator.name)))
			.expect("log file");
		let mut command = Command::new(NODE);
		command
			.arg("--chain")
			.arg(&self.chain_spec)
			.arg("--base-path")
			.arg(&validator.base_path)
			.arg("--node-key-file")
			.arg(&validator.node_key_file)
			.args(["--validator", "--name", validator.name, "--no-mdns", "--no-telemetry"])
			.args(["--no-prometheus", "--listen-addr"])
			.arg(format!("/ip4/127.0.0.1/tcp/{}", validator.p2p_port))
			.args(["--rpc-port", &validator.rpc_port.to_string()])
			.arg("--bootnodes")
			.args(&bootnodes)
			.stdout(Stdio::null())
			.stderr(log);
		let process = command.spawn().expect("iotchain-node starts");
		self.validators[index].process = Some(process);
		wait_until(Duration::from_secs(60), "the node's RPC answers", || {
			self.validators[index].best_number()
		});
	}

	/// Stops a validator with SIGTERM, as an operator or a container runtime would.
	fn stop(&mut self, index: usize) {
		if let Some(mut process) = self.validators[index].process.take() {
			let _ = Command::new("kill").arg("-TERM").arg(process.id().to_string()).status();
			let deadline = Instant::now() + Duration::from_secs(30);
			while Instant::now() < deadline {
				if let Ok(Some(_)) = process.try_wait() {
					return;
				}
				sleep(Duration::from_millis(100));
			}
			let _ = process.kill();
			let _ = process.wait();
		}
	}
}

impl Drop for Testnet {
	fn drop(&mut self) {
		for index in 0..self.validators.len() {
			self.stop(index);
		}
		if std::thread::panicking() {
			for validator in &self.validators {
				let log = fs::read_to_string(self.dir.join(format!("{}.log", validator.name)))
					.unwrap_or_default();
				let tail: Vec<&str> = log.lines().rev().take(40).collect();
				eprintln!("--- last lines of {}'s log ---", validator.name);
				tail.iter().rev().for_each(|line| eprintln!("{line}"));
			}
		}
		let _ = fs::remove_dir_all(&self.dir);
	}
}

/// Polls `probe` until it yields a value, failing the test after `timeout` with the last
/// reason it gave for not yet.
fn wait_until<T>(timeout: Duration, what: &str, mut probe: impl FnMut() -> Result<T, String>) -> T {
	let deadline = Instant::now() + timeout;
	loop {
		match probe() {
			Ok(value) => return value,
			Err(reason) => assert!(
				Instant::now() < deadline,
				"timed out after {timeout:?} waiting until {what}; last: {reason}"
			),
		}
		sleep(Duration::from_millis(250));
	}
}

/// `Ok(value)` when `value` satisfies `accept`, else the reason as an error.
fn at_least(value: Result<u64, String>, minimum: u64) -> Result<u64, String> {
	value.and_then(|v| if v >= minimum { Ok(v) } else { Err(format!("at {v}, want {minimum}")) })
}

fn blocks_and_finality_of_three_validators(testnet: &mut Testnet) {
	let alice = 0;
	// Round-robin authorship: every validator has authored within the first blocks.
	wait_until(Duration::from_secs(120), "12 blocks are built", || {
		at_least(testnet.validators[alice].best_number(), 12)
	});
	let authors: Vec<u64> = (1..=12)
		.map(|n| aura_slot(&testnet.validators[alice].header_at(n)) % 3)
		.collect();
	let distinct: BTreeSet<u64> = authors.iter().copied().collect();
	assert_eq!(distinct.len(), 3, "all three validators author in turn, got authors {authors:?}");
	for (index, validator) in testnet.validators.iter().enumerate() {
		let authored = authors.iter().filter(|author| **author == index as u64).count();
		assert!(authored >= 2, "{} authored {authored} of 12 blocks", validator.name);
	}

	// GRANDPA finalises, and every validator agrees on a rising finalised height.
	let finalized = wait_until(Duration::from_secs(60), "GRANDPA finalises block 5", || {
		at_least(testnet.validators[alice].finalized_number(), 5)
	});
	wait_until(Duration::from_secs(60), "the finalised height rises", || {
		at_least(testnet.validators[alice].finalized_number(), finalized + 1)
	});
	for validator in &testnet.validators {
		wait_until(Duration::from_secs(30), "each validator sees finality", || {
			at_least(validator.finalized_number(), finalized)
		});
	}
}

#[test]
fn three_validators_author_in_turn_and_finality_needs_all_of_them() {
	let mut testnet = Testnet::new("consensus");
	blocks_and_finality_of_three_validators(&mut testnet);

	// GRANDPA needs more than 2/3 of the voters: with 3 voters that is all 3, so stopping one
	// must stall finality while the other two keep authoring their slots.
	let charlie = 2;
	testnet.stop(charlie);
	sleep(3 * SLOT); // votes already in flight may still complete a round
	let alice = &testnet.validators[0];
	let stalled_at = alice.finalized_number().expect("finalised head");
	let best_before = alice.best_number().expect("best block");
	sleep(10 * SLOT);
	let alice = &testnet.validators[0];
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
		at_least(testnet.validators[0].finalized_number(), best_after + 1)
	});
	wait_until(Duration::from_secs(60), "the restarted validator follows finality", || {
		at_least(testnet.validators[charlie].finalized_number(), best_after + 1)
	});
}

/// One `--dev` node keeping its state in a temporary directory; dropping it stops the process.
struct DevNode {
	process: Child,
	rpc_port: u16,
}

impl DevNode {
	fn start() -> Self {
		let rpc_port = free_port();
		let process = Command::new(NODE)
			.args(["--dev", "--tmp", "--no-mdns", "--no-telemetry", "--no-prometheus"])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{}", free_port())])
			.args(["--rpc-port", &rpc_port.to_string()])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("iotchain-node starts");
		let node = DevNode { process, rpc_port };
		wait_until(Duration::from_secs(60), "the dev node's RPC answers", || {
			rpc(node.rpc_port, "system_health", json!([]))
		});
		node
	}

	/// Calls runtime API `method` on the best block with SCALE-encoded `args`, and returns the
	/// SCALE-encoded answer as hex.
	fn runtime_call(&self, method: &str, args: &[u8]) -> String {
		let answer =
			rpc(self.rpc_port, "state_call", json!([method, format!("0x{}", hex_of(args))]))
				.unwrap_or_else(|error| panic!("{method}: {error}"));
		answer.as_str().expect("a hex string").to_owned()
	}
}

impl Drop for DevNode {
	fn drop(&mut self) {
		let _ = self.process.kill();
		let _ = self.process.wait();
	}
}

#[test]
fn the_iot_runtime_apis_answer_on_a_dev_node() {
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

#[test]
fn built_in_chain_specs_name_their_presets() {
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
	let output = Command::new(NODE)
		.args(["build-spec", "--chain", "/nonexistent/iotchain.json"])
		.output()
		.expect("iotchain-node runs");
	assert!(!output.status.success());
	let stderr = String::from_utf8_lossy(&output.stderr);
	assert!(stderr.contains("/nonexistent/iotchain.json"), "error names the file: {stderr}");
}

#[test]
fn key_insert_stores_validator_keys_in_the_keystore() {
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

fn hex_of(bytes: &[u8]) -> String {
	bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
