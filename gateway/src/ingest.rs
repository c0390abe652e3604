//! Every transport hands its messages here; nothing is acknowledged before it is stored.
//!
//! One task takes whatever messages are waiting (up to a group), checks them all, verifies
//! their signatures in batches, stores the accepted ones in one durable transaction, and only
//! then answers each. Under load, groups grow and the fsync is shared by thousands of
//! messages; when idle, a lone message is stored at once.
//!
//! A message is accepted only when all of these hold, checked in this order (the first that
//! fails is the reason): it decodes within the size limit; on MQTT, it names the device of its
//! topic; a login's or update report's payload is the chain's record of it, about this device;
//! the gateway is active; the device is registered, a device (not a gateway), of the gateway's
//! organisation and active (with its organisation), as the gateway's registry view says
//! (`chain`: no node round trip); a login's or update report's device is
//! assigned to this gateway (the chain takes them from its gateway only); the signature
//! verifies with the device's current key; the sequence number is above the last accepted from
//! the device; the gateway's disk is above its free-space mark (`disk-full`); the gateway holds
//! fewer unanchored readings and unrelayed messages than its bound; the device is within its
//! rate (checked last, so a message the gateway cannot take now costs the device none of it).
//!
//! A retried message (same device, sequence and bytes as one stored) is answered "accepted"
//! again, marked as a duplicate, and stored once. The rate limit is applied after the
//! signature check, so nobody can use up an honest device's rate with forged messages.
//!
//! An id outside the gateway's organisation is refused whatever it is; the first time, which
//! refusal (`other-organisation`, `not-a-device` or `unknown-device`) is looked up by the
//! [`Resolver`], off the ingest task, so a stream of made-up ids never holds up the
//! organisation's devices.

use crate::{
	chain::{Chain, DeviceView, Known, Lookup},
	config::Limits,
	metrics::Metrics,
	payload::payload_is_about,
	progress::Progress,
	refusal::{Outcome, Refusal},
	store::{Accepted, Store},
};
use iotchain_gateway_protocol::{
	envelope::{DecodeError, DeviceId, Envelope, Kind},
	verify::verify_envelope_signatures,
};
use std::{
	collections::HashMap,
	sync::{atomic::Ordering, Arc},
	time::Instant,
};
use tokio::sync::{mpsc, oneshot, Semaphore};

/// Most messages checked and stored together.
const MAX_GROUP: usize = 4096;
/// Messages waiting for the ingest task before transports wait for room.
const QUEUE: usize = 16 * 1024;
/// Node lookups of ids outside the organisation at once.
const RESOLVER_LOOKUPS: usize = 4;
/// Messages of unresolved ids waiting for a lookup; beyond, they are answered `overloaded`
/// at once.
const RESOLVER_WAITING: usize = 256;

/// Which transport a message came by, for metrics and logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
	Http,
	WebSocket,
	Mqtt,
}

impl Transport {
	pub fn as_str(self) -> &'static str {
		match self {
			Transport::Http => "http",
			Transport::WebSocket => "websocket",
			Transport::Mqtt => "mqtt",
		}
	}
}

/// The device and sequence number of a message that decoded.
pub type Identity = Option<(DeviceId, u64)>;

struct Submission {
	wire: Vec<u8>,
	transport: Transport,
	/// The device an MQTT topic names.
	topic_device: Option<DeviceId>,
	reply: oneshot::Sender<(Identity, Outcome)>,
}

/// The handle transports submit through.
#[derive(Clone)]
pub struct Ingest {
	queue: mpsc::Sender<Submission>,
}

impl Ingest {
	/// Checks and stores one message; returns once it is stored or refused.
	pub async fn submit(
		&self,
		wire: Vec<u8>,
		transport: Transport,
		topic_device: Option<DeviceId>,
	) -> (Identity, Outcome) {
		self.enqueue(wire, transport, topic_device).await.outcome().await
	}

