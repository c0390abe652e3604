//! Signed answers: what a gateway tells a device of its messages, signed with the gateway's
//! chain key, so a device acts only on its own gateway's word.
//!
//! A device deletes a reading once it is told `accepted`, and a smart lock opens once told its
//! user's login was recorded as a success. Answers travel through brokers, proxies and networks
//! the device does not control, so an unsigned answer would let anyone on the way make a device
//! drop readings that were never stored, or open. Two statements are signed:
//!
//! - **Acknowledgements** ([`ack_signing_payload`]): for each message read, its device,
//!   sequence number, the hash of its exact bytes, and what became of it (`accepted`, accepted
//!   again as a duplicate, or `refused` with the reason). One signature covers every answer of
//!   an HTTP response (their [`acks_digest`]); on WebSocket and MQTT each answer is signed on
//!   its own.
//! - **Outcomes** ([`outcome_signing_payload`]): what the chain made of a relayed login or
//!   update report: recorded in a block (with the bytes of the chain's event) or refused (with
//!   the reason).
//!
//! Both bind the chain (genesis hash) and the gateway's key, and name the message by its leaf
//! hash ([`crate::merkle::leaf_hash`] of its wire bytes): an answer for one message never passes
//! for another's, however the device numbers them. Fixed-width fields and SHA-256, as the
//! envelope's, so firmware in C checks them against `test-vectors.json`.

use crate::{envelope::DeviceId, sha256, write_parts, Hash};

/// The domain of an acknowledgement's signing payload.
pub const ACK_DOMAIN: &[u8; 27] = b"iotchain/v1/acknowledgement";
/// The domain of an outcome's signing payload.
pub const OUTCOME_DOMAIN: &[u8; 19] = b"iotchain/v1/outcome";
/// The length of an acknowledgement's signing payload.
pub const ACK_SIGNING_PAYLOAD_LEN: usize = ACK_DOMAIN.len() + 32 + 1 + 32 + 32;
/// The length of an outcome's signing payload.
pub const OUTCOME_SIGNING_PAYLOAD_LEN: usize =
	OUTCOME_DOMAIN.len() + 32 + 1 + 32 + 32 + 8 + 32 + 1 + 8 + 32;
/// The longest refusal reason an acknowledgement carries: its length is one byte.
pub const MAX_REASON_LEN: usize = 255;

/// What became of one message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AckStatus {
	/// Durably stored.
	Accepted = 0,
	/// Stored before (a retry): nothing new was stored.
	Duplicate = 1,
	/// Refused, for the reason the acknowledgement gives.
	Refused = 2,
}

/// One acknowledgement, as it is signed. An answer to bytes that were no envelope names no
/// message: its device, sequence and message are zero.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ack<'a> {
	pub device: DeviceId,
	pub sequence: u64,
	/// The leaf hash of the message's wire bytes.
	pub message: Hash,
	pub status: AckStatus,
	/// The refusal's reason code (`bad-signature`, …); empty unless refused.
	pub reason: &'a str,
}

/// Why an acknowledgement cannot be signed as it stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AnswerError {
	/// The reason is longer than [`MAX_REASON_LEN`] bytes.
	ReasonTooLong,
}

impl Ack<'_> {
	/// The acknowledgement's bytes within its digest: device (32), sequence (u64 LE), message
	/// (32), status (1), the reason's length (1) and the reason.
	fn digest_into(&self, hasher: &mut sha2::Sha256) -> Result<(), AnswerError> {
		use sha2::Digest;
		let length = u8::try_from(self.reason.len()).map_err(|_| AnswerError::ReasonTooLong)?;
		hasher.update(self.device);
		hasher.update(self.sequence.to_le_bytes());
		hasher.update(self.message);
		hasher.update([self.status as u8, length]);
		hasher.update(self.reason.as_bytes());
		Ok(())
	}
}

/// SHA-256 over `acks`' bytes, one after another, in the order they are answered: what one
/// signature over several answers commits to. Each acknowledgement's length is known from its
/// bytes, so no two lists of answers share a digest.
pub fn acks_digest(acks: &[Ack<'_>]) -> Result<Hash, AnswerError> {
	use sha2::Digest;
	let mut hasher = sha2::Sha256::new();
	for ack in acks {
		ack.digest_into(&mut hasher)?;
	}
	Ok(hasher.finalize().into())
}

/// What a gateway whose key is `gateway` (of `key_type`) signs to answer a list of messages
/// whose [`acks_digest`] is `digest`, on the chain whose genesis hash is `genesis`.
pub fn ack_signing_payload(
	genesis: &Hash,
	key_type: crate::envelope::KeyType,
	gateway: &[u8; 32],
	digest: &Hash,
) -> [u8; ACK_SIGNING_PAYLOAD_LEN] {
	let mut payload = [0u8; ACK_SIGNING_PAYLOAD_LEN];
	write_parts(&mut payload, &[ACK_DOMAIN, genesis, &[key_type as u8], gateway, digest]);
	payload
}

/// What the chain made of a relayed message.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum OutcomeStatus {
	/// Recorded in a block; the detail is the SCALE encoding of the chain's event's fields
	/// (`LoginRecorded`, `UpdateReported`), as the block holds them.
	Recorded = 0,
	/// Refused; the detail is the reason: the chain's error as `Pallet::Error`, or the
	/// gateway's code for a message it could no longer relay (`not-assigned`, …).
	Refused = 1,
}

/// One outcome, as it is signed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Outcome<'a> {
	pub device: DeviceId,
	pub sequence: u64,
	/// The leaf hash of the relayed message's wire bytes.
	pub message: Hash,
	pub status: OutcomeStatus,
	/// The block that recorded or refused it; 0 when none did (the gateway set it apart, or
	/// the pool refused it).
	pub block: u64,
	pub detail: &'a [u8],
}

/// What a gateway whose key is `gateway` (of `key_type`) signs to tell a device `outcome`,
/// on the chain whose genesis hash is `genesis`.
pub fn outcome_signing_payload(
	genesis: &Hash,
	key_type: crate::envelope::KeyType,
	gateway: &[u8; 32],
	outcome: &Outcome<'_>,
) -> [u8; OUTCOME_SIGNING_PAYLOAD_LEN] {
	let mut payload = [0u8; OUTCOME_SIGNING_PAYLOAD_LEN];
	write_parts(
		&mut payload,
		&[
			OUTCOME_DOMAIN,
			genesis,
			&[key_type as u8],
			gateway,
			&outcome.device,
			&outcome.sequence.to_le_bytes(),
			&outcome.message,
			&[outcome.status as u8],
			&outcome.block.to_le_bytes(),
			&sha256(&[outcome.detail]),
		],
	);
	payload
}
