//! Anchoring: close a batch every interval, submit each closed batch's root in order, and
//! follow the chain's finalised blocks to learn which are anchored.
//!
//! Exactly once, across crashes: a batch is stored (its number, log range and root) before it
//! is submitted, so after a restart the same batch goes out under the same number; and the
//! chain accepts each gateway's batch numbers only in sequence, once. So a batch the gateway
//! submitted twice (it was killed before it learnt of the first, or it resubmitted one that
//! was slow to finalise) is anchored once and its copy refused.
//!
//! Never wedged by one device: the chain refuses a whole batch for one device it may no longer
//! anchor (moved to another organisation, no longer registered, or anchored further by another
//! gateway), and batches go in strictly in order, so such a batch would hold back every later
//! one for ever. Before each submission the batch's devices are checked against the registry
//! as the latest finalised block left it; a batch that stays unanchored for
//! [`STUCK_AFTER_BLOCKS`] finalised blocks is checked again against the chain's anchors too.
//! The readings the chain would refuse are set aside (kept, served with their reason, counted
//! on `/healthz` and in `gateway_unanchorable_readings_total`), and the batches from that one on,
//! none of them anchored, close again without them under the same numbers.

use crate::{
	chain::{Chain, Lookup},
	config::Anchoring,
	error::Error,
	metrics::Metrics,
	progress::Progress,
	store::{BatchRecord, Store, Unanchorable},
};
use iotchain_client::{AnchorBatch, DeviceRange, Wait};
use std::{
	collections::{BTreeMap, HashMap},
	sync::{atomic::Ordering, Arc},
	time::{Duration, Instant},
};

/// Finalised blocks a submitted batch may go unanchored before the gateway asks the chain
/// whether each of its devices can be anchored at all (a node query per device). Well above
/// the few blocks a batch takes under load, and well below `resubmit_after_ms`.
pub const STUCK_AFTER_BLOCKS: u32 = 10;

/// A batch submitted and not yet seen finalised.
struct InFlight {
	submitted: Instant,
	/// The finalised block when it was submitted, became the batch the chain expects next, or
	/// was last asked about: it is stuck [`STUCK_AFTER_BLOCKS`] after.
	checked: u32,
	/// Its devices' ranges, as submitted.
	devices: Vec<DeviceRange>,
}

/// The anchoring task.
pub struct Anchor {
	chain: Arc<Chain>,
	store: Arc<Store>,
	config: Anchoring,
	metrics: Arc<Metrics>,
	progress: Arc<Progress>,
	/// The batch number the chain expects next, as of the latest finalised block.
	chain_next: u64,
	/// Batches submitted and not yet seen finalised.
	in_flight: BTreeMap<u64, InFlight>,
	/// The latest finalised block seen.
	finalised_block: u32,
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
		progress.finalised.store(finalised_end(&store, chain_next)?, Ordering::Release);
		metrics.queue_depth.set(progress.unanchored() as i64);
		// The latest finalised block the gateway knows of at start: a batch submitted before the
		// next one arrives counts its wait from here, not from genesis.
		let finalised_block = *chain.finalised().borrow();
		let mut anchor = Anchor {
			chain,
			store,
			config,
			metrics,
			progress,
			chain_next: position.finalised_batches.min(chain_next),
			in_flight: BTreeMap::new(),
			finalised_block,
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
		self.finalised_block = block;
		let Some(client) = self.chain.client() else { return };
		match client.next_anchor_batch(self.chain.identity().id).await {
			Ok(next) => {
				tracing::debug!(block, next, "finalised");
				self.learn_finalised(next, block).await
			},
			Err(error) => {
				tracing::warn!(%error, "reading the anchored batches failed");
				self.chain.lost();
				return;
			},
		}
		let sequence = self.chain_next;
		let Some(head) = self.in_flight.get_mut(&sequence) else { return };
		if block >= head.checked.saturating_add(STUCK_AFTER_BLOCKS) {
			head.checked = block;
			self.check_stuck_batch().await;
			return;
		}
		// A registry change the block brought (a transfer, say) may have made the batch the
		// chain expects unanchorable: checked against what the gateway knows, no node query.
		let devices = head.devices.clone();
		let refused = self.refused_devices(&devices).await;
		if !refused.is_empty() {
			self.set_aside(sequence, &refused).await;
		}
	}

