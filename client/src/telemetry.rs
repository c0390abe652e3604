//! Telemetry: device envelopes' signatures, the anchoring calls of gateways, and checking a
//! reading against a finalised anchor (`iotctl telemetry verify`).

use crate::{
	input::to_hex,
	runtime::{self, runtime_types::pallet_telemetry_anchors::types as anchor_types},
	Client, DeviceId, Error, Receipt, Result, Wait,
};
use iotchain_gateway_protocol::{
	envelope::{Envelope, KeyType},
	merkle::{leaf_hash, verify_inclusion},
	Hash,
};
use serde::{Deserialize, Serialize};

pub use anchor_types::{AnchoredBatch, DeviceAnchor, DeviceRange};

/// A batch as a gateway submits it.
pub type AnchorBatch = anchor_types::Batch<Vec<DeviceRange>>;
/// The signing context of sr25519 device keys: the one every Substrate key signs with.
const SR25519_CONTEXT: &[u8] = b"substrate";

/// Whether `envelope` carries a valid signature, by the key whose public bytes are `key`, on
/// the chain whose genesis hash is `genesis`.
pub fn verify_envelope_signature(envelope: &Envelope, genesis: &Hash, key: &[u8; 32]) -> bool {
	let message = envelope.signing_payload(genesis);
	match envelope.key_type {
		KeyType::Ed25519 => ed25519_dalek::VerifyingKey::from_bytes(key).is_ok_and(|public| {
			public
				.verify_strict(&message, &ed25519_dalek::Signature::from_bytes(&envelope.signature))
				.is_ok()
		}),
		KeyType::Sr25519 => {
			let (Ok(public), Ok(signature)) = (
				schnorrkel::PublicKey::from_bytes(key),
				schnorrkel::Signature::from_bytes(&envelope.signature),
			) else {
				return false;
			};
			public.verify_simple(SR25519_CONTEXT, &message, &signature).is_ok()
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
	messages: &[[u8; iotchain_gateway_protocol::envelope::SIGNING_PAYLOAD_LEN]],
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
	messages: &[[u8; iotchain_gateway_protocol::envelope::SIGNING_PAYLOAD_LEN]],
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
	/// The envelope, in its wire form.
	pub envelope: String,
}

/// A reading that checked out: its device's signature, its place under a finalised anchor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifiedReading {
	pub device: String,
	pub sequence: u64,
	pub timestamp_ms: u64,
	pub kind: &'static str,
	pub payload: String,
	pub gateway: String,
	pub batch: u64,
	/// The block that anchored the batch.
	pub anchored_at: u32,
	/// Which key signed: "current", or "retired at block N" for a key rotated out after the
	/// batch was anchored.
	pub signed_by: String,
}

impl Client {
	/// Anchors the signer's (a gateway's) next batch of readings.
	pub async fn anchor_batch(&self, batch: AnchorBatch, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().telemetry_anchors().anchor(batch), wait).await
	}

	/// The gateway's anchored batch `sequence`, at the latest finalised block.
	pub async fn anchored_batch(
		&self,
		gateway: DeviceId,
		sequence: u64,
	) -> Result<Option<AnchoredBatch<u32>>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().telemetry_anchors_api().batch(gateway, sequence);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// The sequence number the gateway's next batch must carry, at the latest finalised block.
	pub async fn next_anchor_batch(&self, gateway: DeviceId) -> Result<u64> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().telemetry_anchors_api().next_batch(gateway);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// Where the device's readings were last anchored.
	pub async fn device_anchor(&self, device: DeviceId) -> Result<Option<DeviceAnchor>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().telemetry_anchors_api().device_anchor(device);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// Checks a reading against the chain: the envelope decodes, its device's key signed it,
	/// the batch is anchored in a finalised block with the root and leaf count the proof
	/// names, and the proof places the envelope at its index under that root. A key rotated
	/// out since counts only if it was retired after the batch was anchored.
	pub async fn verify_reading(&self, reading: &ReadingProof) -> Result<VerifiedReading> {
		let invalid = |reason: String| Error::Invalid { what: "reading", reason };
		let wire = hex::decode(reading.envelope.trim_start_matches("0x")).map_err(|_| {
			Error::Malformed { what: "envelope", input: "(hex)".into(), reason: "not hex".into() }
		})?;
		let envelope = Envelope::decode(&wire, u32::MAX)
			.map_err(|error| invalid(format!("the envelope does not decode: {error}")))?;
		let gateway = crate::parse_hash32("gateway", &reading.gateway)?;
		let claimed_root = crate::parse_hash32("root", &reading.root)?;
		let proof: Vec<Hash> = reading
			.proof
			.iter()
			.map(|hash| crate::parse_hash32("proof hash", hash))
			.collect::<Result<_>>()?;

		let anchored = self.anchored_batch(gateway, reading.batch).await?.ok_or_else(|| {
			invalid(format!(
				"batch {} of gateway {} is not anchored",
				reading.batch, reading.gateway
			))
		})?;
		if anchored.root != claimed_root || anchored.leaf_count != reading.leaf_count {
			return Err(invalid(format!(
				"the proof names root {} of {} leaves; the chain anchored root {} of {}",
				reading.root,
				reading.leaf_count,
				to_hex(&anchored.root),
				anchored.leaf_count
			)));
		}
		if !verify_inclusion(
			&leaf_hash(&wire),
			reading.leaf_index,
			u64::from(anchored.leaf_count),
			&proof,
			&anchored.root,
		) {
			return Err(invalid(format!(
				"the envelope is not leaf {} under the anchored root: altered, moved or not \
				 anchored in this batch",
				reading.leaf_index
			)));
		}

		let device = self
			.device(envelope.device)
			.await?
			.ok_or_else(|| Error::NotFound { what: "device", id: to_hex(&envelope.device) })?;
		let genesis = self.genesis();
		let signed_by = if verify_envelope_signature(&envelope, &genesis, &device.account.0) {
			"current".to_owned()
		} else {
			let at = self.api().at_current_block().await?;
			let address = runtime::storage().device_registry().key_history();
			let history = match at.storage().try_fetch(address, (envelope.device,)).await? {
				Some(value) => value.decode()?.0,
				None => Vec::new(),
			};
			history
				.iter()
				.find(|retired| {
					retired.retired >= anchored.anchored_at
						&& verify_envelope_signature(&envelope, &genesis, &retired.account.0)
				})
				.map(|retired| format!("retired at block {}", retired.retired))
				.ok_or_else(|| {
					invalid("the device's signature does not verify with its key".into())
				})?
		};
		Ok(VerifiedReading {
			device: to_hex(&envelope.device),
			sequence: envelope.sequence,
			timestamp_ms: envelope.timestamp_ms,
			kind: envelope.kind.name(),
			payload: to_hex(&envelope.payload),
			gateway: reading.gateway.clone(),
			batch: reading.batch,
			anchored_at: anchored.anchored_at,
			signed_by,
		})
	}
}
