//! Who may read what the gateway holds for a device: its readings, their proofs and the chain's
//! outcomes of its logins and update reports.
//!
//! Every read is a signed read request (`iotchain_gateway_protocol::read_request`): the reader's
//! key, its time, a fresh nonce and a signature over the method and target. The gateway takes
//! it only within `max_clock_skew_ms` of its own clock and only once per nonce, then serves it
//! to exactly these readers of the device, as the latest finalised block it knows says:
//! - the device itself (its current key);
//! - an admin or member of the organisation that owns the device (its operators and auditors);
//! - a holder of a `read` grant in force on the device, as an account or through the
//!   organisation it is an admin or member of, at the grant's level: the full level sees
//!   whole readings; a named subset sees only the fields this gateway's configuration lists for
//!   the device's model under that name, and nothing where it lists none.
//!
//! Decisions are kept until a finalised block carries a registry or grants event (any of them:
//! a revocation, a transfer, a removed member), or the grant relied on ends, so a revocation
//! takes effect at the first finalised block that holds it. A refusal is kept for one finalised
//! block only, because a grant that starts later comes into force with no event.
//!
//! **A finality stall** (no finalised block for `max_finality_lag_ms`, or the node away) could
//! hide a revocation, so the gateway then serves no read at all (`chain-unavailable`, retry
//! later): the safe side. Readings stay stored; readers come back when finality does.

use crate::{
	chain::{Chain, DeviceView, Lookup},
	config::Reads,
	metrics::Metrics,
};
use iotchain_client::{now_ms, AccountId, ReadLevel, Subject};
use iotchain_gateway_protocol::{
	envelope::DeviceId, read_request::ReadRequest, verify::verify_read_request,
};
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
};
use tokio::sync::Semaphore;

/// Most nonces remembered at once: a reader's nonce is kept until its request's time falls out
/// of the clock window, so this bounds requests per window across all readers.
const MAX_NONCES: usize = 1_000_000;
/// Most decisions kept.
const MAX_DECISIONS: usize = 200_000;
/// Most reads waiting on the node at once; beyond them a read is told to retry
/// (`overloaded`), so a reader with made-up device ids cannot queue work on the node, and
/// readers whose decisions are kept are served without waiting.
const MAX_LOOKUPS: usize = 16;

/// Who a read is served to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reader {
	/// The device, by its current key.
	Device,
	/// An admin or member of the organisation that owns the device.
	Staff,
	/// A holder of a `read` grant in force, at its level.
	Grantee(Level),
}

/// How much of a reading a reader sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Level {
	Full,
	/// The subset of this name.
	Subset(String),
}

impl Reader {
	/// Whether the reader sees whole readings.
	pub fn reads_in_full(&self) -> bool {
		!matches!(self, Reader::Grantee(Level::Subset(_)))
	}

	/// The name metrics count the reader under.
	pub fn name(&self) -> &'static str {
		match self {
			Reader::Device => "device",
			Reader::Staff => "staff",
			Reader::Grantee(Level::Full) => "grantee-full",
			Reader::Grantee(Level::Subset(_)) => "grantee-subset",
		}
	}
}

/// Why a read is refused. The code (`as_str`) is what readers see in the answer's `error`
/// field and what the metrics count; docs/gateway-protocol.md lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadRefusal {
	/// No `Authorization` header.
	Unsigned,
	/// An `Authorization` header that is not a signed read request.
	MalformedAuthorization,
	/// The request's time is too far from the gateway's clock.
	StaleRequest,
	/// The nonce was used before, within the clock window.
	ReplayedRequest,
	/// The signature does not verify over this request.
	BadSignature,
	/// The reader is not the device, not of its owner and holds no `read` grant on it in force.
	NotGranted,
	/// The reader's grant is at a level this gateway cannot serve for this reading: a subset
	/// its configuration does not list for the device's model, or a reading that is not a JSON
	/// object, or a relayed outcome (only whole-level readers see those).
	LevelNotServed,
	/// The gateway cannot tell who may read now: its node is away or finality has stalled.
	ChainUnavailable,
	/// Too many reads are waiting on the node, or too many nonces are held; retry later.
	Overloaded,
}

impl ReadRefusal {
	/// Every read refusal, for metrics and documents.
	pub const ALL: [ReadRefusal; 9] = [
		ReadRefusal::Unsigned,
		ReadRefusal::MalformedAuthorization,
		ReadRefusal::StaleRequest,
		ReadRefusal::ReplayedRequest,
		ReadRefusal::BadSignature,
		ReadRefusal::NotGranted,
		ReadRefusal::LevelNotServed,
		ReadRefusal::ChainUnavailable,
		ReadRefusal::Overloaded,
	];

