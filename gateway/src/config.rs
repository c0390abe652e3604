//! The gateway's configuration: a TOML file, every field optional, overridden by flags.

use crate::error::Error;
use serde::Deserialize;
use std::{collections::HashMap, net::SocketAddr, path::PathBuf};

/// Everything the gateway is told. Defaults suit a gateway beside a dev node and a local
/// mosquitto.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
	/// The node the gateway reads devices from and submits anchors to.
	pub node_url: String,
	/// The gateway's own chain key, as a secret URI (`//Alice`, a mnemonic, a hex seed), or
	/// `@FILE`; its account must be a registered, active gateway.
	pub suri: Option<String>,
	/// The gateway's key as a file (a node key file's JSON or a secret URI), mode 600.
	pub key_file: Option<PathBuf>,
	/// Where the durable store lives.
	pub data_dir: PathBuf,
	/// Where HTTP and WebSocket listen.
	pub http_listen: SocketAddr,
	pub mqtt: MqttConfig,
	pub limits: Limits,
	pub anchoring: Anchoring,
	pub reads: Reads,
	pub tls: Tls,
}

/// TLS on the HTTP and WebSocket listener (rustls): with both files, devices reach the gateway
/// over `https://` and `wss://` only; without, over plain `http://` and `ws://` (behind a proxy
/// that terminates TLS, or on a closed network).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tls {
	/// The certificate chain, PEM, the gateway's own certificate first.
	pub cert_file: Option<PathBuf>,
	/// Its private key, PEM (PKCS#8, PKCS#1 or SEC1); mode 600, as a key file.
	pub key_file: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqttConfig {
	/// Whether to subscribe to a broker at all.
	pub enabled: bool,
	pub host: String,
	pub port: u16,
	/// The gateway's MQTT client id; the broker keeps its subscription across reconnects.
	/// Empty (the default): a random id drawn once and kept in the data directory
	/// (`mqtt-client-id`), so nobody can guess it and take over the gateway's session on a
	/// broker that lets any client name its own id (`gateway/mosquitto.conf` ties ids to
	/// accounts as well).
	pub client_id: String,
	/// The gateway's account on the broker (`gateway/mosquitto.acl` lets the account
	/// `iotchain-gateway` read every device's messages and answer them).
	pub username: Option<String>,
	/// A file (mode 600) whose first line is the broker account's password.
	pub password_file: Option<PathBuf>,
	/// Devices publish to `{prefix}/{device hex}/messages` and read acknowledgements on
	/// `{prefix}/{device hex}/acks`.
	pub topic_prefix: String,
	/// The broker's `message_size_limit` (`gateway/mosquitto.conf`): the largest payload it
	/// passes on. The gateway reads MQTT packets up to it (and a topic's worth more), so a
	/// message the broker passes on is always read and answered (`too-large` when it is over
	/// the gateway's own limit) and never breaks the connection.
	pub broker_message_size_limit: usize,
}

/// Limits, the same on every transport.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
	/// Largest payload of one message, in bytes.
	pub max_payload_bytes: u32,
	/// Most messages one HTTP request carries.
	pub max_messages_per_request: usize,
	/// Messages per second a device may send, on average.
	pub device_rate_per_second: f64,
	/// Messages a device may send at once above its rate.
	pub device_burst: f64,
	/// Most WebSocket connections at once.
	pub max_websocket_connections: usize,
	/// Most WebSocket connections at once from one peer address.
	pub max_websocket_connections_per_peer: usize,
	/// How long a WebSocket may go without a frame from its peer (a ping will do) before it
	/// is closed.
	pub websocket_idle_timeout_ms: u64,
	/// Most HTTP connections open at once (WebSocket streams, once upgraded, count against
	/// `max_websocket_connections` instead).
	pub max_connections: usize,
	/// Most HTTP connections open at once from one peer address.
	pub max_connections_per_peer: usize,
	/// How long a request's head may take to arrive; also how long a kept-alive connection
	/// may sit idle between requests.
	pub header_timeout_ms: u64,
	/// How long a request's body may take to arrive, from the end of its head.
	pub body_timeout_ms: u64,
	/// Most messages the gateway holds that are not yet in a finalised anchor; beyond it,
	/// devices are told to retry later.
	pub max_unanchored: u64,
	/// The free space (bytes, on the data directory's file system) below which the gateway
	/// refuses new messages (`disk-full`, to be retried) rather than let the disk fill.
	pub min_free_disk_bytes: u64,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Anchoring {
	/// How often a batch is closed (a block time by default).
	pub batch_interval_ms: u64,
	/// Most readings in one batch (the chain allows 65,536).
	pub max_batch_leaves: u32,
	/// Most devices in one batch (the chain allows 1,024).
	pub max_batch_devices: u32,
	/// How long a submitted batch may go unfinalised before it is submitted again.
	pub resubmit_after_ms: u64,
}

