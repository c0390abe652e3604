//! Logins and update reports: relayed to the chain through its batch calls, and each device
//! told the chain's outcome on its transport.
//!
//! - Payloads are the chain's own records ([`crate::payload`]).
//! - Accepted ones wait in the store's relay queue. The relay task submits what is waiting as
//!   `LoginRecords.submit_signed_logins` and `FirmwareReleases.report_updates` batches (64 to
//!   a call, feeless for the gateway the devices are assigned to), waits for finality, and
//!   records each message's outcome: `recorded` with the chain's event, or `refused` with the
//!   chain's error for that item (and its name, `Pallet::Error`, read from the metadata).
//! - Outcomes reach devices through the [`OutcomeHub`] ([`crate::outcomes`]).
//! - A batch call is feeless only while every item concerns a device the gateway serves, so
//!   one device unassigned or suspended since its message was accepted would have the pool
//!   refuse the whole call. Before each round, messages of devices the gateway no longer
//!   serves (as the latest finalised block says) are set apart with their own outcome
//!   (`not-assigned`, `device-not-active`, `unknown-device`); a call still refused whole (the
//!   change is not finalised yet) is tried again after the next finalised block, up to
//!   [`WHOLE_REFUSAL_RETRIES`] times, before its items are recorded refused.
//! - At least once: if the gateway stops after a batch is included but before the outcome is
//!   recorded, it submits the batch again, and the chain refuses the repeats (a login's nonce
//!   is accepted once per pair, a report of the installed release again is a downgrade); the
//!   outcome recorded is then the refusal.

use crate::{
	answers::AnswerKey,
	chain::{Chain, Lookup},
	outcomes::OutcomeHub,
	payload::{decode_login, decode_report},
	progress::Progress,
	store::Store,
};
use iotchain_client::{
	runtime::{firmware_releases::events as reports, login_records::events as logins},
	Client, DecodeAsEvent, DispatchName, Error, Receipt, SignedLogin, UpdateReport, Wait,
};
use iotchain_gateway_protocol::{
	envelope::{DeviceId, Envelope, Kind},
	merkle, Hash,
};
use serde_json::{json, Value};
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicU32, Ordering},
		Arc,
	},
	time::Duration,
};
use tokio::sync::Notify;

/// Most messages relayed in one round.
const ROUND: usize = 1024;
/// Items per batch call: the runtime's `MaxBatchSize` for both.
const PER_EXTRINSIC: usize = 64;
/// How long the relay waits for more messages before a round, and between retries.
const PAUSE: Duration = Duration::from_millis(500);
/// Rounds tried again, each after a finalised block, while the pool refuses a call whole.
pub const WHOLE_REFUSAL_RETRIES: u32 = 3;
/// Longest wait for a finalised block before a round is tried again.
const FINALITY_WAIT: Duration = Duration::from_secs(30);

/// One relayed message: whose it is, and the leaf hash of its bytes (what its signed outcome
/// names).
struct Item {
	device: DeviceId,
	sequence: u64,
	kind: Kind,
	message: Hash,
}

/// A round's messages, sorted by the batch call that carries them, with whose each is.
#[derive(Default)]
struct Round {
	logins: Vec<SignedLogin<u32>>,
	login_items: Vec<Item>,
	reports: Vec<UpdateReport>,
	report_items: Vec<Item>,
}

/// Per extrinsic of one kind's batch calls: how many messages it carried, and its outcome.
type Settled = Vec<(usize, Result<Receipt, Error>)>;

/// Each of a batch call's `count` items' outcome, as JSON, from the call's receipt.
type ItemOutcomes = fn(&Receipt, usize) -> iotchain_client::Result<Vec<Value>>;

/// A message's outcome, as JSON, with whose message it is.
type Outcome = (Item, Value);

