//! Transfers: an organisation offers one of its devices to another, may withdraw the offer,
//! and the receiving organisation accepts it, taking the device over (a gateway leaves the
//! devices it served behind). The receiver may put a new key in as it accepts; if it does not,
//! the event says that whoever held the device's key before still holds it.

use crate::{
	Config, DeviceId, DeviceKind, Devices, Error, Event, ModelUsers, OrgDeviceCount, OrgDevices,
	OrgId, OrgStatus, Organisations, Pallet, PendingTransfers, ProvenKeyOf,
};
use frame_support::{ensure, traits::Get};
use sp_runtime::{DispatchError, DispatchResult};

impl<T: Config> Pallet<T> {
	pub(crate) fn do_offer_transfer(
		caller: &T::AccountId,
		id: DeviceId,
		to: OrgId,
	) -> DispatchResult {
		let device = Self::managed_device(caller, &id)?;
		ensure!(device.org != to, Error::<T>::TransferToSelf);
		ensure!(Organisations::<T>::contains_key(to), Error::<T>::OrgNotFound);
		ensure!(!PendingTransfers::<T>::contains_key(id), Error::<T>::TransferPending);

		PendingTransfers::<T>::insert(id, to);
		Self::deposit_event(Event::TransferOffered {
			device: id,
			from: device.org,
			to,
			by: caller.clone(),
		});
		Ok(())
	}

	pub(crate) fn do_cancel_transfer(caller: &T::AccountId, id: DeviceId) -> DispatchResult {
		Self::managed_device(caller, &id)?;
		ensure!(PendingTransfers::<T>::contains_key(id), Error::<T>::NoTransferPending);

		PendingTransfers::<T>::remove(id);
		Self::deposit_event(Event::TransferCancelled { device: id, by: caller.clone() });
		Ok(())
	}

	/// Moves device `id` to the organisation that accepted its offer, with `new_key` as its key
	/// if given. Returns how many devices it served, if it is a gateway (they are unassigned).
	pub(crate) fn do_accept_transfer(
		caller: &T::AccountId,
		id: DeviceId,
		new_key: Option<ProvenKeyOf<T>>,
	) -> Result<u32, DispatchError> {
		let org = Self::acting_org(caller)?;
		let to = PendingTransfers::<T>::get(id).ok_or(Error::<T>::NoTransferPending)?;
		ensure!(to == org, Error::<T>::NotTransferRecipient);
		let mut device = Devices::<T>::get(id).ok_or(Error::<T>::DeviceNotFound)?;
		let from = device.org;
		// A suspended organisation's offers are frozen with everything else it does.
		ensure!(
			Organisations::<T>::get(from).is_some_and(|org| org.status == OrgStatus::Active),
			Error::<T>::OfferingOrgSuspended
		);
		let received = OrgDeviceCount::<T>::get(to)
			.checked_add(1)
			.filter(|count| *count <= T::MaxDevicesPerOrg::get())
			.ok_or(Error::<T>::TooManyDevices)?;
		if let Some(key) = &new_key {
			Self::ensure_fresh_device_account(&key.account)?;
			Self::ensure_key_proof(to, device.kind, &id, &key.account, &key.key_proof)?;
		}

		PendingTransfers::<T>::remove(id);
		OrgDevices::<T>::remove(from, id);
		OrgDeviceCount::<T>::mutate(from, |count| *count = count.saturating_sub(1));
		OrgDevices::<T>::insert(to, id, ());
		OrgDeviceCount::<T>::insert(to, received);
		ModelUsers::<T>::mutate(&device.model, from, |count| *count = count.saturating_sub(1));
		ModelUsers::<T>::mutate(&device.model, to, |count| *count = count.saturating_add(1));
		device.org = to;
		// The old owner's gateway no longer relays for the device...
		if let Some(gateway) = device.gateway.take() {
			Self::unindex_gateway_device(gateway, id);
		}
		// ...and a gateway no longer relays for the old owner's devices.
		let unassigned = match device.kind {
			DeviceKind::Gateway => Self::unassign_gateway_devices(id),
			DeviceKind::Device => 0,
		};
		device.updated = Self::now();
		let key_rotated = new_key.is_some();
		if let Some(key) = new_key {
			Self::put_new_key(caller, id, &mut device, key.account);
		}
		Devices::<T>::insert(id, device);
		if unassigned > 0 {
			Self::deposit_event(Event::GatewayDevicesUnassigned {
				gateway: id,
				devices: unassigned,
			});
		}
		Self::deposit_event(Event::DeviceTransferred {
			device: id,
			from,
			to,
			by: caller.clone(),
			key_rotated,
		});
		Ok(unassigned)
	}
}
