//! What the rest of the runtime may ask of the device registry.
//!
//! Other pallets and the member-only transaction extension depend on [`DeviceRegistry`], never
//! on this pallet's storage, so the registry's layout can change without touching them.

use crate::types::{DeviceId, DeviceKind, FirmwareVersion, OrgId, OrgRoles};
use sp_runtime::DispatchResult;

/// An active device or gateway, as other pallets see it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ActiveDevice {
	pub id: DeviceId,
	pub org: OrgId,
	pub kind: DeviceKind,
}

/// Questions about organisations and devices, answered from the registry.
///
/// "Active" always means: the device is neither suspended nor revoked, and its organisation is
/// not suspended.
pub trait DeviceRegistry<AccountId> {
	/// The active device or gateway that signs with `account`, if any.
	fn active_device_by_account(account: &AccountId) -> Option<ActiveDevice>;

	/// The device `id`, if it exists and is active.
	fn active_device(id: &DeviceId) -> Option<ActiveDevice>;

	/// The organisation `account` administers or operates for, if that organisation is active.
	fn active_org_of(account: &AccountId) -> Option<OrgId>;

	/// The active organisation `account` is an admin of, if any.
	fn active_admin_org_of(account: &AccountId) -> Option<OrgId>;

	/// The active organisation `account` is a settled admin of: appointed by governance, or
	/// added by its co-admins at least the registry's `NewAdminProbation` ago. Decisions that
	/// need two admins count only settled ones, so an admin cannot add a second key of its own
	/// and act with it at once.
	fn settled_admin_org_of(account: &AccountId) -> Option<OrgId>;

	/// How many of the active organisation `org`'s admins make a majority: the approvals a
	/// decision of the whole organisation needs (see [`crate::admin_majority`]).
	fn admin_majority_of(org: OrgId) -> Option<u32>;

	/// The gateway device `id` is assigned to, whatever either's status, while both belong to
	/// the same organisation: a gateway transferred away no longer serves the device.
	fn gateway_of(id: &DeviceId) -> Option<DeviceId>;

	/// Whether devices of `model` belong to any organisation other than `org`.
	fn model_used_outside(model: &[u8], org: OrgId) -> bool;

	/// The roles of organisation `org`, if it exists and is active.
	fn active_org_roles(org: OrgId) -> Option<OrgRoles>;

	/// The organisation that owns device `id`, whatever its status.
	fn org_of(id: &DeviceId) -> Option<OrgId>;

	/// The model of device `id`, whatever its status.
	fn model_of(id: &DeviceId) -> Option<alloc::vec::Vec<u8>>;

	/// The firmware version device `id` last reported, whatever its status.
	fn firmware_version(id: &DeviceId) -> Option<FirmwareVersion>;

	/// Records that device `id` now runs `version` (after a verified update).
	fn set_firmware_version(id: &DeviceId, version: FirmwareVersion) -> DispatchResult;

	/// The organisation `account` administers or operates for, if that organisation is active
	/// and a certifier.
	fn active_certifier_org_of(account: &AccountId) -> Option<OrgId> {
		Self::active_org_of(account)
			.filter(|org| Self::active_org_roles(*org).is_some_and(|roles| roles.certifier))
	}

	/// The organisation `account` administers or operates for, if that organisation is active
	/// and a manufacturer.
	fn active_manufacturer_org_of(account: &AccountId) -> Option<OrgId> {
		Self::active_org_of(account)
			.filter(|org| Self::active_org_roles(*org).is_some_and(|roles| roles.manufacturer))
	}
}
