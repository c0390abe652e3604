//! The records the registration registry stores.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use iotchain_certification_scheme::{Combination, Hash};
use pallet_device_registry::{DeviceId, OrgId};
use scale_info::TypeInfo;

/// A user device's identifier on chain (see [`iotchain_certification_scheme::user_device_id`]).
pub type UserDeviceId = [u8; 32];

/// The number of a registration of one (IoT device, user device) pair: 1 for the first, then
/// one more for each re-registration.
pub type Version = u32;

/// A user device's public key, for signature-mode logins.
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
pub enum UserDeviceKey {
	/// A Schnorrkel/Ristretto public key.
	Sr25519([u8; 32]),
	/// An Ed25519 public key.
	Ed25519([u8; 32]),
}

/// What a registration lets the user device prove at login.
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
pub enum Credential {
	/// Hash mode: the registration hash `R` and which hashes its secret mixes. A certifier
	/// holding the secret checks certification hashes against it.
	Hash { registration_hash: Hash, combination: Combination },
	/// Signature mode: the key the user device signs login payloads with; the chain checks.
	Key(UserDeviceKey),
}

/// Who recorded a registration.
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
pub enum Recorder {
	/// A member of this certifier organisation (the certification server of the paper).
	Certifier(OrgId),
	/// The IoT device itself, relaying what the user device sent it.
	Device,
}

/// Who revoked a registration, and when.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Revocation<AccountId, BlockNumber> {
	pub by: AccountId,
	pub at: BlockNumber,
}

/// One registration of a pair. Written once; only `revoked` is ever set afterwards, once.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Registration<AccountId, BlockNumber> {
	pub credential: Credential,
	/// The third hash: the integrity key (version ‖ checksum) of the app that registered.
	pub app_integrity_key: Hash,
	pub recorder: Recorder,
	pub recorded_by: AccountId,
	pub recorded_at: BlockNumber,
	pub revoked: Option<Revocation<AccountId, BlockNumber>>,
}

/// The newest registration of a pair, as other pallets see it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct LatestRegistration {
	/// Its version.
	pub version: Version,
	/// The registration hash or user-device key it registered.
	pub credential: Credential,
	/// Who recorded it: the certifier organisation that answers for the pair's hash-mode
	/// logins, or the device.
	pub recorder: Recorder,
	/// Whether it was revoked.
	pub revoked: bool,
}

/// One pair of a batch (see [`crate::Pallet::register_pairs`]): what
/// [`crate::Pallet::register`] takes for one pair.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct PairRegistration {
	pub device: DeviceId,
	pub user_device: UserDeviceId,
	pub credential: Credential,
	/// The third hash: the integrity key of the app that registered.
	pub app_integrity_key: Hash,
}
