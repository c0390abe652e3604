//! Device keys: the proof by which a key consents to becoming a device's (over this chain's
//! genesis hash, the organisation, the device's kind and id, and the account), which accounts may become
//! device keys, rotating a device's key, and retiring old keys for good into the device's
//! bounded history.

use crate::{
	Config, DeviceId, DeviceKind, DeviceOf, DeviceOfAccount, Devices, Error, Event, KeyHistory,
	OrgId, OrgOfAccount, Pallet, RetiredAccounts, RetiredKey,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{
	ensure,
	traits::{Contains, Get},
	BoundedVec,
};
use frame_system::pallet_prelude::BlockNumberFor;
use iotchain_possession_proofs::KeyKind;
use sp_runtime::{traits::Verify, DispatchResult};

impl<T: Config> Pallet<T> {
	/// Whether `account` could become a device key: never a device's, nor an organisation's,
	/// nor a council member's or validator's.
	pub(crate) fn ensure_fresh_device_account(account: &T::AccountId) -> DispatchResult {
		ensure!(
			!DeviceOfAccount::<T>::contains_key(account)
				&& !RetiredAccounts::<T>::contains_key(account)
				&& !OrgOfAccount::<T>::contains_key(account),
			Error::<T>::AccountInUse
		);
		ensure!(!T::ReservedAccounts::contains(account), Error::<T>::AccountReserved);
		Ok(())
	}

	/// The bytes the key of `account` signs to consent to being device `id`, of kind `kind`,
	/// of `org`.
	pub fn key_proof_payload(
		org: OrgId,
		kind: DeviceKind,
		id: &DeviceId,
		account: &T::AccountId,
	) -> Vec<u8> {
		// Every key proof names this chain's genesis hash.
		iotchain_possession_proofs::device_key_payload(
			&crate::genesis_hash::<T>(),
			org,
			match kind {
				DeviceKind::Device => KeyKind::Device,
				DeviceKind::Gateway => KeyKind::Gateway,
			},
			id,
			&account.encode(),
		)
	}

	pub(crate) fn ensure_key_proof(
		org: OrgId,
		kind: DeviceKind,
		id: &DeviceId,
		account: &T::AccountId,
		proof: &T::ConsentSignature,
	) -> DispatchResult {
		let payload = Self::key_proof_payload(org, kind, id, account);
		ensure!(proof.verify(&payload[..], account), Error::<T>::BadKeyProof);
		Ok(())
	}

	/// Moves `account` into a device's history and the never-reuse set.
	pub(crate) fn retire_account(id: DeviceId, account: T::AccountId, now: BlockNumberFor<T>) {
		DeviceOfAccount::<T>::remove(&account);
		// A retired key never signs again; its account may be reaped (ids and keys are
		// never reused, so a reset nonce opens no replay).
		frame_system::Pallet::<T>::dec_sufficients(&account);
		RetiredAccounts::<T>::insert(&account, id);
		KeyHistory::<T>::mutate(id, |history| {
			keep_recent(
				history.get_or_insert_with(BoundedVec::new),
				RetiredKey { account, retired: now },
			);
		});
	}

	pub(crate) fn do_rotate_key(
		caller: &T::AccountId,
		id: DeviceId,
		new_account: T::AccountId,
		key_proof: &T::ConsentSignature,
	) -> DispatchResult {
		let mut device = Self::managed_device(caller, &id)?;
		Self::ensure_fresh_device_account(&new_account)?;
		Self::ensure_key_proof(device.org, device.kind, &id, &new_account, key_proof)?;
		Self::put_new_key(caller, id, &mut device, new_account);
		Devices::<T>::insert(id, device);
		Ok(())
	}

	/// Makes `new_account` (fresh, and consenting) the key of `device`, retiring its old one;
	/// the caller stores the record.
	pub(crate) fn put_new_key(
		caller: &T::AccountId,
		id: DeviceId,
		device: &mut DeviceOf<T>,
		new_account: T::AccountId,
	) {
		let now = Self::now();
		let old_account = core::mem::replace(&mut device.account, new_account.clone());
		device.updated = now;
		Self::retire_account(id, old_account.clone(), now);
		DeviceOfAccount::<T>::insert(&new_account, id);
		frame_system::Pallet::<T>::inc_sufficients(&new_account);
		Self::deposit_event(Event::KeyRotated {
			device: id,
			old_account,
			new_account,
			by: caller.clone(),
		});
	}
}

/// Appends `entry` to a window of the most recent entries, dropping the oldest when full. A
/// window of size 0 (`MaxKeyHistory = 0`) keeps nothing; the events keep every key.
pub(crate) fn keep_recent<E, S: Get<u32>>(window: &mut BoundedVec<E, S>, entry: E) {
	if window.is_full() && !window.is_empty() {
		window.remove(0);
	}
	// Refused only when the window holds nothing at all, by design.
	let _ = window.try_push(entry);
}
