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

/// The gateway's account on the tests' brokers, as `gateway/mosquitto.acl` names it.
pub const GATEWAY_MQTT_ACCOUNT: &str = "iotchain-gateway";
/// Its password (tests only).
const GATEWAY_MQTT_PASSWORD: &str = "the-tests-gateway-password";

/// A mosquitto broker on a loopback port of its own, run with the shipped configuration
/// (`gateway/mosquitto.conf` and `gateway/mosquitto.acl`: accounts required, each device on its
/// own topics); dropping it stops the process. It knows the gateway's account from the start and
/// devices' once [`Broker::admit`]ted.
pub struct Broker {
	process: Child,
	pub port: u16,
	dir: tempfile::TempDir,
	/// Every account and its password, as the password file was last written.
	accounts: std::sync::Mutex<Vec<(String, String)>>,
}

impl Broker {
	pub fn start() -> Self {
		let dir = tempfile::tempdir().expect("a temporary directory");
		let port = free_port();
		let accounts = vec![(GATEWAY_MQTT_ACCOUNT.to_owned(), GATEWAY_MQTT_PASSWORD.to_owned())];
		write_password_file(&dir.path().join("passwd"), &accounts);
		let config = dir.path().join("mosquitto.conf");
		std::fs::write(&config, shipped_config(port, &dir.path().join("passwd")))
			.expect("write the broker's config");
		let process = Command::new(mosquitto_binary())
			.arg("-c")
			.arg(&config)
			.stdout(Stdio::null())
			.stderr(Stdio::null())
			.spawn()
			.expect("mosquitto starts (scripts/setup.sh installs it)");
		wait_for_port(port, "mosquitto");
		Broker { process, port, dir, accounts: std::sync::Mutex::new(accounts) }
	}

	/// Gives each of `devices` its account (named by its id, with the simulator's password),
	/// and returns once the broker takes them.
	pub fn admit(&self, devices: &[SimDevice]) {
		let Some(last) = devices.last() else { return };
		let mut accounts = self.accounts.lock().expect("not poisoned");
		accounts.extend(
			devices
				.iter()
				.map(|device| (hex::encode(device.id), simulate::mqtt_password(&device.id))),
		);
		write_password_file(&self.dir.path().join("passwd"), &accounts);
		// mosquitto reads its password and ACL files again on SIGHUP.
		let status = Command::new("kill")
			.args(["-HUP", &self.process.id().to_string()])
			.status()
			.expect("kill runs");
		assert!(status.success(), "mosquitto took the signal");
		let account = hex::encode(last.id);
		let password = simulate::mqtt_password(&last.id);
		let deadline = Instant::now() + Duration::from_secs(20);
		while mqtt_connect(self.port, &account, Some((&account, &password))) != 0 {
			assert!(Instant::now() < deadline, "mosquitto never took the new accounts");
			std::thread::sleep(Duration::from_millis(100));
		}
	}
}

impl Drop for Broker {
	fn drop(&mut self) {
		let _ = self.process.kill();
		let _ = self.process.wait();
	}
}

/// The shipped `gateway/mosquitto.conf`, listening on `port` and with its password file at
/// `password_file`; the ACL is the shipped one, as it is.
fn shipped_config(port: u16, password_file: &Path) -> String {
	let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../gateway");
	let config =
		std::fs::read_to_string(shipped.join("mosquitto.conf")).expect("the shipped config");
	let mut replaced = 0;
	let lines: Vec<String> = config
		.lines()
		.map(|line| {
			let line = match line {
				"listener 1883 127.0.0.1" => format!("listener {port} 127.0.0.1"),
				"password_file gateway/mosquitto.passwd" => {
					format!("password_file {}", password_file.display())
				},
				"acl_file gateway/mosquitto.acl" => {
					format!("acl_file {}", shipped.join("mosquitto.acl").display())
				},
				other => return other.to_owned(),
			};
			replaced += 1;
			line
		})
		.collect();
	assert_eq!(replaced, 3, "gateway/mosquitto.conf names its listener, password and ACL files");
	// Started as root, mosquitto turns into the user `mosquitto` before it reads its password
	// file, which this test's temporary directory keeps from it; `user` keeps it as it was
	// started (and is ignored when it was not started as root).
	lines.join("\n") + "\nuser root\n"
}

