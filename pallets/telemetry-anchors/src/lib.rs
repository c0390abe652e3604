//! # Telemetry Anchors Pallet
//!
//! What devices measure, made tamper-evident without putting each reading on chain. A gateway
//! accepts devices' signed readings, keeps them, and closes them into batches; each batch is a
//! Merkle tree in the RFC 6962 style over the readings' envelopes (`iotchain-gateway-protocol`).
//! The gateway anchors the batch's root here with [`Pallet::anchor`]. Anyone holding a reading
//! and its inclusion proof checks it against the anchored root; a reading altered, dropped or
//! moved after it was anchored no longer proves.
//!
//! ## What the chain enforces
//!
//! - Only an active gateway anchors, and only for devices of its own organisation.
//! - Each gateway's batches form a gap-free sequence: batch `n` is accepted only when the
//!   gateway's batches `0..n` are anchored, and never twice. A gateway that restarts and
//!   resubmits what it had already anchored is refused (`BatchOutOfSequence`), which makes its
//!   anchoring exactly-once.
//! - Per device, a gateway anchors readings in order: a batch's range for a device must start
//!   above the last sequence number that gateway anchored for it (`SequenceNotAfterAnchored`).
//!   A device that moves to another gateway starts afresh there, so a device roaming between
//!   gateways never blocks either gateway's sequence of batches.
//! - The batch describes itself consistently: a leaf count within `MaxLeavesPerBatch`, a time
//!   range that does not run backwards, device ranges ordered by device, not overlapping within
//!   the batch, no more of them than leaves. At most `MaxDevicesPerBatch` ranges: the bound is in
//!   the call's type, so a batch naming more devices does not decode.
//!
//! What the chain cannot check is that the root is the tree over readings the devices signed:
//! the readings stay with the gateway. A verifier checks that per reading (its device signature,
//! its proof, the anchored root and leaf count).
//!
//! Anchoring is feeless for an active gateway's next batch (the sequence number the chain expects
//! of it, with readings and devices), and only for that: a gateway holds no tokens, so a batch
//! out of sequence or empty is refused by the pool instead of being included for free. A batch
//! refused at dispatch is charged only for the checks it reached. The admission extension's
//! per-block quota for gateways bounds how often a gateway anchors. Prior art: Robonomics'
//! datalog keeps one record per transaction in a per-account ring; here one transaction anchors
//! thousands of readings.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
mod types;
pub mod weights;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{dispatch::WithPostDispatchInfo, pallet_prelude::*};
	use frame_system::pallet_prelude::*;
	use pallet_device_registry::{ActiveDevice, DeviceId, DeviceKind, DeviceRegistry};

	/// A batch as a gateway submits it: at most `MaxDevicesPerBatch` device ranges, a bound
	/// in the type, so a batch naming more devices does not decode.
	pub type BatchOf<T> = Batch<BoundedVec<DeviceRange, <T as Config>::MaxDevicesPerBatch>>;
	/// An anchored batch as this runtime stores it.
	pub type AnchoredBatchOf<T> = AnchoredBatch<BlockNumberFor<T>>;

	/// The in-code storage version: 0 is the layout as first released.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The device registry: active gateways and which organisation owns a device.
		type Registry: DeviceRegistry<Self::AccountId>;

		/// Most devices one batch names.
		#[pallet::constant]
		type MaxDevicesPerBatch: Get<u32>;

		/// Most readings one batch commits to; bounds what a gateway serves proofs from.
		#[pallet::constant]
		type MaxLeavesPerBatch: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The sequence number each gateway's next batch must carry.
	// Blake2_128Concat: device ids are chosen by registrants.
	#[pallet::storage]
	pub type NextBatch<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, u64, ValueQuery>;

	/// Every anchored batch, by gateway and sequence number.
	// Blake2_128Concat for registrant-chosen ids; Twox64Concat for the chain-checked sequence.
	#[pallet::storage]
	pub type Batches<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, DeviceId, Twox64Concat, u64, AnchoredBatchOf<T>>;

	/// Where each device's readings were last anchored.
	// Blake2_128Concat: device ids are chosen by registrants.
	#[pallet::storage]
	pub type DeviceAnchors<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, DeviceAnchor>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A gateway anchored its batch `sequence`: `leaf_count` readings under `root`, taken
		/// between the two times, from the devices and sequence ranges listed.
		BatchAnchored {
			gateway: DeviceId,
			sequence: u64,
			root: MerkleRoot,
			leaf_count: u32,
			first_timestamp_ms: u64,
			last_timestamp_ms: u64,
			devices: Vec<DeviceRange>,
			by: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only an active gateway anchors telemetry.
		NotActiveGateway,
		/// The batch's sequence number is not the gateway's next: a gap, or a batch already
		/// anchored.
		BatchOutOfSequence,
		/// The leaf count is zero or above `MaxLeavesPerBatch`.
		BadLeafCount,
		/// The last reading's time is before the first's.
		BadTimeRange,
		/// The device ranges are empty, more than the leaf count, not strictly ordered by
		/// device, or a range ends before it starts. (More than `MaxDevicesPerBatch` of them do
		/// not decode.)
		BadDeviceRanges,
		/// A device the batch names does not exist.
		DeviceNotFound,
		/// A device the batch names belongs to another organisation than the gateway.
		DeviceOfAnotherOrganisation,
		/// A device's range does not start above the last sequence number this gateway
		/// anchored for it.
		SequenceNotAfterAnchored,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Anchor the signing gateway's next batch of readings. An active gateway only;
		/// feeless for its next batch with readings and devices (see
		/// [`Pallet::is_next_batch_of_signing_gateway`]). At most `MaxDevicesPerBatch` device
		/// ranges: the bound is in the type, so a larger batch does not decode. A refused batch
		/// is charged as one of the ranges checked: none when refused before the per-device
		/// checks, else up to the range refused.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::anchor(batch.devices.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, batch: &BatchOf<T>| -> bool {
			Pallet::<T>::is_next_batch_of_signing_gateway(origin, batch)
		})]
		pub fn anchor(origin: OriginFor<T>, batch: BatchOf<T>) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			Self::do_anchor(caller, batch)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The `#[pallet::feeless_if]` rule of [`Pallet::anchor`]: the signer is an active
		/// gateway and `batch` is its next batch (the sequence number the chain expects of it),
		/// with readings and devices. Gateways hold no tokens, so a junk anchor — out of
		/// sequence or empty — pays fees like anyone's call, which the gateway cannot, and the
		/// pool refuses it instead of including it for free.
		pub fn is_next_batch_of_signing_gateway(origin: &OriginFor<T>, batch: &BatchOf<T>) -> bool {
			pallet_device_registry::signing_device::<T, T::Registry>(origin).is_some_and(|signer| {
				signer.kind == DeviceKind::Gateway
					&& batch.sequence == NextBatch::<T>::get(signer.id)
					&& batch.leaf_count > 0
					&& !batch.devices.is_empty()
			})
		}

		/// Checks that `caller` is an active gateway and `batch` its next well-formed batch
		/// about its own organisation's devices, each range after what the gateway anchored
		/// for the device, then anchors it. A refused batch is charged as `anchor(0)` when
		/// refused before the per-range checks, else as `anchor(i + 1)` when refused at range
		/// `i`.
		fn do_anchor(caller: T::AccountId, batch: BatchOf<T>) -> DispatchResultWithPostInfo {
			let gateway = Self::ensure_next_well_formed_batch(&caller, &batch)
				.map_err(|error| error.with_weight(T::WeightInfo::anchor(0)))?;
			for (index, range) in batch.devices.iter().enumerate() {
				// The ranges checked so far, this one included; within MaxDevicesPerBatch.
				let checked = (index as u32).saturating_add(1);
				Self::ensure_range_may_anchor(&gateway, range)
					.map_err(|error| error.with_weight(T::WeightInfo::anchor(checked)))?;
			}

			for range in &batch.devices {
				DeviceAnchors::<T>::insert(
					range.device,
					DeviceAnchor {
						gateway: gateway.id,
						batch: batch.sequence,
						last_sequence: range.last,
					},
				);
			}
			Batches::<T>::insert(
				gateway.id,
				batch.sequence,
				AnchoredBatch {
					root: batch.root,
					leaf_count: batch.leaf_count,
					first_timestamp_ms: batch.first_timestamp_ms,
					last_timestamp_ms: batch.last_timestamp_ms,
					// Within MaxDevicesPerBatch: the type bounds it.
					device_count: batch.devices.len() as u32,
					anchored_at: frame_system::Pallet::<T>::block_number(),
				},
			);
			// Cannot overflow: one batch per sequence number, and far fewer than u64::MAX.
			NextBatch::<T>::insert(gateway.id, batch.sequence.saturating_add(1));
			Self::deposit_event(Event::BatchAnchored {
				gateway: gateway.id,
				sequence: batch.sequence,
				root: batch.root,
				leaf_count: batch.leaf_count,
				first_timestamp_ms: batch.first_timestamp_ms,
				last_timestamp_ms: batch.last_timestamp_ms,
				devices: batch.devices.into_inner(),
				by: caller,
			});
			Ok(().into())
		}

		/// The checks of [`Self::do_anchor`] before the per-range ones: `caller` is an active
		/// gateway, `batch` is its next batch, with a leaf count within the bounds, a time range
		/// that does not run backwards and well-formed device ranges. Returns the gateway.
		fn ensure_next_well_formed_batch(
			caller: &T::AccountId,
			batch: &BatchOf<T>,
		) -> Result<ActiveDevice, DispatchError> {
			let gateway = T::Registry::active_device_by_account(caller)
				.filter(|signer| signer.kind == DeviceKind::Gateway)
				.ok_or(Error::<T>::NotActiveGateway)?;
			ensure!(
				batch.sequence == NextBatch::<T>::get(gateway.id),
				Error::<T>::BatchOutOfSequence
			);
			ensure!(
				batch.leaf_count > 0 && batch.leaf_count <= T::MaxLeavesPerBatch::get(),
				Error::<T>::BadLeafCount
			);
			ensure!(batch.first_timestamp_ms <= batch.last_timestamp_ms, Error::<T>::BadTimeRange);
			Self::ensure_well_formed_ranges(batch)?;
			Ok(gateway)
		}

		/// One range of a batch: its device exists, belongs to the gateway's organisation, and
		/// the range starts after what this gateway last anchored for the device.
		fn ensure_range_may_anchor(gateway: &ActiveDevice, range: &DeviceRange) -> DispatchResult {
			let org = T::Registry::org_of(&range.device).ok_or(Error::<T>::DeviceNotFound)?;
			ensure!(org == gateway.org, Error::<T>::DeviceOfAnotherOrganisation);
			if let Some(anchor) = DeviceAnchors::<T>::get(range.device) {
				ensure!(
					anchor.gateway != gateway.id || range.first > anchor.last_sequence,
					Error::<T>::SequenceNotAfterAnchored
				);
			}
			Ok(())
		}

		/// Device ranges: one to `leaf_count` of them (the type bounds them by
		/// `MaxDevicesPerBatch`), strictly ordered by device (so no device twice), none ending
		/// before it starts.
		fn ensure_well_formed_ranges(batch: &BatchOf<T>) -> DispatchResult {
			let count = batch.devices.len() as u32;
			ensure!(count > 0 && count <= batch.leaf_count, Error::<T>::BadDeviceRanges);
			ensure!(
				batch.devices.windows(2).all(|pair| pair[0].device < pair[1].device),
				Error::<T>::BadDeviceRanges
			);
			ensure!(
				batch.devices.iter().all(|range| range.first <= range.last),
				Error::<T>::BadDeviceRanges
			);
			Ok(())
		}

		/// The gateway's batch `sequence`, if anchored.
		pub fn batch(gateway: DeviceId, sequence: u64) -> Option<AnchoredBatchOf<T>> {
			Batches::<T>::get(gateway, sequence)
		}

		/// The sequence number the gateway's next batch must carry.
		pub fn next_batch(gateway: DeviceId) -> u64 {
			NextBatch::<T>::get(gateway)
		}

		/// Where the device's readings were last anchored, if ever.
		pub fn device_anchor(device: DeviceId) -> Option<DeviceAnchor> {
			DeviceAnchors::<T>::get(device)
		}

		/// The invariants: each gateway's batches are exactly `0..NextBatch`, every batch is
		/// within the bounds, and every device anchor points at an anchored batch of its
		/// gateway.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			for (gateway, next) in NextBatch::<T>::iter() {
				ensure!(next > 0, "a gateway with no batch has a NextBatch entry");
				let count = Batches::<T>::iter_prefix(gateway).count() as u64;
				ensure!(count == next, "a gateway's batches are not exactly 0..NextBatch");
			}
			for (gateway, sequence, batch) in Batches::<T>::iter() {
				ensure!(sequence < NextBatch::<T>::get(gateway), "a batch beyond NextBatch");
				ensure!(
					batch.leaf_count > 0 && batch.leaf_count <= T::MaxLeavesPerBatch::get(),
					"a batch's leaf count is out of bounds"
				);
				ensure!(
					batch.device_count > 0 && batch.device_count <= batch.leaf_count,
					"a batch's device count is out of bounds"
				);
				ensure!(
					batch.first_timestamp_ms <= batch.last_timestamp_ms,
					"a batch's time range runs backwards"
				);
			}
			for (_, anchor) in DeviceAnchors::<T>::iter() {
				ensure!(
					Batches::<T>::contains_key(anchor.gateway, anchor.batch),
					"a device anchor points at no batch"
				);
			}
			Ok(())
		}
	}
}
