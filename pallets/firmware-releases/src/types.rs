//! The records the firmware registry stores.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use pallet_device_registry::{DeviceId, FirmwareVersion, OrgId};
use scale_info::TypeInfo;
use sp_runtime::traits::Get;

/// A release's identifier, assigned by the chain in publication order.
pub type ReleaseId = u32;

/// A SHA-256 digest: what device bootloaders can check themselves.
pub type Sha256 = [u8; 32];

/// Why a release is yanked. Also the second key of a release's pending yanks: the approvers
/// gather approvals for each reason on its own, so a release has at most one pending yank per
/// reason.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum YankReason {
	/// It has a security vulnerability.
	Vulnerable,
	/// It breaks devices or their function.
	Defective,
	/// It was published by mistake or with wrong data.
	Withdrawn,
}

/// Where a release is in its life.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum ReleaseStatus<BlockNumber> {
	/// Published, waiting for the manufacturer's approvers.
	Pending,
	/// Approved by the threshold: installable until it expires.
	Active { since: BlockNumber },
	/// Withdrawn for good: never installable again.
	Yanked { reason: YankReason, at: BlockNumber },
}

/// How an update attempt ended, as the device or its gateway reports it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum UpdateOutcome {
	/// The image was verified and installed; the device now runs the release.
	Installed,
	/// The update failed; the device still runs what it ran before.
	Failed(UpdateFailure),
}

/// Why an update failed.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum UpdateFailure {
	/// The image could not be fetched.
	Download,
	/// The image's measured hash or size did not match the release.
	Verification,
	/// Writing the image failed.
	Install,
	/// The device did not boot the new image and rolled back.
	Boot,
}

/// A manufacturer organisation's approvers: a release becomes active once `threshold` of them
/// approved it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxApprovers))]
pub struct ApproverSet<AccountId: Clone + PartialEq + core::fmt::Debug, MaxApprovers: Get<u32>> {
	/// The accounts whose approvals count, each an account of the organisation.
	pub approvers: BoundedVec<AccountId, MaxApprovers>,
	/// How many of them must approve. At least two unless governance set it lower.
	pub threshold: u32,
}

/// Who put an approver set in force.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum ApproverAuthority {
	/// Two distinct admins of an organisation that had no approvers yet.
	Admins,
	/// The approvers in force, at their threshold.
	Approvers,
	/// Consortium governance, the only authority that may set a threshold below two.
	Governance,
}

/// Who claimed a model for a manufacturer.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum ClaimAuthority {
	/// The manufacturer's admin, for a model no other organisation's devices used.
	Manufacturer,
	/// Consortium governance, which also moves a model another organisation claimed.
	Governance,
}

/// A proposed change of an organisation's approvers, waiting for the approvals that enact it:
/// the current approvers at their threshold or, for the first set, two distinct admins.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxApprovers))]
pub struct ApproverChange<
	AccountId: Clone + PartialEq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + core::fmt::Debug,
	MaxApprovers: Get<u32>,
> {
	/// The approver set the change puts in force.
	pub proposed: ApproverSet<AccountId, MaxApprovers>,
	/// The account that proposed it.
	pub proposed_by: AccountId,
	/// When it was proposed: approvals are taken for `ApprovalWindow` blocks from then.
	pub proposed_at: BlockNumber,
	/// Who approved it so far, in order.
	pub approvals: BoundedVec<AccountId, MaxApprovers>,
}

/// A yank of a release for one reason that its manufacturer's approvers are approving: the
/// release is yanked once `threshold` of the approvers in force named that reason within
/// `ApprovalWindow` blocks, so one stolen key cannot take an active release out of service.
/// The reason is the entry's key in `PendingYanks`, so no approver signs off a reason it did
/// not give, and no approver locks the others out of another reason.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxApprovers))]
pub struct PendingYank<
	AccountId: Clone + PartialEq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + core::fmt::Debug,
	MaxApprovers: Get<u32>,