/// The relay task.
pub struct Relay {
	pub chain: Arc<Chain>,
	pub store: Arc<Store>,
	pub hub: Arc<OutcomeHub>,
	pub answers: Arc<AnswerKey>,
	pub progress: Arc<Progress>,
	pub waiting: Arc<Notify>,
	/// Consecutive rounds in which the pool refused a call whole.
	pub whole_refusals: AtomicU32,
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
		let mut round = Round::of(pending);
		let set_apart = self.set_apart(&mut round).await;
		let Round { logins, login_items, reports, report_items } = round;
		let (login_results, report_results) = submit(&client, logins, reports).await;
		let metadata = client.api().at_current_block().await.ok().map(|at| at.metadata());
		let name_error = |error: &Value| -> Option<String> {
			let name = DispatchName::from_json(metadata.as_ref()?, error)?;
			Some(name.to_string())
		};
		// Each kind's outcomes are read from its own pallet's events: the batch failure and the
		// success that pallet emits (several pallets emit a `BatchItemFailed`).
		let kinds = [
			(
				login_items,
				login_results,
				item_outcomes::<logins::BatchItemFailed, logins::LoginRecorded> as ItemOutcomes,
			),
			(
				report_items,
				report_results,
				item_outcomes::<reports::BatchItemFailed, reports::UpdateReported> as ItemOutcomes,
			),
		];
		let mut outcomes = set_apart;
		for (items, results, outcomes_of) in kinds {
			match self.settle(items, results, outcomes_of, &name_error).await {
				Some(settled) => outcomes.extend(settled),
				None => return false,
			}
		}
		self.record(upto, outcomes).await
	}

	/// One kind's outcomes, one per message, with the chain's name for each refusal's error;
	/// `None` when the round must be tried again (the node went away, or a failure that
	/// passes).
	async fn settle(
		&self,
		items: Vec<Item>,
		results: iotchain_client::Result<Settled>,
		outcomes_of: ItemOutcomes,
		name_error: &impl Fn(&Value) -> Option<String>,
	) -> Option<Vec<Outcome>> {
		let results = match results {
			Ok(results) => results,
			Err(error) => {
				tracing::warn!(%error, "relaying failed; retrying");
				self.chain.lost();
				return None;
			},
		};
		if results.iter().any(|(_, result)| result.as_ref().is_err_and(is_transient)) {
			tracing::warn!("relaying met a transient failure; retrying the round");
			tokio::time::sleep(PAUSE).await;
			return None;
		}
		let refused_whole = results.iter().any(|(count, result)| *count > 1 && result.is_err());
		if refused_whole {
			let retries = self.whole_refusals.fetch_add(1, Ordering::AcqRel);
			if retries < WHOLE_REFUSAL_RETRIES {
				tracing::warn!(
					retries,
					"a relay call was refused whole; retrying the round after a finalised block"
				);
				let mut finalised = self.chain.finalised();
				finalised.borrow_and_update();
				let _ = tokio::time::timeout(FINALITY_WAIT, finalised.changed()).await;
				return None;
			}
		}
		self.whole_refusals.store(0, Ordering::Release);
		let mut outcomes = Vec::new();
		let mut items = items.into_iter();
		for (count, result) in results {
			let per_item = match &result {
				Ok(receipt) => match outcomes_of(receipt, count) {
					Ok(per_item) => per_item,
					Err(error) => {
						tracing::warn!(%error, "reading a batch's events failed; retrying");
						return None;
					},
				},
				Err(error) => {
					let error = error.to_string();
					vec![json!({"status": "refused", "error": error, "reason": error}); count]
				},
			};
			let block = result.as_ref().ok().and_then(|receipt| receipt.block.map(|b| b.number));
			for (item, mut outcome) in items.by_ref().take(count).zip(per_item) {
				if let Some(name) = outcome.get("error").and_then(name_error) {
					outcome["error_name"] = json!(name);
					// What the device is told, and what the outcome's signature covers.
					outcome["reason"] = json!(name);
				} else if outcome.get("error").is_some() && outcome.get("reason").is_none() {
					outcome["reason"] = json!(outcome["error"].to_string());
				}
				outcome["device"] = json!(iotchain_client::to_hex(&item.device));
				outcome["sequence"] = json!(item.sequence);
				outcome["kind"] = json!(item.kind.name());
				outcome["block"] = json!(block);
				outcomes.push((item, outcome));
			}
		}
		Some(outcomes)
	}

	/// Records a round's outcomes with the relay queue's new position, then delivers them;
	/// whether they were recorded.
	async fn record(&self, upto: u64, mut outcomes: Vec<Outcome>) -> bool {
		for (item, outcome) in &mut outcomes {
			self.answers.sign_outcome(item.device, item.sequence, &item.message, outcome);
		}
		let records: Vec<_> = outcomes
			.iter()
			.map(|(item, outcome)| (item.device, item.sequence, outcome.to_string().into_bytes()))
			.collect();
		if let Err(error) = self.store.record_outcomes(upto, &records) {
			tracing::error!(%error, "recording relay outcomes failed");
			return false;
		}
		self.progress.relay_done.store(upto, Ordering::Release);
		for (item, outcome) in &outcomes {
			self.hub.deliver(item.device, item.sequence, outcome).await;
		}
		true
	}
}

impl Relay {
	/// Takes out of `round` the messages of devices this gateway may no longer relay for, as
	/// the latest finalised block says: unassigned from it (or moved to another organisation),
	/// suspended or revoked, or no longer registered. The chain would refuse the whole batch
	/// call for one of them; each gets its outcome here instead.
	async fn set_apart(&self, round: &mut Round) -> Vec<Outcome> {
		let identity = self.chain.identity();
		let mut reasons: HashMap<DeviceId, Option<&'static str>> = HashMap::new();
		for item in round.login_items.iter().chain(&round.report_items) {
			if reasons.contains_key(&item.device) {
				continue;
			}
			let reason = match self.chain.device(&item.device).await {
				(Lookup::Found, Some(view))
					if view.gateway != Some(identity.id) || view.org != identity.org =>
				{
					Some("not-assigned")
				},
				(Lookup::Found, Some(view)) if !view.active => Some("device-not-active"),
				(Lookup::Found, Some(_)) | (Lookup::Unavailable, _) => None,
				_ => Some("unknown-device"),
			};
			reasons.insert(item.device, reason);
		}
		let mut outcomes = take_apart(&mut round.login_items, &mut round.logins, &reasons);
		outcomes.extend(take_apart(&mut round.report_items, &mut round.reports, &reasons));
		outcomes
	}
}

