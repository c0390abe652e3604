//! The proof of one reading: what a gateway serves and a verifier checks against the root the
//! gateway anchored on chain. Only with the `std` feature (it is JSON, through serde).

use serde::{Deserialize, Serialize};

/// A reading with what proves it, as a gateway serves it (`GET /v1/proofs/{device}/{seq}`)
/// and `iotctl telemetry verify` checks it. Byte strings are hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadingProof {
	/// The gateway that anchored the reading.
	pub gateway: String,
	/// The gateway's batch that holds it.
	pub batch: u64,
	/// Its position among the batch's leaves.
	pub leaf_index: u64,
	/// The batch's leaf count, as the gateway claims it (checked against the chain).
	pub leaf_count: u32,
	/// The batch's root, as the gateway claims it (checked against the chain).
	pub root: String,
	/// The audit path from the leaf up.
	pub proof: Vec<String>,
	/// The envelope, in its wire form; absent from a proof served without the payload, which
	/// a verifier checks with the envelope it holds.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub envelope: Option<String>,
	/// The leaf hash (RFC 6962: SHA-256 of `0x00` and the envelope): what the audit path
	/// proves, and what the envelope a verifier holds must hash to.
	#[serde(default, skip_serializing_if = "Option::is_none")]
	pub leaf: Option<String>,
}
