//! The pallet's invariants, one named check each, run in sequence by [`Pallet::do_try_state`].

use crate::{
	Approvers, Config, InstalledRelease, ModelInfo, ModelReleases, Models, Pallet,
	ReleaseDeviceCount, ReleaseDevices, ReleaseId, ReleaseOf, ReleaseStatus, Releases,
};
use frame_support::ensure;
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	/// Checks that the fleet index, its counts, the model index and approver sets agree.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::check_installed_devices_indexed()?;
		Self::check_release_device_counts()?;
		// One pass over the releases, each release checked in turn: the first broken invariant
		// found is the one it always was.
		for (id, release) in Releases::<T>::iter() {
			Self::check_release_in_model_index(id, &release)?;
			let info = Self::check_release_model(&release)?;
			Self::check_active_release_not_above_highest(&release, &info)?;
		}
		Self::check_model_release_counts()?;
		Self::check_approver_thresholds()?;
		Ok(())
	}

	/// Every installed device is in its release's `ReleaseDevices` index.
	fn check_installed_devices_indexed() -> Result<(), TryRuntimeError> {
		for (device, release) in InstalledRelease::<T>::iter() {
			ensure!(
				ReleaseDevices::<T>::contains_key(release, device),
				"an installed device is missing from its release's index"
			);
		}
		Ok(())
	}

	/// Every release's `ReleaseDeviceCount` is the size of its `ReleaseDevices` index.
	fn check_release_device_counts() -> Result<(), TryRuntimeError> {
		for (release, count) in ReleaseDeviceCount::<T>::iter() {
			let indexed = ReleaseDevices::<T>::iter_key_prefix(release).count() as u32;
			ensure!(indexed == count, "a release's device count disagrees with its index");
		}
		Ok(())
	}

	/// A release is in its model's `ModelReleases` index.
	fn check_release_in_model_index(
		id: ReleaseId,
		release: &ReleaseOf<T>,
	) -> Result<(), TryRuntimeError> {
		ensure!(
			ModelReleases::<T>::contains_key(&release.model, id),
			"a release is missing from its model's index"
		);
		Ok(())
	}

	/// A release's model is claimed, by the release's manufacturer; returns the model's record.
	fn check_release_model(release: &ReleaseOf<T>) -> Result<ModelInfo, TryRuntimeError> {
		let info = Models::<T>::get(&release.model).ok_or("a release of no model")?;
		ensure!(info.manufacturer == release.manufacturer, "a model has two manufacturers");
		Ok(info)
	}

	/// An active release is at or below its model's highest active version.
	fn check_active_release_not_above_highest(
		release: &ReleaseOf<T>,
		info: &ModelInfo,
	) -> Result<(), TryRuntimeError> {
		if matches!(release.status, ReleaseStatus::Active { .. }) {
			ensure!(
				info.highest_active.is_some_and(|(highest, _)| release.version <= highest),
				"an active release is above its model's highest active version"
			);
		}
		Ok(())
	}

	/// Every model's release count is the size of its `ModelReleases` index.
	fn check_model_release_counts() -> Result<(), TryRuntimeError> {
		for (model, info) in Models::<T>::iter() {
			let stored = ModelReleases::<T>::iter_key_prefix(&model).count() as u32;
			ensure!(stored == info.releases, "a model's release count disagrees with its index");
		}
		Ok(())
	}

	/// Every approver set's threshold is from 1 up to its number of approvers.
	fn check_approver_thresholds() -> Result<(), TryRuntimeError> {
		for (_, set) in Approvers::<T>::iter() {
			ensure!(
				set.threshold >= 1 && set.threshold as usize <= set.approvers.len(),
				"an approver set's threshold is out of range"
			);
		}
		Ok(())
	}
}