	pub fn as_str(self) -> &'static str {
		match self {
			ReadRefusal::Unsigned => "unsigned",
			ReadRefusal::MalformedAuthorization => "malformed-authorization",
			ReadRefusal::StaleRequest => "stale-request",
			ReadRefusal::ReplayedRequest => "replayed-request",
			ReadRefusal::BadSignature => "bad-signature",
			ReadRefusal::NotGranted => "not-granted",
			ReadRefusal::LevelNotServed => "level-not-served",
			ReadRefusal::ChainUnavailable => "chain-unavailable",
			ReadRefusal::Overloaded => "overloaded",
		}
	}

	/// The HTTP status: 401 for a request that does not prove its reader, 403 for a reader
	/// without the right, 503 for what passes.
	pub fn status(self) -> u16 {
		match self {
			ReadRefusal::Unsigned
			| ReadRefusal::MalformedAuthorization
			| ReadRefusal::StaleRequest
			| ReadRefusal::ReplayedRequest
			| ReadRefusal::BadSignature => 401,
			ReadRefusal::NotGranted | ReadRefusal::LevelNotServed => 403,
			ReadRefusal::ChainUnavailable | ReadRefusal::Overloaded => 503,
		}
	}

	pub fn detail(self) -> &'static str {
		match self {
			ReadRefusal::Unsigned => {
				"reads need a signed read request (Authorization: IotchainRead …)"
			},
			ReadRefusal::MalformedAuthorization => {
				"the Authorization header is not a signed read request"
			},
			ReadRefusal::StaleRequest => "the request's time is too far from the gateway's clock",
			ReadRefusal::ReplayedRequest => "this nonce was used before",
			ReadRefusal::BadSignature => "the signature does not verify over this request",
			ReadRefusal::NotGranted => {
				"the reader is not the device, not of its owner, and holds no read grant on it"
			},
			ReadRefusal::LevelNotServed => {
				"the reader's read level is a subset this gateway cannot serve for this"
			},
			ReadRefusal::ChainUnavailable => {
				"the gateway cannot tell who may read now (node away or finality stalled)"
			},
			ReadRefusal::Overloaded => "too many reads are waiting; retry later",
		}
	}
}

/// A decision kept, and until when it holds.
#[derive(Clone)]
struct Decision {
	reader: Option<Reader>,
	/// The chain's access generation it was made under ([`Chain::access_generation`]).
	generation: u64,
	/// For a refusal, the finalised block it holds for.
	finalised: Option<u32>,
	/// For a grantee, the end of the grant's window (ms).
	until_ms: Option<u64>,
}

/// The nonces seen, each until its request leaves the clock window.
#[derive(Default)]
struct Nonces {
	expiry: HashMap<([u8; 32], [u8; 16]), u64>,
}

impl Nonces {
	/// Records `nonce` of `key` until `expires_ms`; false if it was recorded and has not
	/// expired. `Err` when full even after dropping the expired.
	fn record(
		&mut self,
		key: [u8; 32],
		nonce: [u8; 16],
		expires_ms: u64,
		now_ms: u64,
	) -> Result<bool, ReadRefusal> {
		if let Some(expiry) = self.expiry.get(&(key, nonce)) {
			if *expiry > now_ms {
				return Ok(false);
			}
		}
		if self.expiry.len() >= MAX_NONCES {
			self.expiry.retain(|_, expiry| *expiry > now_ms);
			if self.expiry.len() >= MAX_NONCES {
				return Err(ReadRefusal::Overloaded);
			}
		}
		self.expiry.insert((key, nonce), expires_ms);
		Ok(true)
	}
}

/// The read gate: checks signed read requests and decides who may read which device.
pub struct ReadGate {
	chain: Arc<Chain>,
	config: Reads,
	metrics: Arc<Metrics>,
	nonces: Mutex<Nonces>,
	decisions: Mutex<HashMap<([u8; 32], DeviceId), Decision>>,
	lookups: Semaphore,
}

/// A request's parts the signature covers.
pub struct Request<'a> {
	pub method: &'a str,
	/// The path and query, as received.
	pub target: &'a str,
	/// The `Authorization` header, if any (not UTF-8 counts as malformed).
	pub authorization: Option<Result<&'a str, ()>>,
}

impl ReadGate {
	pub fn new(chain: Arc<Chain>, config: Reads, metrics: Arc<Metrics>) -> Self {
		ReadGate {
			chain,
			config,
			metrics,
			nonces: Mutex::new(Nonces::default()),
			decisions: Mutex::new(HashMap::new()),
			lookups: Semaphore::new(MAX_LOOKUPS),
		}
	}

