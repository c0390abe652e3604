//! The records the device registry stores.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use scale_info::TypeInfo;
use sp_runtime::traits::Get;

/// An organisation's identifier, assigned by the chain in creation order.
pub type OrgId = u32;

/// A device's or gateway's identifier, chosen by its registrant (e.g. the hash of a serial
/// number), so it is known before the device ever touches the chain.
pub type DeviceId = [u8; 32];

/// A hash of off-chain data (device metadata documents, firmware images).
pub type ContentHash = [u8; 32];

/// The roles an organisation plays in the consortium. An organisation may hold several.
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
	Default,
	Debug,
)]
pub struct OrgRoles {
	/// Builds devices and publishes their firmware.
	pub manufacturer: bool,
	/// Deploys and runs devices and gateways.
	pub operator: bool,
	/// Verifies registration and certification hashes and records login outcomes.
	pub certifier: bool,
}

impl OrgRoles {
	/// Whether the organisation plays at least one role.
	pub fn any(&self) -> bool {
		self.manufacturer || self.operator || self.certifier
	}
}

/// Whether an organisation may act. Governance suspends and resumes it.
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
pub enum OrgStatus {
	/// The organisation and its devices act normally.
	Active,
	/// Nothing the organisation owns counts as active, and its accounts cannot manage devices.
	Suspended,
}

/// A consortium member organisation.
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
#[scale_info(skip_type_params(MaxNameLen, MaxAdmins, MaxMembers))]
#[codec(mel_bound(AccountId: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct Organisation<AccountId, BlockNumber, MaxNameLen, MaxAdmins, MaxMembers>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxNameLen: Get<u32>,
	MaxAdmins: Get<u32>,
	MaxMembers: Get<u32>,
{
	/// Human-readable name, UTF-8.
	pub name: BoundedVec<u8, MaxNameLen>,
	/// What the organisation does in the consortium.
	pub roles: OrgRoles,
	/// Accounts that manage the organisation's members; never empty.
	pub admins: BoundedVec<AccountId, MaxAdmins>,
	/// Operator accounts that manage the organisation's devices.
	pub members: BoundedVec<AccountId, MaxMembers>,
	/// Whether the organisation may act.
	pub status: OrgStatus,
	/// Block the organisation was created in.
	pub created: BlockNumber,
}

/// Whether a device is a leaf device or a gateway that relays other devices' traffic.
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
pub enum DeviceKind {
	/// A sensor, actuator or appliance.
	Device,
	/// An access point or PC that relays devices' traffic to the chain.
	Gateway,
}

/// A device's lifecycle state.
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
pub enum DeviceStatus {
	/// The device may act.
	Active,
	/// Temporarily barred; its organisation can resume it.
	Suspended,
	/// Permanently retired: final, and its id and accounts are never reused.
	Revoked,
}

/// A firmware version, ordered as semantic versions are (major, then minor, then patch).
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
	PartialOrd,
	Ord,
	Default,
	Debug,
)]
pub struct FirmwareVersion {
	pub major: u16,
	pub minor: u16,
	pub patch: u16,
}

/// The manufacturer's model identifier, e.g. `ACME-TH100`.
pub type ModelId<S> = BoundedVec<u8, S>;

/// A registered device or gateway.
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
#[codec(mel_bound(AccountId: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct Device<AccountId, BlockNumber, MaxModelLen>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxModelLen: Get<u32>,
{
	/// The organisation that owns the device.
	pub org: OrgId,
	/// Leaf device or gateway.
	pub kind: DeviceKind,
	/// The manufacturer's model.
	pub model: ModelId<MaxModelLen>,
	/// The chain account the device signs with (its public key).
	pub account: AccountId,
	/// Hash of the device's off-chain metadata document.
	pub metadata_hash: ContentHash,
	/// The firmware the device runs, as last recorded.
	pub firmware: FirmwareVersion,
	/// The gateway that relays this device's traffic, if any.
	pub gateway: Option<DeviceId>,
	/// Lifecycle state.
	pub status: DeviceStatus,
	/// Block the device was registered in.
	pub created: BlockNumber,
	/// Block of the last change to this record.
	pub updated: BlockNumber,
}

