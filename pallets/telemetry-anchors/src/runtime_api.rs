//! Read access for gateways, `iotctl telemetry verify` and auditors.

use crate::{AnchoredBatch, DeviceAnchor};
use codec::Codec;
use pallet_device_registry::DeviceId;

sp_api::decl_runtime_apis! {
	/// Queries of the anchored telemetry batches.
	pub trait TelemetryAnchorsApi<BlockNumber>
	where
		BlockNumber: Codec,
	{
		/// The gateway's batch `sequence`, if anchored.
		fn batch(gateway: DeviceId, sequence: u64) -> Option<AnchoredBatch<BlockNumber>>;

		/// The sequence number the gateway's next batch must carry.
		fn next_batch(gateway: DeviceId) -> u64;

		/// Where the device's readings were last anchored, if ever.
		fn device_anchor(device: DeviceId) -> Option<DeviceAnchor>;
	}
}
