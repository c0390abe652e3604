//! Batches: how a batch call checks its size, and how it applies its items each on its own.
//!
//! The batch calls of other pallets (registration pairs, signed logins, update reports) and
//! this pallet's `register_devices` check their size here, each returning its own pallet's
//! error, so "a batch is empty or larger than `MaxBatchSize`" means the same everywhere.

use frame_support::storage::{with_transaction, TransactionOutcome};
use sp_runtime::{DispatchError, DispatchResult};

/// The number of items of a batch of `len` items, when it is neither empty nor larger than
/// `max`; otherwise `bad_size`, the calling pallet's own error for a batch of the wrong size.
pub fn ensure_batch_size(
	len: usize,
	max: u32,
	bad_size: impl Into<DispatchError>,
) -> Result<u32, DispatchError> {
	// A batch decoded from a call is bounded far below u32::MAX items.
	let count = len as u32;
	if count > 0 && count <= max {
		Ok(count)
	} else {
		Err(bad_size.into())
	}
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

/// A batch call's work after its origin: refuses with `bad_size` a batch that is empty or
/// larger than `max` (see [`ensure_batch_size`]), else applies each item on its own (see
/// [`apply_each`]). A refused item never fails the batch; only its size does.
pub fn apply_batch<I>(
	items: alloc::vec::Vec<I>,
	max: u32,
	bad_size: impl Into<DispatchError>,
	apply: impl FnMut(I) -> DispatchResult,
	on_failure: impl FnMut(u32, DispatchError),
) -> DispatchResult {
	ensure_batch_size(items.len(), max, bad_size)?;
	apply_each(items, apply, on_failure);
	Ok(())
}