	/// Who `request` comes from, if it may read `device`'s records; and the device as the
	/// chain has it (for its model). A refusal is counted here; a read served, by the caller
	/// ([`ReadGate::served`]) once it knows it can serve the reader's level.
	pub async fn authorise(
		&self,
		request: &Request<'_>,
		device: &DeviceId,
	) -> Result<(Reader, DeviceView), ReadRefusal> {
		self.check(request, device).await.map_err(|refusal| self.refused(refusal))
	}

	/// Counts a read served to `reader`.
	pub fn served(&self, reader: &Reader) {
		self.metrics.reads.with_label_values(&[reader.name()]).inc();
	}

	/// Counts a read refused, and returns the refusal.
	pub fn refused(&self, refusal: ReadRefusal) -> ReadRefusal {
		self.metrics.reads_refused.with_label_values(&[refusal.as_str()]).inc();
		refusal
	}

	async fn check(
		&self,
		request: &Request<'_>,
		device: &DeviceId,
	) -> Result<(Reader, DeviceView), ReadRefusal> {
		let header = match request.authorization {
			None => return Err(ReadRefusal::Unsigned),
			Some(Err(())) => return Err(ReadRefusal::MalformedAuthorization),
			Some(Ok(header)) => header,
		};
		let signed = ReadRequest::parse(header).map_err(|_| ReadRefusal::MalformedAuthorization)?;
		let now = now_ms();
		if signed.time_ms.abs_diff(now) > self.config.max_clock_skew_ms {
			return Err(ReadRefusal::StaleRequest);
		}
		if !verify_read_request(&signed, &self.chain.genesis(), request.method, request.target) {
			return Err(ReadRefusal::BadSignature);
		}
		// Only a verified request takes a nonce, so forgeries cannot use up a reader's.
		let expires = signed.time_ms + self.config.max_clock_skew_ms + 1;
		let fresh = self.nonces.lock().expect("not poisoned").record(
			signed.key,
			signed.nonce,
			expires,
			now,
		)?;
		if !fresh {
			return Err(ReadRefusal::ReplayedRequest);
		}
		if self.chain.finality_lag() > self.config.max_finality_lag() {
			return Err(ReadRefusal::ChainUnavailable);
		}
		self.decide(signed.key, device).await
	}

	/// Who `key` is to `device`: from a kept decision, or from the chain.
	async fn decide(
		&self,
		key: [u8; 32],
		device: &DeviceId,
	) -> Result<(Reader, DeviceView), ReadRefusal> {
		let generation = self.chain.access_generation();
		let finalised = *self.chain.finalised().borrow();
		let now = now_ms();
		let kept = self.decisions.lock().expect("not poisoned").get(&(key, *device)).cloned();
		if let Some(kept) = kept.filter(|kept| {
			kept.generation == generation
				&& kept.finalised.is_none_or(|block| block == finalised)
				&& kept.until_ms.is_none_or(|until| now < until)
		}) {
			let view = self.view(device).await?;
			return kept.reader.map(|reader| (reader, view)).ok_or(ReadRefusal::NotGranted);
		}
		let Ok(_waiting) = self.lookups.try_acquire() else {
			return Err(ReadRefusal::Overloaded);
		};
		let view = self.view(device).await?;
		let (reader, until_ms) = self.ask_chain(key, device, &view).await?;
		let decision = Decision {
			reader: reader.clone(),
			generation,
			finalised: reader.is_none().then_some(finalised),
			until_ms,
		};
		{
			let mut decisions = self.decisions.lock().expect("not poisoned");
			if decisions.len() >= MAX_DECISIONS {
				decisions.clear();
			}
			decisions.insert((key, *device), decision);
		}
		reader.map(|reader| (reader, view)).ok_or(ReadRefusal::NotGranted)
	}

	async fn view(&self, device: &DeviceId) -> Result<DeviceView, ReadRefusal> {
		match self.chain.device(device).await {
			(Lookup::Found, Some(view)) => Ok(view),
			(Lookup::Unavailable, _) => Err(ReadRefusal::ChainUnavailable),
			_ => Err(ReadRefusal::NotGranted),
		}
	}

