//! The connection to a node, the signing account, and how transactions get to the chain:
//! nonces kept locally so one signer can pipeline thousands of extrinsics, each submitted
//! "and go" or "and wait until finalised", with its events or its dispatch error.

use crate::{render::EventRecord, AccountId, ChainConfig, Error, Hash, Result, Signer};
use futures::{stream, StreamExt};
use serde::Serialize;
use std::{
	collections::HashMap,
	sync::atomic::{AtomicUsize, Ordering},
};
use subxt::{
	config::{DefaultExtrinsicParamsBuilder, RpcConfigFor},
	events::Phase,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	transactions::{Payload, TransactionStatus},
	OnlineClient,
};

/// How long a transaction stays valid, in blocks (about two minutes). Long enough for a
/// pipeline of thousands to be included; short enough that a transaction stuck behind a
/// refused nonce leaves the pool instead of lingering.
const MORTALITY_BLOCKS: u64 = 64;
/// How many transactions one pipeline keeps in flight. Each is one subscription; a node allows
/// 1024 per connection by default.
const PIPELINE_WINDOW: usize = 512;

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

	fn signer(&self) -> Result<&Signer> {
		self.signer.as_ref().ok_or(Error::NoSigner)
	}

	/// Reserves `count` consecutive nonces and returns the first.
	async fn reserve_nonces(&self, count: usize) -> Result<u64> {
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
	async fn forget_nonce(&self) {
		*self.next_nonce.lock().await = None;
	}

	/// Signs and submits one call.
	pub async fn submit<Call: Payload>(&self, call: &Call, wait: Wait) -> Result<Receipt> {
		self.submit_all(std::slice::from_ref(call), wait, |_| {})
			.await?
			.pop()
			.unwrap_or_else(|| Err(Error::Node("no outcome for the transaction".into())))
	}

	/// Signs `calls` with consecutive nonces and pipelines them: up to 512 in flight, each
	/// followed as `wait` says. Returns one outcome per call, in order; `progress` is called with
	/// the number settled so far. If the pool refuses one, none after it is submitted (their
	/// nonces could never be reached) and each reports why.
	pub async fn submit_all<Call: Payload>(
		&self,
		calls: &[Call],
		wait: Wait,
		progress: impl Fn(usize),
	) -> Result<Vec<Result<Receipt>>> {
		if calls.is_empty() {
			return Ok(Vec::new());
		}
		let signer = self.signer()?;
		let at = self.api.at_current_block().await?;
		let first_nonce = self.reserve_nonces(calls.len()).await?;
		let signed = calls
			.iter()
			.enumerate()
			.map(|(index, call)| {
				let params = DefaultExtrinsicParamsBuilder::<ChainConfig>::new()
					.nonce(first_nonce + index as u64)
					.mortal_from_unchecked(MORTALITY_BLOCKS, at.block_number(), at.block_hash())
					.build();
				let mut signable = at.tx().create_signable_offline(call, params)?;
				Ok(signable.sign(signer)?)
			})
			.collect::<Result<Vec<_>>>();
		let signed = match signed {
			Ok(signed) => signed,
			Err(error) => {
				self.forget_nonce().await;
				return Err(error);
			},
		};

		let signer_name = signer.public_key().to_account_id().to_string();
		let first_refused = AtomicUsize::new(usize::MAX);
		let settled = AtomicUsize::new(0);
		let included: Vec<Result<Option<Hash>>> = stream::iter(signed.iter().enumerate())
			.map(|(index, transaction)| {
				let first_refused = &first_refused;
				let signer_name = &signer_name;
				async move {
					let refused = first_refused.load(Ordering::SeqCst);
					if refused < index {
						return Err(Error::Dropped(format!(
							"not submitted: transaction {} of this batch was refused, so this \
							 one's nonce can never be used",
							refused + 1
						)));
					}
					let outcome = follow(transaction, wait, signer_name).await;
					if matches!(
						outcome,
						Err(Error::SignerNotAdmitted(_)
							| Error::OverBlockQuota
							| Error::Refused(_))
					) {
						first_refused.fetch_min(index, Ordering::SeqCst);
					}
					outcome
				}
			})
			.buffered(PIPELINE_WINDOW)
			.inspect(|_| progress(settled.fetch_add(1, Ordering::SeqCst) + 1))
			.collect()
			.await;
		if first_refused.load(Ordering::SeqCst) != usize::MAX {
			self.forget_nonce().await;
		}

		let mut blocks: HashMap<Hash, (BlockAt, HashMap<Hash, Result<Vec<EventRecord>>>)> =
			HashMap::new();
		let mut receipts = Vec::with_capacity(signed.len());
		for (transaction, inclusion) in signed.iter().zip(included) {
			let extrinsic = transaction.hash();
			receipts.push(match inclusion {
				Err(error) => Err(error),
				Ok(None) => Ok(Receipt { extrinsic, block: None, events: Vec::new() }),
				Ok(Some(block_hash)) => {
					if !blocks.contains_key(&block_hash) {
						blocks.insert(block_hash, self.outcomes_in_block(block_hash).await?);
					}
					let (block, outcomes) = blocks
						.get_mut(&block_hash)
						.ok_or_else(|| Error::Node("block outcomes vanished".into()))?;
					match outcomes.remove(&extrinsic) {
						Some(Ok(events)) => Ok(Receipt { extrinsic, block: Some(*block), events }),
						Some(Err(error)) => Err(error),
						None => Err(Error::Node(format!(
							"extrinsic {extrinsic:?} is not in block {block_hash:?} the node \
							 reported it in"
						))),
					}
				},
			});
		}
		Ok(receipts)
	}

	/// Every extrinsic of a block with its events, or the error it failed with.
	async fn outcomes_in_block(
		&self,
		block_hash: Hash,
	) -> Result<(BlockAt, HashMap<Hash, Result<Vec<EventRecord>>>)> {
		let at = self.api.at_block(subxt::backend::BlockRef::from_hash(block_hash)).await?;
		let block = BlockAt { number: at.block_number(), hash: block_hash };
		let metadata = at.metadata();
		let mut per_index: HashMap<u32, Result<Vec<EventRecord>>> = HashMap::new();
		for event in at.events().fetch().await?.iter() {
			let event = event?;
			let Phase::ApplyExtrinsic(index) = event.phase() else { continue };
			let outcome = per_index.entry(index).or_insert_with(|| Ok(Vec::new()));
			match (event.pallet_name(), event.event_name()) {
				("System", "ExtrinsicSuccess") => {},
				("System", "ExtrinsicFailed") => {
					let error = subxt::error::DispatchError::decode_from(
						event.field_bytes(),
						metadata.clone(),
					)
					.map_err(|error| Error::Node(error.to_string()))?;
					*outcome = Err(Error::from_dispatch(error));
				},
				_ => {
					if let Ok(events) = outcome {
						events.push(EventRecord::from_event(&event)?);
					}
				},
			}
		}
		let mut outcomes = HashMap::new();
		for extrinsic in at.extrinsics().fetch().await?.iter() {
			let extrinsic = extrinsic?;
			let outcome = per_index.remove(&(extrinsic.index() as u32)).unwrap_or(Ok(Vec::new()));
			outcomes.insert(extrinsic.hash(), outcome);
		}
		Ok((block, outcomes))
	}
}