/// Writes `accounts` as mosquitto's password file: in plain text, then hashed in place by
/// `mosquitto_passwd -U`; readable by its owner only.
fn write_password_file(path: &Path, accounts: &[(String, String)]) {
	use std::os::unix::fs::PermissionsExt;
	let plain: String = accounts
		.iter()
		.map(|(account, password)| format!("{account}:{password}\n"))
		.collect();
	std::fs::write(path, plain).expect("write the password file");
	std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
		.expect("make the password file private");
	let status = Command::new("mosquitto_passwd")
		.arg("-U")
		.arg(path)
		.status()
		.expect("mosquitto_passwd runs (the mosquitto package has it)");
	assert!(status.success(), "mosquitto_passwd hashed the password file");
}

/// The return code of the broker's CONNACK to an MQTT 3.1.1 CONNECT under `client_id`, with
/// the account `login` if any: 0 accepted, 4 bad user name or password, 5 not authorised.
/// Written by hand, a dozen bytes, so a test sees exactly what a client without a library
/// would be told.
pub fn mqtt_connect(port: u16, client_id: &str, login: Option<(&str, &str)>) -> u8 {
	use std::io::{Read, Write};
	let field = |text: &str| {
		let mut bytes = (text.len() as u16).to_be_bytes().to_vec();
		bytes.extend_from_slice(text.as_bytes());
		bytes
	};
	// Protocol name, level 4 (3.1.1), flags (clean session; an account and a password), a
	// keep-alive of 60 s.
	let flags = 0x02 | if login.is_some() { 0xc0 } else { 0 };
	let mut rest = [field("MQTT"), vec![4, flags, 0, 60], field(client_id)].concat();
	if let Some((account, password)) = login {
		rest.extend(field(account));
		rest.extend(field(password));
	}
	let mut packet = vec![0x10];
	let mut length = rest.len();
	loop {
		let byte = (length % 128) as u8;
		length /= 128;
		packet.push(if length > 0 { byte | 0x80 } else { byte });
		if length == 0 {
			break;
		}
	}
	packet.extend(rest);
	let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("the broker listens");
	stream.set_read_timeout(Some(Duration::from_secs(10))).expect("a read timeout");
	stream.write_all(&packet).expect("the CONNECT is sent");
	let mut connack = [0u8; 4];
	match stream.read_exact(&mut connack) {
		// A CONNACK: type 2, remaining length 2, session present, return code.
		Ok(()) if connack[..2] == [0x20, 0x02] => connack[3],
		// Closed without a CONNACK: refused as surely.
		_ => u8::MAX,
	}
}

fn mosquitto_binary() -> PathBuf {
	std::env::var_os("MOSQUITTO")
		.map(PathBuf::from)
		.unwrap_or_else(|| "/usr/sbin/mosquitto".into())
}

fn wait_for_port(port: u16, what: &str) {
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
		// The gateway's broker password, in a file only its owner may read.
		let password_file = data_dir.with_extension("mqtt-password");
		std::fs::write(&password_file, GATEWAY_MQTT_PASSWORD).expect("write the password file");
		let private = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600);
		std::fs::set_permissions(&password_file, private).expect("make the password file private");
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
			"--mqtt-username".into(),
			GATEWAY_MQTT_ACCOUNT.into(),
			"--mqtt-password-file".into(),
			password_file.display().to_string(),
			"--batch-interval-ms".into(),
			"1000".into(),
		];
		args.extend(extra.iter().map(|arg| arg.to_string()));
		let log = data_dir.with_extension("log");
		let binary = binary.as_ref().to_owned();
		let process = Self::spawn(&binary, &args, &log);
		let mut gateway = Gateway { process, http_port, binary, args, log };
		gateway.wait_listening();
		gateway
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

	/// Everything the gateway logged.
	pub fn log(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
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
		self.wait_listening();
	}

	/// Returns once the gateway listens; fails with its log if it exits first or never does.
	fn wait_listening(&mut self) {
		// It listens once its registry snapshot is in: seconds for a fleet of 100,000.
		let deadline = Instant::now() + Duration::from_secs(120);
		while TcpStream::connect(("127.0.0.1", self.http_port)).is_err() {
			if let Ok(Some(status)) = self.process.try_wait() {
				panic!("the gateway exited ({status}) before it listened:\n{}", self.log_tail());
			}
			assert!(
				Instant::now() < deadline,
				"the gateway never listened on {}:\n{}",
				self.http_port,
				self.log_tail()
			);
			std::thread::sleep(Duration::from_millis(100));
		}
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
