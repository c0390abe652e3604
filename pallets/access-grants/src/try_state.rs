//! The invariants of the grants and their indexes, as named checks (run after every test and
//! by try-runtime).

use crate::{
	Config, ExpiryQueue, Grants, Holdings, NextExpirySlot, NextGrantId, ObjectGrantCount, Pallet,
	PendingGrants, SubjectGrants,
};
use frame_support::{ensure, traits::Get};
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::check_grants_are_indexed()?;
		Self::check_indexes_name_their_grants()?;
		Self::check_expiry_queue()?;
		Self::check_pending_grants()
	}

	/// Every grant is in its holding and its subject's list, numbered below the next number,
	/// and never delegated deeper than allowed.
	fn check_grants_are_indexed() -> Result<(), TryRuntimeError> {
		for (id, grant) in Grants::<T>::iter() {
			ensure!(id < NextGrantId::<T>::get(), "a grant numbered at or past the next number");
			ensure!(grant.depth <= T::MaxDelegationDepth::get(), "a grant delegated too deep");
			ensure!(
				grant.parent.is_some() == (grant.depth > 0),
				"a grant's depth and parent disagree"
			);
			let terms = &grant.terms;
			ensure!(
				Holdings::<T>::get(&terms.object, &terms.subject).contains(&id),
				"a grant missing from its holding"
			);
			ensure!(
				SubjectGrants::<T>::get(&terms.subject, grant.owner).contains(&id),
				"a grant missing from its subject's list"
			);
		}
		Ok(())
	}

	/// Every indexed number is a stored grant of that object and subject, and each object's
	/// count is its number of grants.
	fn check_indexes_name_their_grants() -> Result<(), TryRuntimeError> {
		for (object, subject, ids) in Holdings::<T>::iter() {
			ensure!(!ids.is_empty(), "an empty holding is stored");
			for id in ids {
				let grant = Grants::<T>::get(id).ok_or("a holding names a removed grant")?;
				ensure!(
					grant.terms.object == object && grant.terms.subject == subject,
					"a holding names another object's or subject's grant"
				);
			}
		}
		for (object, count) in ObjectGrantCount::<T>::iter() {
			let held: usize = Holdings::<T>::iter_prefix_values(&object).map(|ids| ids.len()).sum();
			ensure!(held == count as usize, "an object's count is not its number of grants");
			ensure!(count <= T::MaxGrantsPerObject::get(), "an object over MaxGrantsPerObject");
		}
		for (subject, owner, ids) in SubjectGrants::<T>::iter() {
			ensure!(!ids.is_empty(), "an empty subject list is stored");
			for id in ids {
				let grant = Grants::<T>::get(id).ok_or("a subject's list names a removed grant")?;
				ensure!(
					grant.terms.subject == subject && grant.owner == owner,
					"a subject's list names another subject's or owner's grant"
				);
			}
		}
		Ok(())
	}

	/// Every grant is queued for removal in the slot it records, not yet emptied, at or after
	/// the minute it ends in; every queued number is a stored grant's.
	fn check_expiry_queue() -> Result<(), TryRuntimeError> {
		let first = NextExpirySlot::<T>::get().unwrap_or_default();
		for (slot, ids) in ExpiryQueue::<T>::iter() {
			ensure!(slot >= first, "an expiry slot before the next one is left");
			ensure!(!ids.is_empty(), "an empty expiry slot is stored");
			for id in ids {
				let grant = Grants::<T>::get(id).ok_or("an expiry slot names a removed grant")?;
				ensure!(grant.expiry_slot == slot, "a grant queued in a slot it does not record");
				ensure!(
					grant.terms.valid_until / crate::EXPIRY_SLOT_MS <= slot,
					"a grant queued before the minute it ends in"
				);
			}
		}
		for (id, grant) in Grants::<T>::iter() {
			ensure!(
				ExpiryQueue::<T>::get(grant.expiry_slot).contains(&id),
				"a grant is missing from the expiry slot it records"
			);
		}
		Ok(())
	}

	/// Every pending grant has an approval, its proposer's first, and no admin has more than
	/// two proposals open.
	fn check_pending_grants() -> Result<(), TryRuntimeError> {
		for (_, pending) in PendingGrants::<T>::iter() {
			ensure!(!pending.is_empty(), "an empty list of pending grants is stored");
			for proposal in pending.iter() {
				ensure!(
					proposal.approvals.first() == Some(&proposal.proposer),
					"a pending grant not first approved by its proposer"
				);
				let open = pending.iter().filter(|p| p.proposer == proposal.proposer).count();
				ensure!(open <= 2, "an admin with more than two pending grants");
			}
		}
		Ok(())
	}
}
