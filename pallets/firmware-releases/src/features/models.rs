//! Models: a manufacturer's admin claiming a model for its organisation, and governance assigning
//! one whoever's devices use it. Only the claiming organisation then publishes for the model.

use crate::{ClaimAuthority, Config, Error, Event, ModelInfo, ModelOf, Models, Pallet};
use alloc::vec::Vec;
use frame_support::ensure;
use pallet_device_registry::{DeviceRegistry, OrgId};
use sp_runtime::{DispatchError, DispatchResult};

impl<T: Config> Pallet<T> {
	pub(crate) fn is_manufacturer(org: OrgId) -> bool {
		T::Registry::active_org_roles(org).is_some_and(|roles| roles.manufacturer)
	}

	pub(crate) fn checked_model(model: Vec<u8>) -> Result<ModelOf<T>, DispatchError> {
		let model: ModelOf<T> = model.try_into().map_err(|_| Error::<T>::BadModel)?;
		ensure!(!model.is_empty(), Error::<T>::BadModel);
		Ok(model)
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

	pub(crate) fn do_claim_model(
		model: ModelOf<T>,
		org: OrgId,
		authority: ClaimAuthority,
	) -> DispatchResult {
		ensure!(!Models::<T>::contains_key(&model), Error::<T>::ModelAlreadyClaimed);
		Models::<T>::insert(
			&model,
			ModelInfo { manufacturer: org, highest_active: None, releases: 0 },
		);
		Self::deposit_event(Event::ModelClaimed { model: model.into_inner(), org, authority });
		Ok(())
	}
}
