//! Removing expired grants: a bounded number per block, from a queue ordered by the minute
//! each grant ends in, so no hook ever walks all grants.
//!
//! Removal is housekeeping, not enforcement: every check compares a grant's window with the
//! block's time, so a grant is out of force the moment its window ends, removed or not.

use crate::{
	Config, Event, ExpiryQueue, Grants, NextExpirySlot, Pallet, WeightInfo, EXPIRY_SLOT_MS,
};
use frame_support::{traits::Get, weights::Weight};

/// Most expiry slots one block looks at, emptied or not: a chain that stood still for a while
/// catches up over several blocks.
const MAX_SLOTS_PER_BLOCK: u32 = 8;

impl<T: Config> Pallet<T> {
	/// Removes grants whose window ended, from the slots before the current minute, up to
	/// `MaxExpiriesPerBlock`, and returns the weight used.
	pub(crate) fn remove_expired_grants() -> Weight {
		let now = Self::now();
		let current = now / EXPIRY_SLOT_MS;
		let Some(mut slot) = NextExpirySlot::<T>::get() else {
			// The first block with a time (the genesis block has none) starts the queue at the
			// current minute: no grant can end earlier.
			if now > 0 {
				NextExpirySlot::<T>::put(current);
			}
			return T::DbWeight::get().reads_writes(2, 1);
		};
		let start = slot;
		let mut budget = T::MaxExpiriesPerBlock::get();
		let mut removed = 0u32;
		let mut slots = 0u32;
		while slot < current && slots < MAX_SLOTS_PER_BLOCK && budget > 0 {
			slots = slots.saturating_add(1);
			let mut queue = ExpiryQueue::<T>::get(slot);
			let take = queue.len().min(budget as usize);
			for id in queue.drain(..take) {
				budget = budget.saturating_sub(1);
				// A slot holds only grants ending before the current minute, so every one
				// still stored has expired (a revoked one left its slot as it went).
				if let Some(grant) = Grants::<T>::get(id) {
					Self::remove(id, &grant, false);
					Self::deposit_event(Event::GrantExpired { grant: id });
					removed = removed.saturating_add(1);
				}
			}
			if queue.is_empty() {
				ExpiryQueue::<T>::remove(slot);
				slot = slot.saturating_add(1);
			} else {
				ExpiryQueue::<T>::insert(slot, queue);
			}
		}
		if slot != start {
			NextExpirySlot::<T>::put(slot);
		}
		T::WeightInfo::remove_expired(removed).saturating_add(
			T::DbWeight::get().reads_writes(slots.into(), slots.saturating_add(1).into()),
		)
	}
}
