//! HTTP and WebSocket: `POST /v1/messages`, `/v1/stream`, `GET /v1/proofs/{device}/{seq}`,
//! `GET /v1/outcomes/{device}/{seq}`, `/healthz` and `/metrics`. Proofs and outcomes are served
//! only to signed read requests of the device's readers (src/readers.rs).

use crate::{
	answers::{AnswerKey, Signature},
	chain::Chain,
	config::Limits,
	ingest::{Identity, Ingest, Transport},
	metrics::Metrics,
	outcomes::OutcomeHub,
	progress::Progress,
	readers::{Level, ReadGate, ReadRefusal, Reader, Request},
	refusal::{Ack, Outcome, Refusal},
	store::{Store, StoreError},
};
use axum::{
	body::Body,
	extract::{
		ws::{Message, WebSocket, WebSocketUpgrade},
		ConnectInfo, Path, Query, State,
	},
	http::{header, HeaderMap, Method, StatusCode, Uri},
	response::{IntoResponse, Response},
	routing::{get, post},
	Json, Router,
};
use futures::{SinkExt, StreamExt};
use iotchain_gateway_protocol::{
	envelope::{DecodeError, Envelope, Kind},
	merkle,
	proof::ReadingProof,
};
use serde::{Deserialize, Serialize};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::sync::Semaphore;

/// Acknowledgements a WebSocket connection may have outstanding before it stops reading.
const WEBSOCKET_IN_FLIGHT: usize = 1024;
/// What a 503 tells a device to wait, in seconds.
const RETRY_AFTER_SECONDS: &str = "1";

#[derive(Clone)]
pub struct HttpState {
	pub ingest: Ingest,
	pub store: Arc<Store>,
	pub chain: Arc<Chain>,
	pub metrics: Arc<Metrics>,
	pub progress: Arc<Progress>,
	pub limits: Limits,
	pub max_envelope_bytes: usize,
	pub websocket_slots: Arc<Semaphore>,
	pub websocket_peers: crate::listener::PeerSlots,
	pub outcomes: Arc<OutcomeHub>,
	pub readers: Arc<ReadGate>,
	pub answers: Arc<AnswerKey>,
}

pub fn router(state: HttpState) -> Router {
	Router::new()
		.route("/v1/messages", post(post_messages))
		.route("/v1/stream", get(stream))
		.route("/v1/proofs/{device}/{sequence}", get(proof))
		.route("/v1/outcomes/{device}/{sequence}", get(outcome))
		.route("/healthz", get(healthz))
		.route("/metrics", get(metrics))
		.with_state(state)
}

#[derive(Serialize)]
struct Results {
	results: Vec<Ack>,
	/// Why the body was not read to its end (`too-large`, `body-timeout`): the results are
	/// those of the messages read.
	#[serde(skip_serializing_if = "Option::is_none")]
	error: Option<&'static str>,
	/// The gateway's one signature over every result, in order.
	#[serde(flatten)]
	signature: Signature,
}

#[derive(Serialize)]
struct ErrorBody {
	error: &'static str,
	detail: String,
}

