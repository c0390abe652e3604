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
use iotchain_gateway_protocol::{
	answer::{self, AckStatus},
	envelope::{Envelope, KeyType, Kind},
	merkle::leaf_hash,
	parse_typed_key, unhex,
	verify::{verify_acks, verify_outcome},
};
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
	/// The leaf hash of the message answered, as the gateway names it.
	pub message: Option<String>,
	pub status: String,
	pub reason: Option<String>,
	#[serde(default)]
	pub duplicate: bool,
	/// On WebSocket and MQTT: the gateway's key and its signature over this answer alone.
	pub gateway: Option<String>,
	pub signature: Option<String>,
	/// On HTTP: every answer of the response, which one signature covers (`send_http` sets it).
	#[serde(skip)]
	pub answered_with: Option<Arc<HttpResults>>,
}

/// Why a device does not act on an answer (docs/gateway-protocol.md, "Signed answers").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerFault {
	/// It carries no signature.
	Unsigned,
	/// It is signed by another key than the device's gateway's.
	OtherGateway,
	/// Its signature does not verify over the answers it came with.
	BadSignature,
	/// It answers other bytes than the message the device sent.
	OtherMessage,
	/// A field is not of its form.
	Malformed,
}

impl ReceivedAck {
	pub fn accepted(&self) -> bool {
		self.status == "accepted"
	}

	/// Checks the answer as a device must before acting on it: signed by its gateway's key
	/// `gateway` (sr25519) for the chain `genesis`, together with the answers it came with, and
	/// about exactly the bytes `sent`.
	pub fn check(
		&self,
		genesis: &[u8; 32],
		gateway: &[u8; 32],
		sent: &[u8],
	) -> Result<(), AnswerFault> {
		let (group, key, signature) = match &self.answered_with {
			Some(results) => (&results.results[..], &results.gateway, &results.signature),
			None => (std::slice::from_ref(self), &self.gateway, &self.signature),
		};
		let (Some(key), Some(signature)) = (key, signature) else {
			return Err(AnswerFault::Unsigned);
		};
		let (key_type, key) = parse_typed_key(key).ok_or(AnswerFault::Malformed)?;
		if &key != gateway {
			return Err(AnswerFault::OtherGateway);
		}
		let signature: [u8; 64] = unhex(signature).ok_or(AnswerFault::Malformed)?;
		let reasons: Vec<String> =
			group.iter().map(|ack| ack.reason.clone().unwrap_or_default()).collect();
		let forms = group
			.iter()
			.zip(&reasons)
			.map(|(ack, reason)| ack.signed_form(reason))
			.collect::<Result<Vec<_>, _>>()?;
		if !verify_acks(genesis, key_type, gateway, &forms, &signature) {
			return Err(AnswerFault::BadSignature);
		}
		// This answer must be one of those signed, not merely beside them.
		let reason = self.reason.clone().unwrap_or_default();
		let own = self.signed_form(&reason)?;
		if !forms.contains(&own) {
			return Err(AnswerFault::BadSignature);
		}
		let envelope = Envelope::decode(sent, u32::MAX).map_err(|_| AnswerFault::OtherMessage)?;
		if own.message != leaf_hash(sent)
			|| own.device != envelope.device
			|| own.sequence != envelope.sequence
		{
			return Err(AnswerFault::OtherMessage);
		}
		Ok(())
	}

	/// The answer as the gateway signed it, with its reason `reason`.
	fn signed_form<'a>(&self, reason: &'a str) -> Result<answer::Ack<'a>, AnswerFault> {
		let bytes = |field: &Option<String>| match field {
			Some(text) => unhex::<32>(text).ok_or(AnswerFault::Malformed),
			None => Ok([0; 32]),
		};
		let status = match (self.status.as_str(), self.duplicate) {
			("accepted", false) => AckStatus::Accepted,
			("accepted", true) => AckStatus::Duplicate,
			("refused", _) => AckStatus::Refused,
			_ => return Err(AnswerFault::Malformed),
		};
		Ok(answer::Ack {
			device: bytes(&self.device)?,
			sequence: self.sequence.unwrap_or(0),
			message: bytes(&self.message)?,
			status,
			reason,
		})
	}
}

