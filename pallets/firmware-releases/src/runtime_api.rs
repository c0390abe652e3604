//! Read access for manufacturers, operators and auditors: fleet update status.

use crate::{FleetStatus, ReleaseId};
use alloc::vec::Vec;
use codec::Codec;
use pallet_device_registry::DeviceId;

sp_api::decl_runtime_apis! {
	/// Queries of the firmware registry. `Release` is the runtime's stored release record.
	pub trait FirmwareReleasesApi<Release, BlockNumber>
	where
		Release: Codec,
		BlockNumber: Codec,
	{
		/// The release with this id, whatever its status.
		fn release(id: ReleaseId) -> Option<Release>;

		/// The fleet of `model`: the release devices should run (of the model's current claim),
		/// how many are behind it or on yanked releases, and how many run each release.
		fn fleet_status(model: Vec<u8>) -> FleetStatus<BlockNumber>;

		/// Up to `limit` devices (at most 1,000) that run `release`, continuing after the device
		/// `after` (the last of the previous page). List a yanked release's devices with it.
		fn devices_on_release(release: ReleaseId, after: Option<DeviceId>, limit: u32)
			-> Vec<DeviceId>;
	}
}
