//! Read access for clients, certifiers and auditors.

use crate::PairState;
use alloc::vec::Vec;
use codec::Codec;
use pallet_device_registry::DeviceId;
use pallet_registration_hashes::UserDeviceId;

sp_api::decl_runtime_apis! {
	/// Queries of the login audit trail. `LoginRecord` is the runtime's stored record.
	pub trait LoginRecordsApi<LoginRecord, BlockNumber>
	where
		LoginRecord: Codec,
		BlockNumber: Codec,
	{
		/// Up to `limit` of the device's records still in storage, newest first.
		fn recent_logins(device: DeviceId, limit: u32) -> Vec<LoginRecord>;

		/// The pair's consecutive failures and whether (since when) it is locked.
		fn pair_state(device: DeviceId, user_device: UserDeviceId) -> PairState<BlockNumber>;
	}
}
