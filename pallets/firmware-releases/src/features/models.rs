//! Models: a manufacturer's admin claiming a model for its organisation, governance assigning one
//! whoever's devices use it or moving a claim another organisation holds (a squatted name), and
//! claims ending: removed by governance, or cleared by anyone once a manufacturer's claim went
//! `UnusedClaimLifetime` blocks without activating a release. Only the claimant publishes for
//! the model.
//!
//! Each claim starts afresh: no highest active version and no releases counted against
//! `MaxReleasesPerModel`, so a squatter's inflated version or full release list does not lock
//! the rightful maker out. Releases published under an earlier claim (ids below the model's
//! `ClaimStart`, or by another organisation than the claimant) stay in the model's index as
//! history but are dead: never activated, installed or the model's latest again. Devices keep
//! their own downgrade protection: no device reports installing a version below the one it runs.

use crate::{
	ClaimAuthority, ClaimStart, Config, Error, Event, ModelInfo, ModelOf, Models, NextReleaseId,
	Pallet, ReleaseId, ReleaseOf, UnusedClaimSince,
};
use alloc::vec::Vec;
use frame_support::{ensure, traits::Get};
use pallet_device_registry::{DeviceRegistry, OrgId};
use sp_runtime::{traits::Saturating, DispatchError, DispatchResult};

impl<T: Config> Pallet<T> {
	pub(crate) fn is_manufacturer(org: OrgId) -> bool {
		T::Registry::active_org_roles(org).is_some_and(|roles| roles.manufacturer)
	}

	pub(crate) fn checked_model(model: Vec<u8>) -> Result<ModelOf<T>, DispatchError> {
		let model: ModelOf<T> = model.try_into().map_err(|_| Error::<T>::BadModel)?;
		ensure!(!model.is_empty(), Error::<T>::BadModel);
		Ok(model)
	}

	/// Whether release `id` was published under the claim `info` that began at release id
	/// `start`: by the claimant, since the claim began. Only such a release lives.
	pub(crate) fn is_of_claim(
		id: ReleaseId,
		release: &ReleaseOf<T>,
		info: &ModelInfo,
		start: ReleaseId,
	) -> bool {
		release.manufacturer == info.manufacturer && id >= start
	}

	/// The current claim of release `id`'s model, if the release was published under it;
	/// otherwise the release is dead: `ModelNotClaimed` when the model is no longer claimed,
	/// `ModelOfAnotherManufacturer` when it is claimed anew.
	pub(crate) fn claim_of_release(
		id: ReleaseId,
		release: &ReleaseOf<T>,
	) -> Result<ModelInfo, DispatchError> {
		let info = Models::<T>::get(&release.model).ok_or(Error::<T>::ModelNotClaimed)?;
		let start = ClaimStart::<T>::get(&release.model);
		ensure!(
			Self::is_of_claim(id, release, &info, start),
			Error::<T>::ModelOfAnotherManufacturer
		);
		Ok(info)
	}

	pub(crate) fn do_admin_claim_model(caller: T::AccountId, model: Vec<u8>) -> DispatchResult {
		let org = T::Registry::active_admin_org_of(&caller)
			.filter(|org| Self::is_manufacturer(*org))
			.ok_or(Error::<T>::NotManufacturerAdmin)?;
		let model = Self::checked_model(model)?;
		ensure!(!T::Registry::model_used_outside(&model, org), Error::<T>::ModelInUse);
		Self::do_claim_model(model, org, ClaimAuthority::Manufacturer)
	}

	pub(crate) fn do_force_claim_model(model: Vec<u8>, org: OrgId) -> DispatchResult {
		ensure!(Self::is_manufacturer(org), Error::<T>::NotManufacturer);
		let model = Self::checked_model(model)?;
		Self::do_claim_model(model, org, ClaimAuthority::Governance)
	}

	/// Claims `model` for `org`, afresh: no highest active version, no releases counted, and
	/// the releases published so far belong to earlier claims. Only governance takes a model
	/// another organisation claims. A claim a manufacturer's admin made expires unless it
	/// activates a release within `UnusedClaimLifetime` blocks; one governance made or moved
	/// never does.
	pub(crate) fn do_claim_model(
		model: ModelOf<T>,
		org: OrgId,
		authority: ClaimAuthority,
	) -> DispatchResult {
		let previous = match Models::<T>::get(&model) {
			None => None,
			Some(info) if authority == ClaimAuthority::Governance && info.manufacturer != org => {
				Some(info.manufacturer)
			},
			Some(_) => return Err(Error::<T>::ModelAlreadyClaimed.into()),
		};

		Models::<T>::insert(
			&model,
			ModelInfo { manufacturer: org, highest_active: None, releases: 0 },
		);
		ClaimStart::<T>::insert(&model, NextReleaseId::<T>::get());
		match authority {
			ClaimAuthority::Manufacturer => UnusedClaimSince::<T>::insert(&model, Self::now()),
			// A governance assignment does not expire; a move ends the old claim's lifetime.
			ClaimAuthority::Governance => UnusedClaimSince::<T>::remove(&model),
		}
		Self::deposit_event(Event::ModelClaimed {
			model: model.into_inner(),
			org,
			authority,
			previous,
		});
		Ok(())
	}

	/// Removes `model`'s claim and its marks. Its releases stay in the model's index, dead.
	fn remove_claim(model: &ModelOf<T>) {
		Models::<T>::remove(model);
		UnusedClaimSince::<T>::remove(model);
		ClaimStart::<T>::remove(model);
	}

	/// Removes the claim of a model without releases stored under it: no release's rollback
	/// protection is lost.
	pub(crate) fn do_force_unclaim_model(model: Vec<u8>) -> DispatchResult {
		let model = Self::checked_model(model)?;
		let info = Models::<T>::get(&model).ok_or(Error::<T>::ModelNotClaimed)?;
		ensure!(info.releases == 0, Error::<T>::ModelHasReleases);

		Self::remove_claim(&model);
		Self::deposit_event(Event::ModelUnclaimed {
			model: model.into_inner(),
			org: info.manufacturer,
		});
		Ok(())
	}

	/// Clears a claim a manufacturer's admin made that activated no release for more than
	/// `UnusedClaimLifetime` blocks: it has an `UnusedClaimSince` entry, which the first
	/// activation removes. Its pending releases stay stored, dead (never approved again), for
	/// anyone to withdraw once their approval window closed.
	pub(crate) fn do_clear_unused_claim(caller: T::AccountId, model: Vec<u8>) -> DispatchResult {
		let model = Self::checked_model(model)?;
		let info = Models::<T>::get(&model).ok_or(Error::<T>::ModelNotClaimed)?;
		let since = UnusedClaimSince::<T>::get(&model).ok_or(Error::<T>::ClaimDoesNotExpire)?;
		ensure!(
			Self::now() > since.saturating_add(T::UnusedClaimLifetime::get()),
			Error::<T>::ClaimStillFresh
		);

		Self::remove_claim(&model);
		Self::deposit_event(Event::UnusedClaimCleared {
			model: model.into_inner(),
			org: info.manufacturer,
			by: caller,
		});
		Ok(())
	}
}
