//! What other pallets may ask of the access grants.

use crate::{Config, Pallet, Right, Subject};
#[cfg(feature = "runtime-benchmarks")]
use crate::{Grant, GrantTerms, Grants, Holdings, NextGrantId, Object, Rights};
#[cfg(feature = "runtime-benchmarks")]
use pallet_device_registry::DeviceRegistry;
use pallet_device_registry::{DeviceId, OrgId};

/// Whether a subject holds a right on a device now, for the pallets where the action happens.
pub trait AccessRights<AccountId> {
	/// Whether the user device `user_device` may exercise `right` on `device` now.
	fn user_device_may(user_device: &[u8; 32], right: Right, device: &DeviceId) -> bool;

	/// Whether organisation `org` may exercise `right` on `device` now.
	fn organisation_may(org: OrgId, right: Right, device: &DeviceId) -> bool;
}

impl<T: Config> AccessRights<T::AccountId> for Pallet<T> {
	fn user_device_may(user_device: &[u8; 32], right: Right, device: &DeviceId) -> bool {
		Self::may(&Subject::UserDevice(*user_device), right, device)
	}

	fn organisation_may(org: OrgId, right: Right, device: &DeviceId) -> bool {
		Self::may(&Subject::Organisation(org), right, device)
	}
}

/// Grants for other pallets' benchmarks to start from: never part of a production runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait AccessRightsBenchmarking<AccountId>: AccessRights<AccountId> {
	/// Gives `subject` grants on `device` that cost a check the most: every holding a check
	/// reads (the device, all of its owner's devices, its model) full, every grant in them
	/// allowing every right but delegated as deep as allowed, from an owner's grant not in
	/// force, so the check reads each grant and all of its parents. With `in_force`, the last
	/// grant the check reads is in force.
	fn grant_for_benchmark(subject: Subject<AccountId>, device: &DeviceId, in_force: bool);
}

#[cfg(feature = "runtime-benchmarks")]
impl<T: Config> AccessRightsBenchmarking<T::AccountId> for Pallet<T> {
	fn grant_for_benchmark(subject: Subject<T::AccountId>, device: &DeviceId, in_force: bool) {
		use frame_support::traits::Get;
		let owner = T::Registry::org_of(device).expect("benchmarks grant on registered devices");
		let model = T::Registry::model_of(device)
			.and_then(|model| model.try_into().ok())
			.expect("a registered model fits");
		let objects = [
			Object::Device(*device),
			Object::Organisation(owner),
			Object::Model { org: owner, model },
		];
		let per_holding = T::MaxGrantsPerHolding::get();
		let depth = T::MaxDelegationDepth::get();
		let every_right = Rights {
			register: true,
			login: true,
			read: Some(crate::ReadLevel::Full),
			command: true,
			firmware: true,
		};
		let holdings = objects.iter().flat_map(|object| (0..per_holding).map(move |_| object));
		let count = objects.len() * per_holding as usize;
		for (index, object) in holdings.enumerate() {
			// Holdings a benchmark set up for another device (all of the owner's devices, its
			// model) are full already.
			if Holdings::<T>::decode_len(object, &subject).unwrap_or(0) >= per_holding as usize {
				continue;
			}
			let checked_last = index + 1 == count;
			let mut parent = None;
			for step in 0..=depth {
				let id = NextGrantId::<T>::get();
				NextGrantId::<T>::put(id + 1);
				let not_begun = step == 0 && !(in_force && checked_last);
				let holder = if step == depth {
					subject.clone()
				} else {
					Subject::Account(frame_benchmarking::account(
						"delegator",
						index as u32,
						step.into(),
					))
				};
				let grant = Grant {
					terms: GrantTerms {
						subject: holder,
						object: object.clone(),
						rights: every_right.clone(),
						// An ended owner's grant would be swept; one not yet begun fails the
						// same check at any time a benchmark runs at.
						valid_from: if not_begun { crate::Moment::MAX - 1 } else { 0 },
						valid_until: crate::Moment::MAX,
						delegable: step < depth,
					},
					owner,
					parent,
					depth: step,
					expiry_slot: 0,
					issued_by: frame_benchmarking::account("owner", 0, 0),
					issued_at: frame_system::Pallet::<T>::block_number(),
				};
				Grants::<T>::insert(id, grant);
				parent = Some(id);
			}
			let leaf = parent.expect("the loop runs at least once");
			Holdings::<T>::mutate(object, &subject, |ids| {
				ids.try_push(leaf).expect("MaxGrantsPerHolding grants fit a holding")
			});
		}
	}
}