/// Every answer of a handler other than the one asked for: its status and its body, which is
/// `{"error": code, "detail": …}` for all but [`HttpError::TooManyConnections`]
/// (docs/gateway-protocol.md).
enum HttpError {
	/// A body declared longer than `max_messages_per_request` of the largest envelopes:
	/// `413`, `too-large`, before any of it is read.
	TooManyMessages { max: usize },
	/// A path's device id that is not 32 bytes of hex: `400`, `malformed`.
	MalformedDevice,
	/// A device and sequence number this gateway accepted no message under: `404`, `not-found`.
	NotFound,
	/// A proof asked of a login or update report, which is relayed, not anchored: `404`,
	/// `not-a-reading`.
	NotAReading,
	/// The store failed: `500`, `store`, with the store's message.
	Store(StoreError),
	/// The store's lookup did not complete (its blocking task failed): `500`, `store`.
	LookupFailed,
	/// A closed batch without one of its leaves: `500`, `store`.
	LostLeaf,
	/// A WebSocket beyond `max_websocket_connections`: `503` with Retry-After, answered as a
	/// message refused `too-many-connections` is.
	TooManyConnections,
	/// A read refused: `401`, `403` or `503` (with Retry-After), with the refusal's code.
	Read(ReadRefusal),
	/// A query that is not one the endpoint takes: `400`, `malformed`.
	MalformedQuery(&'static str),
	/// A reading the gateway accepted but cannot anchor any more (its device moved to another
	/// organisation, say): `410`, `unanchorable`, with the reason.
	Unanchorable(String),
}

impl From<ReadRefusal> for HttpError {
	fn from(refusal: ReadRefusal) -> Self {
		HttpError::Read(refusal)
	}
}

impl From<StoreError> for HttpError {
	fn from(error: StoreError) -> Self {
		HttpError::Store(error)
	}
}

impl From<tokio::task::JoinError> for HttpError {
	fn from(_: tokio::task::JoinError) -> Self {
		HttpError::LookupFailed
	}
}

impl IntoResponse for HttpError {
	fn into_response(self) -> Response {
		let (status, code, detail) = match self {
			HttpError::TooManyMessages { max } => (
				StatusCode::PAYLOAD_TOO_LARGE,
				Refusal::TooLarge.as_str(),
				format!("at most {max} messages per request, each within the payload limit"),
			),
			HttpError::MalformedDevice => (
				StatusCode::BAD_REQUEST,
				"malformed",
				"the device id is not 32 bytes of hex".to_owned(),
			),
			HttpError::NotFound => (
				StatusCode::NOT_FOUND,
				"not-found",
				"this gateway accepted no such message".to_owned(),
			),
			HttpError::NotAReading => (
				StatusCode::NOT_FOUND,
				"not-a-reading",
				"logins and update reports are relayed, not anchored: see /v1/outcomes".to_owned(),
			),
			HttpError::Store(failure) => {
				(StatusCode::INTERNAL_SERVER_ERROR, "store", failure.to_string())
			},
			HttpError::LookupFailed => {
				(StatusCode::INTERNAL_SERVER_ERROR, "store", "lookup failed".to_owned())
			},
			HttpError::LostLeaf => {
				(StatusCode::INTERNAL_SERVER_ERROR, "store", "the batch lost a leaf".to_owned())
			},
			HttpError::Read(refusal) => {
				let status = StatusCode::from_u16(refusal.status())
					.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
				let body =
					Json(ErrorBody { error: refusal.as_str(), detail: refusal.detail().into() });
				if status == StatusCode::SERVICE_UNAVAILABLE {
					return (status, [(header::RETRY_AFTER, RETRY_AFTER_SECONDS)], body)
						.into_response();
				}
				return (status, body).into_response();
			},
			HttpError::Unanchorable(reason) => (StatusCode::GONE, "unanchorable", reason),
			HttpError::MalformedQuery(detail) => {
				(StatusCode::BAD_REQUEST, "malformed", detail.to_owned())
			},
			HttpError::TooManyConnections => {
				return (
					StatusCode::SERVICE_UNAVAILABLE,
					[(header::RETRY_AFTER, RETRY_AFTER_SECONDS)],
					Json(Outcome::Refused(Refusal::TooManyConnections).unnamed_ack()),
				)
					.into_response()
			},
		};
		(status, Json(ErrorBody { error: code, detail })).into_response()
	}
}

/// Cuts a body's envelopes out as its bytes arrive, holding at most one chunk and one
/// envelope's worth. An envelope longer than `max_envelope` is skipped as it streams by and
/// answered `too-large` on its own, so the ones after it are still read.
struct FrameCutter {
	buffer: Vec<u8>,
	/// Bytes of an oversized envelope still to skip.
	skip: usize,
	/// The oversized envelope being skipped: whose its header says it is, and its leaf hash so
	/// far, so its answer names exactly those bytes.
	skipping: Option<(Identity, merkle::LeafHasher)>,
	max_envelope: usize,
}

/// What the cutter took out of a body.
#[derive(Debug, PartialEq, Eq)]
enum Cut {
	Frame(Vec<u8>),
	/// An envelope over the limit, skipped: whose its header says it is, and the leaf hash of
	/// its bytes.
	TooLarge(Identity, iotchain_gateway_protocol::Hash),
}

/// The body's bytes stopped being envelopes: the rest of it cannot be cut.
#[derive(Debug, PartialEq, Eq)]
struct NotEnvelopes;

impl FrameCutter {
	fn new(max_envelope: usize) -> Self {
		FrameCutter { buffer: Vec::new(), skip: 0, skipping: None, max_envelope }
	}