	/// Hands one message to the ingest task and returns at once with its [`Answer`] to come:
	/// messages enqueued one after another are checked in that order, so a transport that
	/// enqueues a connection's messages in order and awaits the answers concurrently keeps
	/// each device's sequence numbers in order.
	pub async fn enqueue(
		&self,
		wire: Vec<u8>,
		transport: Transport,
		topic_device: Option<DeviceId>,
	) -> Answer {
		let (reply, answer) = oneshot::channel();
		let submission = Submission { wire, transport, topic_device, reply };
		match self.queue.send(submission).await {
			Ok(()) => Answer(Some(answer)),
			Err(_) => Answer(None),
		}
	}
}

/// The outcome of an enqueued message, once it is stored or refused.
pub struct Answer(Option<oneshot::Receiver<(Identity, Outcome)>>);

impl Answer {
	pub async fn outcome(self) -> (Identity, Outcome) {
		let refused = (None, Outcome::Refused(Refusal::Overloaded));
		match self.0 {
			Some(answer) => answer.await.unwrap_or(refused),
			None => refused,
		}
	}
}

/// A device's token bucket.
struct Bucket {
	tokens: f64,
	at: Instant,
}

/// The ingest task's state.
pub struct Ingestor {
	chain: Arc<Chain>,
	store: Arc<Store>,
	limits: Limits,
	metrics: Arc<Metrics>,
	progress: Arc<Progress>,
	last_sequence: HashMap<DeviceId, u64>,
	buckets: HashMap<DeviceId, Bucket>,
	/// Wakes the relay when logins or update reports were stored.
	relay_waiting: Arc<tokio::sync::Notify>,
	resolver: Resolver,
}

/// Why a message stops before its signature is checked.
enum Stop {
	Refused(Identity, Refusal),
	/// Its id is outside the organisation and was never looked up: the [`Resolver`] names the
	/// refusal.
	Unresolved(Identity, DeviceId),
}

/// Names the refusal of messages whose ids are outside the gateway's organisation and not
/// looked up yet, each in a task of its own: at most [`RESOLVER_LOOKUPS`] node lookups at
/// once (each bounded in time, `Chain::device`) and [`RESOLVER_WAITING`] messages waiting;
/// beyond, `overloaded` at once, so a device of the organisation that the view does not hold
/// yet retries rather than gives up. What a lookup finds is remembered (`Chain::device`), so
/// later messages of the id are refused on the ingest task.
#[derive(Clone)]
struct Resolver {
	chain: Arc<Chain>,
	metrics: Arc<Metrics>,
	waiting: Arc<Semaphore>,
	lookups: Arc<Semaphore>,
}

impl Resolver {
	fn new(chain: Arc<Chain>, metrics: Arc<Metrics>) -> Self {
		Resolver {
			chain,
			metrics,
			waiting: Arc::new(Semaphore::new(RESOLVER_WAITING)),
			lookups: Arc::new(Semaphore::new(RESOLVER_LOOKUPS)),
		}
	}

	/// Answers `submission` with the refusal its device's lookup names.
	fn answer(&self, submission: Submission, identity: Identity, device: DeviceId) {
		let Ok(waiting) = self.waiting.clone().try_acquire_owned() else {
			// The id may be one of the organisation's, registered in a block the view has not
			// taken in yet: the device is told to retry, and a made-up id costs nothing again.
			return self.reply(submission, identity, Refusal::Overloaded);
		};
		let resolver = self.clone();
		tokio::spawn(async move {
			let refusal = match resolver.lookups.acquire().await {
				Ok(_lookup) => {
					let (lookup, view) = resolver.chain.device(&device).await;
					outside_refusal(lookup, view.as_ref(), resolver.chain.identity().org)
				},
				Err(_) => Refusal::Overloaded,
			};
			drop(waiting);
			resolver.reply(submission, identity, refusal);
		});
	}

	fn reply(&self, submission: Submission, identity: Identity, refusal: Refusal) {
		self.metrics
			.refused
			.with_label_values(&[submission.transport.as_str(), refusal.as_str()])
			.inc();
		let _ = submission.reply.send((identity, Outcome::Refused(refusal)));
	}
}

