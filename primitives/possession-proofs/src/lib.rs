//! # Proofs of possession
//!
//! What a key signs to show that its holder consents to how the chain will use it. Without such
//! a proof an organisation could register anybody's account as one of its devices (revoking the
//! device would then retire that account for good), or claim another consortium member's node.
//!
//! - A **device key** signs [`device_key_payload`] before it is registered or rotated in: this
//!   chain's genesis hash, the organisation, the device id and the account, so the proof is worth
//!   one device of one organisation on one chain.
//! - A **node's identity key** (its libp2p ed25519 key) signs [`node_claim_payload`] before an
//!   organisation claims the node's PeerId.
//!
//! The runtime and the client (`iotctl`, factory tooling) build the bytes with these functions,
//! so both sides sign and check the same thing. Every payload starts with a domain tag, and the
//! one variable-length part is length-prefixed, so no payload passes for another.

#![no_std]

extern crate alloc;

use alloc::vec::Vec;

/// The domain tags of the payloads; a new version of a payload gets a new tag.
pub mod domain {
	/// A device key consenting to its registration as a device.
	pub const DEVICE_KEY: &[u8] = b"iotchain/v1/device-key";
	/// A node's identity key consenting to an organisation's claim of its PeerId.
	pub const NODE_CLAIM: &[u8] = b"iotchain/v1/node-claim";
}

/// The bytes a device key signs to consent to being device `device` of organisation `org` on
/// the chain whose genesis hash is `genesis`; `account` is the SCALE encoding of the account
/// the key controls (32 bytes for the runtime's accounts).
pub fn device_key_payload(
	genesis: &[u8; 32],
	org: u32,
	device: &[u8; 32],
	account: &[u8],
) -> Vec<u8> {
	let mut payload =
		Vec::with_capacity(domain::DEVICE_KEY.len() + 32 + 4 + 32 + 4 + account.len());
	payload.extend_from_slice(domain::DEVICE_KEY);
	payload.extend_from_slice(genesis);
	payload.extend_from_slice(&org.to_le_bytes());
	payload.extend_from_slice(device);
	payload.extend_from_slice(&length_prefix(account));
	payload.extend_from_slice(account);
	payload
}

/// The bytes a node's identity key signs to consent to organisation `org` claiming its
/// `peer_id` (binary multihash form) on the chain whose genesis hash is `genesis`.
pub fn node_claim_payload(genesis: &[u8; 32], org: u32, peer_id: &[u8]) -> Vec<u8> {
	let mut payload = Vec::with_capacity(domain::NODE_CLAIM.len() + 32 + 4 + 4 + peer_id.len());
	payload.extend_from_slice(domain::NODE_CLAIM);
	payload.extend_from_slice(genesis);
	payload.extend_from_slice(&org.to_le_bytes());
	payload.extend_from_slice(&length_prefix(peer_id));
	payload.extend_from_slice(peer_id);
	payload
}

/// A variable-length part's byte count as a little-endian `u32` (saturating: nothing this
/// large is meaningful here).
fn length_prefix(bytes: &[u8]) -> [u8; 4] {
	u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes()
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_device_key_payload_names_chain_organisation_device_and_account() {
		let payload = device_key_payload(&[1; 32], 7, &[2; 32], &[3; 32]);
		let mut expected = b"iotchain/v1/device-key".to_vec();
		expected.extend([1; 32]);
		expected.extend(7u32.to_le_bytes());
		expected.extend([2; 32]);
		expected.extend(32u32.to_le_bytes());
		expected.extend([3; 32]);
		assert_eq!(payload, expected);
		// Each input changes the payload: a proof is worth one device of one organisation.
		assert_ne!(payload, device_key_payload(&[9; 32], 7, &[2; 32], &[3; 32]));
		assert_ne!(payload, device_key_payload(&[1; 32], 8, &[2; 32], &[3; 32]));
		assert_ne!(payload, device_key_payload(&[1; 32], 7, &[9; 32], &[3; 32]));
		assert_ne!(payload, device_key_payload(&[1; 32], 7, &[2; 32], &[9; 32]));
	}

	#[test]
	fn payloads_of_different_purposes_never_coincide() {
		let device = device_key_payload(&[1; 32], 0, &[2; 32], &[]);
		let node = node_claim_payload(&[1; 32], 0, &[2; 32]);
		assert_ne!(device, node);
		assert!(node.starts_with(b"iotchain/v1/node-claim"));
	}
}
