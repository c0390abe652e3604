//! How transactions get to the chain. Calls are signed with nonces counted locally
//! ([`nonces`]), so one signer can pipeline thousands of extrinsics without asking the node for
//! each, and are submitted either "and go" ([`Wait::InPool`]: returned once the node's pool
//! accepts them) or "and wait until finalised" ([`Wait::Finalised`]). Each comes back as a
//! [`Receipt`] with the block that includes it and the events it emitted, or as its dispatch
//! error. The bulk path, with a bounded number in flight, is the `pipeline` module.

pub(crate) mod nonces;
mod pipeline;

use crate::{client::Client, events::ChainEvent, render::EventRecord, Error, Hash, Result};
use pipeline::Pipeline;
use serde::Serialize;
use subxt::{events::DecodeAsEvent, transactions::Payload};

/// How far to follow a submitted transaction before returning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
	/// Return once the node's pool accepted it ("submit and go").
	InPool,
	/// Return once it is in a finalised block, with its events or its dispatch error.
	Finalised,
}

/// A block by number and hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BlockAt {
	pub number: u64,
	pub hash: Hash,
}

/// What became of a submitted transaction.
///
/// Its events are kept as the chain recorded them and found by type ([`Receipt::find`]); as
/// JSON (serialised, or [`Receipt::event_records`]) each is `{"pallet", "name", "fields"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Receipt {
	/// The extrinsic's hash.
	pub extrinsic: Hash,
	/// The finalised block that includes it; `None` when submitted without waiting.
	pub block: Option<BlockAt>,
	/// The events it emitted (without the system's `ExtrinsicSuccess`).
	events: Vec<ChainEvent>,
}

impl Receipt {
	/// The events it emitted, in order (without the system's `ExtrinsicSuccess`); none when
	/// submitted without waiting.
	pub fn events(&self) -> &[ChainEvent] {
		&self.events
	}

	/// Its events of type `E` (one of `runtime::<pallet>::events`), decoded, in order.
	pub fn find<'a, E: DecodeAsEvent + 'a>(&'a self) -> impl Iterator<Item = Result<E>> + 'a {
		self.events.iter().filter_map(ChainEvent::as_event::<E>)
	}

	/// Its first event of type `E`, decoded, if it emitted one.
	pub fn find_first<E: DecodeAsEvent>(&self) -> Result<Option<E>> {
		self.find::<E>().next().transpose()
	}

	/// Whether it emitted an event of type `E` (not decoded).
	pub fn has<E: DecodeAsEvent>(&self) -> bool {
		self.events.iter().any(ChainEvent::is::<E>)
	}

	/// Its events as JSON, for output.
	pub fn event_records(&self) -> Result<Vec<EventRecord>> {
		self.events.iter().map(ChainEvent::record).collect()
	}
}

impl Client {
	/// Signs and submits one call.
	pub async fn submit<Call: Payload>(&self, call: &Call, wait: Wait) -> Result<Receipt> {
		self.submit_all(std::slice::from_ref(call), wait, |_| {})
			.await?
			.pop()
			.unwrap_or_else(|| Err(Error::Node("no outcome for the transaction".into())))
	}

	/// Signs `calls` with consecutive nonces and pipelines them: each is handed to the node's
	/// pool, up to 4,096 not yet finalised at a time, and with [`Wait::Finalised`] found in the
	/// finalised blocks that follow, read once per block. Returns one outcome per call, in
	/// order; `progress` is called with the number settled so far. If the pool refuses one, none
	/// after it is submitted (their nonces could never be reached) and each reports why; one that
	/// is accepted but never included is reported once its mortality ends.
	pub async fn submit_all<Call: Payload>(
		&self,
		calls: &[Call],
		wait: Wait,
		progress: impl Fn(usize),
	) -> Result<Vec<Result<Receipt>>> {
		if calls.is_empty() {
			return Ok(Vec::new());
		}
		Pipeline::new(self, wait, calls.len(), progress).run(calls).await
	}

	/// Sends `items` in calls of at most `per_extrinsic` each, made by `batch`, all pipelined
	/// through [`Client::submit_all`]. Returns, per extrinsic, the items it carried and its
	/// outcome; `progress` counts items settled.
	pub(crate) async fn submit_in_batches<Item: Clone, Call: Payload>(
		&self,
		items: Vec<Item>,
		per_extrinsic: usize,
		batch: impl Fn(Vec<Item>) -> Call,
		wait: Wait,
		progress: impl Fn(usize),
	) -> Result<Vec<(Vec<Item>, Result<Receipt>)>> {
		let per_extrinsic = per_extrinsic.max(1);
		let chunks: Vec<Vec<Item>> = items.chunks(per_extrinsic).map(<[_]>::to_vec).collect();
		let calls: Vec<Call> = chunks.iter().cloned().map(batch).collect();
		let items_settled =
			|extrinsics: usize| progress((extrinsics * per_extrinsic).min(items.len()));
		let outcomes = self.submit_all(&calls, wait, items_settled).await?;
		Ok(chunks.into_iter().zip(outcomes).collect())
	}
}
