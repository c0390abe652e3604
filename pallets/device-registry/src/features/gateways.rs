//! Gateways: assigning a device to one of its organisation's gateways or unassigning it, and
//! each gateway's index of the devices it serves (which a gateway's transfer empties).

use crate::{
	Config, DeviceId, DeviceKind, DeviceStatus, Devices, Error, Event, GatewayDeviceCount,
	GatewayDevices, Pallet,
};
use frame_support::{ensure, traits::Get};
use sp_runtime::DispatchResult;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_assign_gateway(
		caller: &T::AccountId,
		id: DeviceId,
		gateway: Option<DeviceId>,
	) -> DispatchResult {
		let mut device = Self::managed_device(caller, &id)?;
		ensure!(device.kind == DeviceKind::Device, Error::<T>::GatewayCannotHaveGateway);
		if let Some(gateway_id) = gateway {
			let gateway = Devices::<T>::get(gateway_id).ok_or(Error::<T>::DeviceNotFound)?;
			ensure!(gateway.kind == DeviceKind::Gateway, Error::<T>::NotAGateway);
			ensure!(gateway.org == device.org, Error::<T>::GatewayOfAnotherOrg);
			ensure!(gateway.status == DeviceStatus::Active, Error::<T>::DeviceNotActive);
			ensure!(
				device.gateway == Some(gateway_id)
					|| GatewayDeviceCount::<T>::get(gateway_id) < T::MaxDevicesPerGateway::get(),
				Error::<T>::TooManyGatewayDevices
			);
		}

		if device.gateway != gateway {
			if let Some(previous) = device.gateway {
				Self::unindex_gateway_device(previous, id);
			}
			if let Some(next) = gateway {
				GatewayDevices::<T>::insert(next, id, ());
				GatewayDeviceCount::<T>::mutate(next, |count| *count = count.saturating_add(1));
			}
		}
		device.gateway = gateway;
		device.updated = Self::now();
		Devices::<T>::insert(id, device);
		Self::deposit_event(Event::GatewayAssigned { device: id, gateway, by: caller.clone() });
		Ok(())
	}

	/// Removes `device` from `gateway`'s index.
	pub(crate) fn unindex_gateway_device(gateway: DeviceId, device: DeviceId) {
		if GatewayDevices::<T>::take(gateway, device).is_some() {
			GatewayDeviceCount::<T>::mutate(gateway, |count| *count = count.saturating_sub(1));
		}
	}

	/// Unassigns every device `gateway` serves; returns how many it served.
	pub(crate) fn unassign_gateway_devices(gateway: DeviceId) -> u32 {
		let mut unassigned = 0u32;
		// At most `MaxDevicesPerGateway` entries, which the caller's weight covers.
		for device in GatewayDevices::<T>::drain_prefix(gateway).map(|(device, ())| device) {
			Devices::<T>::mutate(device, |record| {
				if let Some(record) = record {
					record.gateway = None;
				}
			});
			unassigned = unassigned.saturating_add(1);
		}
		GatewayDeviceCount::<T>::remove(gateway);
		unassigned
	}
}
