//! Who a device or gateway speaks for, and the `#[pallet::feeless_if]` rules built on it.
//!
//! Devices hold no tokens, so the calls a device (or its gateway) makes about itself are
//! feeless. Every pallet's rule lives here, named, so the rules read the registry the same way
//! everywhere and are checked in one place; only the telemetry anchors' rule, which also reads
//! that pallet's own sequence numbers, lives in that pallet, built on [`signing_device`].

use crate::{ActiveDevice, DeviceId, DeviceRegistry};
use frame_system::pallet_prelude::OriginFor;

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
pub fn signing_device<T, R>(origin: &OriginFor<T>) -> Option<ActiveDevice>
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
pub fn is_signed_by_device<T, R>(origin: &OriginFor<T>, device: &DeviceId) -> bool
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	signing_device::<T, R>(origin).is_some_and(|own| own.id == *device)
}

/// The `#[pallet::feeless_if]` rule of a batch of records a device makes about itself: every
/// item is about the signing active device itself, as [`is_signed_by_device`] asks of one
/// item. One item about any other device makes the whole batch pay, as that item alone would.
/// An empty batch is never feeless (and costs no lookup of the signer); the signer is looked
/// up once for the whole batch.
pub fn is_signed_for_all_by_device<'a, T, R>(
	origin: &OriginFor<T>,
	devices: impl Iterator<Item = &'a DeviceId>,
) -> bool
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	signer_covers_every::<T, R>(origin, devices, |own, device| *device == own.id)
}

/// The `#[pallet::feeless_if]` rule of a batch of records about `devices`: every item is
/// about a device the signer [`speaks_for`] — the device itself or its assigned gateway of its
/// own organisation. One item about any other device makes the whole batch pay, as that item
/// alone would. An empty batch is never feeless.
pub fn is_signed_for_all_by_device_or_gateway<'a, T, R>(
	origin: &OriginFor<T>,
	devices: impl Iterator<Item = &'a DeviceId>,
) -> bool
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	signer_covers_every::<T, R>(origin, devices, |signer, device| {
		speaks_for::<_, R>(signer, device)
	})
}

/// Whether `origin` is an active device or gateway that `covers` every one of `devices`: false
/// for an empty batch, which then costs no lookup of the signer, and the signer looked up once
/// for the whole batch.
fn signer_covers_every<'a, T, R>(
	origin: &OriginFor<T>,
	devices: impl Iterator<Item = &'a DeviceId>,
	covers: impl Fn(&ActiveDevice, &DeviceId) -> bool,
) -> bool
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	let mut devices = devices.peekable();
	devices.peek().is_some()
		&& signing_device::<T, R>(origin)
			.is_some_and(|signer| devices.all(|device| covers(&signer, device)))
}

/// The `#[pallet::feeless_if]` rule of the calls a device's gateway may relay for it: as
/// [`is_signed_by_device`], and also when the signer is the active gateway of the device's own
/// organisation assigned to `device`.
pub fn is_signed_by_device_or_its_gateway<T, R>(origin: &OriginFor<T>, device: &DeviceId) -> bool
where
	T: frame_system::Config,
	R: DeviceRegistry<T::AccountId>,
{
	signing_device::<T, R>(origin).is_some_and(|signer| speaks_for::<_, R>(&signer, device))
}
