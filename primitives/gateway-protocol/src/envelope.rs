//! The signed envelope: one per device message, on every transport.
//!
//! Wire form (all integers little-endian):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version, [`VERSION`] |
//! | 1 | kind: 0 telemetry, 1 login, 2 update report |
//! | 32 | device id |
//! | 8 | sequence number |
//! | 8 | the device's time, milliseconds since the Unix epoch |
//! | 4 | payload length |
//! | n | payload |
//! | 1 | key type: 0 ed25519, 1 sr25519 |
//! | 64 | signature over [`signing_payload`] |
//!
//! The signature covers the chain (genesis hash), so a message for one chain is worth nothing
//! on another, and every field but the key type (a wrong key type only makes the signature
//! fail). The payload enters through its SHA-256, so a device hashes a large reading once.

use crate::{sha256, write_parts, Hash};
use alloc::vec::Vec;

/// The envelope format this crate reads and writes.
pub const VERSION: u8 = 1;
/// Bytes before the payload: version, kind, device, sequence, time and payload length.
pub const HEADER_LEN: usize = 1 + 1 + 32 + 8 + 8 + 4;
/// Bytes after the payload: key type and signature.
pub const TRAILER_LEN: usize = 1 + 64;
/// The domain tag that starts every signing payload; a new format gets a new tag.
pub const DOMAIN: &[u8] = b"iotchain/v1/device-message";
/// Bytes a device signs: the tag, genesis, device, sequence, time, kind and payload hash.
pub const SIGNING_PAYLOAD_LEN: usize = DOMAIN.len() + 32 + 32 + 8 + 8 + 1 + 32;

/// A device id, as the device registry knows it.
pub type DeviceId = [u8; 32];

/// What a message carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum Kind {
	/// A sensor reading: kept by the gateway and anchored in a Merkle root.
	Telemetry = 0,
	/// A user device's signed login to this device, relayed to the chain.
	Login = 1,
	/// The outcome of a firmware update on this device, relayed to the chain.
	UpdateReport = 2,
}

impl Kind {
	/// The kind of wire byte `byte`, if it names one.
	pub fn from_byte(byte: u8) -> Option<Self> {
		match byte {
			0 => Some(Self::Telemetry),
			1 => Some(Self::Login),
			2 => Some(Self::UpdateReport),
			_ => None,
		}
	}

	/// The name used in documents, metrics and logs.
	pub fn name(self) -> &'static str {
		match self {
			Self::Telemetry => "telemetry",
			Self::Login => "login",
			Self::UpdateReport => "update-report",
		}
	}
}

/// Which kind of key signed: device keys are the chain's sr25519 or ed25519 keys.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum KeyType {
	Ed25519 = 0,
	/// Signed with the signing context `substrate`, as every Substrate sr25519 key signs.
	Sr25519 = 1,
}

impl KeyType {
	/// The name in text forms: `ed25519`, `sr25519`.
	pub fn name(self) -> &'static str {
		match self {
			Self::Ed25519 => "ed25519",
			Self::Sr25519 => "sr25519",
		}
	}

	/// The key type named `name`, if it is one.
	pub fn from_name(name: &str) -> Option<Self> {
		match name {
			"ed25519" => Some(Self::Ed25519),
			"sr25519" => Some(Self::Sr25519),
			_ => None,
		}
	}

	/// The key type of wire byte `byte`, if it names one.
	pub fn from_byte(byte: u8) -> Option<Self> {
		match byte {
			0 => Some(Self::Ed25519),
			1 => Some(Self::Sr25519),
			_ => None,
		}
	}
}

/// One device message with its signature.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Envelope {
	pub kind: Kind,
	pub device: DeviceId,
	/// Strictly increasing per device: a gateway accepts each number once.
	pub sequence: u64,
	/// The device's time, milliseconds since the Unix epoch.
	pub timestamp_ms: u64,
	pub payload: Vec<u8>,
	pub key_type: KeyType,
	pub signature: [u8; 64],
}

/// Why bytes are not an envelope.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DecodeError {
	/// The bytes end before the envelope does.
	Truncated,
	/// The format version is not [`VERSION`].
	UnknownVersion(u8),
	/// The kind byte names no kind.
	UnknownKind(u8),
	/// The key type byte names no key type.
	UnknownKeyType(u8),
	/// The payload is longer than the reader allows.
	PayloadTooLarge { length: u32, max: u32 },
	/// Bytes follow the envelope where exactly one was expected.
	TrailingBytes,
}

impl core::fmt::Display for DecodeError {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		match self {
			Self::Truncated => write!(f, "the envelope is truncated"),
			Self::UnknownVersion(v) => write!(f, "unknown envelope version {v}"),
			Self::UnknownKind(k) => write!(f, "unknown message kind {k}"),
			Self::UnknownKeyType(k) => write!(f, "unknown key type {k}"),
			Self::PayloadTooLarge { length, max } => {
				write!(f, "payload of {length} bytes is over the limit of {max}")
			},
			Self::TrailingBytes => write!(f, "bytes follow the envelope"),
		}
	}
}

/// The bytes a device signs for a message: this chain's `genesis` hash, the device, the
/// sequence number, the time, the kind and the payload's SHA-256.
pub fn signing_payload(
	genesis: &Hash,
	device: &DeviceId,
	sequence: u64,
	timestamp_ms: u64,
	kind: Kind,
	payload_hash: &Hash,
) -> [u8; SIGNING_PAYLOAD_LEN] {
	let mut bytes = [0u8; SIGNING_PAYLOAD_LEN];
	write_parts(
		&mut bytes,
		&[
			DOMAIN,
			genesis.as_slice(),
			device.as_slice(),
			&sequence.to_le_bytes(),
			&timestamp_ms.to_le_bytes(),
			&[kind as u8],
			payload_hash.as_slice(),
		],
	);
	bytes
}

