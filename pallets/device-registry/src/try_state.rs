//! The registry's invariants, one check each, which `try-runtime` runs after every block and
//! the tests after every test: the maps and the indexes kept beside them agree.

use crate::{
	AdminSince, Config, DeviceOfAccount, DeviceStatus, Devices, GatewayDeviceCount, GatewayDevices,
	ModelId, ModelUsers, OrgDeviceCount, OrgDevices, OrgId, OrgOfAccount, Organisations, Pallet,
	PendingAdminChanges, RetiredAccounts,
};
use frame_support::{ensure, traits::Get};
use sp_runtime::TryRuntimeError;

impl<T: Config> Pallet<T> {
	/// Checks the invariants between the maps and their indexes.
	pub fn do_try_state() -> Result<(), TryRuntimeError> {
		Self::check_device_indexes()?;
		Self::check_key_maps()?;
		Self::check_gateway_indexes()?;
		Self::check_gateway_counts()?;
		Self::check_model_users()?;
		Self::check_org_device_counts()?;
		Self::check_org_accounts()?;
		Self::check_admin_changes()?;
		Ok(())
	}

	/// Every device is in its organisation's index, and every index entry names an existing
	/// organisation and a device that organisation owns.
	fn check_device_indexes() -> Result<(), TryRuntimeError> {
		for (id, device) in Devices::<T>::iter() {
			ensure!(
				OrgDevices::<T>::contains_key(device.org, id),
				"a device is missing from its organisation's index"
			);
		}
		for (org, id) in OrgDevices::<T>::iter_keys() {
			ensure!(Organisations::<T>::contains_key(org), "an index names no organisation");
			ensure!(
				Devices::<T>::get(id).is_some_and(|device| device.org == org),
				"an index entry names a device its organisation does not own"
			);
		}
		Ok(())
	}

	/// A device's key maps back to it (a revoked device's key is retired to it instead), and
	/// every live key belongs to the device that maps to it, is not retired and keeps its
	/// account from being reaped.
	fn check_key_maps() -> Result<(), TryRuntimeError> {
		for (id, device) in Devices::<T>::iter() {
			match device.status {
				DeviceStatus::Revoked => ensure!(
					!DeviceOfAccount::<T>::contains_key(&device.account)
						&& RetiredAccounts::<T>::get(&device.account) == Some(id),
					"a revoked device's key is still live"
				),
				_ => ensure!(
					DeviceOfAccount::<T>::get(&device.account) == Some(id),
					"a device's key does not map back to it"
				),
			}
		}
		for (account, id) in DeviceOfAccount::<T>::iter() {
			ensure!(
				Devices::<T>::get(id).is_some_and(|d| d.account == account),
				"an account maps to a device that signs with another key"
			);
			ensure!(
				!RetiredAccounts::<T>::contains_key(&account),
				"a retired account is live again"
			);
			ensure!(
				frame_system::Pallet::<T>::sufficients(&account) > 0,
				"a live device key's account can be reaped"
			);
		}
		Ok(())
	}

	/// Each gateway's index names exactly the devices assigned to that gateway.
	fn check_gateway_indexes() -> Result<(), TryRuntimeError> {
		for (gateway, device) in GatewayDevices::<T>::iter_keys() {
			ensure!(
				Devices::<T>::get(device).is_some_and(|d| d.gateway == Some(gateway)),
				"a gateway's index names a device assigned elsewhere"
			);
		}
		for (id, device) in Devices::<T>::iter() {
			if let Some(gateway) = device.gateway {
				ensure!(
					GatewayDevices::<T>::contains_key(gateway, id),
					"an assigned device is missing from its gateway's index"
				);
			}
		}
		Ok(())
	}

	/// Each gateway's device count is the size of its index, and at most
	/// `MaxDevicesPerGateway`.
	fn check_gateway_counts() -> Result<(), TryRuntimeError> {
		for (gateway, count) in GatewayDeviceCount::<T>::iter() {
			ensure!(
				GatewayDevices::<T>::iter_key_prefix(gateway).count() as u32 == count
					&& count <= T::MaxDevicesPerGateway::get(),
				"a gateway's device count disagrees with its index"
			);
		}
		Ok(())
	}

	/// Each model's user counts are the numbers of devices of that model each organisation
	/// owns (an entry may be left at zero).
	fn check_model_users() -> Result<(), TryRuntimeError> {
		let mut model_users =
			alloc::collections::BTreeMap::<(ModelId<T::MaxModelLen>, OrgId), u32>::new();
		for (_, device) in Devices::<T>::iter() {
			let count = model_users.entry((device.model, device.org)).or_default();
			*count = count.saturating_add(1);
		}
		for (model, org, count) in ModelUsers::<T>::iter() {
			ensure!(
				count == 0 || model_users.get(&(model, org)).copied() == Some(count),
				"a model's user count disagrees with the devices"
			);
		}
		ensure!(
			model_users
				.iter()
				.all(|((model, org), count)| ModelUsers::<T>::get(model, org) == *count),
			"a device's model is missing from the model users"
		);
		Ok(())
	}

	/// Each organisation's device count is the number of devices it owns.
	fn check_org_device_counts() -> Result<(), TryRuntimeError> {
		let mut counted = alloc::collections::BTreeMap::<OrgId, u32>::new();
		for (_, device) in Devices::<T>::iter() {
			let count = counted.entry(device.org).or_default();
			*count = count.saturating_add(1);
		}
		for (org, count) in OrgDeviceCount::<T>::iter() {
			ensure!(
				counted.get(&org).copied().unwrap_or_default() == count,
				"an organisation's device count disagrees with its index"
			);
		}
		Ok(())
	}

	/// Every organisation keeps an admin, and each of its admin and member accounts maps back
	/// to it.
	fn check_org_accounts() -> Result<(), TryRuntimeError> {
		for (org_id, org) in Organisations::<T>::iter() {
			ensure!(!org.admins.is_empty(), "an organisation has no admin");
			for account in org.admins.iter().chain(org.members.iter()) {
				ensure!(
					OrgOfAccount::<T>::get(account) == Some(org_id),
					"an organisation's account does not map back to it"
				);
			}
		}
		Ok(())
	}

	/// Only admins are on probation, and each admin change pending carries its proposer's
	/// approval first, one proposal per proposer.
	fn check_admin_changes() -> Result<(), TryRuntimeError> {
		for account in AdminSince::<T>::iter_keys() {
			ensure!(
				OrgOfAccount::<T>::get(&account)
					.and_then(Organisations::<T>::get)
					.is_some_and(|org| org.admins.contains(&account)),
				"an account on probation is no admin"
			);
		}
		for (org_id, pending) in PendingAdminChanges::<T>::iter() {
			ensure!(
				Organisations::<T>::contains_key(org_id),
				"pending admin changes of no organisation"
			);
			for (index, open) in pending.iter().enumerate() {
				ensure!(
					!pending[..index].iter().any(|earlier| earlier.proposed_by == open.proposed_by),
					"an admin has two admin changes open"
				);
				ensure!(
					open.approvals.first() == Some(&open.proposed_by),
					"a pending admin change lacks its proposer's approval"
				);
			}
		}
		Ok(())
	}
}
