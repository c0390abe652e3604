//! The bulk path: calls signed with consecutive nonces, handed to the node's pool with a bounded
//! number in flight, and settled from the finalised blocks that include them. `iotctl`'s bulk
//! commands and the gateway send through it.
//!
//! Four steps, each a method of [`Pipeline`]: [`Pipeline::sign`] makes the extrinsics,
//! [`Pipeline::submit`] hands them to the pool, [`Pipeline::follow`] reads each finalised block
//! once and settles what it includes, and [`Outcomes`] keeps one result per call. The pool's
//! refusal of one transaction stops the submission of those after it (their nonces can never be
//! reached); one that is accepted but never included is settled when its mortality ends.

use crate::{
	client::Client,
	events::ChainEvent,
	runtime::system::events::{ExtrinsicFailed, ExtrinsicSuccess},
	submit::{BlockAt, Receipt, Wait},
	ChainConfig, Error, Hash, Result,
};
use futures::{stream, StreamExt};
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicBool, AtomicUsize, Ordering},
		Mutex,
	},
};
use subxt::{config::DefaultExtrinsicParamsBuilder, transactions::Payload};
use tokio::sync::Semaphore;

/// How long a transaction stays valid, in blocks (about two minutes). Long enough for a
/// pipeline of thousands to be included; short enough that a transaction stuck behind a
/// refused nonce leaves the pool instead of lingering.
const MORTALITY_BLOCKS: u64 = 64;
/// How many transactions one pipeline keeps submitted but not yet finalised: enough to fill
/// several blocks while earlier ones finalise, and half of the node's default pool (8,192).
const PIPELINE_WINDOW: usize = 4096;
/// How many submissions may await the node's answer at once.
const CONCURRENT_SUBMISSIONS: usize = 64;

/// Signed extrinsics ready for the pool (hash and encoding), and the last block they may be
/// included in.
struct Signed {
	transactions: Vec<(Hash, Vec<u8>)>,
	expires_after: u64,
}

/// One result slot per call, filled as each settles; `progress` hears how many have.
struct Outcomes<Progress> {
	slots: Mutex<Vec<Option<Result<Receipt>>>>,
	settled: AtomicUsize,
	progress: Progress,
}

impl<Progress: Fn(usize)> Outcomes<Progress> {
	fn new(count: usize, progress: Progress) -> Self {
		Outcomes {
			slots: Mutex::new((0..count).map(|_| None).collect()),
			settled: AtomicUsize::new(0),
			progress,
		}
	}

	fn settle(&self, index: usize, outcome: Result<Receipt>) {
		lock(&self.slots)[index] = Some(outcome);
		(self.progress)(self.settled.fetch_add(1, Ordering::SeqCst) + 1);
	}

	/// The results in call order; a call nothing settled lost track of its block stream.
	fn into_results(self) -> Vec<Result<Receipt>> {
		self.slots
			.into_inner()
			.unwrap_or_else(|poisoned| poisoned.into_inner())
			.into_iter()
			.map(|outcome| {
				outcome.unwrap_or_else(|| {
					Err(Error::Dropped("the node stopped reporting finalised blocks".into()))
				})
			})
			.collect()
	}
}

/// One run of the bulk path for one signer.
pub(crate) struct Pipeline<'a, Progress> {
	client: &'a Client,
	wait: Wait,
	/// Transactions in the pool, not yet found in a finalised block, by extrinsic hash.
	pending: Mutex<HashMap<Hash, usize>>,
	/// Bounds what is submitted but unsettled; released as blocks settle transactions, closed
	/// when finalised blocks can no longer be followed.
	window: Semaphore,
	/// The index of the first transaction the pool refused, or `usize::MAX`.
	first_refused: AtomicUsize,
	submitting: AtomicBool,
	outcomes: Outcomes<Progress>,
}

impl<'a, Progress: Fn(usize)> Pipeline<'a, Progress> {
	pub(crate) fn new(client: &'a Client, wait: Wait, count: usize, progress: Progress) -> Self {
		Pipeline {
			client,
			wait,
			pending: Mutex::new(HashMap::new()),
			// Without waiting for finality nothing is followed, so nothing bounds the window.
			window: Semaphore::new(match wait {
				Wait::Finalised => PIPELINE_WINDOW,
				Wait::InPool => Semaphore::MAX_PERMITS,
			}),
			first_refused: AtomicUsize::new(usize::MAX),
			submitting: AtomicBool::new(true),
			outcomes: Outcomes::new(count, progress),
		}
	}

