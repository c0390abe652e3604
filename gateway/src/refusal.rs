//! What the gateway answers for each message, the same on every transport.

use iotchain_gateway_protocol::{
	answer::{self, AckStatus},
	envelope::DeviceId,
	Hash,
};
use serde::Serialize;

/// Why a message was refused. The code (`as_str`) is what devices see on every transport and
/// what the metrics count; docs/gateway-protocol.md lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Refusal {
	/// The bytes are not an envelope.
	Malformed,
	/// The envelope or its payload is over the gateway's size limit.
	TooLarge,
	/// No device with this id is registered.
	UnknownDevice,
	/// The device, or its organisation, is suspended or revoked.
	DeviceNotActive,
	/// The device belongs to another organisation than the gateway.
	OtherOrganisation,
	/// A login or update report from a device not assigned to this gateway.
	NotAssigned,
	/// A gateway or other non-device id signed as a device.
	NotADevice,
	/// The signature does not verify with the device's current key.
	BadSignature,
	/// The sequence number is not above the last one accepted from the device.
	ReplayedSequence,
	/// The device sent faster than its rate limit.
	RateLimited,
	/// An MQTT message on another device's topic.
	WrongTopic,
	/// The gateway holds as many unanchored messages as it may; retry later.
	Overloaded,
	/// The gateway cannot reach the chain to look the device up; retry later.
	ChainUnavailable,
	/// The gateway serves no more connections of this transport; retry later.
	TooManyConnections,
	/// A login's or update report's payload is not the chain's record of one, or is about
	/// another device.
	BadPayload,
	/// The gateway itself, or its organisation, is suspended or revoked: it accepts nothing.
	GatewayNotActive,
	/// The gateway's disk is below its free-space mark; retry later.
	DiskFull,
}

impl Refusal {
	/// Every refusal, for metrics and documents.
	pub const ALL: [Refusal; 17] = [
		Refusal::Malformed,
		Refusal::TooLarge,
		Refusal::UnknownDevice,
		Refusal::DeviceNotActive,
		Refusal::OtherOrganisation,
		Refusal::NotAssigned,
		Refusal::NotADevice,
		Refusal::BadSignature,
		Refusal::ReplayedSequence,
		Refusal::RateLimited,
		Refusal::WrongTopic,
		Refusal::Overloaded,
		Refusal::ChainUnavailable,
		Refusal::TooManyConnections,
		Refusal::BadPayload,
		Refusal::GatewayNotActive,
		Refusal::DiskFull,
	];

	/// The reason code devices see.
	pub fn as_str(self) -> &'static str {
		match self {
			Refusal::Malformed => "malformed",
			Refusal::TooLarge => "too-large",
			Refusal::UnknownDevice => "unknown-device",
			Refusal::DeviceNotActive => "device-not-active",
			Refusal::OtherOrganisation => "other-organisation",
			Refusal::NotAssigned => "not-assigned",
			Refusal::NotADevice => "not-a-device",
			Refusal::BadSignature => "bad-signature",
			Refusal::ReplayedSequence => "replayed-sequence",
			Refusal::RateLimited => "rate-limited",
			Refusal::WrongTopic => "wrong-topic",
			Refusal::Overloaded => "overloaded",
			Refusal::ChainUnavailable => "chain-unavailable",
			Refusal::TooManyConnections => "too-many-connections",
			Refusal::BadPayload => "bad-payload",
			Refusal::GatewayNotActive => "gateway-not-active",
			Refusal::DiskFull => "disk-full",
		}
	}

	/// Whether the same message may succeed later: the device should retry it (HTTP 503 with
	/// Retry-After, a withheld MQTT acknowledgement) rather than drop it.
	pub fn is_transient(self) -> bool {
		matches!(
			self,
			Refusal::Overloaded
				| Refusal::ChainUnavailable
				| Refusal::TooManyConnections
				| Refusal::RateLimited
				| Refusal::DiskFull
		)
	}
}

/// The answer for one message, as every transport sends it (signed: [`crate::answers`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ack {
	/// The device, `0x` and hex; absent when the bytes did not decode.
	#[serde(skip_serializing_if = "Option::is_none", serialize_with = "hex_or_none")]
	pub device: Option<DeviceId>,
	#[serde(skip_serializing_if = "Option::is_none")]
	pub sequence: Option<u64>,
	/// The leaf hash of the message's bytes, `0x` and hex: the device compares it with its
	/// own message's before it acts on the answer. Absent when the bytes did not decode.
	#[serde(skip_serializing_if = "Option::is_none", serialize_with = "hex_or_none")]
	pub message: Option<Hash>,
	/// `accepted` or `refused`.
	pub status: &'static str,
	/// The refusal's reason code.
	#[serde(skip_serializing_if = "Option::is_none")]
	pub reason: Option<Refusal>,
	/// The message was accepted before (a retry): nothing new was stored.
	#[serde(skip_serializing_if = "std::ops::Not::not")]
	pub duplicate: bool,
}

fn hex_or_none<S: serde::Serializer>(
	bytes: &Option<[u8; 32]>,
	serializer: S,
) -> Result<S::Ok, S::Error> {
	match bytes {
		Some(bytes) => serializer.serialize_str(&iotchain_client::to_hex(bytes)),
		None => serializer.serialize_none(),
	}
}

impl Ack {
	/// The acknowledgement as it is signed: an answer that names no message has its device,
	/// sequence and message zero.
	pub fn signed_form(&self) -> answer::Ack<'static> {
		let status = match (self.reason, self.duplicate) {
			(Some(_), _) => AckStatus::Refused,
			(None, true) => AckStatus::Duplicate,
			(None, false) => AckStatus::Accepted,
		};
		answer::Ack {
			device: self.device.unwrap_or_default(),
			sequence: self.sequence.unwrap_or_default(),
			message: self.message.unwrap_or_default(),
			status,
			reason: self.reason.map_or("", Refusal::as_str),
		}
	}
}

/// What became of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
	/// Durably stored (`duplicate`: it had been before).
	Accepted {
		duplicate: bool,
	},
	Refused(Refusal),
}

impl Outcome {
	/// The acknowledgement for the message from `device` numbered `sequence`, where known,
	/// whose bytes' leaf hash is `message`.
	pub fn ack(self, identity: Option<(DeviceId, u64)>, message: Hash) -> Ack {
		let (status, reason, duplicate) = match self {
			Outcome::Accepted { duplicate } => ("accepted", None, duplicate),
			Outcome::Refused(reason) => ("refused", Some(reason), false),
		};
		Ack {
			device: identity.map(|(device, _)| device),
			sequence: identity.map(|(_, sequence)| sequence),
			message: identity.map(|_| message),
			status,
			reason,
			duplicate,
		}
	}

	/// The acknowledgement for bytes that named no message.
	pub fn unnamed_ack(self) -> Ack {
		self.ack(None, Hash::default())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// Every reason code fits the one byte of length a signed acknowledgement gives it.
	#[test]
	fn every_reason_can_be_signed() {
		for refusal in Refusal::ALL {
			assert!(refusal.as_str().len() <= answer::MAX_REASON_LEN, "{refusal:?}");
		}
	}
}
