//! Logins and update reports: relayed to the chain through its batch calls, and each device
//! told the chain's outcome on its transport.
//!
//! - A login's payload is the SCALE encoding of the chain's `SignedLogin` (the device, the
//!   user device, the nonce, the challenge block and the user device's signature); an update
//!   report's is the chain's `UpdateReport`. Either must be about the envelope's own device.
//! - Accepted ones wait in the store's relay queue. The relay task submits what is waiting as
//!   `LoginRecords.submit_signed_logins` and `FirmwareReleases.report_updates` batches (128 to
//!   a call, feeless for the gateway the devices are assigned to), waits for finality, and
//!   records each message's outcome: `recorded` with the chain's event, or `refused` with the
//!   chain's error for that item (and its name, `Pallet::Error`, read from the metadata).
//! - Outcomes reach devices on MQTT (`{prefix}/{device hex}/outcomes`), on the WebSocket the
//!   message came by while it is open, and over HTTP (`GET /v1/outcomes/{device}/{sequence}`).
//! - At least once: if the gateway stops after a batch is included but before the outcome is
//!   recorded, it submits the batch again, and the chain refuses the repeats (a login's nonce
//!   is accepted once per pair, a report of the installed release again is a downgrade); the
//!   outcome recorded is then the refusal.

use crate::{chain::Chain, ingest::Progress, store::Store};
use codec::DecodeAll;
use iotchain_client::{Error, Receipt, SignedLogin, UpdateReport, Wait};
use iotchain_gateway_protocol::envelope::{DeviceId, Envelope, Kind};
use serde_json::{json, Value};
use std::{
	collections::HashMap,
	sync::{atomic::Ordering, Arc, Mutex},
	time::Duration,
};
use tokio::sync::{mpsc, Notify};

/// Most messages relayed in one round.
const ROUND: usize = 1024;
/// Items per batch call: the runtime's `MaxBatchSize` for both.
const PER_EXTRINSIC: usize = 128;
/// How long the relay waits for more messages before a round, and between retries.
const PAUSE: Duration = Duration::from_millis(500);

/// The chain's login record, as a login envelope's payload carries it.
pub fn decode_login(payload: &[u8]) -> Option<SignedLogin<u32>> {
	SignedLogin::decode_all(&mut &payload[..]).ok()
}

/// The chain's update report, as an update report envelope's payload carries it.
pub fn decode_report(payload: &[u8]) -> Option<UpdateReport> {
	UpdateReport::decode_all(&mut &payload[..]).ok()
}

/// Whether the envelope's payload is what its kind needs: anything for a reading; for a login
/// or update report, the chain's record of one about the envelope's own device.
pub fn payload_is_about(envelope: &Envelope) -> bool {
	match envelope.kind {
		Kind::Telemetry => true,
		Kind::Login => {
			decode_login(&envelope.payload).is_some_and(|login| login.device == envelope.device)
		},
		Kind::UpdateReport => {
			decode_report(&envelope.payload).is_some_and(|report| report.device == envelope.device)
		},
	}
}

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

	async fn deliver(&self, device: DeviceId, sequence: u64, outcome: &Value) {
		let text = outcome.to_string();
		let socket = self.websockets.lock().expect("not poisoned").remove(&(device, sequence));
		if let Some(socket) = socket {
			let _ = socket.send(text.clone()).await;
		}
		let mqtt = self.mqtt.lock().expect("not poisoned").clone();
		if let Some((client, prefix)) = mqtt {
			let topic = format!("{prefix}/{}/outcomes", hex::encode(device));
			let _ = client.publish(topic, rumqttc::QoS::AtLeastOnce, false, text).await;
		}
	}
}

/// One relayed message: whose it is.
struct Item {
	device: DeviceId,
	sequence: u64,
	kind: Kind,
}

/// The relay task.
pub struct Relay {
	pub chain: Arc<Chain>,
	pub store: Arc<Store>,
	pub hub: Arc<OutcomeHub>,
	pub progress: Arc<Progress>,
	pub waiting: Arc<Notify>,
}

impl Relay {
	pub fn start(self) {
		tokio::spawn(self.run());
	}

	async fn run(self) {
		loop {
			tokio::select! {
				_ = self.waiting.notified() => {},
				_ = tokio::time::sleep(PAUSE * 4) => {},
			}
			// Let messages that arrive together share extrinsics.
			tokio::time::sleep(PAUSE).await;
			while self.relay_round().await {}
		}
	}

