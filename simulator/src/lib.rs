//! # iotchain-simulator
//!
//! A device simulator: signs as many devices would, and sends over HTTP, WebSocket or MQTT.
//! Used by the `iotchain-simulator` binary, the gateway's tests and its benchmark. It reaches a
//! gateway only over the wire, as devices do (docs/gateway-protocol.md).

use futures::{SinkExt, StreamExt};
use iotchain_client::{
	device_key_proof, signer_from_suri, Client, DeviceId, DeviceKind, DeviceRegistration,
	FirmwareVersion, KeyProof, ProvenRegistration, ProvenRegistrationOf, Signer, Wait,
};
use iotchain_gateway_protocol::envelope::{Envelope, KeyType, Kind};
use serde::Deserialize;
use std::{collections::HashMap, sync::Arc};

/// One simulated device: its id, its sr25519 key, and its next sequence number.
pub struct SimDevice {
	pub id: DeviceId,
	pub key: Signer,
	pub next_sequence: u64,
}

impl SimDevice {
	/// Device `index` of the fleet `label`: the same id and key every time.
	pub fn new(label: &str, index: usize) -> Self {
		let key = signer_from_suri(&format!("//iotchain-sim//{label}//{index}"))
			.expect("a valid derivation path");
		let id = iotchain_gateway_protocol::merkle::leaf_hash(
			format!("iotchain-sim/{label}/{index}").as_bytes(),
		);
		SimDevice { id, key, next_sequence: 1 }
	}

	/// The envelope of a message of `kind` with `payload` under the device's next sequence
	/// number, signed for the chain `genesis`.
	pub fn sign(&mut self, genesis: &[u8; 32], kind: Kind, payload: Vec<u8>) -> Envelope {
		let sequence = self.next_sequence;
		self.next_sequence += 1;
		let mut envelope = Envelope {
			kind,
			device: self.id,
			sequence,
			timestamp_ms: now_ms(),
			payload,
			key_type: KeyType::Sr25519,
			signature: [0; 64],
		};
		envelope.signature = self.key.sign(&envelope.signing_payload(genesis)).0;
		envelope
	}

	/// A telemetry reading, as its wire form.
	pub fn reading(&mut self, genesis: &[u8; 32]) -> Vec<u8> {
		let sequence = self.next_sequence;
		let payload =
			format!("{{\"sequence\":{sequence},\"temperature_mc\":{}}}", 20_000 + sequence % 5_000);
		self.sign(genesis, Kind::Telemetry, payload.into_bytes()).encode()
	}
}

pub use iotchain_client::now_ms;

/// `count` devices of the fleet `label`.
pub fn fleet(label: &str, count: usize) -> Vec<SimDevice> {
	(0..count).map(|index| SimDevice::new(label, index)).collect()
}

/// Registers `devices` (of `kind`) for the organisation `admin` serves, 256 per extrinsic,
/// waiting until finalised; fails if any is refused.
pub async fn register(
	admin: &Client,
	devices: &[SimDevice],
	kind: DeviceKind,
) -> anyhow::Result<()> {
	let org = admin.signer_organisation().await?;
	let genesis = admin.genesis();
	let registrations: Vec<ProvenRegistrationOf> = devices
		.iter()
		.map(|device| {
			let (account, proof) = device_key_proof(&device.key, &genesis, org, &kind, &device.id);
			ProvenRegistration {
				registration: DeviceRegistration {
					id: device.id,
					kind: kind.clone(),
					model: b"SIM-1".to_vec(),
					account,
					metadata_hash: [0; 32],
					firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
				},
				key_proof: KeyProof::Sr25519(proof),
			}
		})
		.collect();
	for (ids, outcome) in
		admin.register_devices(registrations, 256, Wait::Finalised, |_| {}).await?
	{
		if let Err(error) = outcome {
			anyhow::bail!("registering {} simulated devices failed: {error}", ids.len());
		}
	}
	Ok(())
}

