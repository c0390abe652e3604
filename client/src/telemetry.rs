//! Telemetry: the anchoring calls of gateways, and checking a reading against a finalised
//! anchor (`iotctl telemetry verify`). Envelopes' signatures and the proof's wire form are the
//! gateway protocol's (`iotchain_gateway_protocol::{verify, proof}`): only the chain's part is
//! here.

use crate::{
	input::to_hex,
	runtime::{
		self,
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec,
			pallet_telemetry_anchors::types as anchor_types,
		},
	},
	Client, DeviceId, Error, Receipt, Result, Wait,
};
use iotchain_gateway_protocol::{
	envelope::Envelope,
	merkle::{leaf_hash, verify_inclusion},
	proof::ReadingProof,
	verify::verify_envelope_signature,
	Hash,
};
use serde::Serialize;

pub use anchor_types::{AnchoredBatch, DeviceAnchor, DeviceRange};

/// A batch as a gateway builds it. The call takes its ranges bounded by the runtime's
/// `MaxDevicesPerBatch` (a batch naming more devices does not decode); [`Client::anchor_batch`]
/// wraps them.
pub type AnchorBatch = anchor_types::Batch<Vec<DeviceRange>>;

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
		let anchor_types::Batch {
			sequence,
			root,
			leaf_count,
			first_timestamp_ms,
			last_timestamp_ms,
			devices,
		} = batch;
		let batch = anchor_types::Batch {
			sequence,
			root,
			leaf_count,
			first_timestamp_ms,
			last_timestamp_ms,
			devices: BoundedVec(devices),
		};
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
	/// names, and the proof places the envelope at its index under that root (and the leaf hash
	/// the proof names, if it names one, is the envelope's). A key rotated out since counts only
	/// if it was retired after the batch was anchored. A proof served without the envelope is
	/// verified by setting `envelope` to the reading's wire bytes (hex) first.
	pub async fn verify_reading(&self, reading: &ReadingProof) -> Result<VerifiedReading> {
		let invalid = |reason: String| Error::Invalid { what: "reading", reason };
		let Some(envelope) = &reading.envelope else {
			return Err(invalid(
				"the proof was served without the envelope: verify it with the reading you hold \
				 (iotctl telemetry verify PROOF --envelope FILE)"
					.into(),
			));
		};
		let wire = hex::decode(envelope.trim_start_matches("0x")).map_err(|_| {
			Error::Malformed { what: "envelope", input: "(hex)".into(), reason: "not hex".into() }
		})?;
		if let Some(leaf) = &reading.leaf {
			if crate::parse_hash32("leaf", leaf)? != leaf_hash(&wire) {
				return Err(invalid(
					"the envelope is not the one the proof's leaf hash names".into(),
				));
			}
		}
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
