//! MQTT: the gateway subscribes to every device's topic on a broker (mosquitto) and answers on
//! the device's acknowledgement topic.
//!
//! - Devices publish envelopes with QoS 1 to `{prefix}/{device hex}/messages`.
//! - The chain's outcome of a relayed login or update report follows on
//!   `{prefix}/{device hex}/outcomes`.
//! - The gateway answers each on `{prefix}/{device hex}/acks` with the same JSON as HTTP,
//!   signed on its own ([`crate::answers`]), and
//!   only then acknowledges the publish to the broker (manual acks). A message the gateway has
//!   not stored is therefore never acknowledged: if the gateway dies, the broker still holds it
//!   for the gateway's persistent session.
//! - Oversized messages: the gateway reads packets up to the broker's `message_size_limit` (and
//!   a topic's worth more), above its own envelope limit, so a message over the gateway's limit
//!   is read, answered `too-large` and acknowledged, not left to break the connection and come
//!   back from the broker on every reconnection.
//! - Back-pressure: while the gateway is overloaded, short of disk or cannot reach the chain it
//!   withholds the acknowledgement and retries the message itself; with every in-flight slot
//!   taken it stops reading from the broker, which queues for it.

use crate::{
	answers::AnswerKey,
	config::MqttConfig,
	error::Error,
	ingest::{Ingest, Transport},
	outcomes::OutcomeHub,
	refusal::{Outcome, Refusal},
};
use iotchain_gateway_protocol::{envelope::DeviceId, merkle};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use std::{path::Path, sync::Arc, time::Duration};
use tokio::sync::Semaphore;

/// Publishes being checked at once; beyond it the gateway stops reading from the broker.
const IN_FLIGHT: usize = 8192;
/// How long a withheld message waits before it is tried again.
const RETRY_DELAY: Duration = Duration::from_millis(500);
/// Room in a packet for its topic and header, above the payload.
const PACKET_OVERHEAD: usize = 1024;

/// Where the gateway's client id is kept, in its data directory, when it draws its own.
pub const CLIENT_ID_FILE: &str = "mqtt-client-id";

/// How the gateway identifies itself to the broker.
#[derive(Clone)]
pub struct Login {
	pub client_id: String,
	/// The broker account and its password.
	pub credentials: Option<(String, String)>,
}

impl Login {
	/// The configured client id, or the one drawn for this data directory; the account, with
	/// the password read from its file (mode 600, as a key file).
	pub fn of(config: &MqttConfig, data_dir: &Path) -> Result<Self, Error> {
		let client_id = match config.client_id.as_str() {
			"" => drawn_client_id(data_dir)?,
			configured => configured.to_owned(),
		};
		let password = match &config.password_file {
			Some(path) => Some(iotchain_client::read_secret(&format!("@{}", path.display()))?),
			None => None,
		};
		let credentials = match (&config.username, password) {
			(Some(username), password) => Some((username.clone(), password.unwrap_or_default())),
			(None, Some(_)) => return Err(Error::MqttPasswordWithoutUsername),
			(None, None) => None,
		};
		Ok(Login { client_id, credentials })
	}
}

/// The client id kept in `data_dir`, drawn at random (128 bits) the first time: the same one
/// after every restart, so the broker's persistent session (and what it queued meanwhile) is
/// the gateway's again, and one nobody can guess.
fn drawn_client_id(data_dir: &Path) -> Result<String, Error> {
	use std::io::Read;
	let path = data_dir.join(CLIENT_ID_FILE);
	let file_error = |error| Error::ClientIdFile { path: path.clone(), error };
	match std::fs::read_to_string(&path) {
		Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
		Ok(_) => {},
		Err(error) if error.kind() == std::io::ErrorKind::NotFound => {},
		Err(error) => return Err(file_error(error)),
	}
	let mut random = [0u8; 16];
	std::fs::File::open("/dev/urandom")
		.and_then(|mut source| source.read_exact(&mut random))
		.map_err(file_error)?;
	let id = format!("iotchain-gateway-{}", hex::encode(random));
	// Written whole, then moved into place: a crash leaves the old file or the new one.
	let partial = path.with_extension("partial");
	std::fs::write(&partial, &id)
		.and_then(|()| std::fs::rename(&partial, &path))
		.map_err(file_error)?;
	Ok(id)
}

/// The device a message topic names, if it is one of ours.
pub fn topic_device(prefix: &str, topic: &str) -> Option<DeviceId> {
	let rest = topic.strip_prefix(prefix)?.strip_prefix('/')?;
	let hex_id = rest.strip_suffix("/messages")?;
	let bytes = hex::decode(hex_id).ok()?;
	bytes.try_into().ok()
}

