//! The registry's logic, one capability per module, each an `impl<T: Config> Pallet<T>` block
//! of `do_*` functions and their helpers; the calls in the crate root check the origin and
//! hand over to them.
//!
//! - [`organisations`]: governance creates, suspends and resumes organisations; admins manage
//!   their admin and member accounts.
//! - [`devices`]: registering, enrolling, suspending, resuming and revoking devices, their
//!   metadata, and looking devices up.
//! - [`keys`]: device keys' proofs of consent, rotation, and the accounts retired for good.
//! - [`gateways`]: assigning devices to gateways and unassigning them, and each gateway's index.
//! - [`transfers`]: offering a device to another organisation, cancelling and accepting offers.
//!
//! The [`DeviceRegistry`](crate::DeviceRegistry) implementation other pallets use is in
//! `traits_impl.rs`; the invariants `try-runtime` checks are in `try_state.rs`.

use crate::{Config, Pallet};
use frame_system::pallet_prelude::BlockNumberFor;

pub(crate) mod devices;
pub(crate) mod gateways;
pub(crate) mod keys;
pub(crate) mod organisations;
pub(crate) mod transfers;

// Used by every capability, so it lives with none of them.
impl<T: Config> Pallet<T> {
	/// The current block number.
	pub(crate) fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}
}
