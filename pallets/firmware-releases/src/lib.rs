//! # Firmware Releases Pallet
//!
//! Firmware releases that devices may trust, and the record of which device installed what
//! (seed 004), strengthened with what The Update Framework and Uptane learned about attacks on
//! updaters.
//!
//! ## Overview
//!
//! - A member of a manufacturer organisation **publishes** a release for a model: semantic
//!   version, the image's SHA-256 (what a bootloader can check) and size, a download URI, an
//!   optional expiry block and release-notes hash. The first manufacturer to publish for a model
//!   owns it; no other organisation can publish for it.
//! - A release becomes **active** only once `threshold` of the organisation's approvers approved
//!   it (M of N, set by the organisation's admins): one stolen key cannot ship firmware.
//!   Publishing counts as an approval only when the publisher is an approver.
//! - **Rollback protection**: a model's active versions only go up. Nothing at or below the
//!   highest version ever activated can be published or activated.
//! - **Freeze protection**: a release may expire; expired and yanked releases are never
//!   installable. A **yank** (with a reason) is final.
//! - A device, or the gateway assigned to it, **reports** each update: the release, the outcome
//!   and the SHA-256 it measured. Reports naming an inactive, expired or yanked release, another
//!   model, a lower version than the device runs, or (for an install) another hash are refused.
//!   An install updates the device's firmware version in the device registry.
//! - **Fleet status** (runtime API): devices per release of a model, devices behind the latest
//!   release, devices on yanked releases, and the devices on one release, paged.
//!
//! ## Pallet API
//!
//! [`Pallet::set_approvers`], [`Pallet::publish`], [`Pallet::approve`], [`Pallet::yank`],
//! [`Pallet::report_update`]; runtime API in [`runtime_api`].

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
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use pallet_device_registry::{DeviceId, DeviceRegistry, FirmwareVersion, OrgId};
	use sp_runtime::ArithmeticError;

	/// A model identifier as this pallet stores it.
	pub type ModelOf<T> = BoundedVec<u8, <T as Config>::MaxModelLen>;
	/// A release as this runtime stores it.
	pub type ReleaseOf<T> = Release<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxModelLen,
		<T as Config>::MaxUriLen,
		<T as Config>::MaxApprovers,
	>;
	/// An organisation's approver set as this runtime stores it.
	pub type ApproverSetOf<T> =
		ApproverSet<<T as frame_system::Config>::AccountId, <T as Config>::MaxApprovers>;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The device registry: organisations, devices, their gateways and firmware versions.
		type Registry: DeviceRegistry<Self::AccountId>;

		/// Longest model identifier, in bytes; at least the device registry's.
		#[pallet::constant]
		type MaxModelLen: Get<u32>;

		/// Longest download URI, in bytes.
		#[pallet::constant]
		type MaxUriLen: Get<u32>;

		/// Most approvers one organisation has.
		#[pallet::constant]
		type MaxApprovers: Get<u32>;

		/// Most releases one model has over its life.
		#[pallet::constant]
		type MaxReleasesPerModel: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The id the next release gets.
	#[pallet::storage]
	pub type NextReleaseId<T> = StorageValue<_, ReleaseId, ValueQuery>;

	/// Releases by id.
	// Twox64Concat: ids are assigned by the chain.
	#[pallet::storage]
	pub type Releases<T: Config> = StorageMap<_, Twox64Concat, ReleaseId, ReleaseOf<T>>;

	/// Models that have releases: their manufacturer and highest activated version.
	// Blake2_128Concat: model identifiers are chosen by manufacturers.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Blake2_128Concat, ModelOf<T>, ModelInfo>;

	/// Index of each model's releases, in publication order.
	#[pallet::storage]
	pub type ModelReleases<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ModelOf<T>, Twox64Concat, ReleaseId, ()>;

	/// Each manufacturer organisation's approvers and threshold.
	// Twox64Concat: organisation ids are assigned by the chain.
	#[pallet::storage]
	pub type Approvers<T: Config> = StorageMap<_, Twox64Concat, OrgId, ApproverSetOf<T>>;

	/// The release each device last reported installing.
	// Blake2_128Concat: device ids are chosen by registrants.
	#[pallet::storage]
	pub type InstalledRelease<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, ReleaseId>;

	/// Index of the devices running each release, for fleet listings.
	#[pallet::storage]
	pub type ReleaseDevices<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ReleaseId, Blake2_128Concat, DeviceId, ()>;

	/// How many devices run each release (the size of its `ReleaseDevices` index).
	#[pallet::storage]
	pub type ReleaseDeviceCount<T: Config> =
		StorageMap<_, Twox64Concat, ReleaseId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An organisation's admins set its approvers.
		ApproversSet { org: OrgId, approvers: Vec<T::AccountId>, threshold: u32 },
		/// A release was published and awaits approval.
		Published {
			release: ReleaseId,
			org: OrgId,
			model: Vec<u8>,
			version: FirmwareVersion,
			image_sha256: Sha256,
			by: T::AccountId,
		},
		/// An approver approved a release.
		Approved { release: ReleaseId, approver: T::AccountId, approvals: u32 },
		/// A release reached its threshold and is installable.
		Activated { release: ReleaseId },
		/// A release was withdrawn for good.
		Yanked { release: ReleaseId, reason: YankReason, by: T::AccountId },
		/// A device or its gateway reported an update.
		UpdateReported {
			device: DeviceId,
			release: ReleaseId,
			outcome: UpdateOutcome,
			measured_sha256: Sha256,
			reporter: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only an admin of an active manufacturer organisation may do this.
		NotManufacturerAdmin,
		/// Only an account of an active manufacturer organisation may do this.
		NotManufacturerAccount,
		/// Approvers must be accounts of the organisation, each named once.
		BadApprover,
		/// More approvers than `MaxApprovers`.
		TooManyApprovers,
		/// The threshold must be at least 1 and at most the number of approvers.
		BadThreshold,
		/// The organisation has no approvers yet; set them first.
		NoApprovers,
		/// The model identifier is empty or longer than `MaxModelLen`.
		BadModel,
		/// The download URI is empty or longer than `MaxUriLen`.
		BadUri,
		/// A release image cannot be empty.
		EmptyImage,
		/// The expiry block has already passed.
		AlreadyExpired,
		/// Another manufacturer publishes for this model.
		ModelOfAnotherManufacturer,
		/// The version is not above the model's highest active version (rollback protection).
		VersionNotAboveActive,
		/// The model already has `MaxReleasesPerModel` releases.
		TooManyReleases,
		/// No release has this id.
		UnknownRelease,
		/// Only an approver of the release's organisation may approve it.
		NotApprover,
		/// This approver already approved the release.
		AlreadyApproved,
		/// The release is not waiting for approval.
		NotPending,
		/// The release is not active: still pending, or yanked.
		NotActive,
		/// The release has expired.
		Expired,
		/// The release is already yanked.
		AlreadyYanked,
		/// The device does not exist or is not active.
		DeviceNotActive,
		/// Only the device itself or the gateway assigned to it may report its updates.
		NotDeviceOrGateway,
		/// The release is for another model than the device's.
		ModelMismatch,
		/// The release is older than the firmware the device runs.
		Downgrade,
		/// The measured image hash is not the release's.
		HashMismatch,
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
		/// Set the caller's organisation's approvers and how many must approve a release.
		/// Admins of a manufacturer organisation only. Releases already pending keep the
		/// approvals they have; they activate at the next approval that meets the new threshold.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_approvers(approvers.len() as u32))]
		pub fn set_approvers(
			origin: OriginFor<T>,
			approvers: Vec<T::AccountId>,
			threshold: u32,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			let org = T::Registry::active_admin_org_of(&caller)
				.filter(|org| Self::is_manufacturer(*org))
				.ok_or(Error::<T>::NotManufacturerAdmin)?;
			let set: BoundedVec<_, T::MaxApprovers> =
				approvers.clone().try_into().map_err(|_| Error::<T>::TooManyApprovers)?;
			ensure!(threshold >= 1 && threshold as usize <= set.len(), Error::<T>::BadThreshold);
			for (index, approver) in set.iter().enumerate() {
				ensure!(
					T::Registry::active_org_of(approver) == Some(org)
						&& !set[..index].contains(approver),
					Error::<T>::BadApprover
				);
			}
			Approvers::<T>::insert(org, ApproverSet { approvers: set, threshold });
			Self::deposit_event(Event::ApproversSet { org, approvers, threshold });
			Ok(())
		}

		/// Publish a release of `model`. An account of a manufacturer organisation with
		/// approvers; the model must be new or the organisation's own.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::publish())]
		pub fn publish(
			origin: OriginFor<T>,
			model: Vec<u8>,
			version: FirmwareVersion,
			image_sha256: Sha256,
			image_size: u64,
			uri: Vec<u8>,
			notes_hash: Option<[u8; 32]>,
			expires_at: Option<BlockNumberFor<T>>,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			let org = T::Registry::active_org_of(&caller)
				.filter(|org| Self::is_manufacturer(*org))
				.ok_or(Error::<T>::NotManufacturerAccount)?;
			let approver_set = Approvers::<T>::get(org).ok_or(Error::<T>::NoApprovers)?;
			let model: ModelOf<T> = model.try_into().map_err(|_| Error::<T>::BadModel)?;
			ensure!(!model.is_empty(), Error::<T>::BadModel);
			let uri: BoundedVec<u8, T::MaxUriLen> =
				uri.try_into().map_err(|_| Error::<T>::BadUri)?;
			ensure!(!uri.is_empty(), Error::<T>::BadUri);
			ensure!(image_size > 0, Error::<T>::EmptyImage);
			let now = frame_system::Pallet::<T>::block_number();
			ensure!(expires_at.is_none_or(|last| last >= now), Error::<T>::AlreadyExpired);

			let mut info = Models::<T>::get(&model).unwrap_or(ModelInfo {
				manufacturer: org,
				highest_active: None,
				releases: 0,
			});
			ensure!(info.manufacturer == org, Error::<T>::ModelOfAnotherManufacturer);
			Self::ensure_above_active(&info, version)?;
			ensure!(info.releases < T::MaxReleasesPerModel::get(), Error::<T>::TooManyReleases);

			let id = NextReleaseId::<T>::get();
			NextReleaseId::<T>::put(id.checked_add(1).ok_or(ArithmeticError::Overflow)?);
			info.releases = info.releases.saturating_add(1);
			let mut release = Release {
				manufacturer: org,
				model: model.clone(),
				version,
				image_sha256,
				image_size,
				uri,
				notes_hash,
				expires_at,
				published_by: caller.clone(),
				published_at: now,
				approvals: BoundedVec::new(),
				status: ReleaseStatus::Pending,
			};
			Self::deposit_event(Event::Published {
				release: id,
				org,
				model: model.to_vec(),
				version,
				image_sha256,
				by: caller.clone(),
			});
			if approver_set.approvers.contains(&caller) {
				Self::add_approval(id, &mut release, &mut info, caller, &approver_set)?;
			}
			ModelReleases::<T>::insert(&model, id, ());
			Models::<T>::insert(&model, info);
			Releases::<T>::insert(id, release);
			Ok(())
		}

		/// Approve a pending release of the caller's organisation. Its approvers only.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::approve())]
		pub fn approve(origin: OriginFor<T>, release: ReleaseId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			let mut record = Releases::<T>::get(release).ok_or(Error::<T>::UnknownRelease)?;
			let approver_set = Approvers::<T>::get(record.manufacturer)
				.filter(|set| set.approvers.contains(&caller))
				.filter(|_| T::Registry::active_org_of(&caller) == Some(record.manufacturer))
				.ok_or(Error::<T>::NotApprover)?;
			ensure!(record.status == ReleaseStatus::Pending, Error::<T>::NotPending);
			ensure!(!Self::has_expired(&record), Error::<T>::Expired);
			ensure!(!record.approvals.contains(&caller), Error::<T>::AlreadyApproved);
			let mut info = Models::<T>::get(&record.model).ok_or(Error::<T>::UnknownRelease)?;
			Self::add_approval(release, &mut record, &mut info, caller, &approver_set)?;
			Models::<T>::insert(&record.model, info);
			Releases::<T>::insert(release, record);
			Ok(())
		}

		/// Withdraw a release for good. An account of its manufacturer organisation.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::yank())]
		pub fn yank(
			origin: OriginFor<T>,
			release: ReleaseId,
			reason: YankReason,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Releases::<T>::try_mutate(release, |record| {
				let record = record.as_mut().ok_or(Error::<T>::UnknownRelease)?;
				ensure!(
					T::Registry::active_org_of(&caller) == Some(record.manufacturer),
					Error::<T>::NotManufacturerAccount
				);
				ensure!(
					!matches!(record.status, ReleaseStatus::Yanked { .. }),
					Error::<T>::AlreadyYanked
				);
				let at = frame_system::Pallet::<T>::block_number();
				record.status = ReleaseStatus::Yanked { reason, at };
				Ok::<_, DispatchError>(())
			})?;
			Self::deposit_event(Event::Yanked { release, reason, by: caller });
			Ok(())
		}

		/// Report an update of `device` to `release`: the device itself or its assigned gateway.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::report_update())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, _device: &DeviceId, _release: &ReleaseId, _outcome: &UpdateOutcome, _measured_sha256: &Sha256| -> bool {
			pallet_device_registry::is_signed_by_active_device::<T, T::Registry>(origin)
		})]
		pub fn report_update(
			origin: OriginFor<T>,
			device: DeviceId,
			release: ReleaseId,
			outcome: UpdateOutcome,
			measured_sha256: Sha256,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			ensure!(T::Registry::active_device(&device).is_some(), Error::<T>::DeviceNotActive);
			let reporter = T::Registry::active_device_by_account(&caller).map(|own| own.id);
			ensure!(
				reporter.is_some()
					&& (reporter == Some(device) || reporter == T::Registry::gateway_of(&device)),
				Error::<T>::NotDeviceOrGateway
			);
			let record = Releases::<T>::get(release).ok_or(Error::<T>::UnknownRelease)?;
			ensure!(matches!(record.status, ReleaseStatus::Active { .. }), Error::<T>::NotActive);
			ensure!(!Self::has_expired(&record), Error::<T>::Expired);
			ensure!(
				T::Registry::model_of(&device).is_some_and(|model| model == record.model.to_vec()),
				Error::<T>::ModelMismatch
			);
			let current = T::Registry::firmware_version(&device).unwrap_or_default();
			ensure!(record.version >= current, Error::<T>::Downgrade);
			if outcome == UpdateOutcome::Installed {
				ensure!(measured_sha256 == record.image_sha256, Error::<T>::HashMismatch);
				T::Registry::set_firmware_version(&device, record.version)?;
				Self::move_device(device, release);
			}
			Self::deposit_event(Event::UpdateReported {
				device,
				release,
				outcome,
				measured_sha256,
				reporter: caller,
			});
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		fn is_manufacturer(org: OrgId) -> bool {
			T::Registry::active_org_roles(org).is_some_and(|roles| roles.manufacturer)
		}

		fn has_expired(release: &ReleaseOf<T>) -> bool {
			release
				.expires_at
				.is_some_and(|last| frame_system::Pallet::<T>::block_number() > last)
		}

		fn ensure_above_active(info: &ModelInfo, version: FirmwareVersion) -> DispatchResult {
			ensure!(
				info.highest_active.is_none_or(|(highest, _)| version > highest),
				Error::<T>::VersionNotAboveActive
			);
			Ok(())
		}

		/// Records `approver`'s approval and activates the release at the threshold.
		fn add_approval(
			id: ReleaseId,
			release: &mut ReleaseOf<T>,
			info: &mut ModelInfo,
			approver: T::AccountId,
			approver_set: &ApproverSetOf<T>,
		) -> DispatchResult {
			release
				.approvals
				.try_push(approver.clone())
				.map_err(|_| Error::<T>::TooManyApprovers)?;
			let approvals = release.approvals.len() as u32;
			Self::deposit_event(Event::Approved { release: id, approver, approvals });
			if approvals >= approver_set.threshold {
				Self::ensure_above_active(info, release.version)?;
				let since = frame_system::Pallet::<T>::block_number();
				release.status = ReleaseStatus::Active { since };
				info.highest_active = Some((release.version, id));
				Self::deposit_event(Event::Activated { release: id });
			}
			Ok(())
		}

		/// Moves `device` from the release it ran to `release` in the fleet index.
		fn move_device(device: DeviceId, release: ReleaseId) {
			if let Some(previous) = InstalledRelease::<T>::get(device) {
				ReleaseDevices::<T>::remove(previous, device);
				ReleaseDeviceCount::<T>::mutate(previous, |count| *count = count.saturating_sub(1));
			}
			InstalledRelease::<T>::insert(device, release);
			ReleaseDevices::<T>::insert(release, device, ());
			ReleaseDeviceCount::<T>::mutate(release, |count| *count = count.saturating_add(1));
		}

		/// The fleet of `model`: every release with the devices that run it.
		pub fn fleet_status(model: &[u8]) -> FleetStatus<BlockNumberFor<T>> {
			let Ok(model) = ModelOf::<T>::try_from(model.to_vec()) else {
				return FleetStatus {
					latest: None,
					behind_latest: 0,
					on_yanked: 0,
					releases: Vec::new(),
				};
			};
			let releases: Vec<_> = ModelReleases::<T>::iter_key_prefix(&model)
				.filter_map(|id| Releases::<T>::get(id).map(|release| (id, release)))
				.collect();
			let latest = releases
				.iter()
				.filter(|(_, r)| matches!(r.status, ReleaseStatus::Active { .. }))
				.filter(|(_, r)| !Self::has_expired(r))
				.max_by_key(|(_, r)| r.version)
				.map(|(id, r)| (*id, r.version));
			let mut fleet: Vec<_> = releases
				.into_iter()
				.map(|(id, r)| ReleaseFleet {
					release: id,
					version: r.version,
					status: r.status,
					devices: ReleaseDeviceCount::<T>::get(id),
				})
				.collect();
			fleet.sort_by_key(|entry| entry.release);
			let count = |keep: &dyn Fn(&ReleaseFleet<BlockNumberFor<T>>) -> bool| {
				fleet
					.iter()
					.filter(|e| keep(e))
					.fold(0u32, |sum, e| sum.saturating_add(e.devices))
			};
			let behind_latest =
				latest.map_or(0, |(_, version)| count(&|entry| entry.version < version));
			let on_yanked = count(&|entry| matches!(entry.status, ReleaseStatus::Yanked { .. }));
			FleetStatus { latest, behind_latest, on_yanked, releases: fleet }
		}

		/// Up to `limit` devices (at most 1,000) that run `release`, after the device `after`.
		pub fn devices_on_release(
			release: ReleaseId,
			after: Option<DeviceId>,
			limit: u32,
		) -> Vec<DeviceId> {
			let limit = limit.min(1_000) as usize;
			match after {
				Some(last) => ReleaseDevices::<T>::iter_key_prefix_from(
					release,
					ReleaseDevices::<T>::hashed_key_for(release, last),
				)
				.take(limit)
				.collect(),
				None => ReleaseDevices::<T>::iter_key_prefix(release).take(limit).collect(),
			}
		}

		/// Checks that the fleet index, its counts and the model index agree.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			for (device, release) in InstalledRelease::<T>::iter() {
				ensure!(
					ReleaseDevices::<T>::contains_key(release, device),
					"an installed device is missing from its release's index"
				);
			}
			for (release, count) in ReleaseDeviceCount::<T>::iter() {
				let indexed = ReleaseDevices::<T>::iter_key_prefix(release).count() as u32;
				ensure!(indexed == count, "a release's device count disagrees with its index");
			}
			for (id, release) in Releases::<T>::iter() {
				ensure!(
					ModelReleases::<T>::contains_key(&release.model, id),
					"a release is missing from its model's index"
				);
				let info = Models::<T>::get(&release.model).ok_or("a release of no model")?;
				ensure!(info.manufacturer == release.manufacturer, "a model has two manufacturers");
				if matches!(release.status, ReleaseStatus::Active { .. }) {
					ensure!(
						info.highest_active.is_some_and(|(highest, _)| release.version <= highest),
						"an active release is above its model's highest active version"
					);
				}
			}
			Ok(())
		}
	}
}
