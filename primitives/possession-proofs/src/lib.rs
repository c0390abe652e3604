//! # Proofs of possession
//!
//! What a key signs to show that its holder consents to how the chain will use it. Without such
//! a proof an organisation could register anybody's account as one of its devices (revoking the
//! device would then retire that account for good), or claim another consortium member's node.
//!
//! - A **device key** signs [`device_key_payload`] before it is registered, rotated in or taken
//!   over with a transfer: this chain's genesis hash, the organisation, whether it is to be a
//!   device or a gateway, the device id and the account, so the proof is worth one device of one
//!   kind of one organisation on one chain.
//! - An **account** signs [`org_account_payload`] before an organisation's admins add it as an
//!   admin or a member: the chain, the organisation, the role and the last block the consent
//!   holds, so nobody is enrolled in an organisation they did not choose, and an old consent does
//!   not enrol its account again once it has passed.
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
	/// A device key consenting to its registration as a device or gateway. (`v1` named no
	/// kind, so a key provisioned as a sensor could be registered as a gateway.)
	pub const DEVICE_KEY: &[u8] = b"iotchain/v2/device-key";
	/// An account consenting to join an organisation as an admin or a member.
	pub const ORG_ACCOUNT: &[u8] = b"iotchain/v1/org-account";
	/// A node's identity key consenting to an organisation's claim of its PeerId.
	pub const NODE_CLAIM: &[u8] = b"iotchain/v1/node-claim";
}

/// What a device key consents to be: one byte in [`device_key_payload`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum KeyKind {
	/// A sensor, actuator or appliance (byte 0).
	Device,
	/// A gateway, which relays other devices' traffic (byte 1).
	Gateway,
}

/// The role an account consents to hold in an organisation: one byte in
/// [`org_account_payload`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OrgRole {
	/// An admin, who shares power over the organisation's accounts (byte 0).
	Admin,
	/// A member (operator), who manages the organisation's devices (byte 1).
	Member,
}

/// The bytes a device key signs to consent to being device `device`, of kind `kind`, of
/// organisation `org` on the chain whose genesis hash is `genesis`; `account` is the SCALE
/// encoding of the account the key controls (32 bytes for the runtime's accounts).
pub fn device_key_payload(
	genesis: &[u8; 32],
	org: u32,
	kind: KeyKind,
	device: &[u8; 32],
	account: &[u8],
) -> Vec<u8> {
	let mut payload =
		Vec::with_capacity(domain::DEVICE_KEY.len() + 32 + 4 + 1 + 32 + 4 + account.len());
	payload.extend_from_slice(domain::DEVICE_KEY);
	payload.extend_from_slice(genesis);
	payload.extend_from_slice(&org.to_le_bytes());
	payload.push(match kind {
		KeyKind::Device => 0,
		KeyKind::Gateway => 1,
	});
	payload.extend_from_slice(device);
	payload.extend_from_slice(&length_prefix(account));
	payload.extend_from_slice(account);
	payload
}

/// The bytes an account's key signs to consent to joining organisation `org` as `role` on the
/// chain whose genesis hash is `genesis`, if it is added by block `valid_until` at the latest;
/// `account` is the SCALE encoding of the account.
pub fn org_account_payload(
	genesis: &[u8; 32],
	org: u32,
	role: OrgRole,
	valid_until: u32,
	account: &[u8],
) -> Vec<u8> {
	let mut payload =
		Vec::with_capacity(domain::ORG_ACCOUNT.len() + 32 + 4 + 1 + 4 + 4 + account.len());
	payload.extend_from_slice(domain::ORG_ACCOUNT);
	payload.extend_from_slice(genesis);
	payload.extend_from_slice(&org.to_le_bytes());
	payload.push(match role {
		OrgRole::Admin => 0,
		OrgRole::Member => 1,
	});
	payload.extend_from_slice(&valid_until.to_le_bytes());
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
	fn a_device_key_payload_names_chain_organisation_kind_device_and_account() {
		let payload = device_key_payload(&[1; 32], 7, KeyKind::Gateway, &[2; 32], &[3; 32]);
		let mut expected = b"iotchain/v2/device-key".to_vec();
		expected.extend([1; 32]);
		expected.extend(7u32.to_le_bytes());
		expected.push(1);
		expected.extend([2; 32]);
		expected.extend(32u32.to_le_bytes());
		expected.extend([3; 32]);
		assert_eq!(payload, expected);
		// Each input changes the payload: a proof is worth one device of one kind of one
		// organisation.
		let device = KeyKind::Device;
		let gateway = KeyKind::Gateway;
		assert_ne!(payload, device_key_payload(&[9; 32], 7, gateway, &[2; 32], &[3; 32]));
		assert_ne!(payload, device_key_payload(&[1; 32], 8, gateway, &[2; 32], &[3; 32]));
		assert_ne!(payload, device_key_payload(&[1; 32], 7, device, &[2; 32], &[3; 32]));
		assert_ne!(payload, device_key_payload(&[1; 32], 7, gateway, &[9; 32], &[3; 32]));
		assert_ne!(payload, device_key_payload(&[1; 32], 7, gateway, &[2; 32], &[9; 32]));
	}

	#[test]
	fn an_org_account_payload_names_chain_organisation_role_expiry_and_account() {
		let payload = org_account_payload(&[1; 32], 7, OrgRole::Member, 1_000, &[3; 32]);
		let mut expected = b"iotchain/v1/org-account".to_vec();
		expected.extend([1; 32]);
		expected.extend(7u32.to_le_bytes());
		expected.push(1);
		expected.extend(1_000u32.to_le_bytes());
		expected.extend(32u32.to_le_bytes());
		expected.extend([3; 32]);
		assert_eq!(payload, expected);
		let member = OrgRole::Member;
		assert_ne!(payload, org_account_payload(&[9; 32], 7, member, 1_000, &[3; 32]));
		assert_ne!(payload, org_account_payload(&[1; 32], 8, member, 1_000, &[3; 32]));
		assert_ne!(payload, org_account_payload(&[1; 32], 7, OrgRole::Admin, 1_000, &[3; 32]));
		assert_ne!(payload, org_account_payload(&[1; 32], 7, member, 1_001, &[3; 32]));
		assert_ne!(payload, org_account_payload(&[1; 32], 7, member, 1_000, &[9; 32]));
	}

	#[test]
	fn payloads_of_different_purposes_never_coincide() {
		let device = device_key_payload(&[1; 32], 0, KeyKind::Device, &[2; 32], &[]);
		let node = node_claim_payload(&[1; 32], 0, &[2; 32]);
		let account = org_account_payload(&[1; 32], 0, OrgRole::Admin, 0, &[]);
		assert_ne!(device, node);
		assert_ne!(device, account);
		assert_ne!(node, account);
		assert!(node.starts_with(b"iotchain/v1/node-claim"));
		assert!(account.starts_with(b"iotchain/v1/org-account"));
	}
}
