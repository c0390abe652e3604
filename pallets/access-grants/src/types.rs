//! What a grant says, and the records this pallet stores.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use pallet_device_registry::{DeviceId, OrgId};
use scale_info::TypeInfo;

/// A grant's number, assigned by the chain in the order grants are issued; never reused.
pub type GrantId = u64;

/// A user device as registration pairs name it (the registration registry's `UserDeviceId`):
/// the phone or terminal that logs in to IoT devices.
pub type UserDeviceId = [u8; 32];

/// Milliseconds since the Unix epoch, as the chain's timestamp counts them: a grant's window is
/// set in wall-clock time, as rentals and shifts are.
pub type Moment = u64;

/// Who a grant is for.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum Subject<AccountId> {
	/// A user device: a login by one of its registration pairs is checked against its grants.
	UserDevice(UserDeviceId),
	/// An account: a person's or a service's key, which signs what it does.
	Account(AccountId),
	/// An organisation: whatever its admins and members do for it.
	Organisation(OrgId),
}

/// What a grant is about: one device, a model of the owner's devices, or all of them.
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
#[scale_info(skip_type_params(MaxModelLen))]
pub enum Object<MaxModelLen: Get<u32>> {
	/// One device or gateway.
	Device(DeviceId),
	/// Every device of `model` that `org` owns, now and later.
	Model { org: OrgId, model: BoundedVec<u8, MaxModelLen> },
	/// Every device `org` owns, now and later.
	Organisation(OrgId),
}

/// How much of a device's readings a grantee may read.
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
#[scale_info(skip_type_params(MaxLevelLen))]
pub enum ReadLevel<MaxLevelLen: Get<u32>> {
	/// Every reading, whole.
	Full,
	/// The named subset of each reading that the device's payload schema defines (a fitness
	/// app's "basics" of a health sensor); the gateway applies it.
	Subset(BoundedVec<u8, MaxLevelLen>),
}

impl<MaxLevelLen: Get<u32>> ReadLevel<MaxLevelLen> {
	/// Whether a holder of `self` may pass `other` on: the full level covers every subset, a
	/// subset only itself.
	pub fn covers(&self, other: &Self) -> bool {
		matches!(self, ReadLevel::Full) || self == other
	}
}

/// One thing a grant may allow.
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
pub enum Right {
	/// Record registration pairs and logins on the device, as a certifier.
	Register,
	/// Log in to the device (and so control it locally), as a paired user device.
	Login,
	/// Read the device's readings, at the grant's level.
	Read,
	/// Send the device commands through its gateway.
	Command,
	/// Push firmware updates to the device.
	Firmware,
}

/// What a grant allows.
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
#[scale_info(skip_type_params(MaxLevelLen))]
pub struct Rights<MaxLevelLen: Get<u32>> {
	pub register: bool,
	pub login: bool,
	/// Reading, at a level; `None` allows no reading.
	pub read: Option<ReadLevel<MaxLevelLen>>,
	pub command: bool,
	pub firmware: bool,
}

impl<MaxLevelLen: Get<u32>> Rights<MaxLevelLen> {
	/// Whether these rights include `right`.
	pub fn allow(&self, right: Right) -> bool {
		match right {
			Right::Register => self.register,
			Right::Login => self.login,
			Right::Read => self.read.is_some(),
			Right::Command => self.command,
			Right::Firmware => self.firmware,
		}
	}

	/// Whether these rights allow nothing at all.
	pub fn is_empty(&self) -> bool {
		!(self.register || self.login || self.read.is_some() || self.command || self.firmware)
	}

	/// Whether these rights include one that acts on the device or on others' trust in it —
	/// recording pairs, commanding it, updating it — which the owner grants only at a majority
	/// of its admins.
	pub fn is_powerful(&self) -> bool {
		self.register || self.command || self.firmware
	}

	/// Whether every right of `other` is among these, at no higher read level.
	pub fn include(&self, other: &Self) -> bool {
		let read_covered = match (&self.read, &other.read) {
			(_, None) => true,
			(Some(mine), Some(theirs)) => mine.covers(theirs),
			(None, Some(_)) => false,
		};
		read_covered
			&& (self.register || !other.register)
			&& (self.login || !other.login)
			&& (self.command || !other.command)
			&& (self.firmware || !other.firmware)
	}
}

/// What the issuer of a grant (or the delegator) sets.
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
#[scale_info(skip_type_params(MaxModelLen, MaxLevelLen))]
pub struct GrantTerms<AccountId, MaxModelLen: Get<u32>, MaxLevelLen: Get<u32>>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
{
	pub subject: Subject<AccountId>,
	pub object: Object<MaxModelLen>,
	pub rights: Rights<MaxLevelLen>,
	/// The first moment the grant is in force.
	pub valid_from: Moment,
	/// The first moment it no longer is.
	pub valid_until: Moment,
	/// Whether the subject may pass the grant (or part of it) on, within these terms.
	pub delegable: bool,
}

/// A grant in storage.
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
#[scale_info(skip_type_params(MaxModelLen, MaxLevelLen))]
pub struct Grant<AccountId, BlockNumber, MaxModelLen: Get<u32>, MaxLevelLen: Get<u32>>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
{
	pub terms: GrantTerms<AccountId, MaxModelLen, MaxLevelLen>,
	/// The organisation that owned the object when the grant was issued: the grant is in force
	/// only while it still does, so a transferred device leaves its grants behind.
	pub owner: OrgId,
	/// The grant this one was delegated from, if any: it is in force only while that one is.
	pub parent: Option<GrantId>,
	/// How many delegations separate the grant from the owner's (0 for the owner's own).
	pub depth: u8,
	/// The expiry slot that queues it, so a revocation frees its place there.
	pub expiry_slot: u64,
	/// The account whose call issued it (the one that completed the admins' majority).
	pub issued_by: AccountId,
	pub issued_at: BlockNumber,
}

/// A powerful grant (or delegation) waiting for a majority of the acting organisation's admins.
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
#[scale_info(skip_type_params(MaxModelLen, MaxLevelLen, MaxAdmins))]
pub struct PendingGrant<
	AccountId,
	BlockNumber,
	MaxModelLen: Get<u32>,
	MaxLevelLen: Get<u32>,
	MaxAdmins: Get<u32>,
> where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
{
	pub terms: GrantTerms<AccountId, MaxModelLen, MaxLevelLen>,
	/// The grant it delegates from, for a delegation.
	pub parent: Option<GrantId>,
	/// The admin who first proposed it; each admin has at most two proposals open.
	pub proposer: AccountId,
	/// The admins who approved it, the proposer first.
	pub approvals: BoundedVec<AccountId, MaxAdmins>,
	/// The last block its approvals count in.
	pub expires_at: BlockNumber,
}
