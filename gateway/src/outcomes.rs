//! Where the chain's outcomes of relayed logins and update reports go.
//!
//! Outcomes reach devices on MQTT (`{prefix}/{device hex}/outcomes`), on the WebSocket the
//! message came by while it is open, and over HTTP (`GET /v1/outcomes/{device}/{sequence}`).

use iotchain_gateway_protocol::envelope::DeviceId;
use serde_json::Value;
use std::{collections::HashMap, sync::Mutex};
use tokio::sync::mpsc;

/// Where outcomes go: the MQTT connection, and WebSockets waiting for them.
#[derive(Default)]
pub struct OutcomeHub {
	mqtt: Mutex<Option<(rumqttc::AsyncClient, String)>>,
	websockets: Mutex<HashMap<(DeviceId, u64), mpsc::Sender<String>>>,
}

impl OutcomeHub {
	/// Outcomes are published on this MQTT connection under `prefix`.
	pub fn publish_on(&self, client: rumqttc::AsyncClient, prefix: String) {
		*self.mqtt.lock().expect("not poisoned") = Some((client, prefix));
	}

	/// The outcome of `device`'s message `sequence` goes to this WebSocket too.
	pub fn wait_on_websocket(&self, device: DeviceId, sequence: u64, socket: mpsc::Sender<String>) {
		self.websockets.lock().expect("not poisoned").insert((device, sequence), socket);
	}

	pub(crate) async fn deliver(&self, device: DeviceId, sequence: u64, outcome: &Value) {
		let text = outcome.to_string();
		let socket = self.websockets.lock().expect("not poisoned").remove(&(device, sequence));
		// Never waited on: a stream whose peer stopped reading must not hold up the relay. Its
		// device can still fetch the outcome over HTTP.
		if let Some(socket) = socket {
			let _ = socket.try_send(text.clone());
		}
		let mqtt = self.mqtt.lock().expect("not poisoned").clone();
		if let Some((client, prefix)) = mqtt {
			let topic = format!("{prefix}/{}/outcomes", hex::encode(device));
			let _ = client.publish(topic, rumqttc::QoS::AtLeastOnce, false, text).await;
		}
	}
}
