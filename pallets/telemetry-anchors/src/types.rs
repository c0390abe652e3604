//! What a gateway anchors and what the chain keeps of it.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use pallet_device_registry::DeviceId;
use scale_info::TypeInfo;

/// A Merkle root in the RFC 6962 style (SHA-256), as `iotchain-gateway-protocol` computes it.
pub type MerkleRoot = [u8; 32];

/// The sequence numbers of one device's readings in a batch: the first and the last (a device's
/// refused messages leave gaps, so the readings are within the range, not necessarily all of it).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct DeviceRange {
	pub device: DeviceId,
	pub first: u64,
	pub last: u64,
}

/// A batch of readings a gateway commits to: the `sequence`th of the gateway, the root of the
/// tree over its `leaf_count` envelopes, the devices' times of the first and last reading (ms
/// since the Unix epoch), and each device's sequence range, ordered by device id. `Devices` is
/// the list of ranges: in the call a `BoundedVec` of at most `MaxDevicesPerBatch` (see
/// [`crate::BatchOf`]), so a batch naming more devices does not decode.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Batch<Devices> {
	pub sequence: u64,
	pub root: MerkleRoot,
	pub leaf_count: u32,
	pub first_timestamp_ms: u64,
	pub last_timestamp_ms: u64,
	pub devices: Devices,
}

/// What the chain keeps of an anchored batch; the device ranges are in its `BatchAnchored`
/// event, and each device's latest anchor in [`DeviceAnchor`].
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct AnchoredBatch<BlockNumber> {
	pub root: MerkleRoot,
	pub leaf_count: u32,
	pub first_timestamp_ms: u64,
	pub last_timestamp_ms: u64,
	pub device_count: u32,
	pub anchored_at: BlockNumber,
}

/// Where a device's readings were last anchored: by which gateway, in which of its batches, up
/// to which sequence number. That gateway's later batches must start above it, so it never
/// anchors a device's reading twice or out of order.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct DeviceAnchor {
	pub gateway: DeviceId,
	pub batch: u64,
	pub last_sequence: u64,
}
