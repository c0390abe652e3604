//! MQTT: the gateway subscribes to every device's topic on a broker (mosquitto) and answers on
//! the device's acknowledgement topic.
//!
//! - Devices publish envelopes with QoS 1 to `{prefix}/{device hex}/messages`.
//! - The chain's outcome of a relayed login or update report follows on
//!   `{prefix}/{device hex}/outcomes`.
//! - The gateway answers each on `{prefix}/{device hex}/acks` with the same JSON as HTTP, and
//!   only then acknowledges the publish to the broker (manual acks). A message the gateway has
//!   not stored is therefore never acknowledged: if the gateway dies, the broker still holds it
//!   for the gateway's persistent session.
//! - Oversized messages: the gateway reads packets up to the broker's `message_size_limit` (and
//!   a topic's worth more), above its own envelope limit, so a message over the gateway's limit
//!   is read, answered `too-large` and acknowledged, not left to break the connection and come
//!   back from the broker on every reconnection.
//! - Back-pressure: while the gateway is overloaded or cannot reach the chain it withholds the
//!   acknowledgement and retries the message itself; with every in-flight slot taken it stops
//!   reading from the broker, which queues for it.

use crate::{
	config::MqttConfig,
	ingest::{Ingest, Transport},
	outcomes::OutcomeHub,
	refusal::{Outcome, Refusal},
};
use iotchain_gateway_protocol::envelope::DeviceId;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use std::{sync::Arc, time::Duration};
use tokio::sync::Semaphore;

/// Publishes being checked at once; beyond it the gateway stops reading from the broker.
const IN_FLIGHT: usize = 8192;
/// How long a withheld message waits before it is tried again.
const RETRY_DELAY: Duration = Duration::from_millis(500);
/// Room in a packet for its topic and header, above the payload.
const PACKET_OVERHEAD: usize = 1024;

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
	ingest: Ingest,
	max_envelope_bytes: usize,
	outcomes: Arc<OutcomeHub>,
) {
	let mut options = MqttOptions::new(&config.client_id, &config.host, config.port);
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
				let (client, ingest, prefix) = (client.clone(), ingest.clone(), prefix.clone());
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
					handle(&client, &ingest, &prefix, publish, device, answer).await;
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
	while matches!(answer.1, Outcome::Refused(Refusal::Overloaded | Refusal::ChainUnavailable)) {
		tokio::time::sleep(RETRY_DELAY).await;
		answer = ingest.submit(publish.payload.to_vec(), Transport::Mqtt, Some(device)).await;
	}
	let (identity, outcome) = answer;
	let ack = outcome.ack(identity);
	let ack_topic = format!("{prefix}/{}/acks", hex::encode(device));
	let body = serde_json::to_vec(&ack).expect("acks serialise");
	if let Err(error) = client.publish(ack_topic, QoS::AtLeastOnce, false, body).await {
		tracing::warn!(%error, "publishing an acknowledgement failed");
	}
	let _ = client.ack(&publish).await;
}

#[cfg(test)]
mod tests {
	use super::*;

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
