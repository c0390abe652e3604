//! Whether a subject may do something with a device now, and which grants say so.

use crate::{
	Config, GrantId, GrantOf, Grants, Holdings, Moment, Object, ObjectOf, Pallet, Right, SubjectOf,
};
use alloc::vec::Vec;
use frame_support::traits::Get;
use pallet_device_registry::{DeviceId, DeviceRegistry};

impl<T: Config> Pallet<T> {
	/// Whether `subject` may exercise `right` on the active device `device` now. Stops at the
	/// first grant that says so: a grant on the device itself, then on all of its owner's
	/// devices, then on its model.
	pub fn may(subject: &SubjectOf<T>, right: Right, device: &DeviceId) -> bool {
		let Some(active) = T::Registry::active_device(device) else { return false };
		let now = Self::now();
		Self::objects_covering(device, active.org).into_iter().any(|object| {
			Holdings::<T>::get(&object, subject).into_iter().any(|id| {
				Grants::<T>::get(id).is_some_and(|grant| {
					grant.owner == active.org
						&& grant.terms.rights.allow(right)
						&& Self::is_in_force(&grant, now)
				})
			})
		})
	}

	/// The grants in force now that give `subject` rights on the active device `device`:
	/// on the device itself, on all of its owner's devices, and on its model.
	pub fn grants_in_force(
		subject: &SubjectOf<T>,
		device: &DeviceId,
	) -> Vec<(GrantId, GrantOf<T>)> {
		let Some(active) = T::Registry::active_device(device) else { return Vec::new() };
		let now = Self::now();
		Self::objects_covering(device, active.org)
			.into_iter()
			.flat_map(|object| Holdings::<T>::get(&object, subject))
			.filter_map(|id| Grants::<T>::get(id).map(|grant| (id, grant)))
			.filter(|(_, grant)| grant.owner == active.org && Self::is_in_force(grant, now))
			.collect()
	}

	/// The objects a grant on device `device`, owned by `owner`, can name.
	fn objects_covering(
		device: &DeviceId,
		owner: pallet_device_registry::OrgId,
	) -> Vec<ObjectOf<T>> {
		let mut objects = alloc::vec![Object::Device(*device), Object::Organisation(owner)];
		if let Some(model) = T::Registry::model_of(device).and_then(|model| model.try_into().ok()) {
			objects.push(Object::Model { org: owner, model });
		}
		objects
	}

	/// Whether `grant` is inside its window at `now`, and every grant it was delegated from is
	/// still stored and inside its own.
	pub(crate) fn is_in_force(grant: &GrantOf<T>, now: Moment) -> bool {
		let in_window =
			|grant: &GrantOf<T>| grant.terms.valid_from <= now && now < grant.terms.valid_until;
		if !in_window(grant) {
			return false;
		}
		let mut parent = grant.parent;
		// A parent is always one step closer to the owner's grant, so this ends within
		// `MaxDelegationDepth` steps; the bound also holds for a corrupted chain of parents.
		for _ in 0..T::MaxDelegationDepth::get() {
			let Some(id) = parent else { return true };
			match Grants::<T>::get(id) {
				Some(above) if in_window(&above) => parent = above.parent,
				_ => return false,
			}
		}
		parent.is_none()
	}
}

impl<T: Config> Pallet<T> {
	/// The grants on `object`, by number, after `start_after`, at most `limit`.
	pub fn grants_of_object(
		object: &ObjectOf<T>,
		start_after: Option<GrantId>,
		limit: u32,
	) -> Vec<(GrantId, GrantOf<T>)> {
		let mut ids: Vec<GrantId> = Holdings::<T>::iter_prefix_values(object)
			.flat_map(|ids| ids.into_inner())
			.collect();
		ids.sort_unstable();
		Self::page(ids, start_after, limit)
	}

	/// The grants `subject` holds, by number, after `start_after`, at most `limit`.
	pub fn grants_of_subject(
		subject: &SubjectOf<T>,
		start_after: Option<GrantId>,
		limit: u32,
	) -> Vec<(GrantId, GrantOf<T>)> {
		let mut ids: Vec<GrantId> = crate::SubjectGrants::<T>::iter_prefix_values(subject)
			.flat_map(|ids| ids.into_inner())
			.collect();
		ids.sort_unstable();
		Self::page(ids, start_after, limit)
	}

	/// The grants of the sorted `ids` after `start_after`, at most `limit`.
	fn page(
		ids: Vec<GrantId>,
		start_after: Option<GrantId>,
		limit: u32,
	) -> Vec<(GrantId, GrantOf<T>)> {
		ids.into_iter()
			.filter(|id| start_after.is_none_or(|after| *id > after))
			.take(limit as usize)
			.filter_map(|id| Grants::<T>::get(id).map(|grant| (id, grant)))
			.collect()
	}
}
