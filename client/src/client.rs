//! The connection to a node, the signing account, and how transactions get to the chain:
//! nonces kept locally so one signer can pipeline thousands of extrinsics, each submitted
//! "and go" or "and wait until finalised", with its events or its dispatch error.

use crate::{render::EventRecord, AccountId, ChainConfig, Error, Hash, Result, Signer};
use futures::{stream, StreamExt};
use serde::Serialize;
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Mutex,
	},
};
use subxt::{
	config::{DefaultExtrinsicParamsBuilder, RpcConfigFor},
	events::Phase,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	transactions::Payload,
	OnlineClient,
};

/// How long a transaction stays valid, in blocks (about two minutes). Long enough for a
/// pipeline of thousands to be included; short enough that a transaction stuck behind a
/// refused nonce leaves the pool instead of lingering.
const MORTALITY_BLOCKS: u64 = 64;
/// How many transactions one pipeline keeps submitted but not yet finalised: enough to fill
/// several blocks while earlier ones finalise, and half of the node's default pool (8,192).
const PIPELINE_WINDOW: usize = 4096;
/// How many submissions may await the node's answer at once.
const CONCURRENT_SUBMISSIONS: usize = 64;

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
		let expires_after = at.block_number() + MORTALITY_BLOCKS;
		// Finalised blocks are followed from before the first submission, so no inclusion is
		// missed.
		let mut blocks = match wait {
			Wait::Finalised => Some(self.api.stream_blocks().await?),
			Wait::InPool => None,
		};
		let outcomes: Mutex<Vec<Option<Result<Receipt>>>> =
			Mutex::new((0..signed.len()).map(|_| None).collect());
		let pending: Mutex<HashMap<Hash, usize>> = Mutex::new(HashMap::new());
		// Without waiting for finality nothing is followed, so nothing bounds the window.
		let window = tokio::sync::Semaphore::new(match wait {
			Wait::Finalised => PIPELINE_WINDOW,
			Wait::InPool => tokio::sync::Semaphore::MAX_PERMITS,
		});
		let first_refused = AtomicUsize::new(usize::MAX);
		let settled = AtomicUsize::new(0);
		let settle = |index: usize, outcome: Result<Receipt>| {
			lock(&outcomes)[index] = Some(outcome);
			progress(settled.fetch_add(1, Ordering::SeqCst) + 1);
		};
		let submitting = std::sync::atomic::AtomicBool::new(true);

		let submit =
			async {
				stream::iter(signed.iter().enumerate())
					.for_each_concurrent(CONCURRENT_SUBMISSIONS, |(index, transaction)| {
						let (window, pending, first_refused) = (&window, &pending, &first_refused);
						let (settle, signer_name) = (&settle, &signer_name);
						async move {
							let refused = first_refused.load(Ordering::SeqCst);
							if refused < index {
								return settle(
									index,
									Err(Error::Dropped(format!(
								"not submitted: transaction {} of this batch was refused, so this \
								 one's nonce can never be used",
								refused + 1
							))),
								);
							}
							// Released when the transaction settles in a finalised block; closed
							// when finalised blocks can no longer be followed.
							match window.acquire().await {
							Ok(permit) => permit.forget(),
							Err(_) if wait == Wait::Finalised =>
								return settle(index, Err(Error::Dropped(
									"not submitted: finalised blocks could no longer be followed"
										.into(),
								))),
							Err(_) => {},
						}
							let extrinsic = transaction.hash();
							if wait == Wait::Finalised {
								lock(pending).insert(extrinsic, index);
							}
							match self.rpc.author_submit_extrinsic(transaction.encoded()).await {
								Ok(_) if wait == Wait::InPool => settle(
									index,
									Ok(Receipt { extrinsic, block: None, events: Vec::new() }),
								),
								Ok(_) => {},
								Err(error) => {
									lock(pending).remove(&extrinsic);
									window.add_permits(1);
									first_refused.fetch_min(index, Ordering::SeqCst);
									let error = Error::from_pool_message(
										&pool_refusal_text(&error),
										Some(signer_name.clone()),
									);
									settle(index, Err(error));
								},
							}
						}
					})
					.await;
				submitting.store(false, Ordering::SeqCst);
			};

		let follow = async {
			let Some(blocks) = blocks.as_mut() else { return Ok(()) };
			let mut next_number = None;
			while let Some(block) = blocks.next().await {
				let block = block?;
				// The stream may skip blocks that finalised together; take them in order.
				let mut hashes = Vec::new();
				for number in next_number.unwrap_or(block.number())..block.number() {
					hashes.push(self.api.at_block(number).await?.block_hash());
				}
				hashes.push(block.hash());
				next_number = Some(block.number() + 1);
				for hash in hashes {
					if lock(&pending).is_empty() {
						continue;
					}
					let (block_at, mut in_block) = self.outcomes_in_block(hash).await?;
					let included: Vec<(Hash, usize)> = {
						let mut pending = lock(&pending);
						let found: Vec<Hash> = in_block
							.keys()
							.filter(|hash| pending.contains_key(*hash))
							.copied()
							.collect();
						found
							.into_iter()
							.filter_map(|hash| pending.remove(&hash).map(|index| (hash, index)))
							.collect()
					};
					window.add_permits(included.len());
					for (extrinsic, index) in included {
						let outcome = match in_block.remove(&extrinsic) {
							Some(Ok(events)) => {
								Ok(Receipt { extrinsic, block: Some(block_at), events })
							},
							Some(Err(error)) => Err(error),
							None => {
								Err(Error::Node("an included extrinsic lost its outcome".into()))
							},
						};
						settle(index, outcome);
					}
				}
				if !submitting.load(Ordering::SeqCst) && lock(&pending).is_empty() {
					break;
				}
				if block.number() > expires_after {
					let expired: Vec<usize> =
						lock(&pending).drain().map(|(_, index)| index).collect();
					for index in expired {
						settle(
							index,
							Err(Error::Dropped(format!(
								"not included before it expired at block {expires_after}"
							))),
						);
					}
					break;
				}
			}
			Ok::<(), Error>(())
		};

		let follow = async {
			let followed = follow.await;
			// Submitting without following would leave nothing to release the window.
			window.close();
			followed
		};
		let ((), followed) = futures::join!(submit, follow);
		if first_refused.load(Ordering::SeqCst) != usize::MAX {
			self.forget_nonce().await;
		}
		followed?;
		let outcomes = outcomes.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
		Ok(outcomes
			.into_iter()
			.map(|outcome| {
				outcome.unwrap_or_else(|| {
					Err(Error::Dropped("the node stopped reporting finalised blocks".into()))
				})
			})
			.collect())
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
						events.push(EventRecord::from_event(&event, &metadata)?);
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

/// What the pool said when it refused a submission: the reason is in the JSON-RPC error's
/// data (e.g. "Custom error: 1"), which the error's own text leaves out.
fn pool_refusal_text(error: &subxt::rpcs::Error) -> String {
	match error {
		subxt::rpcs::Error::User(user) => match &user.data {
			Some(data) => format!("{}: {}", user.message, data.get().trim_matches('"')),
			None => user.message.clone(),
		},
		other => other.to_string(),
	}
}

/// Locks a mutex; a panic elsewhere cannot leave these maps half-written, so poison is ignored.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
