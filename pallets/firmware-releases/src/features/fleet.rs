//! Fleet status: the devices on each release of a model, the latest installable release (of the
//! model's current claim: releases of earlier claims are dead), how many devices are behind it or
//! on yanked releases, and the devices on one release, paged. The queries [`crate::runtime_api`]
//! serves.

use crate::{
	ClaimStart, Config, FleetStatus, ModelOf, ModelReleases, Models, Pallet, ReleaseDeviceCount,
	ReleaseDevices, ReleaseFleet, ReleaseId, ReleaseStatus, Releases,
};
use alloc::vec::Vec;
use frame_system::pallet_prelude::BlockNumberFor;
use pallet_device_registry::DeviceId;

impl<T: Config> Pallet<T> {
	/// The fleet of `model`: every release with the devices that run it.
	pub fn fleet_status(model: &[u8]) -> FleetStatus<BlockNumberFor<T>> {
		let Ok(model) = ModelOf::<T>::try_from(model.to_vec()) else {
			return FleetStatus {
				latest: None,
				behind_latest: 0,
				on_yanked: 0,
				releases: Vec::new(),
			};
		};
		let releases: Vec<_> = ModelReleases::<T>::iter_key_prefix(&model)
			.filter_map(|id| Releases::<T>::get(id).map(|release| (id, release)))
			.collect();
		let claim = Models::<T>::get(&model);
		let start = ClaimStart::<T>::get(&model);
		let latest = releases
			.iter()
			.filter(|(_, r)| matches!(r.status, ReleaseStatus::Active { .. }))
			.filter(|(_, r)| !Self::has_expired(r))
			.filter(|(id, r)| {
				claim.as_ref().is_some_and(|info| Self::is_of_claim(*id, r, info, start))
			})
			.max_by_key(|(_, r)| r.version)
			.map(|(id, r)| (*id, r.version));
		let mut fleet: Vec<_> = releases
			.into_iter()
			.map(|(id, r)| ReleaseFleet {
				release: id,
				version: r.version,
				status: r.status,
				devices: ReleaseDeviceCount::<T>::get(id),
			})
			.collect();
		fleet.sort_by_key(|entry| entry.release);
		let count = |keep: &dyn Fn(&ReleaseFleet<BlockNumberFor<T>>) -> bool| {
			fleet
				.iter()
				.filter(|e| keep(e))
				.fold(0u32, |sum, e| sum.saturating_add(e.devices))
		};
		let behind_latest =
			latest.map_or(0, |(_, version)| count(&|entry| entry.version < version));
		let on_yanked = count(&|entry| matches!(entry.status, ReleaseStatus::Yanked { .. }));
		FleetStatus { latest, behind_latest, on_yanked, releases: fleet }
	}

	/// Up to `limit` devices (at most 1,000) that run `release`, after the device `after`.
	pub fn devices_on_release(
		release: ReleaseId,
		after: Option<DeviceId>,
		limit: u32,
	) -> Vec<DeviceId> {
		let limit = limit.min(1_000) as usize;
		match after {
			Some(last) => ReleaseDevices::<T>::iter_key_prefix_from(
				release,
				ReleaseDevices::<T>::hashed_key_for(release, last),
			)
			.take(limit)
			.collect(),
			None => ReleaseDevices::<T>::iter_key_prefix(release).take(limit).collect(),
		}
	}
}
