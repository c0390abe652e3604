//! # iotchain-gateway
//!
//! The half of iotchain that devices touch. Devices send signed envelopes
//! (`iotchain-gateway-protocol`) over HTTP (`POST /v1/messages`), WebSocket (`/v1/stream`) or
//! MQTT (through a broker such as mosquitto). The gateway checks each against the device
//! registry as of the latest finalised block, stores the accepted ones durably before it
//! answers, closes them into batches, and anchors each batch's Merkle root on chain
//! (`pallet-telemetry-anchors`). Logins and update reports go on chain through the batch
//! calls, and each device gets the chain's outcome back. It serves each reading's inclusion proof
//! (`GET /v1/proofs/{device}/{seq}`), which `iotctl telemetry verify` checks against the chain.
//!
//! docs/gateway-protocol.md specifies the envelope, the transports and the reason codes.

pub mod anchor;
pub mod chain;
pub mod config;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod mqtt;
pub mod outcomes;
pub mod payload;
pub mod progress;
pub mod refusal;
pub mod relay;
pub mod simulate;
pub mod store;

use std::sync::Arc;

/// Runs a gateway with `config` until the process is stopped.
pub async fn serve(config: config::Config) -> anyhow::Result<()> {
	let signer = match (&config.suri, &config.key_file) {
		(Some(suri), _) => iotchain_client::signer_from_suri(&iotchain_client::read_secret(suri)?)?,
		(None, Some(path)) => iotchain_client::signer_from_key_file(path)?,
		(None, None) => anyhow::bail!("the gateway needs its key: --suri or --key-file"),
	};
	let metrics = Arc::new(metrics::Metrics::new());
	let store = Arc::new(store::Store::open(&config.data_dir)?);
	let chain = Arc::new(chain::Chain::connect(&config.node_url, signer, metrics.clone()).await?);
	let progress = Arc::new(progress::Progress::default());
	anchor::Anchor::start(
		chain.clone(),
		store.clone(),
		config.anchoring.clone(),
		metrics.clone(),
		progress.clone(),
	)
	.await?;
	tokio::spawn(chain.clone().follow());
	let (position, last_sequence) = (store.position()?, store.last_sequences()?);
	progress
		.relay_accepted
		.store(position.relay_next, std::sync::atomic::Ordering::Release);
	progress
		.relay_done
		.store(position.relay_done, std::sync::atomic::Ordering::Release);
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
		progress: progress.clone(),
		waiting: relay_waiting,
	}
	.start();
	if config.mqtt.enabled {
		tokio::spawn(mqtt::run(
			config.mqtt.clone(),
			ingest.clone(),
			config.max_envelope_bytes(),
			outcomes.clone(),
		));
	}
	let state = http::HttpState {
		ingest,
		store,
		chain,
		metrics,
		progress,
		limits: config.limits.clone(),
		max_envelope_bytes: config.max_envelope_bytes(),
		websocket_slots: Arc::new(tokio::sync::Semaphore::new(
			config.limits.max_websocket_connections,
		)),
		outcomes,
	};
	let listener = tokio::net::TcpListener::bind(config.http_listen).await?;
	tracing::info!(listen = %config.http_listen, "serving HTTP and WebSocket");
	axum::serve(listener, http::router(state)).await?;
	Ok(())
}