	/// Takes the next `chunk` of the body and appends what it completes to `cut`. The bytes
	/// cut are dropped from the buffer once, at the end, so a chunk of many small envelopes
	/// costs one pass over it.
	fn push(&mut self, chunk: &[u8], cut: &mut Vec<Cut>) -> Result<(), NotEnvelopes> {
		let skipped = self.skip.min(chunk.len());
		self.skip -= skipped;
		if let Some((_, hasher)) = &mut self.skipping {
			hasher.update(&chunk[..skipped]);
		}
		if self.skip == 0 {
			if let Some((identity, hasher)) = self.skipping.take() {
				cut.push(Cut::TooLarge(identity, hasher.finish()));
			}
		}
		self.buffer.extend_from_slice(&chunk[skipped..]);
		let mut at = 0;
		let cutting = loop {
			let rest = &self.buffer[at..];
			let length = match Envelope::wire_length(rest) {
				Ok(length) => length,
				Err(DecodeError::Truncated) => break Ok(()),
				Err(_) => break Err(NotEnvelopes),
			};
			if length > self.max_envelope {
				let held = rest.len().min(length);
				let identity = Envelope::header_identity(rest);
				let mut hasher = merkle::LeafHasher::default();
				hasher.update(&rest[..held]);
				at += held;
				self.skip = length - held;
				if self.skip == 0 {
					cut.push(Cut::TooLarge(identity, hasher.finish()));
				} else {
					self.skipping = Some((identity, hasher));
				}
				continue;
			}
			if rest.len() < length {
				break Ok(());
			}
			cut.push(Cut::Frame(rest[..length].to_vec()));
			at += length;
		};
		self.buffer.drain(..at);
		cutting
	}

