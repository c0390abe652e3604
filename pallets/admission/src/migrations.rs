//! Storage migrations of the admission pallet.

/// Version 1 budgets weight per block where version 0 counted transactions: the per-block
/// transaction counts of version 0 (`QuotaUsage`) are removed. They are counters of blocks
/// long past, so nothing is translated; version 1's usage starts empty, as every block's does.
pub mod v1 {
	use crate::{Config, Pallet};
	use frame_support::{
		migrations::VersionedMigration,
		storage::{storage_prefix, unhashed},
		traits::{Get, PalletInfoAccess, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};

	/// Removes version 0's `QuotaUsage` map. Unversioned: use [`ForgetTransactionCounts`].
	pub struct ForgetTransactionCountsUnversioned<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for ForgetTransactionCountsUnversioned<T> {
		fn on_runtime_upgrade() -> Weight {
			let prefix = storage_prefix(Pallet::<T>::name().as_bytes(), b"QuotaUsage");
			// One entry per device or gateway that ever transacted: a consortium's fleet of
			// today fits one upgrade block (a million entries would need a stepped migration).
			let removed = unhashed::clear_prefix(&prefix, None, None);
			T::DbWeight::get().reads_writes(removed.loops.into(), removed.backend.into())
		}
	}

	/// Moves the admission pallet from storage version 0 to 1, removing the old counts.
	pub type ForgetTransactionCounts<T> = VersionedMigration<
		0,
		1,
		ForgetTransactionCountsUnversioned<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;
}
