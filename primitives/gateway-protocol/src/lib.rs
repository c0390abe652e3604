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
//! - [`answer`]: the gateway's signed acknowledgements and relay outcomes, which devices check
//!   against their gateway's key before acting on them.
//! - `verify` (with `std`): envelopes', read requests' and answers' signatures; envelopes' one at
//!   a time or in batches.
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

pub mod answer;
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

/// Writes `parts` one after another into `payload`, which is exactly as long as they are: how
/// every fixed-width signing payload is laid out.
pub(crate) fn write_parts(payload: &mut [u8], parts: &[&[u8]]) {
	let mut at = 0;
	for part in parts {
		payload[at..at + part.len()].copy_from_slice(part);
		at += part.len();
	}
	debug_assert_eq!(at, payload.len());
}

/// A key as text: its type and `0x` and hex, `sr25519:0x…` (a reader's key in a read request,
/// the gateway's key on its answers).
pub fn typed_key(key_type: envelope::KeyType, key: &[u8; 32]) -> alloc::string::String {
	alloc::format!("{}:0x{}", key_type.name(), Hex(key))
}

/// A key from its text form ([`typed_key`]).
pub fn parse_typed_key(text: &str) -> Option<(envelope::KeyType, [u8; 32])> {
	let (name, hex) = text.split_once(':')?;
	Some((envelope::KeyType::from_name(name)?, unhex::<32>(hex)?))
}

/// Lower-case hex, for text forms.
pub(crate) struct Hex<'a>(&'a [u8]);

impl core::fmt::Display for Hex<'_> {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
	}
}

/// `N` bytes from `0x` and exactly `2 N` hex digits: how the protocol's text forms (read
/// requests, answers' fields) write bytes.
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
	let digits = text.strip_prefix("0x")?.as_bytes();
	if digits.len() != 2 * N {
		return None;
	}
	let mut bytes = [0u8; N];
	for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
		let digit = |c: u8| (c as char).to_digit(16);
		*byte = (digit(pair[0])? * 16 + digit(pair[1])?) as u8;
	}
	Some(bytes)
}
