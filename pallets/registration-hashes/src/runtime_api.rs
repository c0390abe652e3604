//! Read access for clients, certifiers and auditors.

use crate::{UserDeviceId, Version};
use alloc::vec::Vec;
use codec::Codec;
use pallet_device_registry::DeviceId;

sp_api::decl_runtime_apis! {
	/// Queries of the registration registry. `Registration` is the runtime's stored record.
	pub trait RegistrationHashesApi<Registration>
	where
		Registration: Codec,
	{
		/// The newest registration of a pair and its version, revoked or not. It is the
		/// pair's current registration unless it is revoked.
		fn latest_registration(device: DeviceId, user_device: UserDeviceId)
			-> Option<(Version, Registration)>;

		/// Every version of a pair's registration, oldest first.
		fn registration_history(device: DeviceId, user_device: UserDeviceId)
			-> Vec<(Version, Registration)>;
	}
}