> {
	/// Who approved the yank so far, in order.
	pub approvals: BoundedVec<AccountId, MaxApprovers>,
	/// When it was first approved: approvals are taken for `ApprovalWindow` blocks from then;
	/// after that the next approval starts a fresh pending yank.
	pub proposed_at: BlockNumber,
}

/// What the chain knows of a claimed model under its current claim: who makes it and its
/// highest version activated under the claim, below which the claimant may not publish or
/// activate again (rollback protection).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ModelInfo {
	/// The manufacturer organisation that claimed the model, or governance assigned it to;
	/// only it publishes for it.
	pub manufacturer: OrgId,
	/// The highest version activated under the current claim, and its release. Governance
	/// moving the claim resets it, so a squatter's inflated version does not lock out the
	/// rightful maker; devices stay protected from downgrades by the device-level check of
	/// each update report.
	pub highest_active: Option<(FirmwareVersion, ReleaseId)>,
	/// How many releases published under the current claim are stored (withdrawn pending
	/// releases are not; releases of earlier claims, kept in the model's index as history,
	/// are not counted): what `MaxReleasesPerModel` bounds.
	pub releases: u32,
}

/// A firmware release of one model.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxModelLen, MaxUriLen, MaxApprovers))]
pub struct Release<
	AccountId: Clone + PartialEq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + core::fmt::Debug,
	MaxModelLen: Get<u32>,
	MaxUriLen: Get<u32>,
	MaxApprovers: Get<u32>,
> {
	/// The organisation that published the release: the model's claimant then. Its approvers
	/// approve and yank the release. Once the claim under which it was published ends
	/// (governance moves or removes it, or it expires unused), the release is dead: it is
	/// never activated, installed or offered as the model's latest release again.
	pub manufacturer: OrgId,
	/// The device model the release is for; devices of other models cannot install it.
	pub model: BoundedVec<u8, MaxModelLen>,
	/// Its semantic version, above every version of the model ever activated.
	pub version: FirmwareVersion,
	/// SHA-256 of the image, which reporters must measure.
	pub image_sha256: Sha256,
	/// Size of the image in bytes, for downloaders to check.
	pub image_size: u64,
	/// Where devices download the image.
	pub uri: BoundedVec<u8, MaxUriLen>,
	/// Hash of the release notes, if published.
	pub notes_hash: Option<[u8; 32]>,
	/// The last block at which the release may be installed, if it expires.
	pub expires_at: Option<BlockNumber>,
	/// The manufacturer's account that published it.
	pub published_by: AccountId,
	/// When it was published: approvals are taken for `ApprovalWindow` blocks from then.
	pub published_at: BlockNumber,
	/// Approvers who signed off, in order. Only those in the approver set in force when the
	/// release activates count.
	pub approvals: BoundedVec<AccountId, MaxApprovers>,
	/// Pending, active or yanked.
	pub status: ReleaseStatus<BlockNumber>,
}

/// How many devices run each release of a model, as fleet status reports it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ReleaseFleet<BlockNumber> {
	/// The release.
	pub release: ReleaseId,
	/// Its version.
	pub version: FirmwareVersion,
	/// Pending, active or yanked.
	pub status: ReleaseStatus<BlockNumber>,
	/// How many devices reported installing it and run it still.
	pub devices: u32,
}

/// A model's fleet: the release devices should run, and how many run each release.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct FleetStatus<BlockNumber> {
	/// The highest active, unexpired, unyanked release published under the model's current
	/// claim: what devices should run. Releases of earlier claims are never the latest.
	pub latest: Option<(ReleaseId, FirmwareVersion)>,
	/// Devices that reported installing a release older than `latest`.
	pub behind_latest: u32,
	/// Devices that run a yanked release.
	pub on_yanked: u32,
	/// Every release of the model with the devices that run it, oldest first, including those
	/// of earlier claims (history).
	pub releases: alloc::vec::Vec<ReleaseFleet<BlockNumber>>,
}

/// One update report of a gateway's batch: what [`crate::Pallet::report_update`] takes for one
/// device.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct UpdateReport {
	pub device: DeviceId,
	pub release: ReleaseId,
	pub outcome: UpdateOutcome,
	pub measured_sha256: Sha256,
}
