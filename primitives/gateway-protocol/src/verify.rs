//! Checking envelopes' signatures, one at a time or in batches, as the gateway checks what
//! devices send and `iotctl telemetry verify` checks a proven reading; signed read requests; and
//! the gateway's signed answers, as devices check them.
//!
//! Only with the `std` feature: it needs the ed25519 and sr25519 libraries, which firmware that
//! only builds and signs envelopes does not.

use crate::{
	answer::{ack_signing_payload, acks_digest, outcome_signing_payload, Ack, Outcome},
	envelope::{Envelope, KeyType, SIGNING_PAYLOAD_LEN},
	read_request::ReadRequest,
	Hash,
};

/// The signing context of sr25519 device keys: the one every Substrate key signs with.
const SR25519_CONTEXT: &[u8] = b"substrate";

/// Whether `envelope` carries a valid signature, by the key whose public bytes are `key`, on
/// the chain whose genesis hash is `genesis`.
pub fn verify_envelope_signature(envelope: &Envelope, genesis: &Hash, key: &[u8; 32]) -> bool {
	verify_signature(
		envelope.key_type,
		key,
		&envelope.signing_payload(genesis),
		&envelope.signature,
	)
}

/// Whether `request`'s signature, by the key it names, is over `method` and `target` (path and
/// query, as received) on the chain whose genesis hash is `genesis`.
pub fn verify_read_request(
	request: &ReadRequest,
	genesis: &Hash,
	method: &str,
	target: &str,
) -> bool {
	let message = request.signing_payload(genesis, method, target);
	verify_signature(request.key_type, &request.key, &message, &request.signature)
}

/// Whether `signature` is the gateway key `gateway`'s (of `key_type`) over `acks`, answered
/// together in this order, on the chain whose genesis hash is `genesis`. A reason too long to
/// be signed never verifies.
pub fn verify_acks(
	genesis: &Hash,
	key_type: KeyType,
	gateway: &[u8; 32],
	acks: &[Ack<'_>],
	signature: &[u8; 64],
) -> bool {
	let Ok(digest) = acks_digest(acks) else { return false };
	let message = ack_signing_payload(genesis, key_type, gateway, &digest);
	verify_signature(key_type, gateway, &message, signature)
}

/// Whether `signature` is the gateway key `gateway`'s (of `key_type`) over `outcome`, on the
/// chain whose genesis hash is `genesis`.
pub fn verify_outcome(
	genesis: &Hash,
	key_type: KeyType,
	gateway: &[u8; 32],
	outcome: &Outcome<'_>,
	signature: &[u8; 64],
) -> bool {
	let message = outcome_signing_payload(genesis, key_type, gateway, outcome);
	verify_signature(key_type, gateway, &message, signature)
}

/// Whether `signature` is `key`'s over `message`.
fn verify_signature(
	key_type: KeyType,
	key: &[u8; 32],
	message: &[u8],
	signature: &[u8; 64],
) -> bool {
	match key_type {
		KeyType::Ed25519 => ed25519_dalek::VerifyingKey::from_bytes(key).is_ok_and(|public| {
			public
				.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
				.is_ok()
		}),
		KeyType::Sr25519 => {
			let (Ok(public), Ok(signature)) = (
				schnorrkel::PublicKey::from_bytes(key),
				schnorrkel::Signature::from_bytes(signature),
			) else {
				return false;
			};
			public.verify_simple(SR25519_CONTEXT, message, &signature).is_ok()
		},
	}
}

/// Which of `envelopes` (each with its device's key) carry valid signatures, checked in
/// batches per key type: one batch check for all when all are good, each on its own only
/// when a batch fails, so a forged message costs the gateway no more than checking each.
pub fn verify_envelope_signatures(
	envelopes: &[(&Envelope, [u8; 32])],
	genesis: &Hash,
) -> Vec<bool> {
	let mut valid = vec![false; envelopes.len()];
	for key_type in [KeyType::Ed25519, KeyType::Sr25519] {
		let members: Vec<usize> =
			(0..envelopes.len()).filter(|&i| envelopes[i].0.key_type == key_type).collect();
		if members.is_empty() {
			continue;
		}
		let messages: Vec<_> =
			members.iter().map(|&i| envelopes[i].0.signing_payload(genesis)).collect();
		let batch_ok = match key_type {
			KeyType::Ed25519 => verify_ed25519_batch(envelopes, &members, &messages),
			KeyType::Sr25519 => verify_sr25519_batch(envelopes, &members, &messages),
		};
		for &i in &members {
			valid[i] =
				batch_ok || verify_envelope_signature(envelopes[i].0, genesis, &envelopes[i].1);
		}
	}
	valid
}

fn verify_ed25519_batch(
	envelopes: &[(&Envelope, [u8; 32])],
	members: &[usize],
	messages: &[[u8; SIGNING_PAYLOAD_LEN]],
) -> bool {
	let keys: Option<Vec<_>> = members
		.iter()
		.map(|&i| ed25519_dalek::VerifyingKey::from_bytes(&envelopes[i].1).ok())
		.collect();
	let Some(keys) = keys else { return false };
	let signatures: Vec<_> = members
		.iter()
		.map(|&i| ed25519_dalek::Signature::from_bytes(&envelopes[i].0.signature))
		.collect();
	let messages: Vec<&[u8]> = messages.iter().map(|m| m.as_slice()).collect();
	ed25519_dalek::verify_batch(&messages, &signatures, &keys).is_ok()
}

fn verify_sr25519_batch(
	envelopes: &[(&Envelope, [u8; 32])],
	members: &[usize],
	messages: &[[u8; SIGNING_PAYLOAD_LEN]],
) -> bool {
	let keys: Option<Vec<_>> = members
		.iter()
		.map(|&i| schnorrkel::PublicKey::from_bytes(&envelopes[i].1).ok())
		.collect();
	let signatures: Option<Vec<_>> = members
		.iter()
		.map(|&i| schnorrkel::Signature::from_bytes(&envelopes[i].0.signature).ok())
		.collect();
	let (Some(keys), Some(signatures)) = (keys, signatures) else { return false };
	let context = schnorrkel::signing_context(SR25519_CONTEXT);
	let transcripts = messages.iter().map(|m| context.bytes(m));
	schnorrkel::verify_batch(transcripts, &signatures, &keys, false).is_ok()
}
