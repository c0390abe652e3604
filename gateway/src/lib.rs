//! # iotchain-gateway
//!
//! The half of iotchain that devices touch. Devices send signed envelopes
//! (`iotchain-gateway-protocol`) over HTTP (`POST /v1/messages`), WebSocket (`/v1/stream`) or
//! MQTT (through a broker such as mosquitto). The gateway checks each against the device
//! registry as of the latest finalised block, stores the accepted ones durably before it
//! answers, closes them into batches, and anchors each batch's Merkle root on chain
//! (`pallet-telemetry-anchors`). Logins and update reports go on chain through the batch
//! calls, and each device gets the chain's outcome back. It serves each reading's inclusion proof
//! (`GET /v1/proofs/{device}/{seq}`), which `iotctl telemetry verify` checks against the chain,
//! only to the device's readers: the device, its owner's staff, and holders of a `read` grant,
//! each proving itself with a signed read request (`readers`).
//!
//! docs/gateway-protocol.md specifies the envelope, the transports and the reason codes.

pub mod anchor;
pub mod answers;
pub mod chain;
pub mod config;
pub mod disk;
pub mod error;
pub mod http;
pub mod ingest;
pub mod listener;
pub mod metrics;
pub mod mqtt;
pub mod outcomes;
pub mod payload;
pub mod progress;
pub mod readers;
pub mod refusal;
pub mod relay;
pub mod store;
pub mod tls;

pub use error::Error;

use config::Config;
use futures::FutureExt;
use std::{future::Future, net::SocketAddr, sync::Arc};
use tokio::net::TcpSocket;

/// The listen backlog: the one `tokio::net::TcpListener::bind` gives.
const BACKLOG: u32 = 128;

/// A socket bound to `address` (reusing it at once after a restart, as
/// `tokio::net::TcpListener::bind` does) but not yet listening, for [`serve`]: until the gateway
/// listens, a device that connects is refused.
pub fn bind(address: SocketAddr) -> std::io::Result<TcpSocket> {
	let socket = if address.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
	socket.set_reuseaddr(true)?;
	socket.bind(address)?;
	Ok(socket)
}

/// Runs a gateway with `config`, serving HTTP and WebSocket on `socket` ([`bind`]), until
/// `shutdown` completes.
///
/// The gateway listens on `socket` only once it is connected to its node and every task runs:
/// until then a device that connects is refused at once and tries again later, rather than
/// waiting on a gateway that may itself wait on its node for a long time.
///
/// When `shutdown` completes the gateway stops accepting connections, lets the HTTP requests in
/// flight be answered (for `listener::SHUTDOWN_GRACE` at most), and returns; while it is still
/// starting, it returns at once. Its tasks
/// (WebSocket streams, MQTT, ingest, the anchor, the relay) end with the runtime, where they
/// stand. Stopping at any point is safe, because durability is the store's: a message is
/// acknowledged only once the store's commit (fsynced) holds it, so whatever was not
/// acknowledged is still with the device, or with the broker, which sends it again; and a batch
/// is stored before it is submitted, so after a restart it goes out again under the same number.
pub async fn serve(
	config: Config,
	socket: TcpSocket,
	shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
	let shutdown = shutdown.shared();
	// Before anything else: a certificate or key that cannot be used stops the gateway at once.
	let tls = tls::acceptor(&config.tls)?;
	let (routes, metrics) = tokio::select! {
		started = start(&config) => started?,
		() = shutdown.clone() => return Ok(()),
	};
	let listener = socket.listen(BACKLOG)?;
	if let Ok(address) = listener.local_addr() {
		let scheme = if tls.is_some() { "https and wss" } else { "plain http and ws" };
		tracing::info!(listen = %address, scheme, "serving HTTP and WebSocket");
	}
	listener::serve(listener, routes, &config.limits, tls, metrics, shutdown).await;
	Ok(())
}

