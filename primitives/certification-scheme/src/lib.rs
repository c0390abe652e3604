//! # The iotchain certification scheme
//!
//! How the values of the multi-security certification protocol (its registration and
//! certification phases) are computed. The runtime and the client (`iotctl`, certification centres,
//! phone apps through test vectors) all use this one definition, so a value computed anywhere is
//! checked the same way everywhere.
//!
//! ## Hash mode (the paper's protocol)
//! - The user device derives up to three hashes: the *first* from the user's identity, the *second*
//!   from the user device's own information, the *third* from the IoT app's integrity key (app
//!   version and checksum).
//! - It draws a random 256-bit **salt** and mixes it with a subset of the hashes (the
//!   [`Combination`]) into the registration secret `k = H(SECRET ‖ combination ‖ salt ‖ chosen
//!   hashes)`. The salt never goes on chain; the user device and the certifier's database keep it
//!   with `k`. The combination must mix the first or the second hash: the third is stored on chain
//!   in clear, so alone it is public ([`Combination::mixes_private_input`]).
//! - The chain records the registration hash `R = H(REGISTRATION ‖ device ‖ user device ‖ k)`,
//!   write-once, binding `k` to one (IoT device, user device) pair. `R` reveals nothing of `k`
//!   because `k` is unpredictable: the salt alone has 256 bits of entropy, so guessing the user's
//!   identity or device information offline does not yield `k`. (Scheme v1 had no salt: `k` was
//!   only as hard to guess as those inputs, and a combination of the third hash alone could be
//!   computed from the chain.)
//! - At login the IoT device issues a fresh nonce `n`; the user device answers with the
//!   certification hash `c = H(CERTIFICATION ‖ k ‖ n)`. A certifier holding `k` checks `c`, and
//!   checks `k` against the on-chain `R` ([`verify_certification`]): a certification database whose
//!   secret was altered no longer matches the chain.
//!
//! ## Signature mode (beyond the paper)
//! The user device registers a public key instead and signs [`login_payload`] (device, user
//! device, nonce, challenge block, genesis hash). The chain verifies the signature itself, so no
//! shared secret exists anywhere.
//!
//! `H` is unkeyed BLAKE2b with a 32-byte output (the `blake2_256` of Substrate). Every input
//! starts with a domain tag, so a value made for one purpose never passes as another; variable
//! length inputs are length-prefixed, so no two different inputs concatenate to the same bytes.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A 32-byte hash or identifier.
pub type Hash = [u8; 32];

/// A challenge an IoT device issues for one login; it must be unpredictable.
pub type Nonce = [u8; 32];

/// The domain tag of every value the scheme hashes or signs. The version is part of the tag:
/// scheme v2 (salted secrets) has new tags, so v1 and v2 values can never be confused.
pub mod domain {
	/// First hash: the user's identity.
	pub const USER_IDENTITY: &[u8] = b"iotchain/v2/user-identity";
	/// Second hash: the user device's own information.
	pub const USER_DEVICE_INFO: &[u8] = b"iotchain/v2/user-device-info";
	/// Third hash: the IoT app's integrity key (version and checksum).
	pub const APP_INTEGRITY: &[u8] = b"iotchain/v2/app-integrity";
	/// The public identifier of a user device on chain.
	pub const USER_DEVICE_ID: &[u8] = b"iotchain/v2/user-device-id";
	/// The registration secret `k`.
	pub const REGISTRATION_SECRET: &[u8] = b"iotchain/v2/registration-secret";
	/// The registration hash `R` the chain records.
	pub const REGISTRATION: &[u8] = b"iotchain/v2/registration";
	/// The certification hash `c` answering a nonce.
	pub const CERTIFICATION: &[u8] = b"iotchain/v2/certification";
	/// The payload a user device signs to log in (signature mode).
	pub const LOGIN: &[u8] = b"iotchain/v2/login";
}

/// The random value a user device mixes into its registration secret: 256 bits from a
/// cryptographically secure generator, never on chain.
pub type Salt = [u8; 32];

/// Which of the first, second and third hashes a registration secret mixes: a non-empty set,
/// stored on chain with the registration (the paper's "combination method").
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
pub struct Combination(u8);

impl Combination {
	/// The first hash (user identity) is mixed in.
	pub const FIRST: u8 = 0b001;
	/// The second hash (user device information) is mixed in.
	pub const SECOND: u8 = 0b010;
	/// The third hash (app integrity key) is mixed in.
	pub const THIRD: u8 = 0b100;
	const ALL: u8 = Self::FIRST | Self::SECOND | Self::THIRD;

	/// The combination with these bits, if it names at least one hash and nothing else.
	pub fn from_bits(bits: u8) -> Option<Self> {
		Self(bits).is_valid().then_some(Self(bits))
	}

	/// The combination's bits: [`Self::FIRST`], [`Self::SECOND`], [`Self::THIRD`] or'ed.
	pub fn bits(self) -> u8 {
		self.0
	}

	/// Whether it names at least one hash and no unknown bit. A decoded value is not checked
	/// by decoding; whoever accepts one from outside asks this.
	pub fn is_valid(self) -> bool {
		self.0 != 0 && self.0 & !Self::ALL == 0
	}

	/// How many hashes it mixes.
	pub fn count(self) -> u32 {
		(self.0 & Self::ALL).count_ones()
	}

	/// Whether it mixes an input that is not public: the first or the second hash. The third
	/// (the app integrity key) is recorded on chain in clear with every registration.
	pub fn mixes_private_input(self) -> bool {
		self.0 & (Self::FIRST | Self::SECOND) != 0
	}
}

/// The user device's three hashes; those that are `None` are not mixed into the secret.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct UserHashes {
	pub first: Option<Hash>,
	pub second: Option<Hash>,
	pub third: Option<Hash>,
}

