//! What the rest of the runtime may ask of the device registry.
//!
//! Other pallets and the member-only transaction extension depend on [`DeviceRegistry`], never
//! on this pallet's storage, so the registry's layout can change without touching them.

use crate::types::{DeviceId, DeviceKind, FirmwareVersion, OrgId, OrgRoles};
use frame_support::storage::{with_transaction, TransactionOutcome};
use sp_runtime::{DispatchError, DispatchResult};

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

	/// Creates an active organisation administered by `admin`, so another pallet's benchmarks
	/// can start from one.
	#[cfg(feature = "runtime-benchmarks")]
	fn org_for_benchmark(admin: &AccountId, roles: OrgRoles) -> OrgId;

	/// Registers an active device `id`, signing with `account`, for the organisation `admin`
	/// serves, so another pallet's benchmarks can start from one.
	#[cfg(feature = "runtime-benchmarks")]
	fn device_for_benchmark(admin: &AccountId, id: DeviceId, account: &AccountId);

	/// Adds `member` to the organisation `admin` administers, for another pallet's benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn member_for_benchmark(admin: &AccountId, member: &AccountId);

	/// Registers gateway `gateway` (signing with `account`) for the organisation `admin`
	/// serves and assigns `device` to it, for another pallet's benchmarks.
	#[cfg(feature = "runtime-benchmarks")]
	fn gateway_for_benchmark(
		admin: &AccountId,
		device: DeviceId,
		gateway: DeviceId,
		account: &AccountId,
	);

	/// Assigns `device` to the existing gateway `gateway` of the organisation `admin` serves,
	/// for another pallet's benchmarks of gateway batches.
	#[cfg(feature = "runtime-benchmarks")]
	fn assign_for_benchmark(admin: &AccountId, device: DeviceId, gateway: DeviceId);
}

/// Device keys and their proofs for the registry's benchmarks: the runtime holds real keys in
/// the benchmark keystore; tests sign with test signatures.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId, Signature> {
	/// The account of the `seed`th device key, whose holder [`Self::sign`] speaks for.
	fn device_account(seed: u32) -> AccountId;
	/// `account`'s key's signature over `payload`.
	fn sign(account: &AccountId, payload: &[u8]) -> Signature;
}

/// Whether the active device or gateway `signer` speaks for device `device`: it is that device
/// itself, or the gateway of the device's own organisation assigned to it while the device is
/// active.
pub fn speaks_for<AccountId, R: DeviceRegistry<AccountId>>(
	signer: &ActiveDevice,
	device: &DeviceId,
) -> bool {
	signer.id == *device
		|| (R::gateway_of(device) == Some(signer.id) && R::active_device(device).is_some())
}

/// Whether `account` is an active device or gateway that [`speaks_for`] `device`.
pub fn is_device_or_its_gateway<AccountId, R: DeviceRegistry<AccountId>>(
	account: &AccountId,
	device: &DeviceId,
) -> bool {
	R::active_device_by_account(account).is_some_and(|signer| speaks_for::<_, R>(&signer, device))
}

/// The active device or gateway that signed `origin`, if any: what the `#[pallet::feeless_if]`
/// rules below ask the registry once per transaction.
pub fn signing_device<T, R>(
	origin: &frame_system::pallet_prelude::OriginFor<T>,
) -> Option<ActiveDevice>
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	frame_system::ensure_signed(origin.clone())
		.ok()
		.and_then(|account| R::active_device_by_account(&account))
}

/// The `#[pallet::feeless_if]` rule of the calls a device makes about itself. Devices hold no
/// tokens, so those calls are feeless, but only when the signer is the active device `device`
/// the call concerns: a device's call about another device pays fees like anyone's, which a
/// device cannot, so the pool refuses it instead of including it for free. The admission
/// extension's per-block quota bounds how many feeless calls a device sends.
pub fn is_signed_by_device<T, R>(
	origin: &frame_system::pallet_prelude::OriginFor<T>,
	device: &DeviceId,
) -> bool
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	signing_device::<T, R>(origin).is_some_and(|own| own.id == *device)
}

/// The `#[pallet::feeless_if]` rule of a batch of records about `devices`: every item is
/// about a device the signer [`speaks_for`] — the device itself or its assigned gateway of its
/// own organisation. One item about any other device makes the whole batch pay, as that item
/// alone would. An empty batch is never feeless.
pub fn is_signed_for_all_by_device_or_gateway<'a, T, R>(
	origin: &frame_system::pallet_prelude::OriginFor<T>,
	devices: impl Iterator<Item = &'a DeviceId>,
) -> bool
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	let mut devices = devices.peekable();
	devices.peek().is_some()
		&& signing_device::<T, R>(origin)
			.is_some_and(|signer| devices.all(|device| speaks_for::<_, R>(&signer, device)))
}

/// Applies each item of a batch on its own: an item's writes are kept if it succeeds and
/// rolled back if it fails, and a failure is handed to `on_failure` with the item's index
/// (for the pallet's `BatchItemFailed` event) instead of aborting the rest.
pub fn apply_each<I>(
	items: impl IntoIterator<Item = I>,
	mut apply: impl FnMut(I) -> DispatchResult,
	mut on_failure: impl FnMut(u32, DispatchError),
) {
	for (index, item) in items.into_iter().enumerate() {
		let applied = with_transaction(|| match apply(item) {
			Ok(()) => TransactionOutcome::Commit(Ok(())),
			Err(error) => TransactionOutcome::Rollback(Err(error)),
		});
		if let Err(error) = applied {
			// A batch is bounded far below u32::MAX items.
			on_failure(index as u32, error);
		}
	}
}

/// The `#[pallet::feeless_if]` rule of the calls a device's gateway may relay for it: as
/// [`is_signed_by_device`], and also when the signer is the active gateway of the device's own
/// organisation assigned to `device`.
pub fn is_signed_by_device_or_its_gateway<T, R>(
	origin: &frame_system::pallet_prelude::OriginFor<T>,
	device: &DeviceId,
) -> bool
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	signing_device::<T, R>(origin).is_some_and(|signer| speaks_for::<_, R>(&signer, device))
}
