//! Storage migrations of the device registry.
//!
//! Each migration moves the pallet from one storage version to the next through polkadot-sdk's
//! [`VersionedMigration`], which runs it only when the on-chain version is the one it starts
//! from and then records the new version, so an upgrade applied twice migrates once. Each has
//! `pre_upgrade` and `post_upgrade` checks that `try-runtime` runs against real chain state.

use crate::{Config, Organisations, Pallet};
use alloc::vec::Vec;
use codec::{Decode, Encode};
use frame_support::{
	migrations::VersionedMigration,
	traits::{Get, UncheckedOnRuntimeUpgrade},
	weights::Weight,
};
use sp_runtime::traits::Hash;

/// The upgrade rehearsal: the shape every migration of a registry table takes — every record
/// decoded, rewritten and counted — applied to the organisations with no change of format, so a
/// test of a live upgrade can demand that each record reads exactly as before.
///
/// The runtime's `upgrade-rehearsal` build runs it; the release build does not. The
/// organisations are few (one per member organisation and customer), so one block holds the
/// rewrite; a table as large as the devices would need a multi-block migration instead.
pub mod rehearsal {
	use super::*;

	/// Rewrites every organisation record as it is; moves the pallet from version 0 to 1.
	pub type RewriteOrganisationsV0ToV1<T> = VersionedMigration<
		0,
		1,
		RewriteOrganisations<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// The rewrite itself, without the version check; use [`RewriteOrganisationsV0ToV1`].
	pub struct RewriteOrganisations<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for RewriteOrganisations<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut rewritten = 0u64;
			Organisations::<T>::translate::<crate::OrganisationOf<T>, _>(|_, organisation| {
				rewritten += 1;
				Some(organisation)
			});
			// `translate` reads and writes each record once; on a record that fails to decode it
			// removes the record, which `post_upgrade` then reports as a changed digest.
			T::DbWeight::get().reads_writes(rewritten, rewritten)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, sp_runtime::TryRuntimeError> {
			Ok(OrganisationsDigest::<T>::now().encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(before: Vec<u8>) -> Result<(), sp_runtime::TryRuntimeError> {
			let before = OrganisationsDigest::<T>::decode(&mut &before[..])
				.map_err(|_| "the pre-upgrade digest does not decode")?;
			frame_support::ensure!(
				OrganisationsDigest::<T>::now() == before,
				"an organisation record changed, appeared or vanished in the rewrite"
			);
			Ok(())
		}
	}

	/// How many organisation records there are, and a hash over each one's id and raw value.
	#[derive(Encode, Decode, PartialEq, Eq, Debug)]
	pub struct OrganisationsDigest<T: Config> {
		pub count: u64,
		pub hash: T::Hash,
		_config: core::marker::PhantomData<T>,
	}

	impl<T: Config> OrganisationsDigest<T> {
		/// The digest of the organisations as stored now.
		pub fn now() -> Self {
			// Raw values, so a record that no longer decodes is counted and changes the hash
			// instead of being skipped.
			let mut count = 0u64;
			let mut records = Vec::new();
			for id in Organisations::<T>::iter_keys() {
				count += 1;
				let raw = frame_support::storage::unhashed::get_raw(
					&Organisations::<T>::hashed_key_for(id),
				);
				(id, raw).encode_to(&mut records);
			}
			OrganisationsDigest {
				count,
				hash: T::Hashing::hash(&records),
				_config: Default::default(),
			}
		}
	}
}
