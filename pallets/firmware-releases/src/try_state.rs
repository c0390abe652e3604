//! The pallet's invariants, one named check each, run in sequence by [`Pallet::do_try_state`].

use crate::{
	Approvers, ClaimStart, Config, InstalledRelease, ModelInfo, ModelReleases, Models,
	NextReleaseId, Pallet, PendingYanks, ReleaseDeviceCount, ReleaseDevices, ReleaseId, ReleaseOf,
	ReleaseStatus, Releases, UnusedClaimSince,
};
use frame_support::ensure;
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	/// Checks that the fleet index, its counts, the model index, the claims and their marks,
	/// approver sets and pending yanks agree.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::check_installed_devices_indexed()?;
		Self::check_release_device_counts()?;
		// One pass over the releases, each release checked in turn: the first broken invariant
		// found is the one it always was.
		for (id, release) in Releases::<T>::iter() {
			Self::check_release_in_model_index(id, &release)?;
			if let Some(info) = Self::check_release_of_current_claim(id, &release)? {
				Self::check_active_release_not_above_highest(&release, &info)?;
			}
		}
		Self::check_model_release_counts()?;
		Self::check_approver_thresholds()?;
		Self::check_pending_yanks()?;
		Self::check_unused_claims_never_activated()?;
		Self::check_claim_starts()?;
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

	/// A release published since its model's current claim began is the claimant's; returns
	/// the claim for such a release. Releases of earlier claims, or of a model no longer
	/// claimed, are dead history: `None`.
	fn check_release_of_current_claim(
		id: ReleaseId,
		release: &ReleaseOf<T>,
	) -> Result<Option<ModelInfo>, TryRuntimeError> {
		let Some(info) = Models::<T>::get(&release.model) else { return Ok(None) };
		if id < ClaimStart::<T>::get(&release.model) {
			return Ok(None);
		}
		ensure!(
			release.manufacturer == info.manufacturer,
			"a release of a model's current claim is another manufacturer's"
		);
		Ok(Some(info))
	}

	/// An active release of a model's current claim is at or below the claim's highest active
	/// version.
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

	/// Every model's release count is the number of releases in its `ModelReleases` index
	/// published under its current claim: by the claimant, from the claim's start.
	fn check_model_release_counts() -> Result<(), TryRuntimeError> {
		for (model, info) in Models::<T>::iter() {
			let start = ClaimStart::<T>::get(&model);
			let stored = ModelReleases::<T>::iter_key_prefix(&model)
				.filter(|id| {
					Releases::<T>::get(id)
						.is_some_and(|release| Self::is_of_claim(*id, &release, &info, start))
				})
				.count() as u32;
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

	/// Every pending yank is of an existing release not yet yanked, and holds at least one
	/// approval, each of a distinct account (so at most `MaxApprovers`, its bound).
	fn check_pending_yanks() -> Result<(), TryRuntimeError> {
		for (id, _reason, pending) in PendingYanks::<T>::iter() {
			let release = Releases::<T>::get(id).ok_or("a pending yank of no release")?;
			ensure!(
				!matches!(release.status, ReleaseStatus::Yanked { .. }),
				"a pending yank of a yanked release"
			);
			ensure!(!pending.approvals.is_empty(), "a pending yank without approvals");
			for (index, approver) in pending.approvals.iter().enumerate() {
				ensure!(
					!pending.approvals.iter().take(index).any(|earlier| earlier == approver),
					"a pending yank counts an approval twice"
				);
			}
		}
		Ok(())
	}

	/// Every unused-claim mark is of a claimed model that has activated no release under its
	/// claim: the first activation removes the mark.
	fn check_unused_claims_never_activated() -> Result<(), TryRuntimeError> {
		for model in UnusedClaimSince::<T>::iter_keys() {
			let info = Models::<T>::get(&model).ok_or("an unused-claim mark of no claim")?;
			ensure!(
				info.highest_active.is_none(),
				"an unused-claim mark of a claim that activated a release"
			);
		}
		Ok(())
	}

	/// Every claim start is of a claimed model, and no later than the next release id.
	fn check_claim_starts() -> Result<(), TryRuntimeError> {
		let next = NextReleaseId::<T>::get();
		for (model, start) in ClaimStart::<T>::iter() {
			ensure!(Models::<T>::contains_key(&model), "a claim start of no claim");
			ensure!(start <= next, "a claim starts after the next release id");
		}
		Ok(())
	}
}
