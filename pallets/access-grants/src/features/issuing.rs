//! Issuing and delegating grants: who may, the majority of admins powerful rights take, and
//! the bounds every new grant must fit.

use crate::{
	Config, Error, Event, ExpiryQueue, Grant, GrantId, GrantOf, GrantTermsOf, Grants, Holdings,
	NextGrantId, ObjectGrantCount, ObjectOf, Pallet, PendingGrantOf, PendingGrants, Subject,
	SubjectGrants, WeightInfo, EXPIRY_SLOT_MS, EXPIRY_SLOT_SPILL,
};
use frame_support::{dispatch::DispatchResultWithPostInfo, ensure, traits::Get, BoundedVec};
use pallet_device_registry::{DeviceRegistry, OrgId};
use sp_runtime::{traits::Saturating, DispatchError};

/// What an approval of a powerful grant came to.
enum Approval {
	/// The majority is reached: issue it.
	Complete,
	/// Recorded; this many admins have approved so far.
	Recorded(u32),
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_issue(
		caller: T::AccountId,
		terms: GrantTermsOf<T>,
	) -> DispatchResultWithPostInfo {
		let owner = Self::owner_of(&terms.object)?;
		Self::ensure_acts_for(
			&caller,
			owner,
			terms.rights.is_powerful(),
			Error::<T>::NotObjectOwner,
		)?;
		Self::ensure_sound_terms(&terms)?;
		Self::decide(caller, owner, owner, terms, None, 0)
	}

	pub(crate) fn do_delegate(
		caller: T::AccountId,
		parent_id: GrantId,
		terms: GrantTermsOf<T>,
	) -> DispatchResultWithPostInfo {
		let parent = Grants::<T>::get(parent_id).ok_or(Error::<T>::GrantNotFound)?;
		ensure!(parent.terms.delegable, Error::<T>::NotDelegable);
		let acting_org = match &parent.terms.subject {
			Subject::Account(account) => {
				ensure!(*account == caller, Error::<T>::NotGrantSubject);
				None
			},
			Subject::Organisation(org) => {
				Self::ensure_acts_for(
					&caller,
					*org,
					terms.rights.is_powerful(),
					Error::<T>::NotGrantSubject,
				)?;
				Some(*org)
			},
			Subject::UserDevice(_) => return Err(Error::<T>::NotGrantSubject.into()),
		};
		ensure!(
			Self::is_in_force(&parent, Self::now())
				&& Self::owner_of(&parent.terms.object).ok() == Some(parent.owner),
			Error::<T>::ParentNotInForce
		);
		let depth = parent.depth.saturating_add(1);
		ensure!(depth <= T::MaxDelegationDepth::get(), Error::<T>::DelegationTooDeep);
		Self::ensure_sound_terms(&terms)?;
		ensure!(Self::is_within(&terms, &parent), Error::<T>::BeyondParentGrant);
		match acting_org {
			Some(org) if terms.rights.is_powerful() => {
				Self::decide(caller, org, parent.owner, terms, Some(parent_id), depth)
			},
			_ => {
				Self::create(caller, parent.owner, terms, Some(parent_id), depth)?;
				Ok(Some(T::WeightInfo::delegate()).into())
			},
		}
	}

	/// Issues a grant at once, or, when it is powerful, records `caller`'s approval in
	/// `acting_org` and issues it once a majority of that organisation's admins approved.
	fn decide(
		caller: T::AccountId,
		acting_org: OrgId,
		owner: OrgId,
		terms: GrantTermsOf<T>,
		parent: Option<GrantId>,
		depth: u8,
	) -> DispatchResultWithPostInfo {
		if !terms.rights.is_powerful() {
			Self::create(caller, owner, terms, parent, depth)?;
			return Ok(Some(T::WeightInfo::issue()).into());
		}
		match Self::approve(&caller, acting_org, &terms, parent)? {
			Approval::Complete => {
				Self::create(caller, owner, terms, parent, depth)?;
			},
			Approval::Recorded(approvals) => {
				Self::deposit_event(Event::GrantApproved {
					org: acting_org,
					terms,
					parent,
					approvals,
					by: caller,
				});
			},
		}
		Ok(Some(T::WeightInfo::approve()).into())
	}

