//! What the gateway's tests and benchmark share: a mosquitto broker and `iotchain-gateway`
//! processes on loopback, and a dev chain with an operator organisation, its gateway and fleet.

use crate::{free_port, DevNode};
use iotchain_client::{signer_from_suri, Client, DeviceKind, Governance, OrgRoles, Wait};
use iotchain_simulator::{self as simulate, SimDevice};
use serde_json::Value;
use std::{
	net::TcpStream,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

pub const PREFIX: &str = "iotchain/v1/devices";

/// A mosquitto broker on a loopback port of its own; dropping it stops the process.
pub struct Broker {
	process: Child,
	pub port: u16,
	_dir: tempfile::TempDir,
}

impl Broker {
	pub fn start() -> Self {
		let dir = tempfile::tempdir().expect("a temporary directory");
		let port = free_port();
		let config = dir.path().join("mosquitto.conf");
		std::fs::write(&config, mosquitto_config(port)).expect("write the broker's config");
		let process = Command::new(mosquitto_binary())
			.arg("-c")
			.arg(&config)
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("mosquitto starts (scripts/setup.sh installs it)");
		wait_for_port(port, "mosquitto");
		Broker { process, port, _dir: dir }
	}
}

impl Drop for Broker {
	fn drop(&mut self) {
		let _ = self.process.kill();
		let _ = self.process.wait();
	}
}

/// The broker settings the gateway expects (docs/gateway-protocol.md): no cap on QoS 1
/// messages in flight to the gateway, a deep queue while it is away.
fn mosquitto_config(port: u16) -> String {
	format!(
		"listener {port} 127.0.0.1\nallow_anonymous true\nmax_inflight_messages 0\n\
		 message_size_limit 65536\nmax_queued_messages 1000000\npersistence false\n"
	)
}

fn mosquitto_binary() -> PathBuf {
	std::env::var_os("MOSQUITTO")
		.map(PathBuf::from)
		.unwrap_or_else(|| "/usr/sbin/mosquitto".into())
}

fn wait_for_port(port: u16, what: &str) {
	// A gateway listens once its registry snapshot is in: seconds for a fleet of 100,000.
	let deadline = Instant::now() + Duration::from_secs(120);
	while TcpStream::connect(("127.0.0.1", port)).is_err() {
		assert!(Instant::now() < deadline, "{what} never listened on {port}");
		std::thread::sleep(Duration::from_millis(100));
	}
}

/// An `iotchain-gateway serve` process.
pub struct Gateway {
	process: Child,
	pub http_port: u16,
	binary: PathBuf,
	args: Vec<String>,
	log: PathBuf,
}

impl Gateway {
	/// Starts `binary` (the gateway's tests and benchmark pass
	/// `env!("CARGO_BIN_EXE_iotchain-gateway")`) as a gateway of the node at `node_url`.
	pub fn start(
		binary: impl AsRef<Path>,
		node_url: &str,
		broker_port: u16,
		data_dir: &Path,
		extra: &[&str],
	) -> Self {
		let http_port = free_port();
		let mut args: Vec<String> = vec![
			"serve".into(),
			"--node-url".into(),
			node_url.into(),
			"--suri".into(),
			GATEWAY_SURI.into(),
			"--data-dir".into(),
			data_dir.display().to_string(),
			"--http-listen".into(),
			format!("127.0.0.1:{http_port}"),
			"--mqtt".into(),
			format!("127.0.0.1:{broker_port}"),
			"--batch-interval-ms".into(),
			"1000".into(),
		];
		args.extend(extra.iter().map(|arg| arg.to_string()));
		let log = data_dir.with_extension("log");
		let binary = binary.as_ref().to_owned();
		let process = Self::spawn(&binary, &args, &log);
		wait_for_port(http_port, "the gateway");
		Gateway { process, http_port, binary, args, log }
	}

	fn spawn(binary: &Path, args: &[String], log: &Path) -> Child {
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(log)
			.expect("the gateway's log file");
		Command::new(binary)
			.args(args)
			.stdout(log.try_clone().expect("log handle"))
			.stderr(log)
			.spawn()
			.expect("iotchain-gateway starts")
	}

	/// The last lines the gateway logged.
	pub fn log_tail(&self) -> String {
		let log = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<&str> = log.lines().collect();
		lines[lines.len().saturating_sub(30)..].join("\n")
	}

	pub fn base(&self) -> String {
		format!("http://127.0.0.1:{}", self.http_port)
	}

	/// `kill -9`, then the same command again.
	pub fn kill_and_restart(&mut self) {
		self.process.kill().expect("SIGKILL the gateway");
		self.process.wait().expect("reap the gateway");
		self.process = Self::spawn(&self.binary, &self.args, &self.log);
		wait_for_port(self.http_port, "the restarted gateway");
	}

	/// Freezes the gateway (SIGSTOP): it holds what it stored and does nothing until
	/// [`Gateway::resume`].
	pub fn pause(&self) {
		self.signal("-STOP");
	}

	/// Lets a paused gateway go on (SIGCONT).
	pub fn resume(&self) {
		self.signal("-CONT");
	}

	fn signal(&self, signal: &str) {
		let status = Command::new("kill")
			.args([signal, &self.process.id().to_string()])
			.status()
			.expect("kill runs");
		assert!(status.success(), "kill {signal} the gateway");
	}

	pub async fn health(&self) -> Value {
		reqwest::get(format!("{}/healthz", self.base()))
			.await
			.expect("healthz answers")
			.json()
			.await
			.expect("healthz is JSON")
	}

	/// Waits until every accepted reading is in a finalised anchor.
	pub async fn wait_anchored(&self, timeout: Duration) {
		let deadline = Instant::now() + timeout;
		loop {
			let health = self.health().await;
			if health["unanchored"] == 0 {
				return;
			}
			assert!(
				Instant::now() < deadline,
				"readings still unanchored after {timeout:?}: {health}\n{}",
				std::fs::read_to_string(&self.log).unwrap_or_default()
			);
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// `GET target` as `reader` (its signer signs the read request): the status and the JSON.
	pub async fn read(&self, reader: &Client, target: &str) -> (u16, Value) {
		let signed = reader.sign_read_request("GET", target).expect("the reader has a signer");
		self.read_with(Some(signed.header()), target).await
	}

	/// `GET target` with `authorization` as the header, if any: the status and the JSON.
	pub async fn read_with(&self, authorization: Option<String>, target: &str) -> (u16, Value) {
		let mut request = reqwest::Client::new().get(format!("{}{target}", self.base()));
		if let Some(authorization) = authorization {
			request = request.header("authorization", authorization);
		}
		let response = request.send().await.expect("the gateway answers");
		(response.status().as_u16(), response.json().await.expect("JSON"))
	}

	/// A reading's proof, read by `reader`.
	pub async fn proof(&self, reader: &Client, device: &[u8; 32], sequence: u64) -> (u16, Value) {
		self.read(reader, &format!("/v1/proofs/0x{}/{sequence}", hex::encode(device)))
			.await
	}

	pub async fn metrics(&self) -> String {
		reqwest::get(format!("{}/metrics", self.base()))
			.await
			.unwrap()
			.text()
			.await
			.unwrap()
	}
}

impl Drop for Gateway {
	fn drop(&mut self) {
		let _ = self.process.kill();
		let _ = self.process.wait();
	}
}

pub const GATEWAY_SURI: &str = "//iotchain-sim//gateway//0";

/// A dev chain with an operator organisation (Bob) owning the gateway and `count` devices
/// (fleet `label`), and a rival organisation (Charlie) owning one device.
pub struct Setup {
	pub bob: Client,
	pub genesis: [u8; 32],
	pub devices: Vec<SimDevice>,
	pub rival_device: SimDevice,
}

pub async fn connect(url: &str, suri: &str) -> Client {
	Client::connect(url)
		.await
		.expect("connect")
		.with_signer(signer_from_suri(suri).expect("a dev key"))
}

pub async fn setup(node: &DevNode, label: &str, count: usize) -> Setup {
	let url = node.ws_url();
	let alice = connect(&url, "//Alice").await;
	let (bob, charlie) = (connect(&url, "//Bob").await, connect(&url, "//Charlie").await);
	let roles = OrgRoles { manufacturer: false, operator: true, certifier: false };
	for (name, admin) in [(&b"Operator"[..], &bob), (&b"Rival"[..], &charlie)] {
		alice
			.create_org(
				name.to_vec(),
				roles.clone(),
				admin.signer_account().unwrap(),
				Governance::Sudo,
				Wait::Finalised,
			)
			.await
			.expect("create an organisation");
	}
	simulate::register(&bob, &[SimDevice::new("gateway", 0)], DeviceKind::Gateway)
		.await
		.expect("register the gateway");
	let devices = simulate::fleet(label, count);
	simulate::register(&bob, &devices, DeviceKind::Device)
		.await
		.expect("register the fleet");
	let rival_device = SimDevice::new("rival", 0);
	simulate::register(&charlie, std::slice::from_ref(&rival_device), DeviceKind::Device)
		.await
		.expect("register the rival's device");
	Setup { genesis: bob.genesis(), bob, devices, rival_device }
}
