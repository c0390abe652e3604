//! How far the gateway has got with what it accepted: readings accepted and readings anchored
//! in finalised blocks (with when each reading still waiting was accepted), and logins and
//! update reports accepted and relayed with their outcome recorded.
//!
//! The ingest task counts what it accepts and bounds what it holds by the difference; the
//! anchor task counts what is finalised and times each reading's wait; the relay counts the
//! outcomes it records. `/healthz` reports what is unanchored and unrelayed, and the metrics'
//! queue depth is what is unanchored.
//!
//! At start the counters are restored once, from the store ([`Progress::restore`]); only what
//! is finalised waits for the anchor, which asks the chain.

use crate::store::{self, Store};
use std::{
	collections::VecDeque,
	sync::{
		atomic::{AtomicU64, Ordering},
		Mutex,
	},
	time::Instant,
};

/// How far readings have got: shared by the ingest task, the anchor and the metrics.
#[derive(Default)]
pub struct Progress {
	/// Readings ever accepted (the next log index).
	pub accepted: AtomicU64,
	/// Readings in batches known anchored in finalised blocks.
	pub finalised: AtomicU64,
	/// When each reading not yet finalised was accepted, by log index, oldest first.
	pub accepted_at: Mutex<VecDeque<(u64, Instant)>>,
	/// Logins and update reports ever accepted (the next relay index).
	pub relay_accepted: AtomicU64,
	/// Logins and update reports whose outcome on chain is recorded.
	pub relay_done: AtomicU64,
	/// Readings set aside because the chain would refuse to anchor them.
	pub set_aside: AtomicU64,
	/// Bytes free on the store's file system, as last measured (`crate::disk`); `u64::MAX`
	/// until then.
	pub disk_free: AtomicU64,
}

impl Progress {
	/// The counters as the store left them: readings accepted, and logins and update reports
	/// accepted and relayed. Readings finalised start at none: the anchor sets them as it
	/// starts, from the batches the chain has anchored (`Anchor::start`).
	pub fn restore(store: &Store) -> store::Result<Progress> {
		let position = store.position()?;
		Ok(Progress {
			accepted: AtomicU64::new(position.next_index),
			finalised: AtomicU64::new(0),
			accepted_at: Mutex::new(VecDeque::new()),
			relay_accepted: AtomicU64::new(position.relay_next),
			relay_done: AtomicU64::new(position.relay_done),
			set_aside: AtomicU64::new(position.set_aside),
			disk_free: AtomicU64::new(u64::MAX),
		})
	}

	/// Accepted readings not yet in a finalised anchor.
	pub fn unanchored(&self) -> u64 {
		self.accepted
			.load(Ordering::Acquire)
			.saturating_sub(self.finalised.load(Ordering::Acquire))
	}

	/// Accepted logins and update reports whose outcome is not yet known.
	pub fn unrelayed(&self) -> u64 {
		self.relay_accepted
			.load(Ordering::Acquire)
			.saturating_sub(self.relay_done.load(Ordering::Acquire))
	}
}