	/// Relays what is waiting, up to a round; whether it recorded outcomes (so more may wait).
	async fn relay_round(&self) -> bool {
		let pending = match self.store.pending_relay(ROUND) {
			Ok(pending) if !pending.is_empty() => pending,
			Ok(_) => return false,
			Err(error) => {
				tracing::error!(%error, "reading the relay queue failed");
				return false;
			},
		};
		let Some(client) = self.chain.client() else { return false };
		let upto = pending.last().map_or(0, |(index, _)| index + 1);
		let (mut logins, mut reports) = (Vec::new(), Vec::new());
		let (mut login_items, mut report_items) = (Vec::new(), Vec::new());
		for (_, wire) in pending {
			let Ok(envelope) = Envelope::decode(&wire, u32::MAX) else { continue };
			let item =
				Item { device: envelope.device, sequence: envelope.sequence, kind: envelope.kind };
			match envelope.kind {
				Kind::Login => {
					if let Some(login) = decode_login(&envelope.payload) {
						logins.push(login);
						login_items.push(item);
					}
				},
				Kind::UpdateReport => {
					if let Some(report) = decode_report(&envelope.payload) {
						reports.push(report);
						report_items.push(item);
					}
				},
				Kind::Telemetry => {},
			}
		}
		let (login_results, report_results) = tokio::join!(
			async {
				if logins.is_empty() {
					return Ok(Vec::new());
				}
				let results =
					client.submit_signed_logins(logins, PER_EXTRINSIC, Wait::Finalised, |_| {});
				results
					.await
					.map(|r| r.into_iter().map(|(items, result)| (items.len(), result)).collect())
			},
			async {
				if reports.is_empty() {
					return Ok(Vec::new());
				}
				let results =
					client.report_updates(reports, PER_EXTRINSIC, Wait::Finalised, |_| {});
				results
					.await
					.map(|r| r.into_iter().map(|(items, result)| (items.len(), result)).collect())
			},
		);
		let metadata = client.api().at_current_block().await.ok().map(|at| at.metadata());
		let name_error = |error: &Value| -> Option<String> {
			let module = error.get("Module")?;
			let pallet_index = u8::try_from(module.get("index")?.as_u64()?).ok()?;
			let code = hex::decode(module.get("error")?.as_str()?.trim_start_matches("0x")).ok()?;
			let pallet = metadata.as_ref()?.pallet_by_error_index(pallet_index)?;
			let variant = pallet.error_variant_by_index(*code.first()?)?;
			Some(format!("{}::{}", pallet.name(), variant.name))
		};
		let mut outcomes = Vec::new();
		for (items, results, success) in [
			(login_items, login_results, "LoginRecorded"),
			(report_items, report_results, "UpdateReported"),
		] {
			let results: Vec<(usize, Result<Receipt, Error>)> = match results {
				Ok(results) => results,
				Err(error) => {
					tracing::warn!(%error, "relaying failed; retrying");
					self.chain.lost();
					return false;
				},
			};
			if results.iter().any(|(_, result)| result.as_ref().is_err_and(is_transient)) {
				tracing::warn!("relaying met a transient failure; retrying the round");
				tokio::time::sleep(PAUSE).await;
				return false;
			}
			let mut items = items.into_iter();
			for (count, result) in results {
				let per_item = match &result {
					Ok(receipt) => item_outcomes(receipt, count, success),
					Err(error) => {
						vec![json!({"status": "refused", "error": error.to_string()}); count]
					},
				};
				let block =
					result.as_ref().ok().and_then(|receipt| receipt.block.map(|b| b.number));
				for (item, mut outcome) in items.by_ref().take(count).zip(per_item) {
					if let Some(name) = outcome.get("error").and_then(&name_error) {
						outcome["error_name"] = json!(name);
					}
					outcome["device"] = json!(iotchain_client::to_hex(&item.device));
					outcome["sequence"] = json!(item.sequence);
					outcome["kind"] = json!(item.kind.name());
					outcome["block"] = json!(block);
					outcomes.push((item.device, item.sequence, outcome));
				}
			}
		}
		let records: Vec<_> = outcomes
			.iter()
			.map(|(device, sequence, outcome)| {
				(*device, *sequence, outcome.to_string().into_bytes())
			})
			.collect();
		if let Err(error) = self.store.record_outcomes(upto, &records) {
			tracing::error!(%error, "recording relay outcomes failed");
			return false;
		}
		self.progress.relay_done.store(upto, Ordering::Release);
		for (device, sequence, outcome) in &outcomes {
			self.hub.deliver(*device, *sequence, outcome).await;
		}
		true
	}
}

/// Failures that pass: the node went away, the transaction aged out, the pool is full for
/// this gateway this block.
fn is_transient(error: &Error) -> bool {
	matches!(
		error,
		Error::Unreachable { .. } | Error::Node(_) | Error::Dropped(_) | Error::OverBlockQuota
	)
}

/// Each of a batch call's `count` items' outcome from its receipt: the items the chain refused
/// have a `BatchItemFailed` event with their index; the others' `success` events come in
/// order.
fn item_outcomes(receipt: &Receipt, count: usize, success: &str) -> Vec<Value> {
	let failed: HashMap<u64, Value> = receipt
		.events
		.iter()
		.filter(|event| event.name == "BatchItemFailed")
		.filter_map(|event| {
			Some((event.fields.get("index")?.as_u64()?, event.fields["error"].clone()))
		})
		.collect();
	let mut recorded = receipt.events.iter().filter(|event| event.name == success);
	(0..count as u64)
		.map(|index| match failed.get(&index) {
			Some(error) => json!({"status": "refused", "error": error}),
			None => json!({
				"status": "recorded",
				"event": recorded.next().map(|event| event.fields.clone()),
			}),
		})
		.collect()
}
