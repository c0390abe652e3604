//! What the rest of the runtime may ask of the registration registry.

#[cfg(feature = "runtime-benchmarks")]
use crate::types::{Credential, Recorder};
use crate::types::{LatestRegistration, UserDeviceId};
use pallet_device_registry::DeviceId;

/// Lookups of registrations, for the login records. Other pallets depend on this trait, never
/// on the registry's storage.
pub trait RegistrationLookup<AccountId> {
	/// The newest registration of the pair (`device`, `user_device`), revoked or not. Only the
	/// newest counts: an older version is superseded even when the newest is revoked.
	fn latest(device: &DeviceId, user_device: &UserDeviceId) -> Option<LatestRegistration>;

	/// Records a registration by `recorder` without any authorisation, so another pallet's
	/// benchmarks can start from one.
	#[cfg(feature = "runtime-benchmarks")]
	fn register_for_benchmark(
		recorded_by: &AccountId,
		device: &DeviceId,
		user_device: &UserDeviceId,
		credential: Credential,
		recorder: Recorder,
	);
}
