//! Read access for clients and auditors: look devices up by id, by account, or by owner.

use crate::{DeviceId, OrgId};
use alloc::vec::Vec;
use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Queries of the device registry. `Device` is the runtime's stored device record.
	pub trait DeviceRegistryApi<AccountId, Device>
	where
		AccountId: Codec,
		Device: Codec,
	{
		/// The device or gateway with this id, whatever its status.
		fn device(id: DeviceId) -> Option<Device>;

		/// The device that currently signs with `account`, and its id.
		fn device_by_account(account: AccountId) -> Option<(DeviceId, Device)>;

		/// Up to `limit` devices of `org` (at most 1,000), continuing after the id `after`
		/// (the last id of the previous page), in storage order.
		fn devices_of_org(org: OrgId, after: Option<DeviceId>, limit: u32) -> Vec<(DeviceId, Device)>;
	}
}
