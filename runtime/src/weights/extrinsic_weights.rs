//! What every extrinsic costs beyond its transaction extensions and its call: decoding, the
//! signature check, and applying it. Derived from measurements on the project's machine
//! (the signed remark and the admission check on 2026-12-07, an Intel Xeon machine; the other
//! extensions and the remark on 2026-11-23, an AMD EPYC one):
//!
//! - `scripts/benchmark-overhead.sh` (`iotchain-node benchmark overhead`): a block full of
//!   signed empty `system.remark`s (450 of them) executed 100 times; each remark costs
//!   [`SIGNED_REMARK_NANOS`] on average (median 201_772, p95 225_817), everything included;
//! - the transaction extensions' own benchmarks (`frame_system_extensions`,
//!   `pallet_transaction_payment`, `pallet_admission`): their measured compute for that remark
//!   sums to [`EXTENSIONS_COMPUTE_NANOS`] (their storage accesses are charged on top, at the
//!   runtime's `DbWeight`);
//! - `frame_system`'s benchmark: the remark itself, [`REMARK_NANOS`] (its minimum execution).
//!
//! polkadot-sdk's overhead benchmark takes the whole remark as the base, which counts the
//! extensions a second time now that they carry weights of their own (polkadot-sdk#9981). The
//! base here is what remains once they and the call are taken out.

use frame_support::{
	parameter_types,
	weights::{constants::WEIGHT_REF_TIME_PER_NANOS, Weight},
};

/// A signed empty `system.remark`, applied as part of a block: everything included.
pub const SIGNED_REMARK_NANOS: u64 = 191_381;
/// The compute the transaction extensions' weights charge for a signed immortal remark:
/// `CheckNonZeroSender` 721, `AdmitAndCheckNonce` 95_868, `CheckSpecVersion` 561,
/// `CheckTxVersion` 561, `CheckGenesis` 2_203, `CheckMortality` (immortal) 4_897,
/// `CheckWeight` 4_767, `ChargeTransactionPayment` 54_611, `WeightReclaim` 2_934.
pub const EXTENSIONS_COMPUTE_NANOS: u64 = 167_123;
/// An empty `system.remark`'s own execution.
pub const REMARK_NANOS: u64 = 2_503;

parameter_types! {
	/// The part of a signed extrinsic that neither its extensions nor its call pay for:
	/// 191_381 − 167_123 − 2_503 = 21_755 ns.
	pub const ExtrinsicBaseWeight: Weight = Weight::from_parts(
		WEIGHT_REF_TIME_PER_NANOS
			.saturating_mul(SIGNED_REMARK_NANOS - EXTENSIONS_COMPUTE_NANOS - REMARK_NANOS),
		0,
	);
}