/// The refusal of an id outside the gateway's organisation `org`, from what a lookup found.
/// One of the organisation's own that the gateway's view does not hold yet (registered or
/// moved in after the view's block) is told to retry: the block's events bring it in.
fn outside_refusal(lookup: Lookup, view: Option<&DeviceView>, org: u32) -> Refusal {
	match (lookup, view) {
		(Lookup::Found, Some(view)) if view.is_gateway => Refusal::NotADevice,
		(Lookup::Found, Some(view)) if view.org != org => Refusal::OtherOrganisation,
		(Lookup::Found, Some(_)) | (Lookup::Unavailable, _) => Refusal::ChainUnavailable,
		(Lookup::Found | Lookup::Unknown, None) | (Lookup::Unknown, Some(_)) => {
			Refusal::UnknownDevice
		},
	}
}

/// A message that passed the checks before its signature.
struct Candidate {
	slot: usize,
	envelope: Envelope,
	key: [u8; 32],
}

impl Ingestor {
	/// Starts the ingest task; `last_sequence` is what the store holds.
	pub fn start(
		chain: Arc<Chain>,
		store: Arc<Store>,
		limits: Limits,
		metrics: Arc<Metrics>,
		progress: Arc<Progress>,
		last_sequence: HashMap<DeviceId, u64>,
		relay_waiting: Arc<tokio::sync::Notify>,
	) -> Ingest {
		let (queue, receiver) = mpsc::channel(QUEUE);
		let ingestor = Ingestor {
			resolver: Resolver::new(chain.clone(), metrics.clone()),
			chain,
			store,
			limits,
			metrics,
			progress,
			last_sequence,
			buckets: HashMap::new(),
			relay_waiting,
		};
		tokio::spawn(ingestor.run(receiver));
		Ingest { queue }
	}

	async fn run(mut self, mut receiver: mpsc::Receiver<Submission>) {
		while let Some(first) = receiver.recv().await {
			let mut group = vec![first];
			while group.len() < MAX_GROUP {
				match receiver.try_recv() {
					Ok(next) => group.push(next),
					Err(_) => break,
				}
			}
			self.process(group).await;
		}
	}