/// Starts a gateway's tasks (the chain, the anchor, ingest, the relay, MQTT) and returns the
/// HTTP and WebSocket routes over them, and the metrics: the composition root.
async fn start(config: &Config) -> Result<(axum::Router, Arc<metrics::Metrics>), Error> {
	let secret = match (&config.suri, &config.key_file) {
		(Some(suri), _) => iotchain_client::read_secret(suri)?,
		(None, Some(path)) => iotchain_client::secret_from_key_file(path)?,
		(None, None) => return Err(Error::NoKey),
	};
	let signer = iotchain_client::signer_from_suri(&secret)?;
	let key = chain::GatewayKey {
		development: iotchain_client::is_development_key(&secret),
		signer: signer.clone(),
	};
	drop(secret);
	let metrics = Arc::new(metrics::Metrics::new());
	let store = Arc::new(store::Store::open(&config.data_dir)?);
	let chain = Arc::new(chain::Chain::connect(&config.node_url, key, metrics.clone()).await?);
	let answers = Arc::new(answers::AnswerKey::new(chain.genesis(), signer));
	// Every counter the tasks share, restored from the store once, here.
	let progress = Arc::new(progress::Progress::restore(&store)?);
	disk::watch(
		config.data_dir.clone(),
		config.limits.min_free_disk_bytes,
		progress.clone(),
		metrics.clone(),
	);
	anchor::Anchor::start(
		chain.clone(),
		store.clone(),
		config.anchoring.clone(),
		metrics.clone(),
		progress.clone(),
	)
	.await?;
	tokio::spawn(chain.clone().follow());
	let last_sequence = store.last_sequences()?;
	let relay_waiting = Arc::new(tokio::sync::Notify::new());
	let outcomes = Arc::new(outcomes::OutcomeHub::default());
	let ingest = ingest::Ingestor::start(
		chain.clone(),
		store.clone(),
		config.limits.clone(),
		metrics.clone(),
		progress.clone(),
		last_sequence,
		relay_waiting.clone(),
	);
	relay::Relay {
		chain: chain.clone(),
		store: store.clone(),
		hub: outcomes.clone(),
		answers: answers.clone(),
		progress: progress.clone(),
		waiting: relay_waiting,
		whole_refusals: Default::default(),
	}
	.start();
	if config.mqtt.enabled {
		let login = mqtt::Login::of(&config.mqtt, &config.data_dir)?;
		tokio::spawn(mqtt::run(
			config.mqtt.clone(),
			login,
			ingest.clone(),
			config.max_envelope_bytes(),
			outcomes.clone(),
			answers.clone(),
		));
	}
	let readers =
		Arc::new(readers::ReadGate::new(chain.clone(), config.reads.clone(), metrics.clone()));
	let state = http::HttpState {
		ingest,
		store,
		chain,
		metrics: metrics.clone(),
		progress,
		limits: config.limits.clone(),
		max_envelope_bytes: config.max_envelope_bytes(),
		websocket_slots: Arc::new(tokio::sync::Semaphore::new(
			config.limits.max_websocket_connections,
		)),
		websocket_peers: listener::PeerSlots::new(config.limits.max_websocket_connections_per_peer),
		outcomes,
		readers,
		answers,
	};
	Ok((http::router(state), metrics))
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::time::Duration;

	/// A socket bound to a free loopback port and not listening: a connection to it is refused.
	fn refusing() -> (TcpSocket, SocketAddr) {
		let socket = bind("127.0.0.1:0".parse().expect("an address")).expect("a free port");
		let address = socket.local_addr().expect("a bound socket");
		(socket, address)
	}

	#[tokio::test]
	async fn a_gateway_without_its_key_does_not_start() {
		let dir = tempfile::tempdir().unwrap();
		let config = Config { data_dir: dir.path().to_owned(), ..Config::default() };
		let error = serve(config, refusing().0, std::future::pending::<()>()).await.unwrap_err();
		assert_eq!(error.to_string(), "the gateway needs its key: --suri or --key-file");
	}

	#[tokio::test]
	async fn a_gateway_waiting_for_its_node_refuses_devices_and_stops_when_told() {
		let dir = tempfile::tempdir().unwrap();
		// A node that is down: its port refuses connections, so the gateway keeps dialling.
		let (_node, node) = refusing();
		let (socket, gateway) = refusing();
		let config = Config {
			node_url: format!("ws://{node}"),
			suri: Some("//Alice".into()),
			data_dir: dir.path().to_owned(),
			..Config::default()
		};
		let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
		let serving = serve(config, socket, async move {
			let _ = stopped.await;
		});
		let device = async {
			tokio::time::sleep(Duration::from_millis(500)).await;
			let refused = tokio::net::TcpStream::connect(gateway).await.is_err();
			stop.send(()).expect("the gateway is still starting");
			refused
		};
		let (served, refused) =
			tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(serving, device) })
				.await
				.expect("the gateway stops when told");
		assert!(refused, "a device is refused while the gateway waits for its node");
		assert!(served.is_ok(), "{served:?}");
	}
}
