//! Anchoring: close a batch every interval, submit each closed batch's root in order, and
//! follow the chain's finalised blocks to learn which are anchored.
//!
//! Exactly once, across crashes: a batch is stored (its number, log range and root) before it
//! is submitted, so after a restart the same batch goes out under the same number; and the
//! chain accepts each gateway's batch numbers only in sequence, once. So a batch the gateway
//! submitted twice (it was killed before it learnt of the first, or it resubmitted one that
//! was slow to finalise) is anchored once and its copy refused.

use crate::{
	chain::Chain,
	config::Anchoring,
	error::Error,
	metrics::Metrics,
	progress::Progress,
	store::{BatchRecord, Store},
};
use iotchain_client::{AnchorBatch, DeviceRange, Wait};
use std::{
	collections::{BTreeMap, HashMap},
	sync::{atomic::Ordering, Arc},
	time::{Duration, Instant},
};

/// The anchoring task.
pub struct Anchor {
	chain: Arc<Chain>,
	store: Arc<Store>,
	config: Anchoring,
	metrics: Arc<Metrics>,
	progress: Arc<Progress>,
	/// The batch number the chain expects next, as of the latest finalised block.
	chain_next: u64,
	/// Batches submitted and not yet seen finalised, with when.
	in_flight: BTreeMap<u64, Instant>,
	/// When batches not yet finalised were closed.
	closed_at: HashMap<u64, Instant>,
}

impl Anchor {
	/// Checks the store against the chain and starts anchoring. Fails when the chain holds
	/// batches of this gateway that the store never closed (a lost or foreign store): the
	/// gateway could never anchor again without reusing their numbers.
	///
	/// `progress` is as the store left it ([`Progress::restore`]); what is finalised is the
	/// chain's to say, so it is set here, from the batches the chain has anchored.
	pub async fn start(
		chain: Arc<Chain>,
		store: Arc<Store>,
		config: Anchoring,
		metrics: Arc<Metrics>,
		progress: Arc<Progress>,
	) -> Result<(), Error> {
		let position = store.position()?;
		let gateway = chain.identity().id;
		let client = chain.client().ok_or(Error::NodeUnreachable)?;
		let chain_next = client.next_anchor_batch(gateway).await?;
		if chain_next > position.next_batch {
			return Err(Error::ForeignStore { anchored: chain_next, closed: position.next_batch });
		}
		let finalised_end = match chain_next.checked_sub(1) {
			Some(last) => store.batch(last)?.map_or(0, |record| record.end),
			None => 0,
		};
		progress.finalised.store(finalised_end, Ordering::Release);
		metrics.queue_depth.set(progress.unanchored() as i64);
		let mut anchor = Anchor {
			chain,
			store,
			config,
			metrics,
			progress,
			chain_next: position.finalised_batches.min(chain_next),
			in_flight: BTreeMap::new(),
			closed_at: HashMap::new(),
		};
		anchor.learn_finalised(chain_next, 0).await;
		tokio::spawn(anchor.run());
		Ok(())
	}

	async fn run(mut self) {
		let mut finalised = self.chain.finalised();
		let mut ticker =
			tokio::time::interval(Duration::from_millis(self.config.batch_interval_ms));
		ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
		loop {
			tokio::select! {
				_ = ticker.tick() => {
					self.close_batches().await;
					self.submit().await;
				},
				changed = finalised.changed() => {
					if changed.is_err() {
						return;
					}
					let block = *finalised.borrow_and_update();
					self.on_finalised(block).await;
					self.submit().await;
				},
			}
		}
	}

	/// Closes batches over everything accepted since the last one (several when a backlog
	/// exceeds one batch's bounds).
	async fn close_batches(&mut self) {
		loop {
			let store = self.store.clone();
			let (leaves, devices) = (self.config.max_batch_leaves, self.config.max_batch_devices);
			match tokio::task::spawn_blocking(move || store.close_batch(leaves, devices)).await {
				Ok(Ok(Some(record))) => {
					tracing::debug!(
						batch = record.sequence,
						readings = record.leaf_count(),
						"closed a batch"
					);
					self.closed_at.insert(record.sequence, Instant::now());
					self.metrics.batch_size.observe(f64::from(record.leaf_count()));
				},
				Ok(Ok(None)) => break,
				Ok(Err(error)) => {
					tracing::error!(%error, "closing a batch failed");
					break;
				},
				Err(_) => break,
			}
		}
		self.update_pending();
	}

	fn update_pending(&self) {
		let closed = self.store.position().map(|p| p.next_batch).unwrap_or(self.chain_next);
		self.metrics.pending_batches.set(closed.saturating_sub(self.chain_next) as i64);
	}