/// Checks the chain's outcome of a relayed message, as the gateway sent it (JSON, on MQTT, a
/// WebSocket or over HTTP), as a device must before acting on it (a lock before it opens):
/// signed by its gateway's key `gateway` for the chain `genesis`, about exactly the bytes
/// `sent`. Returns what the signature vouches for: a recorded outcome's event, as the SCALE
/// bytes of its fields in the block (a device decodes these, not the JSON rendering beside
/// them), or a refused one's reason.
pub fn check_outcome(
	outcome: &serde_json::Value,
	genesis: &[u8; 32],
	gateway: &[u8; 32],
	sent: &[u8],
) -> Result<Vec<u8>, AnswerFault> {
	let text = |field: &str| outcome[field].as_str();
	let (Some(key), Some(signature)) = (text("gateway"), text("signature")) else {
		return Err(AnswerFault::Unsigned);
	};
	let (key_type, key) = parse_typed_key(key).ok_or(AnswerFault::Malformed)?;
	if &key != gateway {
		return Err(AnswerFault::OtherGateway);
	}
	let signature: [u8; 64] = unhex(signature).ok_or(AnswerFault::Malformed)?;
	let envelope = Envelope::decode(sent, u32::MAX).map_err(|_| AnswerFault::OtherMessage)?;
	let message = leaf_hash(sent);
	if text("message").and_then(unhex::<32>) != Some(message) {
		return Err(AnswerFault::OtherMessage);
	}
	let (status, detail) = match text("status") {
		Some("recorded") => {
			let bytes = text("event_bytes").and_then(|hex| hex.strip_prefix("0x"));
			let bytes = bytes.and_then(|hex| hex::decode(hex).ok());
			(answer::OutcomeStatus::Recorded, bytes.ok_or(AnswerFault::Malformed)?)
		},
		Some("refused") => {
			let reason = text("reason").ok_or(AnswerFault::Malformed)?;
			(answer::OutcomeStatus::Refused, reason.as_bytes().to_vec())
		},
		_ => return Err(AnswerFault::Malformed),
	};
	let signed = answer::Outcome {
		device: envelope.device,
		sequence: envelope.sequence,
		message,
		status,
		block: outcome["block"].as_u64().unwrap_or(0),
		detail: &detail,
	};
	if !verify_outcome(genesis, key_type, gateway, &signed, &signature) {
		return Err(AnswerFault::BadSignature);
	}
	Ok(detail)
}

/// An HTTP response's answers, with the gateway's one signature over all of them.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct HttpResults {
	pub results: Vec<ReceivedAck>,
	pub gateway: Option<String>,
	pub signature: Option<String>,
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
				let results: Arc<HttpResults> = Arc::new(response.json().await?);
				let mut acks = results.results.clone();
				for ack in &mut acks {
					ack.answered_with = Some(results.clone());
				}
				answers.push((status, acks));
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

/// The broker password of a simulated device's MQTT account (named by its id in hex, as
/// `gateway/mosquitto.acl` expects). Derived from the id, so anybody who knows the id knows it:
/// for simulated fleets only; a real device's password is drawn at random when it is installed.
pub fn mqtt_password(device: &DeviceId) -> String {
	hex::encode(leaf_hash(&[&b"iotchain-sim/mqtt-password/"[..], device].concat()))
}

/// The MQTT connection of one simulated device, under its own account (client id = account).
pub fn mqtt_options(host: &str, port: u16, device: &DeviceId) -> rumqttc::MqttOptions {
	let account = hex::encode(device);
	let mut options = rumqttc::MqttOptions::new(account.clone(), host.to_owned(), port);
	options
		.set_credentials(account, mqtt_password(device))
		.set_keep_alive(std::time::Duration::from_secs(30))
		.set_max_packet_size(1 << 20, 1 << 20)
		.set_inflight(1024)
		.set_request_channel_capacity(4096);
	options
}

/// How long [`MqttDevices::send`] waits for its answers.
pub const MQTT_ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Devices connected to a broker, each over a connection of its own under its own account
/// (`mqtt_options`), as devices are, and subscribed to its acknowledgements.
pub struct MqttDevices {
	clients: HashMap<DeviceId, rumqttc::AsyncClient>,
	acks: tokio::sync::mpsc::UnboundedReceiver<ReceivedAck>,
	tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
	prefix: Arc<str>,
}

