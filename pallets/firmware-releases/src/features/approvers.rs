//! Approvers: proposing an organisation's approver set and threshold, approving a pending change
//! (by the approvers in force at their threshold or, for the first set, two distinct admins), and
//! governance forcing a set (the one way to a threshold of 1).

use crate::{
	ApproverAuthority, ApproverChange, ApproverChangeOf, ApproverSet, ApproverSetOf, Approvers,
	Config, Error, Event, Pallet, PendingApproverChanges, MIN_ORG_THRESHOLD,
};
use alloc::vec::Vec;
use frame_support::{ensure, BoundedVec};
use pallet_device_registry::{DeviceRegistry, OrgId};
use sp_runtime::{DispatchError, DispatchResult};

impl<T: Config> Pallet<T> {
	/// `approvers` as a set for `org`: distinct accounts of the organisation, with a
	/// threshold from `min_threshold` up to their number.
	fn checked_approver_set(
		org: OrgId,
		approvers: Vec<T::AccountId>,
		threshold: u32,
		min_threshold: u32,
	) -> Result<ApproverSetOf<T>, DispatchError> {
		let approvers: BoundedVec<_, T::MaxApprovers> =
			approvers.try_into().map_err(|_| Error::<T>::TooManyApprovers)?;
		ensure!(
			threshold >= min_threshold && threshold as usize <= approvers.len(),
			Error::<T>::BadThreshold
		);
		for (index, approver) in approvers.iter().enumerate() {
			ensure!(
				T::Registry::active_org_of(approver) == Some(org)
					&& !approvers[..index].contains(approver),
				Error::<T>::BadApprover
			);
		}
		Ok(ApproverSet { approvers, threshold })
	}

	fn put_approvers(org: OrgId, set: ApproverSetOf<T>, authority: ApproverAuthority) {
		Self::deposit_event(Event::ApproversSet {
			org,
			approvers: set.approvers.to_vec(),
			threshold: set.threshold,
			authority,
		});
		Approvers::<T>::insert(org, set);
	}

	/// Whether `account` may approve a change of `org`'s approvers: an approver in force or,
	/// before there are any, a settled admin (one not added within the registry's probation,
	/// so an admin cannot add a second key and approve the first set with it at once).
	fn may_approve_change(
		org: OrgId,
		current: Option<&ApproverSetOf<T>>,
		account: &T::AccountId,
	) -> bool {
		match current {
			Some(set) => set.approvers.contains(account),
			None => T::Registry::settled_admin_org_of(account) == Some(org),
		}
	}

	/// How many approvals enact a change: the threshold in force, or two admins.
	fn change_authority(current: Option<&ApproverSetOf<T>>) -> (u32, ApproverAuthority) {
		match current {
			Some(set) => (set.threshold, ApproverAuthority::Approvers),
			None => (MIN_ORG_THRESHOLD, ApproverAuthority::Admins),
		}
	}

	pub(crate) fn do_propose_approvers(
		caller: T::AccountId,
		approvers: Vec<T::AccountId>,
		threshold: u32,
	) -> DispatchResult {
		let org = T::Registry::active_manufacturer_org_of(&caller)
			.ok_or(Error::<T>::NotManufacturerAccount)?;
		let current = Approvers::<T>::get(org);
		let may_approve = Self::may_approve_change(org, current.as_ref(), &caller);
		let is_admin = T::Registry::active_admin_org_of(&caller) == Some(org);
		ensure!(is_admin || may_approve, Error::<T>::NotAllowedToPropose);
		let proposed = Self::checked_approver_set(org, approvers, threshold, MIN_ORG_THRESHOLD)?;

		Self::deposit_event(Event::ApproverChangeProposed {
			org,
			approvers: proposed.approvers.to_vec(),
			threshold,
			by: caller.clone(),
		});
		let mut change = ApproverChange {
			proposed,
			proposed_by: caller.clone(),
			proposed_at: Self::now(),
			approvals: BoundedVec::new(),
		};
		if may_approve {
			Self::count_change_approval(org, current.as_ref(), &mut change, caller);
		}
		Self::enact_or_keep(org, current.as_ref(), change);
		Ok(())
	}

	/// Puts `change` in force if it has the approvals that enact it, else keeps it pending.
	fn enact_or_keep(org: OrgId, current: Option<&ApproverSetOf<T>>, change: ApproverChangeOf<T>) {
		let (required, authority) = Self::change_authority(current);
		if change.approvals.len() as u32 >= required {
			Self::put_approvers(org, change.proposed, authority);
			PendingApproverChanges::<T>::remove(org);
		} else {
			PendingApproverChanges::<T>::insert(org, change);
		}
	}

	pub(crate) fn do_approve_approver_change(caller: T::AccountId) -> DispatchResult {
		let org = T::Registry::active_manufacturer_org_of(&caller)
			.ok_or(Error::<T>::NotManufacturerAccount)?;
		let mut change =
			PendingApproverChanges::<T>::get(org).ok_or(Error::<T>::NoApproverChange)?;
		ensure!(Self::approval_window_open(change.proposed_at), Error::<T>::ApprovalWindowClosed);
		let current = Approvers::<T>::get(org);
		ensure!(
			Self::may_approve_change(org, current.as_ref(), &caller),
			Error::<T>::NotAllowedToApproveChange
		);
		ensure!(!change.approvals.contains(&caller), Error::<T>::AlreadyApproved);

		Self::count_change_approval(org, current.as_ref(), &mut change, caller);
		Self::enact_or_keep(org, current.as_ref(), change);
		Ok(())
	}

	/// Adds `approver`'s approval to `change`, after dropping approvals of accounts that
	/// may no longer approve (approvers removed, admins demoted since they approved).
	fn count_change_approval(
		org: OrgId,
		current: Option<&ApproverSetOf<T>>,
		change: &mut ApproverChangeOf<T>,
		approver: T::AccountId,
	) {
		change
			.approvals
			.retain(|earlier| Self::may_approve_change(org, current, earlier));
		// Fewer approvals than the enacting count are ever kept (the change is enacted when
		// it is reached), and that count is at most `MaxApprovers`: there is room.
		let _ = change.approvals.try_push(approver.clone());
		Self::deposit_event(Event::ApproverChangeApproved {
			org,
			by: approver,
			approvals: change.approvals.len() as u32,
		});
	}

	pub(crate) fn do_force_set_approvers(
		org: OrgId,
		approvers: Vec<T::AccountId>,
		threshold: u32,
	) -> DispatchResult {
		ensure!(Self::is_manufacturer(org), Error::<T>::NotManufacturer);
		let set = Self::checked_approver_set(org, approvers, threshold, 1)?;
		PendingApproverChanges::<T>::remove(org);
		Self::put_approvers(org, set, ApproverAuthority::Governance);
		Ok(())
	}
}
