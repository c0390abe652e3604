//! The records the login audit trail stores.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use iotchain_certification_scheme::{Hash, Nonce};
use pallet_device_registry::{DeviceId, OrgId};
use pallet_registration_hashes::{UserDeviceId, Version};
use scale_info::TypeInfo;
use sp_core::{ed25519, sr25519};

/// Why a login failed.
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
pub enum FailureReason {
	/// The certification hash did not answer the nonce with the registered secret.
	BadCertificationHash,
	/// The app's integrity key differs from the registered one: a modified app.
	IntegrityKeyMismatch,
	/// The pair has no current registration the attempt could be checked against.
	UnknownRegistration,
	/// The pair's current registration is revoked.
	RegistrationRevoked,
	/// The pair is locked after too many consecutive failures.
	Locked,
	/// The signature does not verify against the registered key.
	BadSignature,
	/// The answer was right, but the user device holds no `login` grant on the device now
	/// (outside its window, revoked, or never granted).
	NotGranted,
}

/// How a login attempt ended.
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
pub enum LoginOutcome {
	Success,
	Failure(FailureReason),
}

/// A user device's signature over a login payload (signature mode).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum UserDeviceSignature {
	Sr25519(sr25519::Signature),
	Ed25519(ed25519::Signature),
}

/// One signature-mode login of a gateway's batch: what [`crate::Pallet::submit_signed_login`]
/// takes for one attempt.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SignedLogin<BlockNumber> {
	pub device: DeviceId,
	pub user_device: UserDeviceId,
	pub nonce: Nonce,
	pub challenge_block: BlockNumber,
	pub signature: UserDeviceSignature,
}

/// What the user device presented, kept with the record so an auditor can re-check it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum Evidence {
	/// Hash mode: the certification hash the certifier checked.
	CertificationHash(Hash),
	/// Signature mode: the signature the chain checked.
	Signature(UserDeviceSignature),
}

/// One login attempt against an IoT device.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct LoginRecord<AccountId, BlockNumber> {
	/// The device's attempt number: 1 for its first, never reused.
	pub attempt: u64,
	pub user_device: UserDeviceId,
	pub outcome: LoginOutcome,
	/// The challenge the IoT device issued, and the block it issued it at.
	pub nonce: Nonce,
	pub challenge_block: BlockNumber,
	pub evidence: Evidence,
	/// The registration version the attempt was checked against, if the pair had one.
	pub registration_version: Option<Version>,
	/// The certifier organisation that decided the outcome; `None` when the chain decided it
	/// (signature mode).
	pub certifier: Option<OrgId>,
	pub submitted_by: AccountId,
	pub block: BlockNumber,
}

/// The failure count and lock of one (IoT device, user device) pair. A pair with neither has no
/// entry.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	PartialEq,
	Eq,
	Debug,
	Default,
)]
pub struct PairState<BlockNumber> {
	/// Failures since the last success or unlock.
	pub consecutive_failures: u32,
	/// When the pair was locked, if it is.
	pub locked_since: Option<BlockNumber>,
}
