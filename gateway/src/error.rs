//! Why the gateway cannot start (or, once running, cannot read back what it stored), each with
//! the message an operator reads: the binary prints `error: {error:#}`, this error and then
//! what it wraps.

use crate::store::StoreError;
use iotchain_client::AccountId;
use std::path::PathBuf;

/// What stops a gateway.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The configuration file could not be read.
	#[error("reading {path}: {error}")]
	ReadConfig { path: PathBuf, error: std::io::Error },
	/// The configuration file is not the gateway's TOML (a syntax error, an unknown field).
	#[error("{path}: {error}")]
	Config { path: PathBuf, error: toml::de::Error },
	/// Neither `--suri` nor `--key-file` was given (nor their configuration fields).
	#[error("the gateway needs its key: --suri or --key-file")]
	NoKey,
	/// The gateway's key is one anybody may hold (derived from the public development phrase,
	/// or a development account) and the chain is a live one.
	#[error(
		"the gateway's key is derived from the public development phrase (or is a development \
		 account), so anybody can sign as this gateway; a live chain needs a key of its own \
		 (--key-file, mode 600)"
	)]
	DevelopmentKeyOnLiveChain,
	/// The configuration file holds the key itself and others may read it.
	#[error(
		"{path} holds the gateway's key (suri) and is readable by others (mode {mode:o}): \
		 chmod 600 it, or point suri at a file of its own (\"@FILE\") or use key_file"
	)]
	ExposedKeyInConfig { path: PathBuf, mode: u32 },
	/// The gateway's key is no device's or gateway's on chain.
	#[error("the signing account {account} is not a registered device or gateway")]
	NotRegistered { account: AccountId },
	/// The gateway's key is a device's.
	#[error("the signing account {account} is a device, not a gateway")]
	NotAGateway { account: AccountId },
	/// The node went away while the gateway was starting.
	#[error("the node is unreachable")]
	NodeUnreachable,
	/// The chain holds batches of this gateway that its store never closed (a lost or foreign
	/// store): it could never anchor again without reusing their numbers.
	#[error(
		"the chain has anchored {anchored} batches of this gateway but its store closed only \
		 {closed}: this is not the store those batches came from"
	)]
	ForeignStore { anchored: u64, closed: u64 },
	/// A batch the store's positions name is not in it.
	#[error("batch {sequence} is not in the store")]
	MissingBatch { sequence: u64 },
	/// Only one of the TLS certificate and key was given.
	#[error("TLS needs both tls.cert_file and tls.key_file (--tls-cert, --tls-key)")]
	TlsIncomplete,
	/// The TLS certificate or key cannot be used: unreadable, not PEM, or not a pair.
	#[error("TLS: {path}: {reason}")]
	Tls { path: PathBuf, reason: String },
	/// A broker password was given without the account it belongs to.
	#[error("mqtt.password_file is set but mqtt.username is not (--mqtt-username)")]
	MqttPasswordWithoutUsername,
	/// The gateway's drawn MQTT client id could not be read or kept.
	#[error("the MQTT client id file {path}: {error}")]
	ClientIdFile { path: PathBuf, error: std::io::Error },
	/// The chain, the key, or the secret the key is read from.
	#[error(transparent)]
	Client(#[from] iotchain_client::Error),
	#[error(transparent)]
	Store(#[from] StoreError),
	/// Listening for HTTP and WebSocket connections failed.
	#[error(transparent)]
	Listen(#[from] std::io::Error),
}