impl MqttDevices {
	/// Connects each of `devices` to the broker at `host:port` and subscribes it to its
	/// acknowledgements under `prefix`; returns once every subscription is in place.
	pub async fn connect(
		host: &str,
		port: u16,
		prefix: &str,
		devices: &[DeviceId],
	) -> anyhow::Result<Self> {
		use rumqttc::{AsyncClient, Event, Packet, QoS};
		let (acks_tx, acks) = tokio::sync::mpsc::unbounded_channel::<ReceivedAck>();
		let prefix: Arc<str> = prefix.into();
		let mut clients = HashMap::new();
		let mut tasks = Vec::new();
		let mut subscribed = Vec::new();
		for &device in devices {
			let (client, mut events) = AsyncClient::new(mqtt_options(host, port, &device), 4096);
			let (subscribed_tx, subscribed_rx) = tokio::sync::oneshot::channel::<()>();
			subscribed.push(subscribed_rx);
			let (acks_tx, prefix, subscriber) = (acks_tx.clone(), prefix.clone(), client.clone());
			// The event loop: subscribes once connected, forwards acknowledgements.
			tasks.push(tokio::spawn(async move {
				let mut subscribed_tx = Some(subscribed_tx);
				loop {
					match events.poll().await? {
						Event::Incoming(Packet::ConnAck(_)) => {
							let topic = format!("{prefix}/{}/acks", hex::encode(device));
							subscriber.subscribe(topic, QoS::AtLeastOnce).await?;
						},
						Event::Incoming(Packet::SubAck(granted)) => {
							let refused = granted
								.return_codes
								.iter()
								.any(|code| matches!(code, rumqttc::SubscribeReasonCode::Failure));
							anyhow::ensure!(!refused, "the broker refused the subscription");
							if let Some(tx) = subscribed_tx.take() {
								let _ = tx.send(());
							}
						},
						Event::Incoming(Packet::Publish(publish)) => {
							if let Ok(ack) = serde_json::from_slice(&publish.payload) {
								if acks_tx.send(ack).is_err() {
									return Ok(());
								}
							}
						},
						_ => {},
					}
				}
			}));
			clients.insert(device, client);
		}
		let mut connected = MqttDevices { clients, acks, tasks, prefix };
		for (index, subscription) in subscribed.into_iter().enumerate() {
			if subscription.await.is_err() {
				// The event loop ended before the subscription: its error says why.
				let task = connected.tasks.swap_remove(index);
				let error = match task.await {
					Ok(Err(error)) => error,
					_ => anyhow::anyhow!("the connection ended before it subscribed"),
				};
				return Err(error.context("a device's MQTT connection"));
			}
		}
		Ok(connected)
	}

	/// Publishes `messages` (each with its device, connected already), with QoS 1, each
	/// device's in the order given, and collects one acknowledgement per message; fails if
	/// they are not all in within [`MQTT_ANSWER_WAIT`] (a withheld answer, a lost connection).
	pub async fn send(
		&mut self,
		messages: Vec<(DeviceId, Vec<u8>)>,
	) -> anyhow::Result<Vec<ReceivedAck>> {
		let expected = messages.len();
		for (device, wire) in messages {
			let client = self.clients.get(&device).ok_or_else(|| {
				anyhow::anyhow!("device {} is not connected", hex::encode(device))
			})?;
			let topic = format!("{}/{}/messages", self.prefix, hex::encode(device));
			client.publish(topic, rumqttc::QoS::AtLeastOnce, false, wire).await?;
		}
		let mut acks = Vec::with_capacity(expected);
		let deadline = tokio::time::Instant::now() + MQTT_ANSWER_WAIT;
		while acks.len() < expected {
			match tokio::time::timeout_at(deadline, self.acks.recv()).await {
				Ok(Some(ack)) => acks.push(ack),
				Ok(None) | Err(_) => {
					anyhow::bail!("{} of {expected} messages were acknowledged", acks.len())
				},
			}
		}
		Ok(acks)
	}
}

impl Drop for MqttDevices {
	fn drop(&mut self) {
		for task in &self.tasks {
			task.abort();
		}
	}
}

/// Publishes `messages` (each with its device) to the broker with QoS 1, each device over a
/// connection of its own under its own account ([`MqttDevices`]), and collects one
/// acknowledgement per message from the devices' ack topics.
pub async fn send_mqtt(
	host: &str,
	port: u16,
	prefix: &str,
	messages: Vec<(DeviceId, Vec<u8>)>,
) -> anyhow::Result<Vec<ReceivedAck>> {
	let mut devices: Vec<DeviceId> = messages.iter().map(|(device, _)| *device).collect();
	devices.sort_unstable();
	devices.dedup();
	MqttDevices::connect(host, port, prefix, &devices).await?.send(messages).await
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
