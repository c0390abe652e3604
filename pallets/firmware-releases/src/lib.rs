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
//! - Governance **moves** a claim, so a squatted name returns to the manufacturer that makes the
//!   model. The new claimant starts afresh: no highest active version and no releases counted
//!   against `MaxReleasesPerModel`, so a squatter's inflated version or full release list cannot
//!   lock the maker out; devices stay protected from downgrades by the device-level check of each
//!   update report. Releases published under an earlier claim stay in the model's index as history
//!   but are **dead**: never activated, installed or offered as the model's latest again.
//!   Governance also removes the claim of a model without releases under its current claim.
//! - An **unused claim expires**: a claim a manufacturer's admin made that has not activated a
//!   release within `UnusedClaimLifetime` blocks may be cleared by anyone, so no name is squatted
//!   for good; its pending releases are left stored but dead, and may still be withdrawn. Claims
//!   governance made, claims that activated a release, and claims from before claims expired never
//!   expire.
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
//! - **Rollback protection**: under a claim, a model's active versions only go up. Nothing at or
//!   below the highest version activated under the claim can be published or activated, and no
//!   device reports installing a version below the one it runs.
//! - **Freeze protection**: a release may expire; expired and yanked releases are never
//!   installable. A **yank** (with a reason) is final, so it takes the manufacturer's approvers at
//!   their threshold within `ApprovalWindow` blocks, as a release does (or governance, at once):
//!   one stolen key cannot take an active release out of service. Approvals are gathered for each
//!   reason on its own, and only those of the approvers in force count, so no approver, nor a
//!   removed one, locks the others out of a reason. Yanking or withdrawing a release drops all its
//!   pending yanks.
//! - A device, or the gateway assigned to it, **reports** each update: the release, the outcome and
//!   the SHA-256 it measured. Reports naming an inactive, expired or yanked release, a release of
//!   an earlier claim or of a model no longer claimed, another model, a lower version than the
//!   device runs, or (for an install) another hash are refused. An install updates the device's
//!   firmware version in the device registry. A gateway reports for many devices in one transaction
//!   ([`Pallet::report_updates`]): each report is checked and recorded on its own, and a refused
//!   one (a `BatchItemFailed` event) does not stop the rest.
//! - **Fleet status** (runtime API): devices per release of a model, devices behind the latest
//!   release of the current claim, devices on yanked releases, and the devices on one release,
//!   paged.
//!
//! ### Terminology
//!
//! - **Model**: a device model (`LOCK-1`), claimed by one manufacturer organisation.
//! - **Claim**: a manufacturer's right to publish for a model, from its claim (or governance's
//!   assignment or move) until governance moves or removes it or it expires unused. Releases
//!   published under a claim live and die with it.
//! - **Release**: one firmware image of a model, with its version and hash.
//! - **Approver**: an account of the manufacturer whose approval counts towards the threshold.
//! - **Approval window**: how many blocks a release, a yank or an approver change gathers
//!   approvals.
//!
//! ## Pallet API
//!
//! [`Pallet::claim_model`], [`Pallet::propose_approvers`], [`Pallet::approve_approver_change`],
//! [`Pallet::publish`], [`Pallet::approve`], [`Pallet::withdraw`], [`Pallet::yank`],
//! [`Pallet::report_update`], [`Pallet::report_updates`], [`Pallet::clear_unused_claim`];
//! governance: [`Pallet::force_set_approvers`], [`Pallet::force_claim_model`],
//! [`Pallet::force_unclaim_model`], [`Pallet::force_yank`]; runtime API in [`runtime_api`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
mod types;
pub mod weights;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{dispatch::WithPostDispatchInfo, pallet_prelude::*};
	use frame_system::pallet_prelude::*;
	use pallet_device_registry::{DeviceId, DeviceRegistry, FirmwareVersion, OrgId};

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
	/// A yank awaiting approvals as this runtime stores it.
	pub type PendingYankOf<T> = PendingYank<
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

		/// Consortium governance: sets approvers directly (a threshold of 1 only this way),
		/// assigns models other organisations' devices already use, moves and removes model
		/// claims, and yanks releases at once.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// How many blocks after it is published (or proposed, or first approved) a release (or
		/// an approver change, or a yank) takes approvals; after that a release can only be
		/// withdrawn, and a yank starts afresh.
		#[pallet::constant]
		type ApprovalWindow: Get<BlockNumberFor<Self>>;

		/// How many blocks a claim a manufacturer's admin made may go without activating a
		/// release before anyone may clear it, so a model name cannot be squatted for good.
		#[pallet::constant]
		type UnusedClaimLifetime: Get<BlockNumberFor<Self>>;

		/// Longest model identifier, in bytes; at least the device registry's.
		#[pallet::constant]
		type MaxModelLen: Get<u32>;

		/// Longest download URI, in bytes.
		#[pallet::constant]
		type MaxUriLen: Get<u32>;

		/// Most approvers one organisation has; at least 2.
		#[pallet::constant]
		type MaxApprovers: Get<u32>;

		/// Most releases one model keeps under its current claim (withdrawn pending releases free
		/// their place; releases of earlier claims do not count).
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

	/// Index of each model's releases, in publication order, including those of earlier claims
	/// (history).
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

	/// Yanks awaiting their manufacturer's approvers, by release and reason: at most one per
	/// `YankReason` for a release, all removed when the release is yanked or withdrawn.
	// Twox64Concat: release ids are assigned by the chain, and reasons are a fixed enum.
	#[pallet::storage]
	pub type PendingYanks<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ReleaseId, Twox64Concat, YankReason, PendingYankOf<T>>;

	/// Since when each model claimed by a manufacturer's admin has gone without activating a
	/// release: from the claim. The first activation under the claim removes the entry, and it
	/// never returns; `UnusedClaimLifetime` blocks after it anyone may clear the claim. Claims
	/// governance made or moved have no entry and never expire, nor do claims made before this
	/// map existed; governance can still move or remove them.
	// Blake2_128Concat: model identifiers are chosen by manufacturers.
	#[pallet::storage]
	pub type UnusedClaimSince<T: Config> =
		StorageMap<_, Blake2_128Concat, ModelOf<T>, BlockNumberFor<T>>;

	/// The first release id of each model's current claim: `NextReleaseId` when it was claimed,
	/// assigned or moved. Releases of the model with a lower id were published under an earlier
	/// claim and are dead, even when the same organisation claims the model again. A claim from
	/// before this map existed has no entry (0): all its claimant's releases are its own.
	// Blake2_128Concat: model identifiers are chosen by manufacturers.
	#[pallet::storage]
	pub type ClaimStart<T: Config> =
		StorageMap<_, Blake2_128Concat, ModelOf<T>, ReleaseId, ValueQuery>;

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
		/// A manufacturer claimed a model, or governance assigned it one: only it publishes
		/// releases for it. `previous` is the organisation governance moved the claim from,
		/// whose releases of the model are dead from now on; `None` for a fresh claim.
		ModelClaimed {
			model: Vec<u8>,
			org: OrgId,
			authority: ClaimAuthority,
			previous: Option<OrgId>,
		},
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
		/// A release was yanked for good: its manufacturer's approvers reached their threshold,
		/// `by` giving the approval that did.
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
		/// An approver approved yanking a release for `reason`; it is yanked once the approvals
		/// for that reason reach its manufacturer's threshold.
		YankApproved { release: ReleaseId, reason: YankReason, by: T::AccountId, approvals: u32 },
		/// Governance yanked a release for good, at once.
		ForceYanked { release: ReleaseId, reason: YankReason },
		/// Governance removed a model's claim; `org` held it.
		ModelUnclaimed { model: Vec<u8>, org: OrgId },
		/// `by` cleared a model's claim, which `org` held and which activated no release within
		/// `UnusedClaimLifetime` blocks.
		UnusedClaimCleared { model: Vec<u8>, org: OrgId, by: T::AccountId },
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
		/// No manufacturer claims this model (any more); claim it before publishing. A release of
		/// a model whose claim was removed or expired is never approved or installed.
		ModelNotClaimed,
		/// The model is already claimed (for governance: by the organisation named).
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
		/// Another manufacturer claims this model, or the release was published under an earlier
		/// claim of it (governance moved or removed that claim, or it expired): such a release is
		/// never approved or installed.
		ModelOfAnotherManufacturer,
		/// The version is not above the highest version activated under the model's current
		/// claim (rollback protection).
		VersionNotAboveActive,
		/// The model already has `MaxReleasesPerModel` releases.
		TooManyReleases,
		/// No release has this id.
		ReleaseNotFound,
		/// Only an approver of the release's organisation may approve or yank it.
		NotApprover,
		/// This account already approved the release, its yank for this reason or the approver
		/// change.
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
		/// A batch is empty: it records nothing.
		BadBatchSize,
		/// The model has releases stored under its current claim, which holds their rollback
		/// protection: governance moves the claim instead.
		ModelHasReleases,
		/// The claim has not yet gone `UnusedClaimLifetime` blocks without activating a release.
		ClaimStillFresh,
		/// The claim never expires: governance made or moved it, it activated a release, or it
		/// was made before unused claims expired. Only governance moves or removes it.
		ClaimDoesNotExpire,
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

		/// Approve yanking a release for good with `reason`, whatever its status. An approver
		/// of its manufacturer organisation. The release is yanked once the approvers in force
		/// reach their threshold for the same reason within `ApprovalWindow` blocks of its first
		/// approval: one stolen key cannot take an active release out of service. Each reason
		/// gathers its approvals on its own; approvals of accounts no longer approvers are
		/// dropped; a yank whose window closed starts afresh from the next approval. Yanking
		/// drops all the release's pending yanks.
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
			Self::do_force_set_approvers(org, approvers, threshold)
		}

		/// Claim `model` for the caller's manufacturer organisation. An admin; refused when
		/// the model is claimed or devices of another organisation already use it.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::claim_model())]
		pub fn claim_model(origin: OriginFor<T>, model: Vec<u8>) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_admin_claim_model(caller, model)
		}

		/// Assign a model to a manufacturer organisation, whoever claims it or whoever's devices
		/// use it. Governance only. A moved claim starts afresh for the new claimant, with no
		/// highest active version and no releases counted; the releases published under the
		/// earlier claim stay in the model's index but are dead: never activated, installed or
		/// the model's latest again. Devices keep their downgrade protection. A claim governance
		/// made or moved never expires.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::force_claim_model())]
		pub fn force_claim_model(
			origin: OriginFor<T>,
			model: Vec<u8>,
			org: OrgId,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_force_claim_model(model, org)
		}

		/// Withdraw and remove a pending release (and all its pending yanks), freeing its place
		/// under `MaxReleasesPerModel` when it is of the model's current claim. An account of its
		/// manufacturer at any time; anyone once its approval window has closed. Pending releases
		/// of an earlier or expired claim are withdrawn the same way.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::withdraw())]
		pub fn withdraw(origin: OriginFor<T>, release: ReleaseId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_withdraw(caller, release)
		}

		/// Report updates, each as [`Pallet::report_update`] would: checked and recorded on
		/// its own. A refused report records nothing and is reported by a `BatchItemFailed`
		/// event; the others go on. At most `MaxBatchSize` reports: the bound is in the type,
		/// so a larger batch does not decode. An empty batch fails with `BadBatchSize`, charged
		/// as a batch of none. Feeless when every report concerns the signing device itself or
		/// a device whose assigned gateway (of its own organisation) signs.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::report_updates(reports.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, reports: &BoundedVec<UpdateReport, T::MaxBatchSize>| -> bool {
			pallet_device_registry::is_signed_for_all_by_device_or_gateway::<T, T::Registry>(
				origin,
				reports.iter().map(|report| &report.device),
			)
		})]
		pub fn report_updates(
			origin: OriginFor<T>,
			reports: BoundedVec<UpdateReport, T::MaxBatchSize>,
		) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			Self::do_report_updates(caller, reports)
				.map_err(|error| error.with_weight(T::WeightInfo::report_updates(0)))?;
			Ok(().into())
		}

		/// Yank a release for good, at once, and drop all its pending yanks. Governance only.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::force_yank())]
		pub fn force_yank(
			origin: OriginFor<T>,
			release: ReleaseId,
			reason: YankReason,
		) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_force_yank(release, reason)
		}

		/// Remove the claim of a model without releases stored under its current claim.
		/// Governance only; a model with such releases keeps its claim, which holds their
		/// rollback protection, and is moved with [`Pallet::force_claim_model`] instead.
		/// Releases of earlier claims stay in the model's index, dead.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::force_unclaim_model())]
		pub fn force_unclaim_model(origin: OriginFor<T>, model: Vec<u8>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_force_unclaim_model(model)
		}

		/// Clear a claim that a manufacturer's admin made and that activated no release for
		/// more than `UnusedClaimLifetime` blocks, so any manufacturer may claim the model
		/// again. Anyone. The claim's pending releases stay stored but dead: never approved, and
		/// still withdrawable. Claims governance made or moved never expire.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::clear_unused_claim())]
		pub fn clear_unused_claim(origin: OriginFor<T>, model: Vec<u8>) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_clear_unused_claim(caller, model)
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
}
