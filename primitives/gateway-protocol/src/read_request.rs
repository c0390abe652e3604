//! A signed read request: how a reader (a device, its organisation's staff, a holder of a `read`
//! grant) proves to a gateway who asks for a device's readings, proofs or outcomes.
//!
//! The reader signs [`signing_payload`]: this chain's genesis hash, its own key, the time, a
//! fresh nonce and the SHA-256 of the request's method and target (path and query, as sent).
//! It sends the result in one HTTP header:
//!
//! ```text
//! Authorization: IotchainRead key=sr25519:0x…,time=1790000000000,nonce=0x…,signature=0x…
//! ```
//!
//! The gateway takes a request only within a few seconds of its own clock and only once per
//! nonce, so a request that was seen (in a log, through a proxy) cannot be sent again, for the
//! same or another path. The format is fixed-width fields and SHA-256, like the envelope's, so
//! firmware and other languages build it without a library; `test-vectors.json` holds
//! requests an independent implementation signed.

use crate::{envelope::KeyType, parse_typed_key, sha256, typed_key, unhex, write_parts, Hash, Hex};
use alloc::{format, string::String};

/// The domain every read request's signing payload begins with.
pub const DOMAIN: &[u8; 24] = b"iotchain/v1/read-request";
/// The length of a read request's signing payload.
pub const SIGNING_PAYLOAD_LEN: usize = DOMAIN.len() + 32 + 1 + 32 + 8 + 16 + 32;
/// The `Authorization` scheme a signed read request uses.
pub const SCHEME: &str = "IotchainRead";

/// A read request's signed fields.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ReadRequest {
	pub key_type: KeyType,
	/// The reader's public key: its account, or the device's own key.
	pub key: [u8; 32],
	/// The reader's time, milliseconds since the Unix epoch.
	pub time_ms: u64,
	/// Fresh for every request.
	pub nonce: [u8; 16],
	pub signature: [u8; 64],
}

/// What a reader signs to send `method` for `target` (path and query, exactly as sent) to a
/// gateway of the chain whose genesis hash is `genesis`.
pub fn signing_payload(
	genesis: &Hash,
	key_type: KeyType,
	key: &[u8; 32],
	time_ms: u64,
	nonce: &[u8; 16],
	method: &str,
	target: &str,
) -> [u8; SIGNING_PAYLOAD_LEN] {
	let request = sha256(&[method.as_bytes(), b" ", target.as_bytes()]);
	let mut payload = [0u8; SIGNING_PAYLOAD_LEN];
	write_parts(
		&mut payload,
		&[&DOMAIN[..], genesis, &[key_type as u8], key, &time_ms.to_le_bytes(), nonce, &request],
	);
	payload
}

/// Why an `Authorization` header is not a signed read request.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParseError {
	/// The scheme is not [`SCHEME`].
	OtherScheme,
	/// A field is missing, repeated, unknown or not of its form.
	BadField(&'static str),
}

impl core::fmt::Display for ParseError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::OtherScheme => write!(f, "the authorization scheme is not {SCHEME}"),
			Self::BadField(field) => write!(f, "the field `{field}` is missing or malformed"),
		}
	}
}

impl ReadRequest {
	/// The signing payload of this request for `method` and `target`.
	pub fn signing_payload(
		&self,
		genesis: &Hash,
		method: &str,
		target: &str,
	) -> [u8; SIGNING_PAYLOAD_LEN] {
		signing_payload(
			genesis,
			self.key_type,
			&self.key,
			self.time_ms,
			&self.nonce,
			method,
			target,
		)
	}

	/// The `Authorization` header's value.
	pub fn header(&self) -> String {
		format!(
			"{SCHEME} key={},time={},nonce=0x{},signature=0x{}",
			typed_key(self.key_type, &self.key),
			self.time_ms,
			Hex(&self.nonce),
			Hex(&self.signature)
		)
	}

	/// Reads an `Authorization` header's value: the scheme, then the four fields, each once, in
	/// any order.
	pub fn parse(header: &str) -> Result<Self, ParseError> {
		let fields = header
			.strip_prefix(SCHEME)
			.and_then(|rest| rest.strip_prefix(' '))
			.ok_or(ParseError::OtherScheme)?;
		let (mut key, mut time, mut nonce, mut signature) = (None, None, None, None);
		for field in fields.split(',') {
			let (name, value) = field.trim().split_once('=').ok_or(ParseError::BadField("key"))?;
			let (slot, parsed) = match name {
				"key" => {
					let typed = parse_typed_key(value).ok_or(ParseError::BadField("key"))?;
					(key.replace(typed).is_some(), "key")
				},
				"time" => {
					let value = value.parse::<u64>().map_err(|_| ParseError::BadField("time"))?;
					(time.replace(value).is_some(), "time")
				},
				"nonce" => {
					let value = unhex::<16>(value).ok_or(ParseError::BadField("nonce"))?;
					(nonce.replace(value).is_some(), "nonce")
				},
				"signature" => {
					let value = unhex::<64>(value).ok_or(ParseError::BadField("signature"))?;
					(signature.replace(value).is_some(), "signature")
				},
				_ => return Err(ParseError::BadField("key")),
			};
			if slot {
				return Err(ParseError::BadField(parsed));
			}
		}
		let (key_type, key) = key.ok_or(ParseError::BadField("key"))?;
		Ok(ReadRequest {
			key_type,
			key,
			time_ms: time.ok_or(ParseError::BadField("time"))?,
			nonce: nonce.ok_or(ParseError::BadField("nonce"))?,
			signature: signature.ok_or(ParseError::BadField("signature"))?,
		})
	}
}
