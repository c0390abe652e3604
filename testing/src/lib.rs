//! What the workspace's tests and benchmarks share: real `iotchain-node` processes on loopback,
//! JSON-RPC over HTTP to them, free ports, and polling until the chain gets where a test expects
//! it. A dev-dependency only, never a dependency of anything shipped.
//!
//! With feature `consortium`, module `consortium`: the chain `scripts/new-consortium.sh` makes,
//! its organisations signing extrinsics and the council passing motions (the node's tests).
//! With feature `gateway`, module `gateway`: mosquitto and `iotchain-gateway` processes and a
//! dev chain with a gateway and its fleet (the gateway's tests and benchmark).

#[cfg(feature = "consortium")]
pub mod consortium;
#[cfg(feature = "gateway")]
pub mod gateway;

use serde_json::{json, Value};
use std::{
	fs,
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::{
		atomic::{AtomicU16, Ordering},
		LazyLock, OnceLock,
	},
	thread::sleep,
	time::{Duration, Instant},
};

/// The node binary every helper runs, once chosen.
static NODE: OnceLock<PathBuf> = OnceLock::new();

/// Names the node binary the helpers run. The node's own tests, which cargo tells where it built
/// the binary, call it before anything else:
/// `use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"))`. Naming another binary once one is
/// chosen fails the test.
pub fn use_node_binary(path: impl Into<PathBuf>) {
	let path = path.into();
	let chosen = NODE.get_or_init(|| path.clone());
	assert_eq!(*chosen, path, "another node binary was chosen first: name it before any helper");
}

/// The node binary: the one [`use_node_binary`] named; else `IOTCHAIN_NODE`; else the binary
/// `cargo test --workspace` built into the same target directory as the test executable.
pub fn node_binary() -> &'static Path {
	NODE.get_or_init(|| {
		if let Some(path) = std::env::var_os("IOTCHAIN_NODE") {
			return path.into();
		}
		let node = built_beside_this_test("iotchain-node");
		assert!(node.exists(), "no node at {}: build it (cargo build --release)", node.display());
		node
	})
}

/// Where cargo puts binary `name` of the workspace when it builds the running test executable:
/// `<target>/<profile>/deps/<test executable>` → `<target>/<profile>/<name>`.
fn built_beside_this_test(name: &str) -> PathBuf {
	let test_executable = std::env::current_exe().expect("the test knows its executable");
	let profile_dir = test_executable.ancestors().nth(2).expect("the test runs from a target dir");
	profile_dir.join(name)
}

/// Aura slot of every iotchain chain.
pub const SLOT: Duration = Duration::from_secs(2);

/// A port nothing listens on right now, and that no other test running beside this one returns.
///
/// Ports come from below the kernel's ephemeral range (32768 and up on Linux): a port the kernel
/// hands out for `bind(0)` or an outgoing connection is free again the moment it is dropped, and
/// a node's outgoing connections or another test's listener could take it before the node under
/// test binds it (CI once saw a dev node's RPC port answered by another process).
///
/// Checking that a port is free does not reserve it, so tests running at the same time must walk
/// disjoint ports. Under nextest, which runs each test in a process of its own and several side
/// by side, every running test holds a distinct slot (`NEXTEST_TEST_GLOBAL_SLOT`) and takes its
/// ports from that slot's own block. Within the block, and under plain `cargo test`, a process
/// starts at an offset drawn from its pid, so tests run one after another do not walk the same
/// ports while a lingering node from the previous one still holds them; threads of one process
/// share the counter.
pub fn free_port() -> u16 {
	const FIRST: u16 = 20_000;
	const SLOT_PORTS: u16 = 1_000;
	const SLOTS: u16 = 12;
	// (first port, how many, the next offset to try)
	static PORTS: LazyLock<(u16, u16, AtomicU16)> = LazyLock::new(|| {
		let slot = std::env::var("NEXTEST_TEST_GLOBAL_SLOT")
			.ok()
			.and_then(|s| s.parse::<u16>().ok());
		let (first, count) = match slot {
			Some(slot) if slot < SLOTS => (FIRST + slot * SLOT_PORTS, SLOT_PORTS),
			_ => (FIRST, SLOTS * SLOT_PORTS),
		};
		(first, count, AtomicU16::new((std::process::id() % u32::from(count)) as u16))
	});
	let (first, count, next) = (PORTS.0, PORTS.1, &PORTS.2);
	for _ in 0..count {
		let port = first + next.fetch_add(1, Ordering::Relaxed) % count;
		if TcpListener::bind(("127.0.0.1", port)).is_ok() {
			return port;
		}
	}
	panic!("no free loopback port in {first}..{}", first + count)
}