/// Who may read, and what (src/readers.rs).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Reads {
	/// How far a read request's time may be from the gateway's clock, either way; its nonce is
	/// remembered for as long.
	pub max_clock_skew_ms: u64,
	/// How long the gateway may go without a finalised block before it serves no reads: a
	/// revocation in a block that is not finalised yet is not seen.
	pub max_finality_lag_ms: u64,
	/// The named subsets `read` grants can name, per device model: each the top-level fields of
	/// the model's JSON readings that a reader at that level sees. A subset not listed here is
	/// served nothing.
	pub subsets: HashMap<String, HashMap<String, Vec<String>>>,
}

impl Default for Reads {
	fn default() -> Self {
		Reads { max_clock_skew_ms: 30_000, max_finality_lag_ms: 30_000, subsets: HashMap::new() }
	}
}

impl Reads {
	pub fn max_finality_lag(&self) -> std::time::Duration {
		std::time::Duration::from_millis(self.max_finality_lag_ms)
	}
}

impl Default for Config {
	fn default() -> Self {
		Config {
			node_url: "ws://127.0.0.1:9944".into(),
			suri: None,
			key_file: None,
			data_dir: PathBuf::from("gateway-data"),
			http_listen: "127.0.0.1:8080".parse().expect("a valid address"),
			mqtt: MqttConfig::default(),
			limits: Limits::default(),
			anchoring: Anchoring::default(),
			reads: Reads::default(),
			tls: Tls::default(),
		}
	}
}

impl Default for MqttConfig {
	fn default() -> Self {
		MqttConfig {
			enabled: true,
			host: "127.0.0.1".into(),
			port: 1883,
			client_id: String::new(),
			username: None,
			password_file: None,
			topic_prefix: "iotchain/v1/devices".into(),
			broker_message_size_limit: 64 * 1024,
		}
	}
}

impl Default for Limits {
	fn default() -> Self {
		Limits {
			max_payload_bytes: 16 * 1024,
			max_messages_per_request: 1024,
			device_rate_per_second: 50.0,
			device_burst: 200.0,
			max_websocket_connections: 4096,
			max_websocket_connections_per_peer: 64,
			websocket_idle_timeout_ms: 300_000,
			max_connections: 8192,
			max_connections_per_peer: 256,
			header_timeout_ms: 10_000,
			body_timeout_ms: 30_000,
			max_unanchored: 1_000_000,
			min_free_disk_bytes: 1 << 30,
		}
	}
}

impl Default for Anchoring {
	fn default() -> Self {
		Anchoring {
			batch_interval_ms: 2_000,
			max_batch_leaves: 65_536,
			max_batch_devices: 1_024,
			resubmit_after_ms: 30_000,
		}
	}
}

impl Config {
	/// Reads a TOML file; fields it leaves out keep their defaults. A file that holds a key of
	/// its own (`suri` other than `@FILE`, `-` or a development key, which is no secret) must be
	/// its owner's alone.
	pub fn from_file(path: &std::path::Path) -> Result<Self, Error> {
		let text = std::fs::read_to_string(path)
			.map_err(|error| Error::ReadConfig { path: path.to_owned(), error })?;
		let config: Config = toml::from_str(&text)
			.map_err(|error| Error::Config { path: path.to_owned(), error })?;
		let holds_key = config.suri.as_deref().is_some_and(|suri| {
			!suri.starts_with('@') && suri != "-" && !iotchain_client::is_development_key(suri)
		});
		#[cfg(unix)]
		if holds_key {
			use std::os::unix::fs::PermissionsExt;
			let metadata = std::fs::metadata(path)
				.map_err(|error| Error::ReadConfig { path: path.to_owned(), error })?;
			let mode = metadata.permissions().mode() & 0o777;
			if mode & 0o077 != 0 {
				return Err(Error::ExposedKeyInConfig { path: path.to_owned(), mode });
			}
		}
		Ok(config)
	}

	/// The largest envelope on the wire, from the payload limit.
	pub fn max_envelope_bytes(&self) -> usize {
		iotchain_gateway_protocol::envelope::HEADER_LEN
			+ self.limits.max_payload_bytes as usize
			+ iotchain_gateway_protocol::envelope::TRAILER_LEN
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// `gateway/gateway.example.toml` is a configuration the gateway takes, as the file itself
	/// says, and the broker account it suggests is the one the shipped ACL names.
	#[test]
	fn the_example_configuration_is_one_the_gateway_takes() {
		let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("gateway.example.toml");
		let config = Config::from_file(&path).expect("the example parses");
		assert_eq!(config.mqtt.client_id, "", "the client id is drawn, not a public name");
		let example = std::fs::read_to_string(&path).unwrap();
		assert!(example.contains("# username = \"iotchain-gateway\""));
		let acl = include_str!("../mosquitto.acl");
		assert!(acl.contains("user iotchain-gateway"), "the ACL names the gateway's account");
	}
}
