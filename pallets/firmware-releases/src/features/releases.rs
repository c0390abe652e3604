//! Releases: publishing a release of a claimed model, its approval by the manufacturer's approvers
//! and activation at their threshold (rollback protection: under a claim, a model's active
//! versions only go up), withdrawing a pending release, yanking one for good, and the expiry and
//! approval windows that bound a release's and a yank's life.
//!
//! A release lives only under the claim it was published under: once governance moves or removes
//! that claim, or it expires unused, the release is never approved again (nor installed, nor the
//! model's latest), though a pending one may still be withdrawn. The first activation under a
//! manufacturer's claim ends its unused-claim lifetime.
//!
//! A yank takes the manufacturer's approvers at their threshold, as an activation does, or
//! governance at once. Approvals are gathered for each reason on its own (one pending yank per
//! release and reason), approvals of accounts no longer approvers are dropped before counting, and
//! a pending yank whose approval window closed is replaced by a fresh one. Yanking or withdrawing
//! a release drops all its pending yanks.

use crate::{
	ApproverSetOf, Approvers, Config, Error, Event, ModelInfo, ModelReleases, Models,
	NextReleaseId, Pallet, PendingYank, PendingYanks, Release, ReleaseDraft, ReleaseId, ReleaseOf,
	ReleaseStatus, Releases, UnusedClaimSince, YankReason,
};
use frame_support::{ensure, traits::Get, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_device_registry::{DeviceRegistry, FirmwareVersion, OrgId};
use sp_runtime::{traits::Saturating, ArithmeticError, DispatchError, DispatchResult};

impl<T: Config> Pallet<T> {
	pub(crate) fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	pub(crate) fn has_expired(release: &ReleaseOf<T>) -> bool {
		release.expires_at.is_some_and(|last| Self::now() > last)
	}

	/// Whether approvals opened at `since` are still taken.
	pub(crate) fn approval_window_open(since: BlockNumberFor<T>) -> bool {
		Self::now() <= since.saturating_add(T::ApprovalWindow::get())
	}

	/// The approver set of `manufacturer`, if `account` is one of its approvers and an account
	/// of the active organisation: who may approve, or approve yanking, its releases.
	fn approver_set_with(
		manufacturer: OrgId,
		account: &T::AccountId,
	) -> Result<ApproverSetOf<T>, DispatchError> {
		let set = Approvers::<T>::get(manufacturer)
			.filter(|set| set.approvers.contains(account))
			.filter(|_| T::Registry::active_org_of(account) == Some(manufacturer))
			.ok_or(Error::<T>::NotApprover)?;
		Ok(set)
	}

	fn ensure_above_active(info: &ModelInfo, version: FirmwareVersion) -> DispatchResult {
		ensure!(
			info.highest_active.is_none_or(|(highest, _)| version > highest),
			Error::<T>::VersionNotAboveActive
		);
		Ok(())
	}

	pub(crate) fn do_publish(
		caller: T::AccountId,
		draft: ReleaseDraft<BlockNumberFor<T>>,
	) -> Result<ReleaseId, DispatchError> {
		let org = T::Registry::active_manufacturer_org_of(&caller)
			.ok_or(Error::<T>::NotManufacturerAccount)?;
		let model = Self::checked_model(draft.model)?;
		let mut info = Models::<T>::get(&model).ok_or(Error::<T>::ModelNotClaimed)?;
		ensure!(info.manufacturer == org, Error::<T>::ModelOfAnotherManufacturer);
		let approver_set = Approvers::<T>::get(org).ok_or(Error::<T>::NoApprovers)?;
		let uri: BoundedVec<u8, T::MaxUriLen> =
			draft.uri.try_into().map_err(|_| Error::<T>::BadUri)?;
		ensure!(!uri.is_empty(), Error::<T>::BadUri);
		ensure!(draft.image_size > 0, Error::<T>::EmptyImage);
		let now = Self::now();
		ensure!(draft.expires_at.is_none_or(|last| last >= now), Error::<T>::AlreadyExpired);
		Self::ensure_above_active(&info, draft.version)?;
		ensure!(info.releases < T::MaxReleasesPerModel::get(), Error::<T>::TooManyReleases);
		let id = NextReleaseId::<T>::get();
		let next_id = id.checked_add(1).ok_or(ArithmeticError::Overflow)?;

		NextReleaseId::<T>::put(next_id);
		info.releases = info.releases.saturating_add(1);
		let mut release = Release {
			manufacturer: org,
			model: model.clone(),
			version: draft.version,
			image_sha256: draft.image_sha256,
			image_size: draft.image_size,
			uri,
			notes_hash: draft.notes_hash,
			expires_at: draft.expires_at,
			published_by: caller.clone(),
			published_at: now,
			approvals: BoundedVec::new(),
			status: ReleaseStatus::Pending,
		};
		Self::deposit_event(Event::Published {
			release: id,
			org,
			model: model.to_vec(),
			version: draft.version,
			image_sha256: draft.image_sha256,
			by: caller.clone(),
		});
		if approver_set.approvers.contains(&caller) {
			// The version was checked above the highest active one just now, and the release is
			// of the model's current claim, which its publisher holds.
			Self::add_approval(id, &mut release, &mut info, caller, &approver_set);
		}
		ModelReleases::<T>::insert(&model, id, ());
		Models::<T>::insert(&model, info);
		Releases::<T>::insert(id, release);
		Ok(id)
	}

	pub(crate) fn do_approve(caller: T::AccountId, release: ReleaseId) -> DispatchResult {
		let mut record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
		let approver_set = Self::approver_set_with(record.manufacturer, &caller)?;
		ensure!(record.status == ReleaseStatus::Pending, Error::<T>::NotPending);
		ensure!(!Self::has_expired(&record), Error::<T>::Expired);
		ensure!(Self::approval_window_open(record.published_at), Error::<T>::ApprovalWindowClosed);
		ensure!(!record.approvals.contains(&caller), Error::<T>::AlreadyApproved);
		// The claim the release was published under may have ended since: a release of an
		// earlier claim, or of a model no longer claimed, is dead.
		let mut info = Self::claim_of_release(release, &record)?;
		Self::ensure_above_active(&info, record.version)?;

		Self::add_approval(release, &mut record, &mut info, caller, &approver_set);
		Models::<T>::insert(&record.model, info);
		Releases::<T>::insert(release, record);
		Ok(())
	}

	/// Records `approver`'s approval and activates the release at the threshold. Approvals
	/// of accounts no longer in `approver_set` are dropped first: only the approvers in
	/// force at activation count. The caller checked that the release is of the model's
	/// current claim, `info`, and that its version is above the claim's highest active one.
	/// The claim's first activation ends its unused-claim lifetime for good.
	fn add_approval(
		id: ReleaseId,
		release: &mut ReleaseOf<T>,
		info: &mut ModelInfo,
		approver: T::AccountId,
		approver_set: &ApproverSetOf<T>,
	) {
		release.approvals.retain(|earlier| approver_set.approvers.contains(earlier));
		// Every kept approval is a distinct member of `approver_set`, which holds at most
		// `MaxApprovers`, and `approver` is one of them not yet counted: there is room.
		let _ = release.approvals.try_push(approver.clone());
		let approvals = release.approvals.len() as u32;
		Self::deposit_event(Event::Approved { release: id, by: approver, approvals });
		if approvals >= approver_set.threshold {
			release.status = ReleaseStatus::Active { since: Self::now() };
			if info.highest_active.is_none() {
				// The claim's first activation: it is in use, and no longer expires.
				UnusedClaimSince::<T>::remove(&release.model);
			}
			info.highest_active = Some((release.version, id));
			Self::deposit_event(Event::Activated { release: id });
		}
	}

	pub(crate) fn do_withdraw(caller: T::AccountId, release: ReleaseId) -> DispatchResult {
		let record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
		ensure!(record.status == ReleaseStatus::Pending, Error::<T>::NotPending);
		let is_manufacturer = T::Registry::active_org_of(&caller) == Some(record.manufacturer);
		ensure!(
			is_manufacturer || !Self::approval_window_open(record.published_at),
			Error::<T>::NotAllowedToWithdraw
		);

		// Only a release of the model's current claim counts against its claimant's
		// `MaxReleasesPerModel`; one of an earlier claim, or of a model no longer claimed,
		// frees no place.
		let claim = Self::claim_of_release(release, &record).ok();
		Releases::<T>::remove(release);
		Self::drop_pending_yanks(release);
		ModelReleases::<T>::remove(&record.model, release);
		if let Some(mut info) = claim {
			info.releases = info.releases.saturating_sub(1);
			Models::<T>::insert(&record.model, info);
		}
		Self::deposit_event(Event::Withdrawn { release, by: caller });
		Ok(())
	}

	/// Removes all pending yanks of `release`. Bounded without a cursor: a release has at most
	/// one per `YankReason` variant (three), the map's second key.
	fn drop_pending_yanks(release: ReleaseId) {
		let _ = PendingYanks::<T>::clear_prefix(release, u32::MAX, None);
	}

	/// Records `caller`'s approval of yanking `release` for `reason`, and yanks it once the
	/// approvals for that reason reach its manufacturer's threshold. Each reason gathers its
	/// approvals on its own. A pending yank whose approval window closed is replaced by a fresh
	/// one; approvals of accounts no longer in the approver set are dropped before the caller's
	/// is checked and counted, as for a release.
	pub(crate) fn do_yank(
		caller: T::AccountId,
		release: ReleaseId,
		reason: YankReason,
	) -> DispatchResult {
		let mut record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
		let approver_set = Self::approver_set_with(record.manufacturer, &caller)?;
		ensure!(!matches!(record.status, ReleaseStatus::Yanked { .. }), Error::<T>::AlreadyYanked);
		let mut pending = PendingYanks::<T>::get(release, reason)
			.filter(|pending| Self::approval_window_open(pending.proposed_at))
			.unwrap_or_else(|| PendingYank {
				approvals: BoundedVec::new(),
				proposed_at: Self::now(),
			});
		pending.approvals.retain(|earlier| approver_set.approvers.contains(earlier));
		ensure!(!pending.approvals.contains(&caller), Error::<T>::AlreadyApproved);

		// Every kept approval is a distinct member of `approver_set`, which holds at most
		// `MaxApprovers`, and `caller` is one of them not yet counted: there is room.
		let _ = pending.approvals.try_push(caller.clone());
		let approvals = pending.approvals.len() as u32;
		Self::deposit_event(Event::YankApproved { release, reason, by: caller.clone(), approvals });
		if approvals >= approver_set.threshold {
			Self::drop_pending_yanks(release);
			record.status = ReleaseStatus::Yanked { reason, at: Self::now() };
			Releases::<T>::insert(release, record);
			Self::deposit_event(Event::Yanked { release, reason, by: caller });
		} else {
			PendingYanks::<T>::insert(release, reason, pending);
		}
		Ok(())
	}

	pub(crate) fn do_force_yank(release: ReleaseId, reason: YankReason) -> DispatchResult {
		let mut record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
		ensure!(!matches!(record.status, ReleaseStatus::Yanked { .. }), Error::<T>::AlreadyYanked);

		Self::drop_pending_yanks(release);
		record.status = ReleaseStatus::Yanked { reason, at: Self::now() };
		Releases::<T>::insert(release, record);
		Self::deposit_event(Event::ForceYanked { release, reason });
		Ok(())
	}
}