/// Submits one signed transaction and follows it as far as `wait` says; with
/// [`Wait::Finalised`], returns the finalised block that includes it.
async fn follow<C>(
	transaction: &subxt::transactions::SubmittableTransaction<ChainConfig, C>,
	wait: Wait,
	signer: &str,
) -> Result<Option<Hash>>
where
	C: subxt::client::OnlineClientAtBlockT<ChainConfig>,
{
	let refusal = |message: String| Error::from_pool_message(&message, Some(signer.to_owned()));
	let mut progress = transaction.submit_and_watch().await.map_err(|error| match error {
		subxt::error::ExtrinsicError::ErrorSubmittingTransaction(error) => {
			refusal(error.to_string())
		},
		other => other.into(),
	})?;
	while let Some(status) = progress.next().await {
		match status? {
			TransactionStatus::Validated | TransactionStatus::Broadcasted
				if wait == Wait::InPool =>
			{
				return Ok(None)
			},
			TransactionStatus::InBestBlock(_) if wait == Wait::InPool => return Ok(None),
			TransactionStatus::InFinalizedBlock(in_block) => {
				return Ok(Some(in_block.block_hash()))
			},
			TransactionStatus::Invalid { message } | TransactionStatus::Error { message } => {
				return Err(refusal(message))
			},
			TransactionStatus::Dropped { message } => return Err(Error::Dropped(message)),
			_ => {},
		}
	}
	Err(Error::Dropped("the node stopped reporting the transaction's progress".into()))
}