/// Runs the MQTT side for ever: connects (again, after any failure), subscribes, and hands
/// every message to `ingest`.
pub async fn run(
	config: MqttConfig,
	login: Login,
	ingest: Ingest,
	max_envelope_bytes: usize,
	outcomes: Arc<OutcomeHub>,
	answers: Arc<AnswerKey>,
) {
	let mut options = MqttOptions::new(&login.client_id, &config.host, config.port);
	if let Some((username, password)) = login.credentials {
		options.set_credentials(username, password);
	}
	options
		.set_keep_alive(Duration::from_secs(30))
		// The broker keeps the subscription and queues messages while the gateway is away.
		.set_clean_session(false)
		.set_manual_acks(true)
		.set_max_packet_size(
			config.broker_message_size_limit.max(max_envelope_bytes) + PACKET_OVERHEAD,
			64 * 1024,
		)
		.set_inflight(1024)
		.set_request_channel_capacity(IN_FLIGHT * 2);
	let (client, mut events) = AsyncClient::new(options, IN_FLIGHT * 2);
	outcomes.publish_on(client.clone(), config.topic_prefix.clone());
	let filter = format!("{}/+/messages", config.topic_prefix);
	let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
	let prefix: Arc<str> = config.topic_prefix.clone().into();
	loop {
		match events.poll().await {
			Ok(Event::Incoming(Packet::ConnAck(_))) => {
				tracing::info!(broker = %format!("{}:{}", config.host, config.port), "connected to the MQTT broker");
				if let Err(error) = client.subscribe(&filter, QoS::AtLeastOnce).await {
					tracing::error!(%error, "subscribing failed");
				}
			},
			Ok(Event::Incoming(Packet::Publish(publish))) => {
				let Ok(permit) = in_flight.clone().acquire_owned().await else { return };
				let (client, ingest, prefix, answers) =
					(client.clone(), ingest.clone(), prefix.clone(), answers.clone());
				// Enqueued here, in the order the broker delivered, so each device's messages
				// are checked in order; answered in a task of its own.
				let device = topic_device(&prefix, &publish.topic);
				let answer = match device {
					Some(device) => Some(
						ingest
							.enqueue(publish.payload.to_vec(), Transport::Mqtt, Some(device))
							.await,
					),
					None => None,
				};
				tokio::spawn(async move {
					handle(&client, &ingest, &answers, &prefix, publish, device, answer).await;
					drop(permit);
				});
			},
			Ok(_) => {},
			Err(error) => {
				tracing::warn!(%error, "the MQTT connection failed; reconnecting");
				tokio::time::sleep(Duration::from_secs(1)).await;
			},
		}
	}
}

async fn handle(
	client: &AsyncClient,
	ingest: &Ingest,
	answers: &AnswerKey,
	prefix: &str,
	publish: Publish,
	device: Option<DeviceId>,
	answer: Option<crate::ingest::Answer>,
) {
	let (Some(device), Some(answer)) = (device, answer) else {
		// Not a device topic of ours: nobody to answer.
		let _ = client.ack(&publish).await;
		return;
	};
	let mut answer = answer.outcome().await;
	// Withheld while the gateway cannot take it; tried again until it can.
	while matches!(
		answer.1,
		Outcome::Refused(Refusal::Overloaded | Refusal::ChainUnavailable | Refusal::DiskFull)
	) {
		tokio::time::sleep(RETRY_DELAY).await;
		answer = ingest.submit(publish.payload.to_vec(), Transport::Mqtt, Some(device)).await;
	}
	let (identity, outcome) = answer;
	let ack = outcome.ack(identity, merkle::leaf_hash(&publish.payload));
	let ack_topic = format!("{prefix}/{}/acks", hex::encode(device));
	let body = answers.signed_ack_text(&ack);
	if let Err(error) = client.publish(ack_topic, QoS::AtLeastOnce, false, body).await {
		tracing::warn!(%error, "publishing an acknowledgement failed");
	}
	let _ = client.ack(&publish).await;
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Without a configured id the gateway draws one, keeps it, and uses the same after a
	/// restart; another data directory draws another.
	#[test]
	fn a_drawn_client_id_is_kept_and_not_shared() {
		let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
		let config = MqttConfig::default();
		let id = Login::of(&config, first.path()).unwrap().client_id;
		assert!(id.starts_with("iotchain-gateway-") && id.len() == "iotchain-gateway-".len() + 32);
		assert_eq!(Login::of(&config, first.path()).unwrap().client_id, id);
		assert_ne!(Login::of(&config, second.path()).unwrap().client_id, id);
		let named = MqttConfig { client_id: "gw-7".into(), ..MqttConfig::default() };
		assert_eq!(Login::of(&named, first.path()).unwrap().client_id, "gw-7");
	}

	/// The broker password is read from a file only its owner may read, and only for an account.
	#[test]
	fn the_broker_password_must_be_private_and_belong_to_an_account() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("password");
		std::fs::write(&file, "s3cret\n").unwrap();
		std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
		let config = MqttConfig {
			username: Some("iotchain-gateway".into()),
			password_file: Some(file.clone()),
			..MqttConfig::default()
		};
		let exposed = Login::of(&config, dir.path()).err().expect("a readable password file");
		assert!(exposed.to_string().contains("mode 644"), "{exposed}");
		std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
		let login = Login::of(&config, dir.path()).unwrap();
		assert_eq!(login.credentials, Some(("iotchain-gateway".into(), "s3cret".into())));
		let anonymous = MqttConfig { username: None, ..config };
		assert!(matches!(
			Login::of(&anonymous, dir.path()),
			Err(Error::MqttPasswordWithoutUsername)
		));
	}

	#[test]
	fn topics_name_their_device() {
		let id = [0xab; 32];
		let topic = format!("iotchain/v1/devices/{}/messages", hex::encode(id));
		assert_eq!(topic_device("iotchain/v1/devices", &topic), Some(id));
		assert_eq!(topic_device("iotchain/v1/devices", "iotchain/v1/devices/abcd/messages"), None);
		assert_eq!(topic_device("iotchain/v1/devices", &topic.replace("messages", "acks")), None);
		assert_eq!(topic_device("other", &topic), None);
	}
}
