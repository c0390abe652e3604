//! # Firmware Releases Pallet
//!
//! Firmware releases that devices may trust, and the record of which device installed what
//! (seed 004), strengthened with what The Update Framework and Uptane learned about attacks on
//! updaters.
//!
//! ## Overview
//!
//! - A manufacturer's admin **claims** a model before publishing for it; only that organisation
//!   then publishes for the model. A model that another organisation's devices already use can be
//!   assigned only by consortium governance, so no manufacturer takes over a fleet it did not make.
//! - A member of a manufacturer organisation **publishes** a release for a model: semantic version,
//!   the image's SHA-256 (what a bootloader can check) and size, a download URI, an optional expiry
//!   block and release-notes hash.
//! - A release becomes **active** only once `threshold` of the organisation's approvers approved it
//!   within `ApprovalWindow` blocks (M of N): one stolen key cannot ship firmware. The threshold is
//!   at least two; only governance can set one, an exception the `ApproversSet` event records with
//!   `ApproverAuthority::Governance`. Only approvals from the approver set in force at activation
//!   count. Publishing counts as an approval only when the publisher is an approver.
//! - **Changing the approvers** takes the approval of the current approvers at their threshold (a
//!   pending change they approve, like a release); the first set takes two distinct admins, or
//!   governance. So one stolen admin key cannot make itself the only approver.
//! - A pending release can be **withdrawn** by its manufacturer, and by anyone once its approval
//!   window closed, so junk releases cannot use up `MaxReleasesPerModel`.
//! - **Rollback protection**: a model's active versions only go up. Nothing at or below the highest
//!   version ever activated can be published or activated.
//! - **Freeze protection**: a release may expire; expired and yanked releases are never
//!   installable. A **yank** (with a reason) is final.
//! - A device, or the gateway assigned to it, **reports** each update: the release, the outcome and
//!   the SHA-256 it measured. Reports naming an inactive, expired or yanked release, another model,
//!   a lower version than the device runs, or (for an install) another hash are refused. An install
//!   updates the device's firmware version in the device registry. A gateway reports for many
//!   devices in one transaction ([`Pallet::report_updates`]): each report is checked and recorded
//!   on its own, and a refused one (a `BatchItemFailed` event) does not stop the rest.
//! - **Fleet status** (runtime API): devices per release of a model, devices behind the latest
//!   release, devices on yanked releases, and the devices on one release, paged.
//!
//! ### Terminology
//!
//! - **Model**: a device model (`LOCK-1`), claimed by one manufacturer organisation.
//! - **Release**: one firmware image of a model, with its version and hash.
//! - **Approver**: an account of the manufacturer whose approval counts towards the threshold.
//! - **Approval window**: how many blocks a release or an approver change gathers approvals.
//!
//! ## Pallet API
//!
//! [`Pallet::claim_model`], [`Pallet::propose_approvers`], [`Pallet::approve_approver_change`],
//! [`Pallet::publish`], [`Pallet::approve`], [`Pallet::withdraw`], [`Pallet::yank`],
//! [`Pallet::report_update`], [`Pallet::report_updates`]; governance: [`Pallet::force_set_approvers`],
//! [`Pallet::force_claim_model`]; runtime API in [`runtime_api`].

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
	use sp_runtime::{traits::Saturating, ArithmeticError};

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
	/// A pending approver change as this runtime stores it.
	pub type ApproverChangeOf<T> = ApproverChange<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		<T as Config>::MaxApprovers,
	>;

	/// The lowest threshold an organisation may give itself: one key alone never ships
	/// firmware unless governance decided so for that organisation.
	pub const MIN_ORG_THRESHOLD: u32 = 2;

	/// The in-code storage version: 0 is the layout as first released.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The device registry: organisations, devices, their gateways and firmware versions.
		type Registry: DeviceRegistry<Self::AccountId>;

		/// Consortium governance: sets approvers directly (a threshold of 1 only this way) and
		/// assigns models other organisations' devices already use.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// How many blocks after it is published (or proposed) a release (or an approver
		/// change) takes approvals; after that it can only be withdrawn.
		#[pallet::constant]
		type ApprovalWindow: Get<BlockNumberFor<Self>>;

		/// Longest model identifier, in bytes; at least the device registry's.
		#[pallet::constant]
		type MaxModelLen: Get<u32>;

		/// Longest download URI, in bytes.
		#[pallet::constant]
		type MaxUriLen: Get<u32>;

		/// Most approvers one organisation has; at least 2.
		#[pallet::constant]
		type MaxApprovers: Get<u32>;

		/// Most releases one model keeps (withdrawn pending releases free their place).
		#[pallet::constant]
		type MaxReleasesPerModel: Get<u32>;

		/// Most reports in one [`Pallet::report_updates`] batch.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

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

	/// Claimed models: their manufacturer and highest activated version.
	// Blake2_128Concat: model identifiers are chosen by manufacturers.
	#[pallet::storage]
	pub type Models<T: Config> = StorageMap<_, Blake2_128Concat, ModelOf<T>, ModelInfo>;

	/// Index of each model's releases, in publication order.
	// Blake2_128Concat for the manufacturer-chosen model; Twox64Concat for chain-assigned ids.
	#[pallet::storage]
	pub type ModelReleases<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, ModelOf<T>, Twox64Concat, ReleaseId, ()>;

	/// Each manufacturer organisation's approvers and threshold.
	// Twox64Concat: organisation ids are assigned by the chain.
	#[pallet::storage]
	pub type Approvers<T: Config> = StorageMap<_, Twox64Concat, OrgId, ApproverSetOf<T>>;

	/// Each organisation's pending change of approvers, if any.
	// Twox64Concat: organisation ids are assigned by the chain.
	#[pallet::storage]
	pub type PendingApproverChanges<T: Config> =
		StorageMap<_, Twox64Concat, OrgId, ApproverChangeOf<T>>;

	/// The release each device last reported installing.
	// Blake2_128Concat: device ids are chosen by registrants.
	#[pallet::storage]
	pub type InstalledRelease<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, ReleaseId>;

	/// Index of the devices running each release, for fleet listings.
	// Twox64Concat for chain-assigned release ids; Blake2_128Concat for registrant-chosen ids.
	#[pallet::storage]
	pub type ReleaseDevices<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ReleaseId, Blake2_128Concat, DeviceId, ()>;

	/// How many devices run each release (the size of its `ReleaseDevices` index).
	// Twox64Concat: release ids are assigned by the chain.
	#[pallet::storage]
	pub type ReleaseDeviceCount<T: Config> =
		StorageMap<_, Twox64Concat, ReleaseId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An approver set came into force for an organisation.
		ApproversSet {
			org: OrgId,
			approvers: Vec<T::AccountId>,
			threshold: u32,
			authority: ApproverAuthority,
		},
		/// A change of an organisation's approvers was proposed and awaits approval.
		ApproverChangeProposed {
			org: OrgId,
			approvers: Vec<T::AccountId>,
			threshold: u32,
			by: T::AccountId,
		},
		/// An account approved its organisation's pending approver change.
		ApproverChangeApproved { org: OrgId, by: T::AccountId, approvals: u32 },
		/// A manufacturer claimed a model: only it publishes releases for it.
		ModelClaimed { model: Vec<u8>, org: OrgId, authority: ClaimAuthority },
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
		Approved { release: ReleaseId, by: T::AccountId, approvals: u32 },
		/// A release reached its threshold and is installable.
		Activated { release: ReleaseId },
		/// A pending release was withdrawn and removed; its id is never reused.
		Withdrawn { release: ReleaseId, by: T::AccountId },
		/// A release was withdrawn for good.
		Yanked { release: ReleaseId, reason: YankReason, by: T::AccountId },
		/// A device or its gateway reported an update.
		UpdateReported {
			device: DeviceId,
			release: ReleaseId,
			outcome: UpdateOutcome,
			measured_sha256: Sha256,
			by: T::AccountId,
		},
		/// The item at `index` of a batch was refused with `error` and nothing of it recorded;
		/// the batch's other items were applied on their own.
		BatchItemFailed { index: u32, error: DispatchError },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Only an admin of an active manufacturer organisation may do this.
		NotManufacturerAdmin,
		/// Only an account of an active manufacturer organisation may do this.
		NotManufacturerAccount,
		/// The organisation does not exist, is suspended, or is not a manufacturer.
		NotManufacturer,
		/// Approvers must be accounts of the organisation, each named once.
		BadApprover,
		/// More approvers than `MaxApprovers`.
		TooManyApprovers,
		/// The threshold must be at least 2 (1 only when governance sets it) and at most the
		/// number of approvers.
		BadThreshold,
		/// The organisation has no approvers yet; two admins, or governance, set them first.
		NoApprovers,
		/// Only an admin or a current approver of the organisation may propose approvers.
		NotAllowedToPropose,
		/// Only the current approvers (or, before there are any, the admins) may approve a
		/// change of the approvers.
		NotAllowedToApproveChange,
		/// The organisation has no pending approver change.
		NoApproverChange,
		/// The approval window of this release or approver change has closed.
		ApprovalWindowClosed,
		/// The model identifier is empty or longer than `MaxModelLen`.
		BadModel,
		/// No manufacturer claimed this model; claim it before publishing.
		ModelNotClaimed,
		/// The model is already claimed.
		ModelAlreadyClaimed,
		/// Devices of another organisation already use this model: only governance may assign
		/// it.
		ModelInUse,
		/// The download URI is empty or longer than `MaxUriLen`.
		BadUri,
		/// A release image cannot be empty.
		EmptyImage,
		/// The expiry block has already passed.
		AlreadyExpired,
		/// Another manufacturer claimed this model.
		ModelOfAnotherManufacturer,
		/// The version is not above the model's highest active version (rollback protection).
		VersionNotAboveActive,
		/// The model already has `MaxReleasesPerModel` releases.
		TooManyReleases,
		/// No release has this id.
		ReleaseNotFound,
		/// Only an approver of the release's organisation may approve it.
		NotApprover,
		/// This account already approved the release or the approver change.
		AlreadyApproved,
		/// The release is not waiting for approval.
		NotPending,
		/// Only an account of the release's manufacturer may withdraw a pending release before
		/// its approval window closes.
		NotAllowedToWithdraw,
		/// The release is not active: still pending, or yanked.
		NotActive,
		/// The release has expired.
		Expired,
		/// The release is already yanked.
		AlreadyYanked,
		/// The device does not exist or is not active.
		DeviceNotActive,
		/// Only the device itself or the gateway of its own organisation assigned to it may
		/// report its updates.
		NotDeviceOrGateway,
		/// The release is for another model than the device's.
		ModelMismatch,
		/// The release is older than the firmware the device runs.
		Downgrade,
		/// The measured image hash is not the release's.
		HashMismatch,
		/// A batch is empty or larger than `MaxBatchSize`.
		BadBatchSize,
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
		// Call index 0 (`set_approvers`, which let one admin name itself sole approver) is
		// retired and never reused.

		/// Publish a release of a model the caller's organisation claimed. An account of a
		/// manufacturer organisation with approvers. Publishing counts as the publisher's
		/// approval when it is an approver.
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
			Self::do_publish(
				caller,
				ReleaseDraft {
					model,
					version,
					image_sha256,
					image_size,
					uri,
					notes_hash,
					expires_at,
				},
			)
			.map(|_| ())
		}

		/// Approve a pending release of the caller's organisation. Its approvers only, within
		/// the release's approval window.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::approve())]
		pub fn approve(origin: OriginFor<T>, release: ReleaseId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_approve(caller, release)
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
			Self::do_yank(caller, release, reason)
		}

		/// Report an update of `device` to `release`: the device itself, or the gateway of the
		/// device's own organisation assigned to it.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::report_update())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, device: &DeviceId, _release: &ReleaseId, _outcome: &UpdateOutcome, _measured_sha256: &Sha256| -> bool {
			pallet_device_registry::is_signed_by_device_or_its_gateway::<T, T::Registry>(origin, device)
		})]
		pub fn report_update(
			origin: OriginFor<T>,
			device: DeviceId,
			release: ReleaseId,
			outcome: UpdateOutcome,
			measured_sha256: Sha256,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_report_update(caller, device, release, outcome, measured_sha256)
		}

		/// Propose the caller's organisation's approvers and threshold (at least 2). An admin
		/// or a current approver of a manufacturer organisation. The change takes effect once
		/// the current approvers approve it at their threshold or, while the organisation has
		/// none, once two distinct admins do; the proposer's approval counts. A new proposal
		/// replaces a pending one.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::propose_approvers(approvers.len() as u32))]
		pub fn propose_approvers(
			origin: OriginFor<T>,
			approvers: Vec<T::AccountId>,
			threshold: u32,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_propose_approvers(caller, approvers, threshold)
		}

		/// Approve the caller's organisation's pending approver change: a current approver,
		/// or an admin while the organisation has no approvers.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::approve_approver_change())]
		pub fn approve_approver_change(origin: OriginFor<T>) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_approve_approver_change(caller)
		}

		/// Set an organisation's approvers directly. Governance only; the one way to a
		/// threshold of 1, a documented exception the `ApproversSet` event records.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::force_set_approvers(approvers.len() as u32))]
		pub fn force_set_approvers(
			origin: OriginFor<T>,
			org: OrgId,
			approvers: Vec<T::AccountId>,
			threshold: u32,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(Self::is_manufacturer(org), Error::<T>::NotManufacturer);
			let set = Self::checked_approver_set(org, approvers, threshold, 1)?;
			PendingApproverChanges::<T>::remove(org);
			Self::put_approvers(org, set, ApproverAuthority::Governance);
			Ok(())
		}

		/// Claim `model` for the caller's manufacturer organisation. An admin; refused when
		/// the model is claimed or devices of another organisation already use it.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::claim_model())]
		pub fn claim_model(origin: OriginFor<T>, model: Vec<u8>) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			let org = T::Registry::active_admin_org_of(&caller)
				.filter(|org| Self::is_manufacturer(*org))
				.ok_or(Error::<T>::NotManufacturerAdmin)?;
			let model = Self::checked_model(model)?;
			ensure!(!T::Registry::model_used_outside(&model, org), Error::<T>::ModelInUse);
			Self::do_claim_model(model, org, ClaimAuthority::Manufacturer)
		}

		/// Assign an unclaimed model to a manufacturer organisation, whoever's devices use it.
		/// Governance only.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::force_claim_model())]
		pub fn force_claim_model(
			origin: OriginFor<T>,
			model: Vec<u8>,
			org: OrgId,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			ensure!(Self::is_manufacturer(org), Error::<T>::NotManufacturer);
			let model = Self::checked_model(model)?;
			Self::do_claim_model(model, org, ClaimAuthority::Governance)
		}

		/// Withdraw and remove a pending release, freeing its place under
		/// `MaxReleasesPerModel`. An account of its manufacturer at any time; anyone once its
		/// approval window has closed.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::withdraw())]
		pub fn withdraw(origin: OriginFor<T>, release: ReleaseId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_withdraw(caller, release)
		}

		/// Report up to `MaxBatchSize` updates, each as [`Pallet::report_update`] would:
		/// checked and recorded on its own. A refused report records nothing and is reported
		/// by a `BatchItemFailed` event; the others go on. Feeless when every report concerns
		/// the signing device itself or a device whose assigned gateway (of its own
		/// organisation) signs.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::report_updates(reports.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, reports: &Vec<UpdateReport>| -> bool {
			pallet_device_registry::is_signed_for_all_by_device_or_gateway::<T, T::Registry>(
				origin,
				reports.iter().map(|report| &report.device),
			)
		})]
		pub fn report_updates(origin: OriginFor<T>, reports: Vec<UpdateReport>) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			let count = reports.len() as u32;
			ensure!(count > 0 && count <= T::MaxBatchSize::get(), Error::<T>::BadBatchSize);
			pallet_device_registry::apply_each(
				reports,
				|UpdateReport { device, release, outcome, measured_sha256 }| {
					Self::do_report_update(
						caller.clone(),
						device,
						release,
						outcome,
						measured_sha256,
					)
				},
				|index, error| Self::deposit_event(Event::BatchItemFailed { index, error }),
			);
			Ok(())
		}
	}

	/// What a publisher submits; the chain adds the rest of a [`Release`].
	pub struct ReleaseDraft<BlockNumber> {
		pub model: Vec<u8>,
		pub version: FirmwareVersion,
		pub image_sha256: Sha256,
		pub image_size: u64,
		pub uri: Vec<u8>,
		pub notes_hash: Option<[u8; 32]>,
		pub expires_at: Option<BlockNumber>,
	}

	impl<T: Config> Pallet<T> {
		fn is_manufacturer(org: OrgId) -> bool {
			T::Registry::active_org_roles(org).is_some_and(|roles| roles.manufacturer)
		}

		fn now() -> BlockNumberFor<T> {
			frame_system::Pallet::<T>::block_number()
		}

		fn has_expired(release: &ReleaseOf<T>) -> bool {
			release.expires_at.is_some_and(|last| Self::now() > last)
		}

		/// Whether approvals opened at `since` are still taken.
		fn approval_window_open(since: BlockNumberFor<T>) -> bool {
			Self::now() <= since.saturating_add(T::ApprovalWindow::get())
		}

		fn checked_model(model: Vec<u8>) -> Result<ModelOf<T>, DispatchError> {
			let model: ModelOf<T> = model.try_into().map_err(|_| Error::<T>::BadModel)?;
			ensure!(!model.is_empty(), Error::<T>::BadModel);
			Ok(model)
		}

		fn ensure_above_active(info: &ModelInfo, version: FirmwareVersion) -> DispatchResult {
			ensure!(
				info.highest_active.is_none_or(|(highest, _)| version > highest),
				Error::<T>::VersionNotAboveActive
			);
			Ok(())
		}

		/// `approvers` as a set for `org`: distinct accounts of the organisation, with a
		/// threshold from `min_threshold` up to their number.
		fn checked_approver_set(
			org: OrgId,
			approvers: Vec<T::AccountId>,
			threshold: u32,
			min_threshold: u32,
		) -> Result<ApproverSetOf<T>, DispatchError> {
			let approvers: BoundedVec<_, T::MaxApprovers> =
				approvers.try_into().map_err(|_| Error::<T>::TooManyApprovers)?;
			ensure!(
				threshold >= min_threshold && threshold as usize <= approvers.len(),
				Error::<T>::BadThreshold
			);
			for (index, approver) in approvers.iter().enumerate() {
				ensure!(
					T::Registry::active_org_of(approver) == Some(org)
						&& !approvers[..index].contains(approver),
					Error::<T>::BadApprover
				);
			}
			Ok(ApproverSet { approvers, threshold })
		}

		fn put_approvers(org: OrgId, set: ApproverSetOf<T>, authority: ApproverAuthority) {
			Self::deposit_event(Event::ApproversSet {
				org,
				approvers: set.approvers.to_vec(),
				threshold: set.threshold,
				authority,
			});
			Approvers::<T>::insert(org, set);
		}

		/// Whether `account` may approve a change of `org`'s approvers: an approver in force or,
		/// before there are any, an admin.
		fn may_approve_change(
			org: OrgId,
			current: Option<&ApproverSetOf<T>>,
			account: &T::AccountId,
		) -> bool {
			match current {
				Some(set) => set.approvers.contains(account),
				None => T::Registry::active_admin_org_of(account) == Some(org),
			}
		}

		/// How many approvals enact a change: the threshold in force, or two admins.
		fn change_authority(current: Option<&ApproverSetOf<T>>) -> (u32, ApproverAuthority) {
			match current {
				Some(set) => (set.threshold, ApproverAuthority::Approvers),
				None => (MIN_ORG_THRESHOLD, ApproverAuthority::Admins),
			}
		}

		pub(crate) fn do_propose_approvers(
			caller: T::AccountId,
			approvers: Vec<T::AccountId>,
			threshold: u32,
		) -> DispatchResult {
			let org = T::Registry::active_org_of(&caller)
				.filter(|org| Self::is_manufacturer(*org))
				.ok_or(Error::<T>::NotManufacturerAccount)?;
			let current = Approvers::<T>::get(org);
			let may_approve = Self::may_approve_change(org, current.as_ref(), &caller);
			let is_admin = T::Registry::active_admin_org_of(&caller) == Some(org);
			ensure!(is_admin || may_approve, Error::<T>::NotAllowedToPropose);
			let proposed =
				Self::checked_approver_set(org, approvers, threshold, MIN_ORG_THRESHOLD)?;

			Self::deposit_event(Event::ApproverChangeProposed {
				org,
				approvers: proposed.approvers.to_vec(),
				threshold,
				by: caller.clone(),
			});
			let mut change = ApproverChange {
				proposed,
				proposed_by: caller.clone(),
				proposed_at: Self::now(),
				approvals: BoundedVec::new(),
			};
			if may_approve {
				Self::count_change_approval(org, current.as_ref(), &mut change, caller);
			}
			Self::enact_or_keep(org, current.as_ref(), change);
			Ok(())
		}

		/// Puts `change` in force if it has the approvals that enact it, else keeps it pending.
		fn enact_or_keep(
			org: OrgId,
			current: Option<&ApproverSetOf<T>>,
			change: ApproverChangeOf<T>,
		) {
			let (required, authority) = Self::change_authority(current);
			if change.approvals.len() as u32 >= required {
				Self::put_approvers(org, change.proposed, authority);
				PendingApproverChanges::<T>::remove(org);
			} else {
				PendingApproverChanges::<T>::insert(org, change);
			}
		}

		pub(crate) fn do_approve_approver_change(caller: T::AccountId) -> DispatchResult {
			let org = T::Registry::active_org_of(&caller)
				.filter(|org| Self::is_manufacturer(*org))
				.ok_or(Error::<T>::NotManufacturerAccount)?;
			let mut change =
				PendingApproverChanges::<T>::get(org).ok_or(Error::<T>::NoApproverChange)?;
			ensure!(
				Self::approval_window_open(change.proposed_at),
				Error::<T>::ApprovalWindowClosed
			);
			let current = Approvers::<T>::get(org);
			ensure!(
				Self::may_approve_change(org, current.as_ref(), &caller),
				Error::<T>::NotAllowedToApproveChange
			);
			ensure!(!change.approvals.contains(&caller), Error::<T>::AlreadyApproved);

			Self::count_change_approval(org, current.as_ref(), &mut change, caller);
			Self::enact_or_keep(org, current.as_ref(), change);
			Ok(())
		}

		/// Adds `approver`'s approval to `change`, after dropping approvals of accounts that
		/// may no longer approve (approvers removed, admins demoted since they approved).
		fn count_change_approval(
			org: OrgId,
			current: Option<&ApproverSetOf<T>>,
			change: &mut ApproverChangeOf<T>,
			approver: T::AccountId,
		) {
			change
				.approvals
				.retain(|earlier| Self::may_approve_change(org, current, earlier));
			// Fewer approvals than the enacting count are ever kept (the change is enacted when
			// it is reached), and that count is at most `MaxApprovers`: there is room.
			let _ = change.approvals.try_push(approver.clone());
			Self::deposit_event(Event::ApproverChangeApproved {
				org,
				by: approver,
				approvals: change.approvals.len() as u32,
			});
		}

		pub(crate) fn do_claim_model(
			model: ModelOf<T>,
			org: OrgId,
			authority: ClaimAuthority,
		) -> DispatchResult {
			ensure!(!Models::<T>::contains_key(&model), Error::<T>::ModelAlreadyClaimed);
			Models::<T>::insert(
				&model,
				ModelInfo { manufacturer: org, highest_active: None, releases: 0 },
			);
			Self::deposit_event(Event::ModelClaimed { model: model.into_inner(), org, authority });
			Ok(())
		}

		pub(crate) fn do_publish(
			caller: T::AccountId,
			draft: ReleaseDraft<BlockNumberFor<T>>,
		) -> Result<ReleaseId, DispatchError> {
			let org = T::Registry::active_org_of(&caller)
				.filter(|org| Self::is_manufacturer(*org))
				.ok_or(Error::<T>::NotManufacturerAccount)?;
			let model = Self::checked_model(draft.model)?;
			let mut info = Models::<T>::get(&model).ok_or(Error::<T>::ModelNotClaimed)?;
			ensure!(info.manufacturer == org, Error::<T>::ModelOfAnotherManufacturer);
			let approver_set = Approvers::<T>::get(org).ok_or(Error::<T>::NoApprovers)?;
			let uri: BoundedVec<u8, T::MaxUriLen> =
				draft.uri.try_into().map_err(|_| Error::<T>::BadUri)?;
			ensure!(!uri.is_empty(), Error::<T>::BadUri);
			ensure!(draft.image_size > 0, Error::<T>::EmptyImage);
			let now = Self::now();
			ensure!(draft.expires_at.is_none_or(|last| last >= now), Error::<T>::AlreadyExpired);
			Self::ensure_above_active(&info, draft.version)?;
			ensure!(info.releases < T::MaxReleasesPerModel::get(), Error::<T>::TooManyReleases);
			let id = NextReleaseId::<T>::get();
			let next_id = id.checked_add(1).ok_or(ArithmeticError::Overflow)?;

			NextReleaseId::<T>::put(next_id);
			info.releases = info.releases.saturating_add(1);
			let mut release = Release {
				manufacturer: org,
				model: model.clone(),
				version: draft.version,
				image_sha256: draft.image_sha256,
				image_size: draft.image_size,
				uri,
				notes_hash: draft.notes_hash,
				expires_at: draft.expires_at,
				published_by: caller.clone(),
				published_at: now,
				approvals: BoundedVec::new(),
				status: ReleaseStatus::Pending,
			};
			Self::deposit_event(Event::Published {
				release: id,
				org,
				model: model.to_vec(),
				version: draft.version,
				image_sha256: draft.image_sha256,
				by: caller.clone(),
			});
			if approver_set.approvers.contains(&caller) {
				// The version was checked above the highest active one just now.
				Self::add_approval(id, &mut release, &mut info, caller, &approver_set);
			}
			ModelReleases::<T>::insert(&model, id, ());
			Models::<T>::insert(&model, info);
			Releases::<T>::insert(id, release);
			Ok(id)
		}

		pub(crate) fn do_approve(caller: T::AccountId, release: ReleaseId) -> DispatchResult {
			let mut record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
			let approver_set = Approvers::<T>::get(record.manufacturer)
				.filter(|set| set.approvers.contains(&caller))
				.filter(|_| T::Registry::active_org_of(&caller) == Some(record.manufacturer))
				.ok_or(Error::<T>::NotApprover)?;
			ensure!(record.status == ReleaseStatus::Pending, Error::<T>::NotPending);
			ensure!(!Self::has_expired(&record), Error::<T>::Expired);
			ensure!(
				Self::approval_window_open(record.published_at),
				Error::<T>::ApprovalWindowClosed
			);
			ensure!(!record.approvals.contains(&caller), Error::<T>::AlreadyApproved);
			let mut info = Models::<T>::get(&record.model).ok_or(Error::<T>::ModelNotClaimed)?;
			Self::ensure_above_active(&info, record.version)?;

			Self::add_approval(release, &mut record, &mut info, caller, &approver_set);
			Models::<T>::insert(&record.model, info);
			Releases::<T>::insert(release, record);
			Ok(())
		}

		/// Records `approver`'s approval and activates the release at the threshold. Approvals
		/// of accounts no longer in `approver_set` are dropped first: only the approvers in
		/// force at activation count. The caller checked that the release's version is above
		/// the model's highest active one.
		fn add_approval(
			id: ReleaseId,
			release: &mut ReleaseOf<T>,
			info: &mut ModelInfo,
			approver: T::AccountId,
			approver_set: &ApproverSetOf<T>,
		) {
			release.approvals.retain(|earlier| approver_set.approvers.contains(earlier));
			// Every kept approval is a distinct member of `approver_set`, which holds at most
			// `MaxApprovers`, and `approver` is one of them not yet counted: there is room.
			let _ = release.approvals.try_push(approver.clone());
			let approvals = release.approvals.len() as u32;
			Self::deposit_event(Event::Approved { release: id, by: approver, approvals });
			if approvals >= approver_set.threshold {
				release.status = ReleaseStatus::Active { since: Self::now() };
				info.highest_active = Some((release.version, id));
				Self::deposit_event(Event::Activated { release: id });
			}
		}

		pub(crate) fn do_withdraw(caller: T::AccountId, release: ReleaseId) -> DispatchResult {
			let record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
			ensure!(record.status == ReleaseStatus::Pending, Error::<T>::NotPending);
			let is_manufacturer = T::Registry::active_org_of(&caller) == Some(record.manufacturer);
			ensure!(
				is_manufacturer || !Self::approval_window_open(record.published_at),
				Error::<T>::NotAllowedToWithdraw
			);

			Releases::<T>::remove(release);
			ModelReleases::<T>::remove(&record.model, release);
			Models::<T>::mutate(&record.model, |info| {
				if let Some(info) = info {
					info.releases = info.releases.saturating_sub(1);
				}
			});
			Self::deposit_event(Event::Withdrawn { release, by: caller });
			Ok(())
		}

		pub(crate) fn do_yank(
			caller: T::AccountId,
			release: ReleaseId,
			reason: YankReason,
		) -> DispatchResult {
			let mut record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
			ensure!(
				T::Registry::active_org_of(&caller) == Some(record.manufacturer),
				Error::<T>::NotManufacturerAccount
			);
			ensure!(
				!matches!(record.status, ReleaseStatus::Yanked { .. }),
				Error::<T>::AlreadyYanked
			);

			record.status = ReleaseStatus::Yanked { reason, at: Self::now() };
			Releases::<T>::insert(release, record);
			Self::deposit_event(Event::Yanked { release, reason, by: caller });
			Ok(())
		}

		pub(crate) fn do_report_update(
			caller: T::AccountId,
			device: DeviceId,
			release: ReleaseId,
			outcome: UpdateOutcome,
			measured_sha256: Sha256,
		) -> DispatchResult {
			ensure!(T::Registry::active_device(&device).is_some(), Error::<T>::DeviceNotActive);
			ensure!(
				pallet_device_registry::is_device_or_its_gateway::<_, T::Registry>(
					&caller, &device
				),
				Error::<T>::NotDeviceOrGateway
			);
			let record = Releases::<T>::get(release).ok_or(Error::<T>::ReleaseNotFound)?;
			ensure!(matches!(record.status, ReleaseStatus::Active { .. }), Error::<T>::NotActive);
			ensure!(!Self::has_expired(&record), Error::<T>::Expired);
			ensure!(
				T::Registry::model_of(&device).is_some_and(|model| model == record.model.to_vec()),
				Error::<T>::ModelMismatch
			);
			let current = T::Registry::firmware_version(&device).unwrap_or_default();
			ensure!(record.version >= current, Error::<T>::Downgrade);
			let installed = outcome == UpdateOutcome::Installed;
			ensure!(!installed || measured_sha256 == record.image_sha256, Error::<T>::HashMismatch);

			if installed {
				T::Registry::set_firmware_version(&device, record.version)?;
				Self::move_device(device, release);
			}
			Self::deposit_event(Event::UpdateReported {
				device,
				release,
				outcome,
				measured_sha256,
				by: caller,
			});
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

		/// Checks that the fleet index, its counts, the model index and approver sets agree.
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
			for (model, info) in Models::<T>::iter() {
				let stored = ModelReleases::<T>::iter_key_prefix(&model).count() as u32;
				ensure!(
					stored == info.releases,
					"a model's release count disagrees with its index"
				);
			}
			for (_, set) in Approvers::<T>::iter() {
				ensure!(
					set.threshold >= 1 && set.threshold as usize <= set.approvers.len(),
					"an approver set's threshold is out of range"
				);
			}
			Ok(())
		}
	}
}