/// Takes the messages whose device has a reason in `reasons` out of `items` and their
/// `payloads` (in step), each with its outcome: refused for that reason, never submitted.
fn take_apart<T>(
	items: &mut Vec<Item>,
	payloads: &mut Vec<T>,
	reasons: &HashMap<DeviceId, Option<&'static str>>,
) -> Vec<Outcome> {
	let mut outcomes = Vec::new();
	let (mut kept_items, mut kept_payloads) = (Vec::new(), Vec::new());
	for (item, payload) in items.drain(..).zip(payloads.drain(..)) {
		let Some(reason) = reasons.get(&item.device).copied().flatten() else {
			kept_items.push(item);
			kept_payloads.push(payload);
			continue;
		};
		let outcome = json!({
			"status": "refused",
			"error": reason,
			"reason": reason,
			"detail": "the gateway no longer relays for this device, as the latest finalised \
					   block it saw says",
			"device": iotchain_client::to_hex(&item.device),
			"sequence": item.sequence,
			"kind": item.kind.name(),
			"block": null,
		});
		outcomes.push((item, outcome));
	}
	(*items, *payloads) = (kept_items, kept_payloads);
	outcomes
}

impl Round {
	/// Sorts the queue's messages by kind; those whose envelope or payload no longer decodes
	/// are left out.
	fn of(pending: Vec<(u64, Vec<u8>)>) -> Self {
		let mut round = Round::default();
		for (_, wire) in pending {
			let Ok(envelope) = Envelope::decode(&wire, u32::MAX) else { continue };
			let item = Item {
				device: envelope.device,
				sequence: envelope.sequence,
				kind: envelope.kind,
				message: merkle::leaf_hash(&wire),
			};
			match envelope.kind {
				Kind::Login => {
					if let Some(login) = decode_login(&envelope.payload) {
						round.logins.push(login);
						round.login_items.push(item);
					}
				},
				Kind::UpdateReport => {
					if let Some(report) = decode_report(&envelope.payload) {
						round.reports.push(report);
						round.report_items.push(item);
					}
				},
				Kind::Telemetry => {},
			}
		}
		round
	}
}

/// Submits the round's logins and reports in their batch calls, side by side, and waits for
/// finality.
async fn submit(
	client: &Client,
	logins: Vec<SignedLogin<u32>>,
	reports: Vec<UpdateReport>,
) -> (iotchain_client::Result<Settled>, iotchain_client::Result<Settled>) {
	tokio::join!(
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
			let results = client.report_updates(reports, PER_EXTRINSIC, Wait::Finalised, |_| {});
			results
				.await
				.map(|r| r.into_iter().map(|(items, result)| (items.len(), result)).collect())
		},
	)
}

/// Failures that pass: the node went away, the transaction aged out, the pool is full for
/// this gateway this block.
fn is_transient(error: &Error) -> bool {
	matches!(
		error,
		Error::Unreachable { .. } | Error::Node(_) | Error::Dropped(_) | Error::OverBlockQuota
	)
}

/// A pallet's event for an item of its batch call that the chain refused: which item it was.
trait BatchFailure: DecodeAsEvent {
	fn index(&self) -> u32;
}

impl BatchFailure for logins::BatchItemFailed {
	fn index(&self) -> u32 {
		self.index
	}
}

impl BatchFailure for reports::BatchItemFailed {
	fn index(&self) -> u32 {
		self.index
	}
}

/// Each of a batch call's `count` items' outcome from its receipt: the items the chain refused
/// have a `Failed` event (the batch's pallet's `BatchItemFailed`) with their index; the
/// others' `Recorded` events come in order. The JSON is the events' rendering: a refusal's
/// `error` and a record's fields as the chain's metadata shows them, with the record's SCALE
/// bytes (`event_bytes`), which its signed outcome commits to.
fn item_outcomes<Failed: BatchFailure, Recorded: DecodeAsEvent>(
	receipt: &Receipt,
	count: usize,
) -> iotchain_client::Result<Vec<Value>> {
	let mut failed: HashMap<u32, Value> = HashMap::new();
	let mut recorded = Vec::new();
	for event in receipt.events() {
		if let Some(failure) = event.as_event::<Failed>() {
			let index = failure?.index();
			failed.insert(index, event.record()?.fields["error"].clone());
		} else if event.is::<Recorded>() {
			recorded.push((event.record()?.fields, iotchain_client::to_hex(event.field_bytes())));
		}
	}
	let mut recorded = recorded.into_iter();
	Ok((0..count as u32)
		.map(|index| match failed.get(&index) {
			Some(error) => json!({"status": "refused", "error": error}),
			None => match recorded.next() {
				Some((event, bytes)) => {
					json!({"status": "recorded", "event": event, "event_bytes": bytes})
				},
				None => json!({"status": "recorded", "event": null}),
			},
		})
		.collect())
}