	/// The chain's answer: the device itself, its owner's staff, or the best `read` grant the
	/// key holds on it (as an account, or through its organisation), with the grant's end.
	async fn ask_chain(
		&self,
		key: [u8; 32],
		device: &DeviceId,
		view: &DeviceView,
	) -> Result<(Option<Reader>, Option<u64>), ReadRefusal> {
		if view.key == key {
			return Ok((Some(Reader::Device), None));
		}
		let client = self.chain.client().ok_or(ReadRefusal::ChainUnavailable)?;
		let unavailable = |error: iotchain_client::Error| {
			tracing::warn!(%error, "a read's lookup failed");
			ReadRefusal::ChainUnavailable
		};
		let account = AccountId::from(key);
		let org = client.organisation_of(&account).await.map_err(unavailable)?;
		if org == Some(view.org) {
			return Ok((Some(Reader::Staff), None));
		}
		let mut subjects = vec![Subject::Account(account)];
		subjects.extend(org.map(Subject::Organisation));
		let mut best: Option<(Level, u64)> = None;
		for subject in subjects {
			let grants = client.grants_in_force(subject, *device).await.map_err(unavailable)?;
			for (_, grant) in grants {
				let Some(level) = grant.terms.rights.read else { continue };
				let level = match level {
					ReadLevel::Full => Level::Full,
					ReadLevel::Subset(name) => {
						Level::Subset(String::from_utf8_lossy(&name.0).into_owned())
					},
				};
				let until = grant.terms.valid_until;
				let better = match &best {
					None => true,
					Some((Level::Full, kept)) => level == Level::Full && until > *kept,
					Some((Level::Subset(_), kept)) => level == Level::Full || until > *kept,
				};
				if better {
					best = Some((level, until));
				}
			}
		}
		Ok(match best {
			Some((level, until)) => (Some(Reader::Grantee(level)), Some(until)),
			None => (None, None),
		})
	}

	/// What a reader at subset `name` sees of a reading of the device's `model` ([`subset`]).
	pub fn subset(
		&self,
		model: &[u8],
		name: &str,
		payload: &[u8],
	) -> Option<serde_json::Map<String, serde_json::Value>> {
		subset(&self.config, model, name, payload)
	}
}

/// The fields of `payload` a reader at subset `name` of a device's `model` sees: the reading's
/// top-level JSON fields that `config` lists under that model and name (those the reading has).
/// `None` when it lists no such subset or the reading is not a JSON object.
pub fn subset(
	config: &Reads,
	model: &[u8],
	name: &str,
	payload: &[u8],
) -> Option<serde_json::Map<String, serde_json::Value>> {
	let fields = config.subsets.get(std::str::from_utf8(model).ok()?)?.get(name)?;
	let serde_json::Value::Object(mut reading) = serde_json::from_slice(payload).ok()? else {
		return None;
	};
	Some(fields.iter().filter_map(|field| reading.remove_entry(field)).collect())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_nonce_is_taken_once_within_its_window_and_again_after() {
		let mut nonces = Nonces::default();
		assert_eq!(nonces.record([1; 32], [2; 16], 100, 10), Ok(true));
		assert_eq!(nonces.record([1; 32], [2; 16], 100, 50), Ok(false));
		// Another reader may use the same nonce: nonces are the key's own.
		assert_eq!(nonces.record([3; 32], [2; 16], 100, 50), Ok(true));
		// Once the window is over the request is stale anyway; the nonce may come back.
		assert_eq!(nonces.record([1; 32], [2; 16], 300, 100), Ok(true));
	}

	#[test]
	fn a_subset_reader_sees_only_the_fields_its_model_lists() {
		let config: Reads =
			toml::from_str("[subsets.TH-1]\nbasics = [\"temperature_mc\", \"battery\"]\n")
				.expect("a reads section");
		let reading = br#"{"temperature_mc": 21000, "heart_rate": 61, "battery": 80}"#;
		let seen = subset(&config, b"TH-1", "basics", reading).expect("the subset is served");
		assert_eq!(
			serde_json::Value::Object(seen),
			serde_json::json!({"temperature_mc": 21000, "battery": 80})
		);
		// A field the reading lacks is left out, not invented.
		let sparse = subset(&config, b"TH-1", "basics", br#"{"battery": 5}"#).unwrap();
		assert_eq!(serde_json::Value::Object(sparse), serde_json::json!({"battery": 5}));
		// Nothing is served for a subset the model does not list, another model, or a reading
		// that is not a JSON object.
		assert_eq!(subset(&config, b"TH-1", "everything", reading), None);
		assert_eq!(subset(&config, b"TH-2", "basics", reading), None);
		assert_eq!(subset(&config, b"TH-1", "basics", b"\x01\x02binary"), None);
		assert_eq!(subset(&config, b"TH-1", "basics", b"[1, 2]"), None);
	}

	#[test]
	fn every_read_refusal_has_a_distinct_code_and_a_status() {
		let codes: std::collections::HashSet<_> =
			ReadRefusal::ALL.iter().map(|refusal| refusal.as_str()).collect();
		assert_eq!(codes.len(), ReadRefusal::ALL.len());
		for refusal in ReadRefusal::ALL {
			assert!([401, 403, 503].contains(&refusal.status()), "{refusal:?}");
		}
	}
}