impl UserHashes {
	/// The combination these hashes form, if at least one is present.
	pub fn combination(&self) -> Option<Combination> {
		let bit = |present: bool, bit: u8| if present { bit } else { 0 };
		Combination::from_bits(
			bit(self.first.is_some(), Combination::FIRST)
				| bit(self.second.is_some(), Combination::SECOND)
				| bit(self.third.is_some(), Combination::THIRD),
		)
	}
}

/// Why a presented certification was not accepted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CertificationError {
	/// The certifier's secret no longer yields the registration hash on chain: its database was
	/// altered, or the secret belongs to another pair.
	SecretDoesNotMatchRegistration,
	/// The certification hash does not answer this nonce with this secret.
	CertificationHashMismatch,
}

/// Hashes `parts` in order under `tag`.
fn tagged_hash(tag: &[u8], parts: &[&[u8]]) -> Hash {
	let mut state = blake2b_simd::Params::new().hash_length(32).to_state();
	state.update(tag);
	for part in parts {
		state.update(part);
	}
	let mut out = [0u8; 32];
	out.copy_from_slice(state.finalize().as_bytes());
	out
}

/// The length prefix of a variable-length input: its byte count as a little-endian `u32`.
/// Inputs longer than `u32::MAX` bytes are not meaningful here and saturate.
fn length_prefix(bytes: &[u8]) -> [u8; 4] {
	u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes()
}

/// The first hash, from the user's identity (e.g. an account name or a national identifier).
pub fn first_hash(user_identity: &[u8]) -> Hash {
	tagged_hash(domain::USER_IDENTITY, &[&length_prefix(user_identity), user_identity])
}

/// The second hash, from the user device's own information (e.g. a hardware identifier).
pub fn second_hash(user_device_info: &[u8]) -> Hash {
	tagged_hash(domain::USER_DEVICE_INFO, &[&length_prefix(user_device_info), user_device_info])
}

/// The third hash: the IoT app's integrity key, from its version and checksum. The chain stores
/// it with every registration so a certifier can tell which app build registered.
pub fn app_integrity_key(app_version: &[u8], app_checksum: &[u8]) -> Hash {
	tagged_hash(
		domain::APP_INTEGRITY,
		&[&length_prefix(app_version), app_version, &length_prefix(app_checksum), app_checksum],
	)
}

/// The identifier a user device is known by on chain. It is public, so it is derived under its
/// own tag: it reveals nothing of the second hash made from the same information.
pub fn user_device_id(user_device_info: &[u8]) -> Hash {
	tagged_hash(domain::USER_DEVICE_ID, &[&length_prefix(user_device_info), user_device_info])
}

/// The registration secret `k` and the combination it mixes, from the user device's `salt`;
/// `None` when no hash is given. A combination without the first or second hash makes a
/// secret too (the chain refuses to record it; see [`Combination::mixes_private_input`]).
pub fn registration_secret(hashes: &UserHashes, salt: &Salt) -> Option<(Combination, Hash)> {
	let combination = hashes.combination()?;
	let chosen = [hashes.first, hashes.second, hashes.third];
	let mut state = blake2b_simd::Params::new().hash_length(32).to_state();
	state.update(domain::REGISTRATION_SECRET);
	state.update(&[combination.bits()]);
	state.update(salt);
	for hash in chosen.iter().flatten() {
		state.update(hash);
	}
	let mut secret = [0u8; 32];
	secret.copy_from_slice(state.finalize().as_bytes());
	Some((combination, secret))
}

/// The registration hash `R` the chain records for the pair (`device`, `user_device`).
pub fn registration_hash(device: &Hash, user_device: &Hash, secret: &Hash) -> Hash {
	tagged_hash(domain::REGISTRATION, &[device, user_device, secret])
}

/// The certification hash `c` a user device answers the nonce with.
pub fn certification_hash(secret: &Hash, nonce: &Nonce) -> Hash {
	tagged_hash(domain::CERTIFICATION, &[secret, nonce])
}

/// A certifier's check of a login in hash mode: `secret` (from its database) must still yield
/// the on-chain `registration`, and `presented` must answer `nonce` with it.
pub fn verify_certification(
	registration: &Hash,
	device: &Hash,
	user_device: &Hash,
	secret: &Hash,
	nonce: &Nonce,
	presented: &Hash,
) -> Result<(), CertificationError> {
	if registration_hash(device, user_device, secret) != *registration {
		return Err(CertificationError::SecretDoesNotMatchRegistration);
	}
	if certification_hash(secret, nonce) != *presented {
		return Err(CertificationError::CertificationHashMismatch);
	}
	Ok(())
}

/// Length in bytes of a [`login_payload`].
pub const LOGIN_PAYLOAD_LEN: usize = domain::LOGIN.len() + 32 * 4 + 4;

/// The bytes a user device signs to log in to `device` in signature mode: bound to this chain
/// (its genesis hash), to the pair, to the device's nonce and to the block the challenge was
/// issued at, so a signature is worth exactly one login on one chain.
pub fn login_payload(
	genesis: &Hash,
	device: &Hash,
	user_device: &Hash,
	nonce: &Nonce,
	challenge_block: u32,
) -> [u8; LOGIN_PAYLOAD_LEN] {
	let mut payload = [0u8; LOGIN_PAYLOAD_LEN];
	let parts: [&[u8]; 6] =
		[domain::LOGIN, genesis, device, user_device, nonce, &challenge_block.to_le_bytes()];
	let mut at = 0;
	for part in parts {
		payload[at..at + part.len()].copy_from_slice(part);
		at += part.len();
	}
	payload
}

#[cfg(test)]
mod tests;