/// One device to register: everything the registrant chooses. The model is checked against
/// `MaxModelLen` when the device is stored, so an oversized one gets a named error.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct DeviceRegistration<AccountId> {
	/// The device's id, chosen by the registrant (e.g. a hash of its serial number).
	pub id: DeviceId,
	/// A device or a gateway.
	pub kind: DeviceKind,
	/// Its model, as its manufacturer names it.
	pub model: alloc::vec::Vec<u8>,
	/// The account its key controls, which it signs transactions with.
	pub account: AccountId,
	/// Hash of its off-chain metadata.
	pub metadata_hash: ContentHash,
	/// The firmware it left the factory with.
	pub firmware: FirmwareVersion,
}

/// A registration with the device key's consent: its signature over
/// [`iotchain_possession_proofs::device_key_payload`] for this chain, the registering
/// organisation, the device id and the account.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ProvenRegistration<AccountId, Signature> {
	/// The device to register.
	pub registration: DeviceRegistration<AccountId>,
	/// The device key's signature: proof that its holder consents.
	pub key_proof: Signature,
}

/// A key a device signed with before a rotation, and the block it was replaced in.
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
pub struct RetiredKey<AccountId, BlockNumber>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
{
	pub account: AccountId,
	pub retired: BlockNumber,
}

/// Upper bound on one page of a listing the runtime API returns.
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// An account's consent to join an organisation: its signature over
/// [`iotchain_possession_proofs::org_account_payload`] for this chain, the organisation, the
/// role and `valid_until`. It enrols nobody after block `valid_until`, so a consent once given
/// does not bring its account back for ever after it leaves.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AccountConsent<BlockNumber, Signature> {
	/// The last block the consent holds in.
	pub valid_until: BlockNumber,
	/// The account's signature.
	pub signature: Signature,
}

/// A device's new key with its consent, as a transfer takes it: its signature over
/// [`iotchain_possession_proofs::device_key_payload`] for this chain, the receiving
/// organisation, the device's kind and id, and the account.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ProvenKey<AccountId, Signature> {
	/// The account the new key controls.
	pub account: AccountId,
	/// The new key's signature: proof that its holder consents.
	pub key_proof: Signature,
}

/// A change of who holds power in an organisation, which its admins approve by majority.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum AdminChange<AccountId> {
	/// The account becomes an admin (it consented).
	Add(AccountId),
	/// The account stops being an admin.
	Remove(AccountId),
}

/// An admin change waiting for a majority of the organisation's admins.
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
#[scale_info(skip_type_params(MaxAdmins))]
#[codec(mel_bound(AccountId: MaxEncodedLen, BlockNumber: MaxEncodedLen))]
pub struct PendingAdminChange<AccountId, BlockNumber, MaxAdmins>
where
	AccountId: Clone + PartialEq + Eq + core::fmt::Debug,
	BlockNumber: Clone + PartialEq + Eq + core::fmt::Debug,
	MaxAdmins: Get<u32>,
{
	/// What would change.
	pub change: AdminChange<AccountId>,
	/// The admin who proposed it; each admin has one proposal open at most.
	pub proposed_by: AccountId,
	/// The block it was proposed in; its approvals lapse `AdminChangeWindow` later.
	pub proposed_at: BlockNumber,
	/// The admins who approved it, the proposer first.
	pub approvals: BoundedVec<AccountId, MaxAdmins>,
}

/// How many of `admins` admins must approve a change of who the admins are: a majority, so no
/// single key of several decides alone.
pub fn admin_majority(admins: u32) -> u32 {
	admins / 2 + 1
}