	/// Whether the body ended between envelopes.
	fn at_boundary(&self) -> bool {
		self.buffer.is_empty() && self.skip == 0
	}
}

/// How reading a body ended.
enum BodyEnd {
	/// Every byte read, each envelope cut.
	Whole,
	/// Bytes that are not an envelope, or a body that stops inside one: the last result is
	/// `malformed`.
	NotEnvelopes,
	/// More than `max_messages_per_request` envelopes: `413`.
	TooManyMessages,
	/// Not all there within `body_timeout_ms`: `408`, and the connection is closed.
	TimedOut,
	/// The peer went away.
	Broken,
}

/// A message's answer: still to come from the ingest task, or known already.
enum Pending {
	/// With the leaf hash of the message's bytes.
	Ingest(crate::ingest::Answer, iotchain_gateway_protocol::Hash),
	Known(Ack),
}

/// One or many envelopes, concatenated, as `application/octet-stream`. The body is read as it
/// arrives, each envelope handed to the ingest task as soon as it is whole, so the gateway
/// holds one envelope of it at a time. The answer lists, in order, each message's outcome; it is
/// a 503 with Retry-After when any was refused for a reason that passes (the device retries
/// those; the others were stored or are final). A body that ends early for a reason of its
/// own (too many messages, too slow) still lists the outcome of every message read.
async fn post_messages(
	State(state): State<HttpState>,
	headers: HeaderMap,
	body: Body,
) -> Result<Response, HttpError> {
	let max_messages = state.limits.max_messages_per_request;
	let max_body = state.max_envelope_bytes * max_messages;
	let declared = headers
		.get(header::CONTENT_LENGTH)
		.and_then(|value| value.to_str().ok()?.parse::<usize>().ok());
	if declared.is_some_and(|length| length > max_body) {
		return Err(HttpError::TooManyMessages { max: max_messages });
	}
	let mut deadline =
		tokio::time::Instant::now() + Duration::from_millis(state.limits.body_timeout_ms);
	let mut cutter = FrameCutter::new(state.max_envelope_bytes);
	let mut pending = Vec::new();
	let mut chunks = body.into_data_stream();
	let mut cut = Vec::new();
	let end = 'read: loop {
		let chunk = match tokio::time::timeout_at(deadline, chunks.next()).await {
			Err(_) => break BodyEnd::TimedOut,
			Ok(None) if cutter.at_boundary() => break BodyEnd::Whole,
			Ok(None) => break BodyEnd::NotEnvelopes,
			Ok(Some(Err(_))) => break BodyEnd::Broken,
			Ok(Some(Ok(chunk))) => chunk,
		};
		let cutting = cutter.push(&chunk, &mut cut);
		for frame in cut.drain(..) {
			if pending.len() == max_messages {
				break 'read BodyEnd::TooManyMessages;
			}
			pending.push(match frame {
				// Enqueued one after another, so a device's messages are checked in the order
				// sent. Time spent waiting for room in the ingest queue is the gateway's, not the
				// peer's: it does not count against the body's deadline.
				Cut::Frame(wire) => {
					let waiting = tokio::time::Instant::now();
					let message = merkle::leaf_hash(&wire);
					let answer = state.ingest.enqueue(wire, Transport::Http, None).await;
					deadline += waiting.elapsed();
					Pending::Ingest(answer, message)
				},
				Cut::TooLarge(identity, message) => {
					state
						.metrics
						.refused
						.with_label_values(&["http", Refusal::TooLarge.as_str()])
						.inc();
					Pending::Known(Outcome::Refused(Refusal::TooLarge).ack(identity, message))
				},
			});
		}
		if cutting.is_err() {
			break BodyEnd::NotEnvelopes;
		}
	};
	let mut results: Vec<Ack> =
		futures::future::join_all(pending.into_iter().map(|pending| async move {
			match pending {
				Pending::Ingest(answer, message) => {
					let (identity, outcome) = answer.outcome().await;
					outcome.ack(identity, message)
				},
				Pending::Known(ack) => ack,
			}
		}))
		.await;
	let transient = results.iter().any(|ack| ack.reason.is_some_and(Refusal::is_transient));
	let (status, error) = match end {
		BodyEnd::Whole | BodyEnd::Broken => (StatusCode::OK, None),
		BodyEnd::NotEnvelopes => {
			results.push(Outcome::Refused(Refusal::Malformed).unnamed_ack());
			state
				.metrics
				.refused
				.with_label_values(&["http", Refusal::Malformed.as_str()])
				.inc();
			(StatusCode::OK, None)
		},
		BodyEnd::TooManyMessages => {
			(StatusCode::PAYLOAD_TOO_LARGE, Some(Refusal::TooLarge.as_str()))
		},
		BodyEnd::TimedOut => {
			state.metrics.connections_cut.with_label_values(&["body-timeout"]).inc();
			(StatusCode::REQUEST_TIMEOUT, Some("body-timeout"))
		},
	};
	let signature = state.answers.sign_acks(&results);
	let body = Json(Results { results, error, signature });
	Ok(match (status, error) {
		// The rest of the body is still on its way: the connection cannot carry another request.
		(StatusCode::REQUEST_TIMEOUT, _) => {
			(status, [(header::CONNECTION, "close")], body).into_response()
		},
		(_, Some(_)) => (status, body).into_response(),
		_ if transient => {
			(StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, RETRY_AFTER_SECONDS)], body)
				.into_response()
		},
		_ => body.into_response(),
	})
}

/// A WebSocket on which each binary frame is one envelope, answered by a text frame with its
/// acknowledgement (in the order outcomes are known, each naming its device and sequence). A
/// login or update report accepted gets a second text frame later: its outcome on chain.
async fn stream(
	State(state): State<HttpState>,
	ConnectInfo(peer): ConnectInfo<SocketAddr>,
	upgrade: WebSocketUpgrade,
) -> Result<Response, HttpError> {
	let slots = state.websocket_slots.clone().try_acquire_owned().ok();
	let peer_slot = state.websocket_peers.take(peer.ip());
	let (Some(slot), Some(peer_slot)) = (slots, peer_slot) else {
		state
			.metrics
			.refused
			.with_label_values(&["websocket", Refusal::TooManyConnections.as_str()])
			.inc();
		return Err(HttpError::TooManyConnections);
	};
	Ok(upgrade
		.max_message_size(state.max_envelope_bytes)
		.on_upgrade(move |socket| async move {
			serve_stream(state, socket).await;
			drop((slot, peer_slot));
		}))
}