	/// Records `caller`'s approval of (`terms`, `parent`) in `org`. Approvals of accounts that
	/// are no longer settled admins of `org` are dropped, and so are proposals past their window
	/// or whose proposer is no longer one, so none of them takes up a place.
	fn approve(
		caller: &T::AccountId,
		org: OrgId,
		terms: &GrantTermsOf<T>,
		parent: Option<GrantId>,
	) -> Result<Approval, DispatchError> {
		let majority = T::Registry::admin_majority_of(org).ok_or(Error::<T>::ObjectNotFound)?;
		let now = frame_system::Pallet::<T>::block_number();
		let is_settled_admin =
			|account: &T::AccountId| T::Registry::settled_admin_org_of(account) == Some(org);
		let mut pending = PendingGrants::<T>::get(org);
		pending
			.retain(|proposal| proposal.expires_at >= now && is_settled_admin(&proposal.proposer));

		let index = match pending
			.iter()
			.position(|proposal| proposal.terms == *terms && proposal.parent == parent)
		{
			Some(index) => index,
			None => {
				let open = pending.iter().filter(|proposal| proposal.proposer == *caller).count();
				ensure!(open < 2, Error::<T>::TooManyPendingGrants);
				let proposal: PendingGrantOf<T> = crate::PendingGrant {
					terms: terms.clone(),
					parent,
					proposer: caller.clone(),
					approvals: BoundedVec::new(),
					expires_at: now.saturating_add(T::ApprovalWindow::get()),
				};
				pending.try_push(proposal).map_err(|_| Error::<T>::TooManyPendingGrants)?;
				pending.len().saturating_sub(1)
			},
		};
		let proposal = pending.get_mut(index).expect("found or pushed above; qed");
		ensure!(!proposal.approvals.contains(caller), Error::<T>::AlreadyApproved);
		proposal.approvals.retain(|admin| is_settled_admin(admin));
		// Only settled admins are left, at most `MaxAdmins` of them with the caller, who is one
		// and is not among them: the list has room.
		proposal
			.approvals
			.try_push(caller.clone())
			.map_err(|_| Error::<T>::AlreadyApproved)?;
		let approvals = proposal.approvals.len() as u32;
		let outcome = if approvals >= majority {
			pending.remove(index);
			Approval::Complete
		} else {
			Approval::Recorded(approvals)
		};
		if pending.is_empty() {
			PendingGrants::<T>::remove(org);
		} else {
			PendingGrants::<T>::insert(org, pending);
		}
		Ok(outcome)
	}

	/// Stores a new grant and its indexes, once it fits every bound.
	fn create(
		by: T::AccountId,
		owner: OrgId,
		terms: GrantTermsOf<T>,
		parent: Option<GrantId>,
		depth: u8,
	) -> Result<GrantId, DispatchError> {
		let objects = ObjectGrantCount::<T>::get(&terms.object);
		ensure!(objects < T::MaxGrantsPerObject::get(), Error::<T>::TooManyGrantsOnObject);
		let mut holding = Holdings::<T>::get(&terms.object, &terms.subject);
		let mut held = SubjectGrants::<T>::get(&terms.subject, owner);
		let id = NextGrantId::<T>::get();
		holding.try_push(id).map_err(|_| Error::<T>::TooManyGrantsInHolding)?;
		held.try_push(id).map_err(|_| Error::<T>::TooManyGrantsOfSubject)?;
		let (slot, mut queue) = Self::expiry_slot_for(terms.valid_until)?;
		queue.try_push(id).map_err(|_| Error::<T>::ExpiryQueueFull)?;

		NextGrantId::<T>::put(id.saturating_add(1));
		ExpiryQueue::<T>::insert(slot, queue);
		Holdings::<T>::insert(&terms.object, &terms.subject, holding);
		SubjectGrants::<T>::insert(&terms.subject, owner, held);
		ObjectGrantCount::<T>::insert(&terms.object, objects.saturating_add(1));
		let grant: GrantOf<T> = Grant {
			terms: terms.clone(),
			owner,
			parent,
			depth,
			expiry_slot: slot,
			issued_by: by.clone(),
			issued_at: frame_system::Pallet::<T>::block_number(),
		};
		Grants::<T>::insert(id, grant);
		Self::deposit_event(Event::GrantIssued { grant: id, terms, owner, parent, by });
		Ok(id)
	}