	async fn process(&mut self, group: Vec<Submission>) {
		let mut outcomes: Vec<(Identity, Option<Outcome>)> = vec![(None, None); group.len()];
		// The kind byte of each submission, for the metrics (telemetry when it did not decode).
		let kinds: Vec<Kind> = group
			.iter()
			.map(|s| s.wire.get(1).and_then(|k| Kind::from_byte(*k)).unwrap_or(Kind::Telemetry))
			.collect();
		let mut candidates = Vec::new();
		let mut unresolved = HashMap::new();
		let identity = self.chain.identity();
		for (slot, submission) in group.iter().enumerate() {
			match self.precheck(submission, identity) {
				Ok((envelope, key)) => {
					outcomes[slot].0 = Some((envelope.device, envelope.sequence));
					candidates.push(Candidate { slot, envelope, key });
				},
				Err(Stop::Refused(id, refusal)) => {
					outcomes[slot] = (id, Some(Outcome::Refused(refusal)))
				},
				Err(Stop::Unresolved(id, device)) => {
					outcomes[slot].0 = id;
					unresolved.insert(slot, device);
				},
			}
		}

		let genesis = self.chain.genesis();
		let candidates = tokio::task::spawn_blocking(move || {
			let pairs: Vec<_> = candidates.iter().map(|c| (&c.envelope, c.key)).collect();
			let valid = verify_envelope_signatures(&pairs, &genesis);
			(candidates, valid)
		})
		.await;
		let (candidates, valid) = match candidates {
			Ok(checked) => checked,
			Err(_) => {
				tracing::error!("signature verification panicked");
				return self.answer(group, &kinds, outcomes, unresolved);
			},
		};

		let mut accepted = Vec::new();
		let mut accepted_slots = Vec::new();
		let mut pending: HashMap<DeviceId, u64> = HashMap::new();
		let now = Instant::now();
		let held = self.progress.unanchored() + self.progress.unrelayed();
		let mut room = self.limits.max_unanchored.saturating_sub(held);
		let disk_full =
			self.progress.disk_free.load(Ordering::Acquire) < self.limits.min_free_disk_bytes;
		for (candidate, valid) in candidates.into_iter().zip(valid) {
			let slot = candidate.slot;
			let envelope = candidate.envelope;
			if !valid {
				outcomes[slot].1 = Some(Outcome::Refused(Refusal::BadSignature));
				continue;
			}
			let wire = &group[slot].wire;
			let last = pending
				.get(&envelope.device)
				.or_else(|| self.last_sequence.get(&envelope.device))
				.copied();
			if last.is_some_and(|last| envelope.sequence <= last) {
				let outcome = if self.is_retry(&envelope, wire, &accepted) {
					Outcome::Accepted { duplicate: true }
				} else {
					Outcome::Refused(Refusal::ReplayedSequence)
				};
				outcomes[slot].1 = Some(outcome);
				continue;
			}
			// The gateway's own limits first: a message it cannot take now costs the device
			// none of its rate, so the retries (MQTT's are the gateway's own) are not turned
			// into `rate-limited` refusals.
			if disk_full {
				outcomes[slot].1 = Some(Outcome::Refused(Refusal::DiskFull));
				continue;
			}
			if room == 0 {
				outcomes[slot].1 = Some(Outcome::Refused(Refusal::Overloaded));
				continue;
			}
			if !self.take_token(&envelope.device, now) {
				outcomes[slot].1 = Some(Outcome::Refused(Refusal::RateLimited));
				continue;
			}
			room -= 1;
			pending.insert(envelope.device, envelope.sequence);
			accepted.push(Accepted {
				device: envelope.device,
				sequence: envelope.sequence,
				wire: wire.clone(),
				relayed: envelope.kind != Kind::Telemetry,
			});
			accepted_slots.push(slot);
		}

		if !accepted.is_empty() {
			let store = self.store.clone();
			let stored = tokio::task::spawn_blocking(move || store.append(&accepted)).await;
			match stored {
				Ok(Ok(appended)) => {
					self.last_sequence.extend(pending);
					let stored_at = Instant::now();
					let (first, readings) = (appended.first_log, appended.readings);
					{
						let mut times = self.progress.accepted_at.lock().expect("not poisoned");
						times.extend((first..first + readings).map(|index| (index, stored_at)));
					}
					self.progress.accepted.store(first + readings, Ordering::Release);
					self.progress.relay_accepted.fetch_add(appended.relayed, Ordering::AcqRel);
					if appended.relayed > 0 {
						self.relay_waiting.notify_one();
					}
					self.metrics.queue_depth.set(self.progress.unanchored() as i64);
					for slot in accepted_slots {
						outcomes[slot].1 = Some(Outcome::Accepted { duplicate: false });
					}
				},
				Ok(Err(error)) => tracing::error!(%error, "storing accepted messages failed"),
				Err(_) => tracing::error!("storing accepted messages panicked"),
			}
		}
		self.answer(group, &kinds, outcomes, unresolved);
	}

	/// Answers every submission: those of `unresolved` ids through the [`Resolver`]; anything
	/// else left without an outcome (a store failure) is told to retry.
	fn answer(
		&self,
		group: Vec<Submission>,
		kinds: &[Kind],
		outcomes: Vec<(Identity, Option<Outcome>)>,
		unresolved: HashMap<usize, DeviceId>,
	) {
		let answers = group.into_iter().zip(kinds).zip(outcomes).enumerate();
		for (slot, ((submission, kind), (identity, outcome))) in answers {
			if let Some(device) = unresolved.get(&slot) {
				self.resolver.answer(submission, identity, *device);
				continue;
			}
			let outcome = outcome.unwrap_or(Outcome::Refused(Refusal::Overloaded));
			let transport = submission.transport.as_str();
			match outcome {
				Outcome::Accepted { .. } => {
					self.metrics.accepted.with_label_values(&[transport, kind.name()]).inc()
				},
				Outcome::Refused(reason) => {
					self.metrics.refused.with_label_values(&[transport, reason.as_str()]).inc()
				},
			}
			let _ = submission.reply.send((identity, outcome));
		}
	}