impl Envelope {
	/// The SHA-256 of the payload, as the signature covers it.
	pub fn payload_hash(&self) -> Hash {
		sha256(&[&self.payload])
	}

	/// What the device signed for this envelope on the chain whose genesis hash is `genesis`.
	pub fn signing_payload(&self, genesis: &Hash) -> [u8; SIGNING_PAYLOAD_LEN] {
		signing_payload(
			genesis,
			&self.device,
			self.sequence,
			self.timestamp_ms,
			self.kind,
			&self.payload_hash(),
		)
	}

	/// The wire form.
	pub fn encode(&self) -> Vec<u8> {
		let mut bytes = Vec::with_capacity(HEADER_LEN + self.payload.len() + TRAILER_LEN);
		bytes.push(VERSION);
		bytes.push(self.kind as u8);
		bytes.extend_from_slice(&self.device);
		bytes.extend_from_slice(&self.sequence.to_le_bytes());
		bytes.extend_from_slice(&self.timestamp_ms.to_le_bytes());
		// Payloads longer than u32::MAX cannot be sent; readers refuse far smaller ones.
		bytes.extend_from_slice(&(self.payload.len() as u32).to_le_bytes());
		bytes.extend_from_slice(&self.payload);
		bytes.push(self.key_type as u8);
		bytes.extend_from_slice(&self.signature);
		bytes
	}

	/// Reads exactly one envelope whose payload is at most `max_payload` bytes.
	pub fn decode(bytes: &[u8], max_payload: u32) -> Result<Self, DecodeError> {
		let (envelope, used) = Self::decode_prefix(bytes, max_payload)?;
		if used != bytes.len() {
			return Err(DecodeError::TrailingBytes);
		}
		Ok(envelope)
	}

	/// How many bytes the envelope `bytes` starts with takes on the wire, from its header
	/// alone (the first [`HEADER_LEN`] bytes; the rest are not looked at): for cutting
	/// envelopes out of a stream as it arrives, before they are whole, an oversized one
	/// included. Fails when fewer than [`HEADER_LEN`] bytes are given (`Truncated`) or the
	/// header starts no envelope.
	pub fn wire_length(bytes: &[u8]) -> Result<usize, DecodeError> {
		let mut reader = Reader { bytes, at: 0 };
		let version = reader.byte()?;
		if version != VERSION {
			return Err(DecodeError::UnknownVersion(version));
		}
		let kind_byte = reader.byte()?;
		Kind::from_byte(kind_byte).ok_or(DecodeError::UnknownKind(kind_byte))?;
		reader.take(32 + 8 + 8)?;
		let length = u32::from_le_bytes(reader.array()?);
		Ok((length as usize).saturating_add(HEADER_LEN + TRAILER_LEN))
	}

	/// The device and sequence number the header at the start of `bytes` names, once its
	/// version and kind are known: what an answer to an envelope refused whole (too large to
	/// read) names. The header says so, unsigned; the answer is about these bytes only.
	pub fn header_identity(bytes: &[u8]) -> Option<(DeviceId, u64)> {
		Self::wire_length(bytes).ok()?;
		let device: DeviceId = bytes.get(2..34)?.try_into().ok()?;
		let sequence = u64::from_le_bytes(bytes.get(34..42)?.try_into().ok()?);
		Some((device, sequence))
	}

	/// Reads the envelope at the start of `bytes` and says how many bytes it took, so a
	/// stream of concatenated envelopes is read one after another.
	pub fn decode_prefix(bytes: &[u8], max_payload: u32) -> Result<(Self, usize), DecodeError> {
		let mut reader = Reader { bytes, at: 0 };
		let version = reader.byte()?;
		if version != VERSION {
			return Err(DecodeError::UnknownVersion(version));
		}
		let kind_byte = reader.byte()?;
		let kind = Kind::from_byte(kind_byte).ok_or(DecodeError::UnknownKind(kind_byte))?;
		let device = reader.array::<32>()?;
		let sequence = u64::from_le_bytes(reader.array()?);
		let timestamp_ms = u64::from_le_bytes(reader.array()?);
		let length = u32::from_le_bytes(reader.array()?);
		if length > max_payload {
			return Err(DecodeError::PayloadTooLarge { length, max: max_payload });
		}
		let payload = reader.take(length as usize)?.to_vec();
		let key_byte = reader.byte()?;
		let key_type = KeyType::from_byte(key_byte).ok_or(DecodeError::UnknownKeyType(key_byte))?;
		let signature = reader.array::<64>()?;
		Ok((Self { kind, device, sequence, timestamp_ms, payload, key_type, signature }, reader.at))
	}
}

/// A cursor over bytes that fails with [`DecodeError::Truncated`] instead of running past them.
struct Reader<'a> {
	bytes: &'a [u8],
	at: usize,
}

impl<'a> Reader<'a> {
	fn take(&mut self, count: usize) -> Result<&'a [u8], DecodeError> {
		let end = self.at.checked_add(count).ok_or(DecodeError::Truncated)?;
		let slice = self.bytes.get(self.at..end).ok_or(DecodeError::Truncated)?;
		self.at = end;
		Ok(slice)
	}

	fn byte(&mut self) -> Result<u8, DecodeError> {
		Ok(self.take(1)?[0])
	}

	fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
		let mut array = [0u8; N];
		array.copy_from_slice(self.take(N)?);
		Ok(array)
	}
}