	/// Signs, submits and settles `calls`: one outcome per call, in order.
	pub(crate) async fn run<Call: Payload>(self, calls: &[Call]) -> Result<Vec<Result<Receipt>>> {
		let signed = self.sign(calls).await?;
		// Finalised blocks are followed from before the first submission, so no inclusion is
		// missed.
		let blocks = match self.wait {
			Wait::Finalised => Some(self.client.api().stream_blocks().await?),
			Wait::InPool => None,
		};
		let follow = async {
			let followed = match blocks {
				Some(blocks) => self.follow(blocks, signed.expires_after).await,
				None => Ok(()),
			};
			// Submitting without following would leave nothing to release the window.
			self.window.close();
			followed
		};
		let ((), followed) = futures::join!(self.submit(&signed), follow);
		if self.first_refused.load(Ordering::SeqCst) != usize::MAX {
			self.client.nonces().forget().await;
		}
		followed?;
		Ok(self.outcomes.into_results())
	}

	/// Signs `calls` with consecutive nonces reserved for them, mortal from the current block.
	async fn sign<Call: Payload>(&self, calls: &[Call]) -> Result<Signed> {
		let signer = self.client.signer()?;
		let at = self.client.api().at_current_block().await?;
		let account = self.client.signer_account()?;
		let first_nonce =
			self.client.nonces().reserve(self.client.rpc(), &account, calls.len()).await?;
		let signed = calls
			.iter()
			.enumerate()
			.map(|(index, call)| {
				let params = DefaultExtrinsicParamsBuilder::<ChainConfig>::new()
					.nonce(first_nonce + index as u64)
					.mortal_from_unchecked(MORTALITY_BLOCKS, at.block_number(), at.block_hash())
					.build();
				let mut signable = at.tx().create_signable_offline(call, params)?;
				let transaction = signable.sign(signer)?;
				Ok((transaction.hash(), transaction.encoded().to_vec()))
			})
			.collect::<Result<Vec<_>>>();
		match signed {
			Ok(transactions) => {
				Ok(Signed { transactions, expires_after: at.block_number() + MORTALITY_BLOCKS })
			},
			Err(error) => {
				// The reserved nonces will not be used.
				self.client.nonces().forget().await;
				Err(error)
			},
		}
	}

	/// Hands every transaction to the pool, at most `CONCURRENT_SUBMISSIONS` awaiting the
	/// node's answer and the window's worth unsettled.
	async fn submit(&self, signed: &Signed) {
		let signer = self.client.signer_account().map(|account| account.to_string()).ok();
		stream::iter(signed.transactions.iter().enumerate())
			.for_each_concurrent(CONCURRENT_SUBMISSIONS, |(index, transaction)| {
				self.submit_one(index, transaction, signer.as_deref())
			})
			.await;
		self.submitting.store(false, Ordering::SeqCst);
	}

	async fn submit_one(
		&self,
		index: usize,
		(extrinsic, encoded): &(Hash, Vec<u8>),
		signer: Option<&str>,
	) {
		let extrinsic = *extrinsic;
		let refused = self.first_refused.load(Ordering::SeqCst);
		if refused < index {
			return self.outcomes.settle(
				index,
				Err(Error::Dropped(format!(
					"not submitted: transaction {} of this batch was refused, so this one's \
					 nonce can never be used",
					refused + 1
				))),
			);
		}
		match self.window.acquire().await {
			// Released when the transaction settles in a finalised block.
			Ok(permit) => permit.forget(),
			Err(_) if self.wait == Wait::Finalised => {
				return self.outcomes.settle(
					index,
					Err(Error::Dropped(
						"not submitted: finalised blocks could no longer be followed".into(),
					)),
				)
			},
			Err(_) => {},
		}
		if self.wait == Wait::Finalised {
			lock(&self.pending).insert(extrinsic, index);
		}
		match self.client.rpc().author_submit_extrinsic(encoded).await {
			Ok(_) if self.wait == Wait::InPool => self
				.outcomes
				.settle(index, Ok(Receipt { extrinsic, block: None, events: Vec::new() })),
			Ok(_) => {},
			Err(error) => {
				lock(&self.pending).remove(&extrinsic);
				self.window.add_permits(1);
				self.first_refused.fetch_min(index, Ordering::SeqCst);
				let error =
					Error::from_pool_message(&pool_refusal_text(&error), signer.map(str::to_owned));
				self.outcomes.settle(index, Err(error));
			},
		}
	}