async fn serve_stream(state: HttpState, socket: WebSocket) {
	let (mut sink, mut source) = socket.split();
	let (acks, mut pending_acks) = tokio::sync::mpsc::channel::<String>(WEBSOCKET_IN_FLIGHT);
	let writer = tokio::spawn(async move {
		while let Some(text) = pending_acks.recv().await {
			if sink.send(Message::Text(text.into())).await.is_err() {
				break;
			}
		}
	});
	let answers = state.answers.clone();
	let text = move |ack: &Ack| answers.signed_ack_text(ack);
	let in_flight = Arc::new(Semaphore::new(WEBSOCKET_IN_FLIGHT));
	let idle = Duration::from_millis(state.limits.websocket_idle_timeout_ms);
	loop {
		let message = match tokio::time::timeout(idle, source.next()).await {
			Ok(Some(Ok(message))) => message,
			Ok(_) => break,
			Err(_) => {
				state.metrics.connections_cut.with_label_values(&["websocket-idle"]).inc();
				break;
			},
		};
		let frame = match message {
			Message::Binary(bytes) => bytes.to_vec(),
			Message::Text(_) => {
				let _ = acks.try_send(text(&Outcome::Refused(Refusal::Malformed).unnamed_ack()));
				continue;
			},
			Message::Close(_) => break,
			_ => continue,
		};
		// A peer that stops reading its acknowledgements stops being read: once its writes
		// stall (the listener's write deadline) the writer ends, and so does this stream.
		let permit = match tokio::time::timeout(idle, in_flight.clone().acquire_owned()).await {
			Ok(Ok(permit)) if !acks.is_closed() => permit,
			_ => break,
		};
		let (acks, hub, text) = (acks.clone(), state.outcomes.clone(), text.clone());
		let relayed = frame.get(1).is_some_and(|kind| *kind != Kind::Telemetry as u8);
		let message = merkle::leaf_hash(&frame);
		// Enqueued here, in the order the frames came, and answered in a task of its own.
		let answer = state.ingest.enqueue(frame, Transport::WebSocket, None).await;
		tokio::spawn(async move {
			let (identity, outcome) = answer.outcome().await;
			if let (Some((device, sequence)), Outcome::Accepted { duplicate: false }) =
				(identity, outcome)
			{
				if relayed {
					hub.wait_on_websocket(device, sequence, acks.clone());
				}
			}
			let _ = acks.send(text(&outcome.ack(identity, message))).await;
			drop(permit);
		});
	}
	drop(acks);
	// Outstanding acknowledgements are still written before the connection closes.
	let _ = writer.await;
}

/// A reading's proof: its envelope (unless left out), its batch, the audit path and whether the
/// batch's anchor is finalised; for a reader at a subset level, the subset's fields instead of
/// the envelope.
#[derive(Serialize)]
struct ProofResponse {
	#[serde(flatten)]
	proof: ReadingProof,
	/// `finalised` once the anchor is in a finalised block the gateway saw, else `submitted`.
	status: &'static str,
	#[serde(skip_serializing_if = "Option::is_none")]
	finalised_in: Option<u32>,
	#[serde(skip_serializing_if = "Option::is_none")]
	subset: Option<SubsetView>,
}

/// What a reader at a subset level sees of a reading: the gateway's word for the fields, which
/// the proof cannot show (the leaf commits to the whole envelope).
#[derive(Serialize)]
struct SubsetView {
	level: String,
	sequence: u64,
	timestamp_ms: u64,
	fields: serde_json::Map<String, serde_json::Value>,
}

/// `GET /v1/proofs/{device}/{seq}?payload=omit`: the proof without the envelope, for a verifier
/// that holds the reading already.
#[derive(Deserialize)]
struct ProofQuery {
	payload: Option<String>,
}

/// The device id of a path, with or without `0x`; a `400` when it is not one.
fn device_in_path(device: &str) -> Result<[u8; 32], HttpError> {
	let device = if device.starts_with("0x") { device.to_owned() } else { format!("0x{device}") };
	iotchain_client::parse_hash32("device", &device).map_err(|_| HttpError::MalformedDevice)
}