	/// The checks before the signature: size, encoding, topic, kind, the gateway's and the
	/// device's standing, from what the gateway knows (no node round trip).
	fn precheck(
		&self,
		submission: &Submission,
		gateway: crate::chain::Identity,
	) -> Result<(Envelope, [u8; 32]), Stop> {
		let envelope =
			Envelope::decode(&submission.wire, self.limits.max_payload_bytes).map_err(|error| {
				match error {
					DecodeError::PayloadTooLarge { .. } => Stop::Refused(
						Envelope::header_identity(&submission.wire),
						Refusal::TooLarge,
					),
					_ => Stop::Refused(None, Refusal::Malformed),
				}
			})?;
		let id = Some((envelope.device, envelope.sequence));
		let refused = |refusal| Err(Stop::Refused(id, refusal));
		if submission.topic_device.is_some_and(|topic| topic != envelope.device) {
			return refused(Refusal::WrongTopic);
		}
		if !payload_is_about(&envelope) {
			return refused(Refusal::BadPayload);
		}
		if !gateway.active {
			return refused(Refusal::GatewayNotActive);
		}
		let device = match self.chain.known(&envelope.device) {
			Known::Own(device) => device,
			Known::Outside(view) => {
				let lookup = if view.is_some() { Lookup::Found } else { Lookup::Unknown };
				return refused(outside_refusal(lookup, view.as_ref(), gateway.org));
			},
			Known::Unresolved => return Err(Stop::Unresolved(id, envelope.device)),
		};
		if device.is_gateway {
			return refused(Refusal::NotADevice);
		}
		if !device.active {
			return refused(Refusal::DeviceNotActive);
		}
		if envelope.kind != Kind::Telemetry && device.gateway != Some(gateway.id) {
			return refused(Refusal::NotAssigned);
		}
		Ok((envelope, device.key))
	}

	/// Whether a message at or below the device's last sequence number is a retry of one
	/// stored (or accepted earlier in this group) with the same bytes.
	fn is_retry(&self, envelope: &Envelope, wire: &[u8], group: &[Accepted]) -> bool {
		if group
			.iter()
			.any(|a| a.device == envelope.device && a.sequence == envelope.sequence)
		{
			return group.iter().any(|a| {
				a.device == envelope.device && a.sequence == envelope.sequence && a.wire == wire
			});
		}
		matches!(self.store.stored(&envelope.device, envelope.sequence), Ok(Some(stored)) if stored == wire)
	}

	/// Takes one message's worth from the device's bucket, if there is one.
	fn take_token(&mut self, device: &DeviceId, now: Instant) -> bool {
		let (rate, burst) = (self.limits.device_rate_per_second, self.limits.device_burst);
		let bucket = self.buckets.entry(*device).or_insert(Bucket { tokens: burst, at: now });
		let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
		bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
		bucket.at = now;
		if bucket.tokens >= 1.0 {
			bucket.tokens -= 1.0;
			true
		} else {
			false
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn an_id_outside_the_organisation_is_refused_with_what_its_lookup_found() {
		let device = |org, is_gateway| DeviceView {
			key: [1; 32],
			org,
			is_gateway,
			active: true,
			gateway: None,
			model: Vec::new(),
		};
		let refused = |lookup, view: Option<DeviceView>| outside_refusal(lookup, view.as_ref(), 1);
		assert_eq!(refused(Lookup::Found, Some(device(2, false))), Refusal::OtherOrganisation);
		assert_eq!(refused(Lookup::Found, Some(device(2, true))), Refusal::NotADevice);
		assert_eq!(refused(Lookup::Unknown, None), Refusal::UnknownDevice);
		// The node cannot be asked: the device may retry.
		assert_eq!(refused(Lookup::Unavailable, None), Refusal::ChainUnavailable);
		// The organisation's own, registered after the view's block: retry once it is in.
		assert_eq!(refused(Lookup::Found, Some(device(1, false))), Refusal::ChainUnavailable);
	}
}