	/// The first expiry slot with room, from the minute `valid_until` falls in, and its queue.
	fn expiry_slot_for(
		valid_until: crate::Moment,
	) -> Result<(u64, BoundedVec<GrantId, T::MaxGrantsPerExpirySlot>), DispatchError> {
		let first = valid_until / EXPIRY_SLOT_MS;
		(first..first.saturating_add(EXPIRY_SLOT_SPILL))
			.map(|slot| (slot, ExpiryQueue::<T>::get(slot)))
			.find(|(_, queue)| !queue.is_full())
			.ok_or_else(|| Error::<T>::ExpiryQueueFull.into())
	}

	/// The organisation that owns `object`'s devices.
	pub(crate) fn owner_of(object: &ObjectOf<T>) -> Result<OrgId, DispatchError> {
		let owner = match object {
			crate::Object::Device(device) => T::Registry::org_of(device),
			crate::Object::Model { org, .. } | crate::Object::Organisation(org) => {
				T::Registry::active_org_roles(*org).map(|_| *org)
			},
		};
		owner.ok_or_else(|| Error::<T>::ObjectNotFound.into())
	}

	/// Ensures `caller` acts for `org`: as a settled admin for powerful rights, as an admin or
	/// member otherwise; `not_staff` names the refusal of an outsider.
	fn ensure_acts_for(
		caller: &T::AccountId,
		org: OrgId,
		powerful: bool,
		not_staff: Error<T>,
	) -> Result<(), DispatchError> {
		ensure!(T::Registry::active_org_of(caller) == Some(org), not_staff);
		if powerful {
			ensure!(
				T::Registry::settled_admin_org_of(caller) == Some(org),
				Error::<T>::NotSettledAdmin
			);
		}
		Ok(())
	}

	/// Ensures the terms allow something, for a window that has not ended and ends at most
	/// `MaxGrantLifetime` from now: every grant leaves storage within that.
	fn ensure_sound_terms(terms: &GrantTermsOf<T>) -> Result<(), DispatchError> {
		ensure!(!terms.rights.is_empty(), Error::<T>::NoRights);
		ensure!(
			!terms.rights.register || matches!(terms.subject, Subject::Organisation(_)),
			Error::<T>::RegisterNeedsOrganisation
		);
		let now = Self::now();
		ensure!(
			terms.valid_from < terms.valid_until && terms.valid_until > now,
			Error::<T>::BadWindow
		);
		ensure!(
			terms.valid_until <= now.saturating_add(T::MaxGrantLifetime::get()),
			Error::<T>::WindowTooLong
		);
		Ok(())
	}

	/// Whether `terms` ask for no more than `parent` allows: its object or a part of it, its
	/// rights or fewer, a window inside its own.
	fn is_within(terms: &GrantTermsOf<T>, parent: &GrantOf<T>) -> bool {
		parent.terms.rights.include(&terms.rights)
			&& parent.terms.valid_from <= terms.valid_from
			&& terms.valid_until <= parent.terms.valid_until
			&& Self::object_within(&terms.object, &parent.terms.object, parent.owner)
	}

	/// Whether every device of `inner` is a device of `outer`, whose owner is `owner`.
	fn object_within(inner: &ObjectOf<T>, outer: &ObjectOf<T>, owner: OrgId) -> bool {
		use crate::Object::{Device, Model, Organisation};
		match (inner, outer) {
			(inner, outer) if inner == outer => true,
			(Device(device), Model { org, model }) => {
				T::Registry::org_of(device) == Some(*org)
					&& T::Registry::model_of(device).is_some_and(|m| m == model.as_slice())
			},
			(Device(device), Organisation(org)) => T::Registry::org_of(device) == Some(*org),
			(Model { org, .. }, Organisation(outer_org)) => org == outer_org && *org == owner,
			_ => false,
		}
	}
}
