//! The connection to a node, the signing account, and how transactions get to the chain:
//! nonces kept locally so one signer can pipeline thousands of extrinsics, each submitted
//! "and go" or "and wait until finalised", with its events or its dispatch error.

use crate::{
	pipeline::Pipeline, render::EventRecord, AccountId, ChainConfig, Error, Hash, Result, Signer,
};
use serde::Serialize;
use subxt::{
	config::RpcConfigFor,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	transactions::Payload,
	OnlineClient,
};

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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Receipt {
	/// The extrinsic's hash.
	pub extrinsic: Hash,
	/// The finalised block that includes it; `None` when submitted without waiting.
	pub block: Option<BlockAt>,
	/// The events it emitted (without the system's `ExtrinsicSuccess`).
	pub events: Vec<EventRecord>,
}

/// A connection to an iotchain node, optionally with an account to sign with.
pub struct Client {
	url: String,
	raw_rpc: RpcClient,
	api: OnlineClient<ChainConfig>,
	rpc: LegacyRpcMethods<RpcConfigFor<ChainConfig>>,
	signer: Option<Signer>,
	/// The next nonce the signer uses; fetched from the node (which counts what its pool
	/// holds) on first use, then counted here so pipelined transactions never collide.
	next_nonce: tokio::sync::Mutex<Option<u64>>,
}

impl Client {
	/// Connects to the node at `url` (`ws://`, `wss://`, `http://` or `https://`).
	pub async fn connect(url: &str) -> Result<Self> {
		let unreachable = |reason: String| Error::Unreachable { url: url.to_owned(), reason };
		let rpc = RpcClient::from_insecure_url(url)
			.await
			.map_err(|error| unreachable(error.to_string()))?;
		let api = OnlineClient::<ChainConfig>::from_rpc_client(rpc.clone())
			.await
			.map_err(|error| unreachable(error.to_string()))?;
		Ok(Client {
			url: url.to_owned(),
			raw_rpc: rpc.clone(),
			api,
			rpc: LegacyRpcMethods::new(rpc),
			signer: None,
			next_nonce: tokio::sync::Mutex::new(None),
		})
	}

	/// The same connection, signing with `signer`.
	pub fn with_signer(mut self, signer: Signer) -> Self {
		self.signer = Some(signer);
		self.next_nonce = tokio::sync::Mutex::new(None);
		self
	}

	/// The URL this client is connected to.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The subxt client, for anything this crate does not wrap.
	pub fn api(&self) -> &OnlineClient<ChainConfig> {
		&self.api
	}

	/// The node's legacy JSON-RPC methods (system, chain, author).
	pub fn rpc(&self) -> &LegacyRpcMethods<RpcConfigFor<ChainConfig>> {
		&self.rpc
	}

	/// The node's JSON-RPC interface, for methods without a typed wrapper.
	pub fn raw_rpc(&self) -> &RpcClient {
		&self.raw_rpc
	}

	/// The signing account.
	pub fn signer_account(&self) -> Result<AccountId> {
		Ok(self.signer()?.public_key().to_account_id())
	}

	pub(crate) fn signer(&self) -> Result<&Signer> {
		self.signer.as_ref().ok_or(Error::NoSigner)
	}

	/// Reserves `count` consecutive nonces and returns the first.
	pub(crate) async fn reserve_nonces(&self, count: usize) -> Result<u64> {
		let account = self.signer_account()?;
		let mut next = self.next_nonce.lock().await;
		let first = match *next {
			Some(nonce) => nonce,
			None => self.rpc.system_account_next_index(&account).await?,
		};
		*next = Some(first + count as u64);
		Ok(first)
	}

	/// Forgets the local nonce, so the next transaction asks the node again: after a refusal
	/// the reserved nonces beyond it are never used.
	pub(crate) async fn forget_nonce(&self) {
		*self.next_nonce.lock().await = None;
	}

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