	/// Reads each finalised block once, in order, and settles what it includes; stops when
	/// nothing is left to settle, or when the transactions' mortality has ended.
	async fn follow(
		&self,
		mut blocks: subxt::client::Blocks<ChainConfig>,
		expires_after: u64,
	) -> Result<()> {
		let mut next_number = None;
		while let Some(block) = blocks.next().await {
			let block = block?;
			// The stream may skip blocks that finalised together; take them in order.
			let mut hashes = Vec::new();
			for number in next_number.unwrap_or(block.number())..block.number() {
				hashes.push(self.client.api().at_block(number).await?.block_hash());
			}
			hashes.push(block.hash());
			next_number = Some(block.number() + 1);
			for hash in hashes {
				if !lock(&self.pending).is_empty() {
					let (block_at, in_block) = outcomes_in_block(self.client, hash).await?;
					self.settle_block(block_at, in_block);
				}
			}
			if !self.submitting.load(Ordering::SeqCst) && lock(&self.pending).is_empty() {
				break;
			}
			if block.number() > expires_after {
				self.expire(expires_after);
				break;
			}
		}
		Ok(())
	}

	/// Settles the pending transactions `block_at` includes, each with its events or error.
	fn settle_block(
		&self,
		block_at: BlockAt,
		mut in_block: HashMap<Hash, Result<Vec<ChainEvent>>>,
	) {
		let included: Vec<(Hash, usize)> = {
			let mut pending = lock(&self.pending);
			in_block
				.keys()
				.filter_map(|hash| pending.remove(hash).map(|index| (*hash, index)))
				.collect()
		};
		self.window.add_permits(included.len());
		for (extrinsic, index) in included {
			let outcome = match in_block.remove(&extrinsic) {
				Some(Ok(events)) => Ok(Receipt { extrinsic, block: Some(block_at), events }),
				Some(Err(error)) => Err(error),
				None => Err(Error::Node("an included extrinsic lost its outcome".into())),
			};
			self.outcomes.settle(index, outcome);
		}
	}

	/// Settles every transaction still pending as never included.
	fn expire(&self, expires_after: u64) {
		let expired: Vec<usize> = lock(&self.pending).drain().map(|(_, index)| index).collect();
		for index in expired {
			self.outcomes.settle(
				index,
				Err(Error::Dropped(format!(
					"not included before it expired at block {expires_after}"
				))),
			);
		}
	}
}

/// Every extrinsic of a block with its events, or the error it failed with.
async fn outcomes_in_block(
	client: &Client,
	block_hash: Hash,
) -> Result<(BlockAt, HashMap<Hash, Result<Vec<ChainEvent>>>)> {
	let at = client.api().at_block(subxt::backend::BlockRef::from_hash(block_hash)).await?;
	let block = BlockAt { number: at.block_number(), hash: block_hash };
	let metadata = at.metadata();
	let mut per_index: HashMap<u32, Result<Vec<ChainEvent>>> = HashMap::new();
	for event in at.events().fetch().await?.iter() {
		let event = event?;
		let subxt::events::Phase::ApplyExtrinsic(index) = event.phase() else { continue };
		let outcome = per_index.entry(index).or_insert_with(|| Ok(Vec::new()));
		if event.is::<ExtrinsicSuccess>() {
			continue;
		}
		if event.is::<ExtrinsicFailed>() {
			// Its first field is the dispatch error, which subxt decodes by the metadata's type.
			let error =
				subxt::error::DispatchError::decode_from(event.field_bytes(), metadata.clone())
					.map_err(|error| Error::Node(error.to_string()))?;
			*outcome = Err(Error::from_dispatch(error, &metadata));
		} else if let Ok(events) = outcome {
			events.push(ChainEvent::from_subxt(&event, &metadata));
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