/// Who reads, if the request is a signed read request of one of the device's readers.
async fn reader(
	state: &HttpState,
	method: &Method,
	uri: &Uri,
	headers: &HeaderMap,
	device: &[u8; 32],
) -> Result<(Reader, crate::chain::DeviceView), HttpError> {
	let target = uri.path_and_query().map_or_else(|| uri.path(), |target| target.as_str());
	let request = Request {
		method: method.as_str(),
		target,
		authorization: headers
			.get(header::AUTHORIZATION)
			.map(|value| value.to_str().map_err(|_| ())),
	};
	Ok(state.readers.authorise(&request, device).await?)
}

async fn proof(
	State(state): State<HttpState>,
	Path((device, sequence)): Path<(String, u64)>,
	Query(query): Query<ProofQuery>,
	method: Method,
	uri: Uri,
	headers: HeaderMap,
) -> Result<Response, HttpError> {
	let device = device_in_path(&device)?;
	let omit_payload = match query.payload.as_deref() {
		None | Some("include") => false,
		Some("omit") => true,
		Some(_) => return Err(HttpError::MalformedQuery("payload is `include` or `omit`")),
	};
	let (reader, view) = reader(&state, &method, &uri, &headers, &device).await?;
	let store = state.store.clone();
	let located = tokio::task::spawn_blocking(move || store.locate(&device, sequence))
		.await??
		.ok_or(HttpError::NotFound)?;
	if located.relayed {
		return Err(HttpError::NotAReading);
	}
	if let Some(reason) = located.set_aside {
		return Err(HttpError::Unanchorable(reason));
	}
	let subset = match &reader {
		Reader::Grantee(Level::Subset(level)) => {
			let envelope =
				Envelope::decode(&located.wire, u32::MAX).map_err(|_| HttpError::LostLeaf)?;
			let fields = state
				.readers
				.subset(&view.model, level, &envelope.payload)
				.ok_or_else(|| state.readers.refused(ReadRefusal::LevelNotServed))?;
			Some(SubsetView {
				level: level.clone(),
				sequence: envelope.sequence,
				timestamp_ms: envelope.timestamp_ms,
				fields,
			})
		},
		_ => None,
	};
	state.readers.served(&reader);
	let Some((batch, leaves, position)) = located.batch else {
		return Ok((
			StatusCode::ACCEPTED,
			[(header::RETRY_AFTER, RETRY_AFTER_SECONDS)],
			Json(serde_json::json!({
				"status": "pending",
				"detail": "accepted and stored; its batch is not closed yet",
			})),
		)
			.into_response());
	};
	let Some(path) = merkle::inclusion_proof(&leaves, position) else {
		return Err(HttpError::LostLeaf);
	};
	let identity = state.chain.identity();
	let envelope =
		(reader.reads_in_full() && !omit_payload).then(|| iotchain_client::to_hex(&located.wire));
	Ok(Json(ProofResponse {
		proof: ReadingProof {
			gateway: iotchain_client::to_hex(&identity.id),
			batch: batch.sequence,
			leaf_index: position as u64,
			leaf_count: batch.leaf_count(),
			root: iotchain_client::to_hex(&batch.root),
			proof: path.iter().map(|hash| iotchain_client::to_hex(hash)).collect(),
			envelope,
			leaf: Some(iotchain_client::to_hex(&leaves[position])),
		},
		status: if batch.finalised_in.is_some() { "finalised" } else { "submitted" },
		finalised_in: batch.finalised_in,
		subset,
	})
	.into_response())
}

/// The chain's outcome of a relayed login or update report: `200` with it once recorded, `202`
/// while it is on its way, `404` for a message this gateway did not accept. Readers at a subset
/// level see none: an outcome is not a reading their subset names.
async fn outcome(
	State(state): State<HttpState>,
	Path((device, sequence)): Path<(String, u64)>,
	method: Method,
	uri: Uri,
	headers: HeaderMap,
) -> Result<Response, HttpError> {
	let device = device_in_path(&device)?;
	let (reader, _) = reader(&state, &method, &uri, &headers, &device).await?;
	if !reader.reads_in_full() {
		return Err(state.readers.refused(ReadRefusal::LevelNotServed).into());
	}
	state.readers.served(&reader);
	let store = state.store.clone();
	let found = tokio::task::spawn_blocking(move || {
		Ok::<_, StoreError>((store.outcome(&device, sequence)?, store.stored(&device, sequence)?))
	})
	.await??;
	match found {
		(Some(outcome), _) => {
			Ok(([(header::CONTENT_TYPE, "application/json")], outcome).into_response())
		},
		(None, Some(_)) => Ok((
			StatusCode::ACCEPTED,
			[(header::RETRY_AFTER, RETRY_AFTER_SECONDS)],
			Json(serde_json::json!({"status": "pending"})),
		)
			.into_response()),
		(None, None) => Err(HttpError::NotFound),
	}
}

