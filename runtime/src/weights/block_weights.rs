//! What executing a block costs before any transaction: its inherents (the timestamp) and every
//! pallet's `on_initialize`/`on_finalize`, measured on the project's machine by
//! `scripts/benchmark-overhead.sh` (`iotchain-node benchmark overhead`, the per-block figure):
//! an empty block executed 100 times on the node's own client, 2026-12-07 (an Intel Xeon
//! machine; 227_378 on the AMD EPYC of 2026-11-23).
//!
//! Nanoseconds: average 427_830, median 319_386, p95 468_408, p99 2_105_483 (min 225_134, max
//! 7_730_461). Charged at the average, as polkadot-sdk's default (5 ms, measured on its
//! reference hardware for a far larger runtime) is.

use frame_support::{
	parameter_types,
	weights::{constants::WEIGHT_REF_TIME_PER_NANOS, Weight},
};

parameter_types! {
	/// Executing an empty block: 427_830 ns.
	pub const BlockExecutionWeight: Weight =
		Weight::from_parts(WEIGHT_REF_TIME_PER_NANOS.saturating_mul(427_830), 0);
}
