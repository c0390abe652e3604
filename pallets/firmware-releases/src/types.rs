//! The records the firmware registry stores.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use pallet_device_registry::{FirmwareVersion, OrgId};
use scale_info::TypeInfo;
use sp_runtime::traits::Get;

/// A release's identifier, assigned by the chain in publication order.
pub type ReleaseId = u32;

/// A SHA-256 digest: what device bootloaders can check themselves.
pub type Sha256 = [u8; 32];

/// Why a manufacturer withdrew a release.
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
	pub approvers: BoundedVec<AccountId, MaxApprovers>,
	pub threshold: u32,
}

/// What the chain knows of a model: who makes it and its highest version ever activated, below
/// which nothing may be published or activated again (rollback protection).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ModelInfo {
	/// The manufacturer organisation that first published for the model; only it publishes.
	pub manufacturer: OrgId,
	/// The highest version activated so far, and its release.
	pub highest_active: Option<(FirmwareVersion, ReleaseId)>,
	/// How many releases were published for the model.
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
	pub manufacturer: OrgId,
	pub model: BoundedVec<u8, MaxModelLen>,
	pub version: FirmwareVersion,
	/// SHA-256 of the image, which reporters must measure.
	pub image_sha256: Sha256,
	pub image_size: u64,
	/// Where devices download the image.
	pub uri: BoundedVec<u8, MaxUriLen>,
	/// Hash of the release notes, if published.
	pub notes_hash: Option<[u8; 32]>,
	/// The last block at which the release may be installed, if it expires.
	pub expires_at: Option<BlockNumber>,
	pub published_by: AccountId,
	pub published_at: BlockNumber,
	/// Approvers who signed off, in order.
	pub approvals: BoundedVec<AccountId, MaxApprovers>,
	pub status: ReleaseStatus<BlockNumber>,
}

/// How many devices run each release of a model, as fleet status reports it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ReleaseFleet<BlockNumber> {
	pub release: ReleaseId,
	pub version: FirmwareVersion,
	pub status: ReleaseStatus<BlockNumber>,
	pub devices: u32,
}

/// A model's fleet: the release devices should run, and how many run each release.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct FleetStatus<BlockNumber> {
	/// The highest active, unexpired, unyanked release: what devices should run.
	pub latest: Option<(ReleaseId, FirmwareVersion)>,
	/// Devices that reported installing a release older than `latest`.
	pub behind_latest: u32,
	/// Devices that run a yanked release.
	pub on_yanked: u32,
	/// Every release of the model with the devices that run it, oldest first.
	pub releases: alloc::vec::Vec<ReleaseFleet<BlockNumber>>,
}