	async fn on_finalised(&mut self, block: u32) {
		let Some(client) = self.chain.client() else { return };
		match client.next_anchor_batch(self.chain.identity().id).await {
			Ok(next) => self.learn_finalised(next, block).await,
			Err(error) => {
				tracing::warn!(%error, "reading the anchored batches failed");
				self.chain.lost();
			},
		}
	}

	/// The chain's finalised state expects batch `next`: batches below it are anchored.
	async fn learn_finalised(&mut self, next: u64, block: u32) {
		if next <= self.chain_next && block != 0 {
			return;
		}
		if let Some(client) = self.chain.client() {
			let gateway = self.chain.identity().id;
			for sequence in self.chain_next..next {
				let (Ok(Some(ours)), Ok(Some(theirs))) =
					(self.store.batch(sequence), client.anchored_batch(gateway, sequence).await)
				else {
					continue;
				};
				if ours.root != theirs.root || ours.leaf_count() != theirs.leaf_count {
					tracing::error!(
						batch = sequence,
						"the chain anchored another root under this gateway's batch number: is \
						 another process signing with this gateway's key?"
					);
				}
			}
		}
		if let Err(error) = self.store.mark_finalised(next, block) {
			tracing::error!(%error, "recording finalised batches failed");
		}
		let now = Instant::now();
		for sequence in self.chain_next..next {
			if let Some(closed) = self.closed_at.remove(&sequence) {
				self.metrics.batch_latency.observe((now - closed).as_secs_f64());
			}
		}
		self.in_flight.retain(|sequence, _| *sequence >= next);
		self.chain_next = next;
		let end = match next.checked_sub(1).map(|last| self.store.batch(last)) {
			Some(Ok(Some(record))) => record.end,
			_ => self.progress.finalised.load(Ordering::Acquire),
		};
		self.progress.finalised.store(end, Ordering::Release);
		{
			let mut times = self.progress.accepted_at.lock().expect("not poisoned");
			while times.front().is_some_and(|(index, _)| *index < end) {
				let (_, at) = times.pop_front().expect("checked above");
				self.metrics.anchor_latency.observe((now - at).as_secs_f64());
			}
		}
		self.metrics.queue_depth.set(self.progress.unanchored() as i64);
		self.update_pending();
	}

	/// Submits, in order, every closed batch not in flight. A batch in flight longer than
	/// `resubmit_after_ms` (its transaction lost with a restarted node, say) is submitted again
	/// with everything after it.
	async fn submit(&mut self) {
		let Some(client) = self.chain.client() else { return };
		let resubmit_after = Duration::from_millis(self.config.resubmit_after_ms);
		if self
			.in_flight
			.get(&self.chain_next)
			.is_some_and(|at| at.elapsed() > resubmit_after)
		{
			tracing::warn!(
				batch = self.chain_next,
				"batch not finalised in time; submitting again"
			);
			self.in_flight.clear();
		}
		let closed = match self.store.position() {
			Ok(position) => position.next_batch,
			Err(_) => return,
		};
		for sequence in self.chain_next..closed {
			if self.in_flight.contains_key(&sequence) {
				continue;
			}
			let batch = match self.anchor_call(sequence) {
				Ok(batch) => batch,
				Err(error) => {
					tracing::error!(%error, batch = sequence, "reading a closed batch failed");
					return;
				},
			};
			match client.anchor_batch(batch, Wait::InPool).await {
				Ok(_) => {
					tracing::debug!(batch = sequence, "submitted");
					self.in_flight.insert(sequence, Instant::now());
				},
				Err(error) => {
					tracing::warn!(%error, batch = sequence, "submitting a batch failed");
					if matches!(
						error,
						iotchain_client::Error::Unreachable { .. }
							| iotchain_client::Error::Node(_)
					) {
						self.chain.lost();
					}
					return;
				},
			}
		}
	}

	fn anchor_call(&self, sequence: u64) -> Result<AnchorBatch, Error> {
		let record: BatchRecord =
			self.store.batch(sequence)?.ok_or(Error::MissingBatch { sequence })?;
		let contents = self.store.batch_contents(&record)?;
		Ok(AnchorBatch {
			sequence,
			root: record.root,
			leaf_count: record.leaf_count(),
			first_timestamp_ms: contents.first_timestamp_ms,
			last_timestamp_ms: contents.last_timestamp_ms,
			devices: contents
				.ranges
				.into_iter()
				.map(|range| DeviceRange {
					device: range.device,
					first: range.first,
					last: range.last,
				})
				.collect(),
		})
	}
}