	/// The batch the chain expects next was submitted and is still not anchored: asks the
	/// chain whether each of its devices can be anchored as the batch stands, and sets aside
	/// the readings it cannot.
	async fn check_stuck_batch(&mut self) {
		let sequence = self.chain_next;
		let Ok(batch) = self.anchor_call(sequence) else { return };
		let Some(client) = self.chain.client() else { return };
		let own = self.chain.identity().id;
		let mut refused = self.refused_devices(&batch.devices).await;
		for range in &batch.devices {
			if refused.iter().any(|refusal| refusal.device == range.device) {
				continue;
			}
			// This gateway's own anchor of the range is this batch, anchored in a block
			// finalised since `chain_next` was read: nothing to set aside.
			match client.device_anchor(range.device).await {
				Ok(Some(anchor))
					if anchor.last_sequence >= range.first && anchor.gateway != own =>
				{
					refused.push(Unanchorable {
						device: range.device,
						up_to: Some(anchor.last_sequence),
						reason: format!(
							"gateway {} anchored this device's readings up to {} first",
							iotchain_client::to_hex(&anchor.gateway),
							anchor.last_sequence
						),
					});
				},
				Ok(_) => {},
				Err(error) => {
					tracing::warn!(%error, "reading a device's anchor failed");
					return;
				},
			}
		}
		if refused.is_empty() {
			tracing::warn!(batch = sequence, "batch still not anchored; every device checks out");
		} else {
			self.set_aside(sequence, &refused).await;
		}
	}

	/// The devices of `batch` the chain would refuse it for, as the registry stood at the
	/// latest finalised block the gateway saw: no longer registered, or of another
	/// organisation now. A device the gateway cannot look up now is left to the chain.
	async fn refused_devices(&self, devices: &[DeviceRange]) -> Vec<Unanchorable> {
		let org = self.chain.identity().org;
		let mut refused = Vec::new();
		for range in devices {
			let reason = match self.chain.device(&range.device).await {
				(Lookup::Found, Some(view)) if view.org == org => continue,
				(Lookup::Found, Some(view)) => {
					format!("the device moved to organisation {}", view.org)
				},
				(Lookup::Unavailable, _) => continue,
				_ => "the device is no longer registered".to_owned(),
			};
			refused.push(Unanchorable { device: range.device, up_to: None, reason });
		}
		refused
	}

	/// Sets aside what `refused` names from batch `from` on, and closes the batches again.
	async fn set_aside(&mut self, from: u64, refused: &[Unanchorable]) {
		let store = self.store.clone();
		let refused = refused.to_vec();
		let summary =
			match tokio::task::spawn_blocking(move || store.set_aside(from, &refused)).await {
				Ok(Ok(summary)) => summary,
				Ok(Err(error)) => return tracing::error!(%error, "setting readings aside failed"),
				Err(_) => return tracing::error!("setting readings aside panicked"),
			};
		for set in &summary {
			tracing::warn!(
				device = %iotchain_client::to_hex(&set.device),
				first = set.first,
				last = set.last,
				readings = set.count,
				reason = %set.reason,
				"readings set aside: the chain would refuse to anchor them"
			);
			self.metrics.unanchorable.inc_by(set.count);
			self.progress.set_aside.fetch_add(set.count, Ordering::AcqRel);
		}
		self.in_flight.retain(|sequence, _| *sequence < from);
		self.closed_at.retain(|sequence, _| *sequence < from);
		self.close_batches().await;
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
		// The batch now expected has waited on those before it until here.
		if let Some(head) = self.in_flight.get_mut(&next) {
			head.checked = block;
		}
		self.chain_next = next;
		let end = finalised_end(&self.store, next)
			.unwrap_or_else(|_| self.progress.finalised.load(Ordering::Acquire));
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
			.is_some_and(|batch| batch.submitted.elapsed() > resubmit_after)
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
			let refused = self.refused_devices(&batch.devices).await;
			if !refused.is_empty() {
				// Closed again without them; submitted at the next tick.
				return self.set_aside(sequence, &refused).await;
			}
			let devices = batch.devices.clone();
			match client.anchor_batch(batch, Wait::InPool).await {
				Ok(_) => {
					tracing::debug!(batch = sequence, "submitted");
					let submitted = Instant::now();
					let checked = self.finalised_block;
					self.in_flight.insert(sequence, InFlight { submitted, checked, devices });
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

/// Where the readings anchored in finalised blocks end, when the chain expects batch `next`:
/// the end of the batch before it, or, once every closed batch is anchored, the end of what
/// was closed (readings set aside after the last batch count as done).
fn finalised_end(store: &Store, next: u64) -> Result<u64, Error> {
	let position = store.position()?;
	if next >= position.next_batch {
		return Ok(position.closed_upto);
	}
	Ok(match next.checked_sub(1) {
		Some(last) => store.batch(last)?.map_or(0, |record| record.end),
		None => 0,
	})
}
