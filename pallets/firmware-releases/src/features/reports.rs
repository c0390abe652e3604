//! Reports: a device, or the gateway of its own organisation assigned to it, reporting an update
//! to a release, one at a time or many in a batch (each checked and recorded on its own). An
//! install updates the device's firmware version and moves it in the fleet index. Only an active,
//! unexpired release published under its model's current claim is reported: a release of an
//! earlier claim (governance moved or removed it, or it expired) is dead. A device never reports a
//! version below the one it runs, which keeps it safe from downgrades whoever claims its model.

use crate::{
	Config, Error, Event, InstalledRelease, Pallet, ReleaseDeviceCount, ReleaseDevices, ReleaseId,
	ReleaseStatus, Releases, Sha256, UpdateOutcome, UpdateReport,
};
use frame_support::{ensure, BoundedVec};
use pallet_device_registry::{DeviceId, DeviceRegistry};
use sp_runtime::DispatchResult;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_report_update(
		caller: T::AccountId,
		device: DeviceId,
		release: ReleaseId,
		outcome: UpdateOutcome,
		measured_sha256: Sha256,
	) -> DispatchResult {
		ensure!(T::Registry::active_device(&device).is_some(), Error::<T>::DeviceNotActive);
		ensure!(
			pallet_device_registry::is_device_or_its_gateway::<_, T::Registry>(&caller, &device),
			Error::<T>::NotDeviceOrGateway
		);
		let record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
		ensure!(matches!(record.status, ReleaseStatus::Active { .. }), Error::<T>::NotActive);
		ensure!(!Self::has_expired(&record), Error::<T>::Expired);
		Self::claim_of_release(release, &record)?;
		ensure!(
			T::Registry::model_of(&device).is_some_and(|model| model == record.model.to_vec()),
			Error::<T>::ModelMismatch
		);
		let current = T::Registry::firmware_version(&device).unwrap_or_default();
		ensure!(record.version >= current, Error::<T>::Downgrade);
		let installed = outcome == UpdateOutcome::Installed;
		ensure!(!installed || measured_sha256 == record.image_sha256, Error::<T>::HashMismatch);

		if installed {
			T::Registry::set_firmware_version(&device, record.version)?;
			Self::move_device(device, release);
		}
		Self::deposit_event(Event::UpdateReported {
			device,
			release,
			outcome,
			measured_sha256,
			by: caller,
		});
		Ok(())
	}

	/// Records each report of a batch on its own, as [`Self::do_report_update`]; a refused
	/// report is reported by a `BatchItemFailed` event. Fails only for an empty batch.
	pub(crate) fn do_report_updates(
		caller: T::AccountId,
		reports: BoundedVec<UpdateReport, T::MaxBatchSize>,
	) -> DispatchResult {
		pallet_device_registry::apply_batch(
			reports,
			Error::<T>::BadBatchSize,
			|UpdateReport { device, release, outcome, measured_sha256 }| {
				Self::do_report_update(caller.clone(), device, release, outcome, measured_sha256)
			},
			|index, error| Self::deposit_event(Event::BatchItemFailed { index, error }),
		)
	}

	/// Moves `device` from the release it ran to `release` in the fleet index.
	fn move_device(device: DeviceId, release: ReleaseId) {
		if let Some(previous) = InstalledRelease::<T>::get(device) {
			ReleaseDevices::<T>::remove(previous, device);
			ReleaseDeviceCount::<T>::mutate(previous, |count| *count = count.saturating_sub(1));
		}
		InstalledRelease::<T>::insert(device, release);
		ReleaseDevices::<T>::insert(release, device, ());
		ReleaseDeviceCount::<T>::mutate(release, |count| *count = count.saturating_add(1));
	}
}
