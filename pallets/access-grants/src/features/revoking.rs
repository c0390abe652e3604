//! Revoking grants, and removing a grant with its indexes (also when it expires).

use crate::{
	Config, Error, Event, ExpiryQueue, GrantId, GrantOf, Grants, Holdings, ObjectGrantCount,
	Pallet, Subject, SubjectGrants,
};
use frame_support::ensure;
use pallet_device_registry::DeviceRegistry;
use sp_runtime::DispatchResult;

impl<T: Config> Pallet<T> {
	/// Revokes `id`: `by` is the revoking account, or `None` for governance.
	pub(crate) fn do_revoke(by: Option<T::AccountId>, id: GrantId) -> DispatchResult {
		let grant = Grants::<T>::get(id).ok_or(Error::<T>::GrantNotFound)?;
		if let Some(account) = &by {
			ensure!(Self::may_revoke(account, &grant), Error::<T>::NotAllowedToRevoke);
		}
		Self::remove(id, &grant, true);
		Self::deposit_event(Event::GrantRevoked { grant: id, by });
		Ok(())
	}

	/// Whether `account` may revoke `grant`: it serves the grant's owner or the object's owner
	/// now (a device that changed hands), or speaks for the subject of the grant it was
	/// delegated from, or for the grant's own subject.
	fn may_revoke(account: &T::AccountId, grant: &GrantOf<T>) -> bool {
		let staff_of = T::Registry::active_org_of(account);
		let speaks_for = |subject: &crate::SubjectOf<T>| match subject {
			Subject::Account(holder) => holder == account,
			Subject::Organisation(org) => staff_of == Some(*org),
			Subject::UserDevice(_) => false,
		};
		let serves_an_owner = staff_of.is_some_and(|org| {
			org == grant.owner || Self::owner_of(&grant.terms.object).ok() == Some(org)
		});
		serves_an_owner
			|| speaks_for(&grant.terms.subject)
			|| grant
				.parent
				.and_then(Grants::<T>::get)
				.is_some_and(|parent| speaks_for(&parent.terms.subject))
	}

	/// Removes grant `id` and its indexes, and takes it out of its expiry slot unless the sweep
	/// is emptying that slot itself (`from_its_slot: false`).
	pub(crate) fn remove(id: GrantId, grant: &GrantOf<T>, from_its_slot: bool) {
		let terms = &grant.terms;
		Grants::<T>::remove(id);
		if from_its_slot {
			ExpiryQueue::<T>::mutate_exists(grant.expiry_slot, |queue| {
				if let Some(ids) = queue {
					ids.retain(|queued| *queued != id);
					if ids.is_empty() {
						*queue = None;
					}
				}
			});
		}
		Holdings::<T>::mutate_exists(&terms.object, &terms.subject, |holding| {
			if let Some(ids) = holding {
				ids.retain(|held| *held != id);
				if ids.is_empty() {
					*holding = None;
				}
			}
		});
		SubjectGrants::<T>::mutate_exists(&terms.subject, grant.owner, |held| {
			if let Some(ids) = held {
				ids.retain(|other| *other != id);
				if ids.is_empty() {
					*held = None;
				}
			}
		});
		ObjectGrantCount::<T>::mutate_exists(&terms.object, |count| {
			*count = count.map(|n| n.saturating_sub(1)).filter(|n| *n > 0);
		});
	}
}