/// Runs a node subcommand to completion and returns its stdout and stderr.
pub fn node_command(args: &[&str]) -> (String, String) {
	let output = Command::new(node_binary()).args(args).output().expect("iotchain-node runs");
	let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
	let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
	assert!(output.status.success(), "iotchain-node {args:?} failed:\n{stderr}");
	(stdout, stderr)
}

/// Inserts a validator key derived from `suri` into the keystore under `base_path`.
pub fn insert_key(base_path: &str, chain: &str, scheme: &str, suri: &str, key_type: &str) {
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

/// A JSON-RPC call over HTTP, which the node serves on its RPC port beside WebSocket. An error
/// reply comes back as `Err` with the whole reply, so tests can check its code and data.
pub fn rpc(port: u16, method: &str, params: Value) -> Result<Value, String> {
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

/// [`rpc`] to a node inside network namespace `netns`, whose loopback only that namespace
/// reaches: curl runs there (`ip netns exec`).
pub fn rpc_in_netns(netns: &str, port: u16, method: &str, params: Value) -> Result<Value, String> {
	let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
	let output = Command::new("ip")
		.args(["netns", "exec", netns, "curl", "-s", "-m", "10"])
		.args(["-H", "Content-Type: application/json", "-d", &body])
		.arg(format!("http://127.0.0.1:{port}"))
		.output()
		.map_err(|e| e.to_string())?;
	if !output.status.success() {
		return Err(format!("curl in {netns}: {}", String::from_utf8_lossy(&output.stderr)));
	}
	let reply: Value = serde_json::from_slice(&output.stdout).map_err(|e| e.to_string())?;
	match reply.get("result") {
		Some(result) => Ok(result.clone()),
		None => Err(format!("{method} failed: {reply}")),
	}
}

pub fn hex_u64(value: &Value) -> u64 {
	let text = value.as_str().expect("a hex string");
	u64::from_str_radix(text.trim_start_matches("0x"), 16).expect("valid hex")
}

pub fn hex_of(bytes: &[u8]) -> String {
	bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn bytes_of(hex: &str) -> Vec<u8> {
	let hex = hex.trim_start_matches("0x");
	(0..hex.len())
		.step_by(2)
		.map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex byte"))
		.collect()
}

/// The Aura slot a header was authored in, from its `PreRuntime(*b"aura", slot)` digest item:
/// SCALE bytes `06 61757261 20 <u64 little endian>`.
pub fn aura_slot(header: &Value) -> u64 {
	header["digest"]["logs"]
		.as_array()
		.expect("digest logs")
		.iter()
		.filter_map(|log| log.as_str())
		.find_map(|log| log.strip_prefix("0x0661757261"))
		.map(|rest| {
			let bytes = bytes_of(&rest[2..18]);
			u64::from_le_bytes(bytes.try_into().expect("eight bytes"))
		})
		.expect("every block carries an Aura pre-digest")
}

/// Polls `probe` until it yields a value, failing the test after `timeout` with the last
/// reason it gave for not yet.
pub fn wait_until<T>(
	timeout: Duration,
	what: &str,
	mut probe: impl FnMut() -> Result<T, String>,
) -> T {
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

/// `Ok(value)` when `value` is at least `minimum`, else the reason as an error.
pub fn at_least(value: Result<u64, String>, minimum: u64) -> Result<u64, String> {
	value.and_then(|v| if v >= minimum { Ok(v) } else { Err(format!("at {v}, want {minimum}")) })
}

/// One node process of a [`Network`]: its state, keys, ports and log.
pub struct Node {
	pub name: String,
	pub base_path: PathBuf,
	pub node_key_file: PathBuf,
	pub p2p_port: u16,
	pub rpc_port: u16,
	/// The network namespace the node runs in (`ip netns`), or `None` for the test's own.
	pub netns: Option<String>,
	/// The address its p2p port listens on: loopback, or its namespace's address.
	pub host: String,
	/// The flags it runs with instead of those [`Node::start`] gives a node of the network
	/// (all but `--no-prometheus` and the bootnodes): an organisation's validator runs with
	/// those `new-consortium.sh` wrote for it (`consortium::node_args`).
	pub flags: Option<Vec<String>>,
	log: PathBuf,
	process: Option<Child>,
}

impl Node {
	/// A node named `name` keeping its state in `base_path`, its libp2p key in `node_key_file`
	/// (generated if missing) and its log in `dir`.
	pub fn new(dir: &Path, name: &str, base_path: PathBuf, node_key_file: PathBuf) -> Self {
		if !node_key_file.exists() {
			node_command(&[
				"key",
				"generate-node-key",
				"--file",
				node_key_file.to_str().expect("utf8 path"),
			]);
		}
		Node {
			name: name.to_owned(),
			base_path,
			node_key_file,
			p2p_port: free_port(),
			rpc_port: free_port(),
			netns: None,
			host: "127.0.0.1".to_owned(),
			flags: None,
			log: dir.join(format!("{name}.log")),
			process: None,
		}
	}

	/// The same node, run in network namespace `netns` where it listens on `host`.
	pub fn in_netns(mut self, netns: &str, host: &str) -> Self {
		self.netns = Some(netns.to_owned());
		self.host = host.to_owned();
		self
	}

	pub fn peer_id(&self) -> String {
		let (peer_id, _) = node_command(&[
			"key",
			"inspect-node-key",
			"--file",
			self.node_key_file.to_str().expect("utf8 path"),
		]);
		peer_id.trim().to_owned()
	}

	pub fn multiaddr(&self) -> String {
		format!("/ip4/{}/tcp/{}/p2p/{}", self.host, self.p2p_port, self.peer_id())
	}

	/// The process id of the running node, if it runs.
	pub fn pid(&self) -> Option<u32> {
		self.process.as_ref().map(Child::id)
	}

	/// Starts the node as a validator of `chain_spec` (or with its own [`Node::flags`]), and
	/// waits for its RPC.
	pub fn start(&mut self, chain_spec: &Path, bootnodes: &[String]) {
		let log = fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(&self.log)
			.expect("log file");
		let mut command = match &self.netns {
			None => Command::new(node_binary()),
			Some(netns) => {
				let mut command = Command::new("ip");
				command.args(["netns", "exec", netns]).arg(node_binary());
				command
			},
		};
		match &self.flags {
			Some(flags) => command.args(flags),
			None => command
				.arg("--chain")
				.arg(chain_spec)
				.arg("--base-path")
				.arg(&self.base_path)
				.arg("--node-key-file")
				.arg(&self.node_key_file)
				.args(["--validator", "--name", &self.name, "--no-mdns", "--no-telemetry"])
				.arg("--listen-addr")
				.arg(format!("/ip4/{}/tcp/{}", self.host, self.p2p_port))
				.args(["--rpc-port", &self.rpc_port.to_string()]),
		};
		command.arg("--no-prometheus").stdout(Stdio::null()).stderr(log);
		if !bootnodes.is_empty() {
			command.arg("--bootnodes").args(bootnodes);
		}
		self.process = Some(command.spawn().expect("iotchain-node starts"));
		wait_until(Duration::from_secs(60), "the node's RPC answers", || self.best_number());
	}

	/// Kills the node with SIGKILL, as a power cut or the kernel's OOM killer would: nothing
	/// is flushed or closed.
	pub fn kill(&mut self) {
		if let Some(mut process) = self.process.take() {
			let _ = process.kill();
			let _ = process.wait();
		}
	}

	/// Stops the node with SIGTERM, as an operator or a container runtime would.
	pub fn stop(&mut self) {
		if let Some(mut process) = self.process.take() {
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

	pub fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
		match &self.netns {
			None => rpc(self.rpc_port, method, params),
			Some(netns) => rpc_in_netns(netns, self.rpc_port, method, params),
		}
	}

	pub fn best_number(&self) -> Result<u64, String> {
		self.rpc("chain_getHeader", json!([])).map(|h| hex_u64(&h["number"]))
	}

	pub fn finalized_number(&self) -> Result<u64, String> {
		let hash = self.rpc("chain_getFinalizedHead", json!([]))?;
		self.rpc("chain_getHeader", json!([hash])).map(|h| hex_u64(&h["number"]))
	}

	pub fn header_at(&self, number: u64) -> Value {
		let hash = self.rpc("chain_getBlockHash", json!([number])).expect("block hash");
		self.rpc("chain_getHeader", json!([hash])).expect("header")
	}

	/// The node's log so far.
	pub fn log(&self) -> String {
		fs::read_to_string(&self.log).unwrap_or_default()
	}
}

/// Node processes sharing one raw chain spec in a temporary directory. Dropping it stops every
/// process, also when an assertion fails, and then prints the tail of each log.
pub struct Network {
	pub dir: PathBuf,
	pub chain_spec: PathBuf,
	pub nodes: Vec<Node>,
}

impl Network {
	/// An empty network in a fresh temporary directory named after the test.
	pub fn new(test_name: &str) -> Self {
		let dir = std::env::temp_dir().join(format!("iotchain-{test_name}-{}", std::process::id()));
		let _ = fs::remove_dir_all(&dir);
		fs::create_dir_all(&dir).expect("temp dir");
		let chain_spec = dir.join("chain-spec.json");
		Network { dir, chain_spec, nodes: Vec::new() }
	}

	/// Starts node `index` with every other node of the network as a bootnode.
	pub fn start(&mut self, index: usize) {
		let bootnodes: Vec<String> = self
			.nodes
			.iter()
			.enumerate()
			.filter(|(other, _)| *other != index)
			.map(|(_, node)| node.multiaddr())
			.collect();
		let chain_spec = self.chain_spec.clone();
		self.nodes[index].start(&chain_spec, &bootnodes);
	}

	pub fn stop(&mut self, index: usize) {
		self.nodes[index].stop();
	}

	/// The three validators of the `local` chain, each with the development keys of its name
	/// ([`LOCAL_VALIDATORS`]), started.
	pub fn local_testnet(test_name: &str) -> Self {
		let mut network = Network::new(test_name);
		let (raw_spec, _) = node_command(&[
			"build-spec",
			"--chain",
			"local",
			"--raw",
			"--disable-default-bootnode",
		]);
		fs::write(&network.chain_spec, raw_spec).expect("write chain spec");
		let spec = network.chain_spec.to_str().expect("utf8 path").to_owned();
		for name in LOCAL_VALIDATORS {
			let base_path = network.dir.join(name);
			let suri = format!("//{}{}", name[..1].to_uppercase(), &name[1..]);
			for (scheme, key_type) in [("sr25519", "aura"), ("ed25519", "gran")] {
				insert_key(base_path.to_str().expect("utf8 path"), &spec, scheme, &suri, key_type);
			}
			let node_key_file = network.dir.join(format!("{name}.node-key"));
			network.nodes.push(Node::new(&network.dir, name, base_path, node_key_file));
		}
		for index in 0..network.nodes.len() {
			network.start(index);
		}
		network
	}
}

/// The `local` chain's validators in genesis order; Aura gives slot `s` to validator `s % 3`.
pub const LOCAL_VALIDATORS: [&str; 3] = ["alice", "bob", "charlie"];

impl Drop for Network {
	fn drop(&mut self) {
		for node in &mut self.nodes {
			node.stop();
		}
		if std::thread::panicking() {
			for node in &self.nodes {
				let log = node.log();
				let tail: Vec<&str> = log.lines().rev().take(40).collect();
				eprintln!("--- last lines of {}'s log ---", node.name);
				tail.iter().rev().for_each(|line| eprintln!("{line}"));
			}
		}
		let _ = fs::remove_dir_all(&self.dir);
	}
}

/// One `--dev` node keeping its state in a temporary directory; dropping it stops the process.
pub struct DevNode {
	process: Child,
	pub rpc_port: u16,
	pub p2p_port: u16,
	/// Where the node serves Prometheus metrics, when it was asked to ([`DevNode::start_with_metrics`]).
	pub prometheus_port: Option<u16>,
}

impl DevNode {
	/// The node's WebSocket and HTTP JSON-RPC endpoint.
	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	pub fn start() -> Self {
		Self::launch(None, free_port(), free_port())
	}

	/// A dev node that serves its Prometheus metrics on a free loopback port.
	pub fn start_with_metrics() -> Self {
		let port = free_port();
		let mut command = Command::new(node_binary());
		command.arg("--dev").args(["--prometheus-port", &port.to_string()]);
		let mut node = Self::run(command, None, free_port(), free_port());
		node.prometheus_port = Some(port);
		node
	}

	/// A dev node keeping its chain in `base_path`, so it can be stopped and started again
	/// ([`DevNode::restart`]) with its blocks.
	pub fn start_at(base_path: &Path) -> Self {
		Self::launch(Some(base_path), free_port(), free_port())
	}

	/// Stops the node and starts it again on the same ports and base path (a node started
	/// with [`DevNode::start_at`]); `pause` is how long it stays down.
	pub fn restart(self, base_path: &Path, pause: Duration) -> Self {
		let (rpc_port, p2p_port) = (self.rpc_port, self.p2p_port);
		drop(self);
		sleep(pause);
		Self::launch(Some(base_path), rpc_port, p2p_port)
	}

	/// A node of the dev chain's genesis declared a `Live` chain, as a consortium's is: what
	/// the node says its chain is (`system_chainType`) is all that differs. The chain spec is
	/// written into `dir`.
	pub fn start_live(dir: &Path) -> Self {
		let (spec, _) = node_command(&["build-spec", "--chain", "dev"]);
		let mut spec: Value = serde_json::from_str(&spec).expect("the dev chain spec is JSON");
		spec["chainType"] = json!("Live");
		let path = dir.join("live-chain.json");
		fs::write(&path, spec.to_string()).expect("write the chain spec");
		let mut command = Command::new(node_binary());
		command
			.arg("--chain")
			.arg(&path)
			.args(["--alice", "--validator", "--force-authoring"]);
		// A live chain's validator needs a network key of its own; any will do on loopback.
		command.args(["--node-key", &format!("{:064x}", 1), "--no-prometheus"]);
		Self::run(command, None, free_port(), free_port())
	}

	fn launch(base_path: Option<&Path>, rpc_port: u16, p2p_port: u16) -> Self {
		let mut command = Command::new(node_binary());
		command.args(["--dev", "--no-prometheus"]);
		Self::run(command, base_path, rpc_port, p2p_port)
	}

	fn run(mut command: Command, base_path: Option<&Path>, rpc_port: u16, p2p_port: u16) -> Self {
		command.args(["--no-mdns", "--no-telemetry"]);
		match base_path {
			Some(path) => command.arg("--base-path").arg(path),
			None => command.arg("--tmp"),
		};
		let process = command
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
			.args(["--rpc-port", &rpc_port.to_string()])
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("iotchain-node starts");
		let node = DevNode { process, rpc_port, p2p_port, prometheus_port: None };
		wait_until(Duration::from_secs(60), "the dev node's RPC answers", || {
			rpc(node.rpc_port, "system_health", json!([]))
		});
		node
	}

	/// Calls runtime API `method` on the best block with SCALE-encoded `args`, and returns the
	/// SCALE-encoded answer as hex.
	pub fn runtime_call(&self, method: &str, args: &[u8]) -> String {
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
