//! What executing a block costs before any transaction: its inherents (the timestamp) and every
//! pallet's `on_initialize`/`on_finalize`, measured on the project's machine by
//! `scripts/benchmark-overhead.sh` (`iotchain-node benchmark overhead`, the per-block figure):
//! an empty block executed 100 times on the node's own client, 2026-11-23.
//!
//! Nanoseconds: average 227_378, median 221_479, p95 273_537, p99 416_790 (min 171_225, max
//! 1_500_417). Charged at the average, as polkadot-sdk's default (5 ms, measured on its
//! reference hardware for a far larger runtime) is.

use frame_support::{
	parameter_types,
	weights::{constants::WEIGHT_REF_TIME_PER_NANOS, Weight},
};

parameter_types! {
	/// Executing an empty block: 227_378 ns.
	pub const BlockExecutionWeight: Weight =
		Weight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul(227_378), 0);
}
