//! Batches: how a batch call checks that it is not empty, and how it applies its items each on
//! its own.
//!
//! A batch call takes its items as a `BoundedVec` bounded by its pallet's `MaxBatchSize`, so the
//! bound is in the type: a larger batch does not decode, and never reaches the pool or dispatch.
//! What is left to check at dispatch is that a batch is not empty. The batch calls of other
//! pallets (registration pairs, signed logins, update reports) and this pallet's
//! `register_devices` check that here, each returning its own pallet's error, so "a batch is
//! empty: it records nothing" means the same everywhere.

use frame_support::storage::{with_transaction, TransactionOutcome};
use sp_runtime::{DispatchError, DispatchResult};

/// The number of items of a batch of `len` items, when it is not empty; otherwise `bad_size`,
/// the calling pallet's own error for an empty batch.
pub fn ensure_non_empty_batch(
	len: usize,
	bad_size: impl Into<DispatchError>,
) -> Result<u32, DispatchError> {
	if len == 0 {
		return Err(bad_size.into());
	}
	// A batch decoded from a call is bounded by its type far below u32::MAX items.
	Ok(u32::try_from(len).unwrap_or(u32::MAX))
}

/// Applies each item of a batch on its own: an item's writes are kept if it succeeds and
/// rolled back if it fails, and a failure is handed to `on_failure` with the item's index
/// (for the pallet's `BatchItemFailed` event) instead of aborting the rest.
fn apply_each<I>(
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

/// A batch call's work after its origin: refuses with `bad_size` a batch that is empty (see
/// [`ensure_non_empty_batch`]), else applies each item on its own: an item's writes are kept if
/// it succeeds and rolled back if it fails, and a failure is handed to `on_failure` with the
/// item's index instead of aborting the rest. A refused item never fails the batch; only its
/// emptiness does. (Its size is bounded by the call argument's type.)
pub fn apply_batch<I, Items>(
	items: Items,
	bad_size: impl Into<DispatchError>,
	apply: impl FnMut(I) -> DispatchResult,
	on_failure: impl FnMut(u32, DispatchError),
) -> DispatchResult
where
	Items: IntoIterator<Item = I>,
	Items::IntoIter: ExactSizeIterator,
{
	let items = items.into_iter();
	ensure_non_empty_batch(items.len(), bad_size)?;
	apply_each(items, apply, on_failure);
	Ok(())
}