/// An acknowledgement as a device reads it.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ReceivedAck {
	pub device: Option<String>,
	pub sequence: Option<u64>,
	pub status: String,
	pub reason: Option<String>,
	#[serde(default)]
	pub duplicate: bool,
}

impl ReceivedAck {
	pub fn accepted(&self) -> bool {
		self.status == "accepted"
	}
}

#[derive(Deserialize)]
struct HttpResults {
	results: Vec<ReceivedAck>,
}

/// Posts `messages` to `POST {base}/v1/messages`, `per_request` to a request, over
/// `concurrency` lanes at once; returns each message's acknowledgement and the HTTP statuses
/// seen. A device's messages all go by one lane, one request after another, so they arrive in
/// the order given (the gateway refuses a sequence number below one it accepted).
pub async fn send_http(
	base: &str,
	messages: Vec<Vec<u8>>,
	per_request: usize,
	concurrency: usize,
) -> anyhow::Result<(Vec<ReceivedAck>, HashMap<u16, usize>)> {
	let client = reqwest::Client::new();
	let url = format!("{base}/v1/messages");
	let lanes_count = concurrency.max(1);
	let mut lanes: Vec<Vec<Vec<u8>>> = vec![Vec::new(); lanes_count];
	for message in messages {
		// Byte 2 starts the device id (docs/gateway-protocol.md); malformed input goes to lane 0.
		let lane = message.get(2).map_or(0, |byte| *byte as usize % lanes_count);
		lanes[lane].push(message);
	}
	let answers = futures::future::join_all(lanes.into_iter().map(|lane| {
		let (client, url) = (client.clone(), url.clone());
		async move {
			let mut answers = Vec::new();
			for chunk in lane.chunks(per_request.max(1)) {
				let response = client
					.post(&url)
					.header("content-type", "application/octet-stream")
					.body(chunk.concat())
					.send()
					.await?;
				let status = response.status().as_u16();
				let results: HttpResults = response.json().await?;
				answers.push((status, results.results));
			}
			anyhow::Ok(answers)
		}
	}))
	.await;
	let mut acks = Vec::new();
	let mut statuses = HashMap::new();
	for lane in answers {
		for (status, results) in lane? {
			*statuses.entry(status).or_insert(0) += 1;
			acks.extend(results);
		}
	}
	Ok((acks, statuses))
}

/// Sends `messages` over one WebSocket to `{base}/v1/stream` (`ws://…`), all without waiting,
/// and collects one acknowledgement per message.
pub async fn send_websocket(
	base: &str,
	messages: Vec<Vec<u8>>,
) -> anyhow::Result<Vec<ReceivedAck>> {
	let (socket, _) = tokio_tungstenite::connect_async(format!("{base}/v1/stream")).await?;
	let (mut sink, mut source) = socket.split();
	let expected = messages.len();
	let sender = tokio::spawn(async move {
		for message in messages {
			sink.send(tokio_tungstenite::tungstenite::Message::Binary(message.into()))
				.await?;
		}
		anyhow::Ok(sink)
	});
	let mut acks = Vec::with_capacity(expected);
	while acks.len() < expected {
		match source.next().await {
			Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) => {
				acks.push(serde_json::from_str(&text)?)
			},
			Some(Ok(_)) => continue,
			Some(Err(error)) => return Err(error.into()),
			None => anyhow::bail!("the gateway closed the stream after {} acks", acks.len()),
		}
	}
	let mut sink = sender.await??;
	let _ = sink.close().await;
	Ok(acks)
}