async fn healthz(State(state): State<HttpState>) -> Response {
	let identity = state.chain.identity();
	let connected = state.chain.client().is_some();
	let (registry_devices, registry_block) = state.chain.registry_size();
	Json(serde_json::json!({
		"status": "ok",
		"gateway": iotchain_client::to_hex(&identity.id),
		"gateway_active": identity.active,
		"node_connected": connected,
		"unanchored": state.progress.unanchored(),
		"unanchorable": state.progress.set_aside.load(std::sync::atomic::Ordering::Acquire),
		"unrelayed": state.progress.unrelayed(),
		"registry": {"devices": registry_devices, "block": registry_block},
		"disk_free_bytes": state.progress.disk_free.load(std::sync::atomic::Ordering::Acquire),
	}))
	.into_response()
}

async fn metrics(State(state): State<HttpState>) -> Response {
	([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotchain_gateway_protocol::envelope::{HEADER_LEN, TRAILER_LEN};

	fn too_large(wire: &[u8]) -> Cut {
		Cut::TooLarge(Envelope::header_identity(wire), merkle::leaf_hash(wire))
	}

	/// An envelope's bytes with a payload of `payload` bytes (its signature is not checked
	/// here).
	fn envelope(payload: usize, sequence: u64) -> Vec<u8> {
		let mut wire = vec![1, Kind::Telemetry as u8];
		wire.extend([7; 32]);
		wire.extend(sequence.to_le_bytes());
		wire.extend(0u64.to_le_bytes());
		wire.extend((payload as u32).to_le_bytes());
		wire.extend(vec![b'x'; payload]);
		wire.push(0);
		wire.extend([0; 64]);
		wire
	}

	fn cut_in_chunks(
		body: &[u8],
		chunk: usize,
		max: usize,
	) -> (Vec<Cut>, Result<(), NotEnvelopes>, bool) {
		let mut cutter = FrameCutter::new(max);
		let mut cut = Vec::new();
		for piece in body.chunks(chunk) {
			if let Err(error) = cutter.push(piece, &mut cut) {
				return (cut, Err(error), false);
			}
			assert!(cutter.buffer.len() <= max + chunk, "holds one envelope's worth at most");
		}
		let boundary = cutter.at_boundary();
		(cut, Ok(()), boundary)
	}

	#[test]
	fn envelopes_are_cut_whatever_the_chunks_and_an_oversized_one_is_skipped() {
		let max = HEADER_LEN + 100 + TRAILER_LEN;
		let (first, oversized, last) = (envelope(10, 1), envelope(5_000, 2), envelope(100, 3));
		let body = [first.clone(), oversized.clone(), last.clone()].concat();
		for chunk in [1, 7, 64, 1000, body.len()] {
			let (cut, result, boundary) = cut_in_chunks(&body, chunk, max);
			assert_eq!(result, Ok(()));
			assert!(boundary, "chunks of {chunk}");
			assert_eq!(
				cut,
				vec![Cut::Frame(first.clone()), too_large(&oversized), Cut::Frame(last.clone())],
				"chunks of {chunk}"
			);
		}
	}

	#[test]
	fn bytes_that_are_not_envelopes_stop_the_cutting_and_a_cut_short_body_is_seen() {
		let max = HEADER_LEN + 100 + TRAILER_LEN;
		let good = envelope(10, 1);
		let body =
			[good.clone(), b"not an envelope, and long enough to be read as one".to_vec()].concat();
		let (cut, result, _) = cut_in_chunks(&body, 16, max);
		assert_eq!(cut, vec![Cut::Frame(good.clone())]);
		assert_eq!(result, Err(NotEnvelopes));
		let (cut, result, boundary) = cut_in_chunks(&good[..good.len() - 1], 16, max);
		assert!(cut.is_empty() && result.is_ok() && !boundary, "a body cut short is not whole");
	}
}
