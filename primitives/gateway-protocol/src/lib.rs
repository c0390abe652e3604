//! # The gateway protocol
//!
//! What a device sends a gateway, and how a gateway commits to what it accepted.
//!
//! - [`envelope`]: one signed envelope for every transport (HTTP, WebSocket, MQTT). It carries
//!   the device id, a per-device sequence number, the device's time, the kind of message and
//!   the payload. The device signs [`envelope::signing_payload`] with its registered chain key.
//! - [`merkle`]: accepted readings are leaves of a Merkle tree in the style of RFC 6962
//!   (Certificate Transparency): domain-separated SHA-256 leaf and node hashes, the same tree
//!   shape, and the same inclusion proofs. A gateway anchors each batch's root on chain; anyone
//!   holding a reading and its proof checks it against a finalised root.
//! - [`read_request`]: the signed header a reader sends a gateway for a device's readings,
//!   proofs and outcomes.
//! - `verify` (with `std`): envelopes' and read requests' signatures; envelopes' one at a time or
//!   in batches.
//! - `proof` (with `std`): a reading's proof in the JSON form gateways serve.
//!
//! The formats are fixed-width little-endian fields and SHA-256, so firmware in C checks itself
//! against `test-vectors.json`, which an independent implementation (`make-test-vectors.py`,
//! Python's hashlib and `cryptography`) wrote. `docs/gateway-protocol.md` specifies both.
//!
//! `no_std`, so firmware written in Rust can build envelopes with the same code the gateway
//! checks them with; only signature verification and the proof's JSON form need `std`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod envelope;
pub mod merkle;
#[cfg(feature = "std")]
pub mod proof;
pub mod read_request;
#[cfg(feature = "std")]
pub mod verify;

#[cfg(test)]
mod tests;

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// SHA-256 of `parts`, concatenated.
pub(crate) fn sha256(parts: &[&[u8]]) -> Hash {
	use sha2::Digest;
	let mut hasher = sha2::Sha256::new();
	for part in parts {
		hasher.update(part);
	}
	hasher.finalize().into()
}