/// Publishes `messages` (each with its device) to the broker over `connections` connections,
/// with QoS 1, and collects one acknowledgement per message from the devices' ack topics.
pub async fn send_mqtt(
	host: &str,
	port: u16,
	prefix: &str,
	messages: Vec<(DeviceId, Vec<u8>)>,
	connections: usize,
) -> anyhow::Result<Vec<ReceivedAck>> {
	use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
	let expected = messages.len();
	let (acks_tx, mut acks_rx) = tokio::sync::mpsc::unbounded_channel::<ReceivedAck>();
	let connections = connections.max(1);
	let mut shares: Vec<Vec<(DeviceId, Vec<u8>)>> = (0..connections).map(|_| Vec::new()).collect();
	// A device's messages all go over one connection, so they arrive in order.
	for (device, wire) in messages {
		shares[device[0] as usize % connections].push((device, wire));
	}
	let run = format!("{:x}", now_ms());
	let prefix: Arc<str> = prefix.into();
	let mut tasks = Vec::new();
	for (index, share) in shares.into_iter().enumerate() {
		if share.is_empty() {
			continue;
		}
		let mut options =
			MqttOptions::new(format!("iotchain-sim-{run}-{index}"), host.to_owned(), port);
		options
			.set_keep_alive(std::time::Duration::from_secs(30))
			.set_max_packet_size(1 << 20, 1 << 20)
			.set_inflight(1024)
			.set_request_channel_capacity(4096);
		let (client, mut events) = AsyncClient::new(options, 4096);
		let devices: Vec<DeviceId> = {
			let mut devices: Vec<_> = share.iter().map(|(device, _)| *device).collect();
			devices.dedup();
			devices
		};
		let acks_tx = acks_tx.clone();
		let prefix = prefix.clone();
		let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel::<()>();
		// The event loop: subscribes once connected, forwards acknowledgements.
		tasks.push(tokio::spawn({
			let client = client.clone();
			let prefix = prefix.clone();
			async move {
				let mut subscribed_tx = Some(subscribed_tx);
				let mut pending_subscriptions = 0usize;
				loop {
					match events.poll().await {
						Ok(Event::Incoming(Packet::ConnAck(_))) => {
							for device in &devices {
								let topic = format!("{prefix}/{}/acks", hex::encode(device));
								client.subscribe(topic, QoS::AtLeastOnce).await?;
								pending_subscriptions += 1;
							}
						},
						Ok(Event::Incoming(Packet::SubAck(_))) => {
							pending_subscriptions = pending_subscriptions.saturating_sub(1);
							if pending_subscriptions == 0 {
								if let Some(tx) = subscribed_tx.take() {
									let _ = tx.send(());
								}
							}
						},
						Ok(Event::Incoming(Packet::Publish(publish))) => {
							if let Ok(ack) = serde_json::from_slice(&publish.payload) {
								if acks_tx.send(ack).is_err() {
									return anyhow::Ok(());
								}
							}
						},
						Ok(_) => {},
						Err(error) => return Err(error.into()),
					}
				}
			}
		}));
		tasks.push(tokio::spawn(async move {
			subscribed_rx.await?;
			for (device, wire) in share {
				let topic = format!("{prefix}/{}/messages", hex::encode(device));
				client.publish(topic, QoS::AtLeastOnce, false, wire).await?;
			}
			anyhow::Ok(())
		}));
	}
	drop(acks_tx);
	let mut acks = Vec::with_capacity(expected);
	while acks.len() < expected {
		match acks_rx.recv().await {
			Some(ack) => acks.push(ack),
			None => break,
		}
	}
	for task in tasks {
		task.abort();
	}
	if acks.len() < expected {
		anyhow::bail!("{} of {expected} messages were acknowledged", acks.len());
	}
	Ok(acks)
}

/// Counts acknowledgements by outcome: "accepted" or the refusal's reason.
pub fn tally(acks: &[ReceivedAck]) -> std::collections::BTreeMap<String, usize> {
	let mut counts = std::collections::BTreeMap::new();
	for ack in acks {
		let key = ack.reason.clone().unwrap_or_else(|| ack.status.clone());
		*counts.entry(key).or_insert(0) += 1;
	}
	counts
}
