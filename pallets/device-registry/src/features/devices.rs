//! Devices and gateways: registering them (checking a batch, then enrolling it), suspending,
//! resuming and revoking them, their metadata, and looking them up — which devices an account
//! may manage, which count as active, an organisation's devices and an account's device.

use crate::{
	Config, ContentHash, Device, DeviceId, DeviceOf, DeviceOfAccount, DeviceRegistration,
	DeviceRegistrationOf, DeviceStatus, Devices, Error, Event, ModelId, ModelUsers, OrgDeviceCount,
	OrgDevices, OrgId, OrgStatus, Organisations, Pallet, PendingTransfers, ProvenRegistrationOf,
	MAX_PAGE_SIZE,
};
use alloc::{collections::BTreeSet, vec::Vec};
use frame_support::{ensure, traits::Get};
use sp_runtime::{ArithmeticError, DispatchError, DispatchResult};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_register_devices(
		caller: &T::AccountId,
		registrations: Vec<ProvenRegistrationOf<T>>,
	) -> DispatchResult {
		let org = Self::acting_org(caller)?;
		let (registrations, proofs): (Vec<_>, Vec<_>) = registrations
			.into_iter()
			.map(|proven| (proven.registration, proven.key_proof))
			.unzip();
		let checked = Self::check_batch(org, &registrations)?;
		for (registration, proof) in registrations.iter().zip(&proofs) {
			Self::ensure_key_proof(
				org,
				registration.kind,
				&registration.id,
				&registration.account,
				proof,
			)?;
		}
		Self::enroll(caller, org, registrations, checked);
		Ok(())
	}

	/// Every check of a batch but the key proofs: that it is not empty (the call's argument
	/// type bounds its size), the organisation's room, the models, and ids and accounts that
	/// are new. Returns the batch's models and the organisation's device count after it.
	pub(crate) fn check_batch(
		org: OrgId,
		registrations: &[DeviceRegistrationOf<T>],
	) -> Result<CheckedBatch<T>, DispatchError> {
		let count = crate::ensure_non_empty_batch(registrations.len(), Error::<T>::BadBatchSize)?;
		let owned = OrgDeviceCount::<T>::get(org);
		let new_total = owned.checked_add(count).ok_or(ArithmeticError::Overflow)?;
		ensure!(new_total <= T::MaxDevicesPerOrg::get(), Error::<T>::TooManyDevices);

		let mut ids = BTreeSet::new();
		let mut accounts = BTreeSet::new();
		let mut models = Vec::with_capacity(registrations.len());
		for registration in registrations {
			let model: ModelId<T::MaxModelLen> =
				registration.model.clone().try_into().map_err(|_| Error::<T>::BadModel)?;
			ensure!(!model.is_empty(), Error::<T>::BadModel);
			models.push(model);
			ensure!(
				ids.insert(registration.id) && accounts.insert(registration.account.clone()),
				Error::<T>::DuplicateInBatch
			);
			ensure!(!Devices::<T>::contains_key(registration.id), Error::<T>::DeviceAlreadyExists);
			Self::ensure_fresh_device_account(&registration.account)?;
		}
		Ok(CheckedBatch { models, new_total })
	}

	/// Stores a batch that passed every check.
	pub(crate) fn enroll(
		registrant: &T::AccountId,
		org: OrgId,
		registrations: Vec<DeviceRegistrationOf<T>>,
		checked: CheckedBatch<T>,
	) {
		let CheckedBatch { models, new_total } = checked;
		let now = Self::now();
		OrgDeviceCount::<T>::insert(org, new_total);
		for (registration, model) in registrations.into_iter().zip(models) {
			let DeviceRegistration { id, kind, account, metadata_hash, firmware, .. } =
				registration;
			DeviceOfAccount::<T>::insert(&account, id);
			// Devices hold no tokens; this reference keeps their account (and its nonce)
			// alive so they can sign transactions.
			frame_system::Pallet::<T>::inc_sufficients(&account);
			OrgDevices::<T>::insert(org, id, ());
			ModelUsers::<T>::mutate(&model, org, |count| *count = count.saturating_add(1));
			Devices::<T>::insert(
				id,
				Device {
					org,
					kind,
					model,
					account: account.clone(),
					metadata_hash,
					firmware,
					gateway: None,
					status: DeviceStatus::Active,
					created: now,
					updated: now,
				},
			);
			Self::deposit_event(Event::DeviceRegistered {
				device: id,
				org,
				kind,
				account,
				by: registrant.clone(),
			});
		}
	}

	/// The device, if `caller` may manage it: an account of its active owner, and the
	/// device not revoked.
	pub(crate) fn managed_device(
		caller: &T::AccountId,
		id: &DeviceId,
	) -> Result<DeviceOf<T>, DispatchError> {
		let org = Self::acting_org(caller)?;
		let device = Devices::<T>::get(id).ok_or(Error::<T>::DeviceNotFound)?;
		ensure!(device.org == org, Error::<T>::NotOrgAccount);
		ensure!(device.status != DeviceStatus::Revoked, Error::<T>::DeviceRevoked);
		Ok(device)
	}

	pub(crate) fn do_set_device_status(
		caller: &T::AccountId,
		id: DeviceId,
		status: DeviceStatus,
	) -> DispatchResult {
		let mut device = Self::managed_device(caller, &id)?;
		match status {
			DeviceStatus::Suspended => {
				ensure!(device.status == DeviceStatus::Active, Error::<T>::DeviceNotActive)
			},
			DeviceStatus::Active => {
				ensure!(device.status == DeviceStatus::Suspended, Error::<T>::DeviceNotSuspended)
			},
			DeviceStatus::Revoked => (),
		}

		let now = Self::now();
		device.status = status;
		device.updated = now;
		if status == DeviceStatus::Revoked {
			Self::retire_account(id, device.account.clone(), now);
			PendingTransfers::<T>::remove(id);
		}
		Devices::<T>::insert(id, device);
		Self::deposit_event(match status {
			DeviceStatus::Suspended => Event::DeviceSuspended { device: id, by: caller.clone() },
			DeviceStatus::Active => Event::DeviceResumed { device: id, by: caller.clone() },
			DeviceStatus::Revoked => Event::DeviceRevoked { device: id, by: caller.clone() },
		});
		Ok(())
	}

	pub(crate) fn do_update_metadata(
		caller: &T::AccountId,
		id: DeviceId,
		metadata_hash: ContentHash,
	) -> DispatchResult {
		let mut device = Self::managed_device(caller, &id)?;
		device.metadata_hash = metadata_hash;
		device.updated = Self::now();
		Devices::<T>::insert(id, device);
		Self::deposit_event(Event::MetadataUpdated {
			device: id,
			metadata_hash,
			by: caller.clone(),
		});
		Ok(())
	}

	/// Whether a device counts as active: its own status and its organisation's.
	pub(crate) fn is_active(device: &DeviceOf<T>) -> bool {
		device.status == DeviceStatus::Active
			&& Organisations::<T>::get(device.org)
				.is_some_and(|org| org.status == OrgStatus::Active)
	}

	/// Devices of an organisation, at most `limit` of them after the id `after`, in
	/// storage order (for paging: pass the last id of the previous page).
	pub fn devices_of_org(
		org: OrgId,
		after: Option<DeviceId>,
		limit: u32,
	) -> Vec<(DeviceId, DeviceOf<T>)> {
		let limit = limit.min(MAX_PAGE_SIZE) as usize;
		let ids = match after {
			Some(last) => OrgDevices::<T>::iter_key_prefix_from(
				org,
				OrgDevices::<T>::hashed_key_for(org, last),
			),
			None => OrgDevices::<T>::iter_key_prefix(org),
		};
		ids.filter_map(|id| Devices::<T>::get(id).map(|device| (id, device)))
			.take(limit)
			.collect()
	}

	/// The device that signs with `account`, whatever its status.
	pub fn device_by_account(account: &T::AccountId) -> Option<(DeviceId, DeviceOf<T>)> {
		let id = DeviceOfAccount::<T>::get(account)?;
		Devices::<T>::get(id).map(|device| (id, device))
	}
}

/// A registration batch that passed every check but its key proofs: the models to store and
/// the organisation's device count once it is stored.
pub(crate) struct CheckedBatch<T: Config> {
	models: Vec<ModelId<T::MaxModelLen>>,
	new_total: u32,
}
