//! The gateway's word, signed: every acknowledgement and every relay outcome carries the
//! gateway's key and its signature (`iotchain_gateway_protocol::answer`), so a device deletes a
//! reading, or a lock opens, only on its own gateway's say, whatever broker or network carried
//! the answer.
//!
//! - An HTTP response's answers are signed together, once; a WebSocket's or MQTT's one by one.
//! - An outcome is signed when the relay records it, so it is served signed on every transport
//!   and later over HTTP.
//! - The key is the gateway's chain key (sr25519): the one its registration holds, so a device
//!   checks answers against the key the registry shows for the gateway it is assigned to.

use crate::refusal::Ack;
use iotchain_client::Signer;
use iotchain_gateway_protocol::{
	answer::{self, ack_signing_payload, acks_digest, outcome_signing_payload, OutcomeStatus},
	envelope::{DeviceId, KeyType},
	typed_key, Hash,
};
use serde::Serialize;
use serde_json::{json, Value};

/// Signs the gateway's answers.
pub struct AnswerKey {
	genesis: Hash,
	signer: Signer,
	public: [u8; 32],
	/// The key as answers name it: `sr25519:0x…`.
	named: String,
}

/// Answers signed together: what an HTTP response adds to its results, and a WebSocket or
/// MQTT answer to its one acknowledgement.
#[derive(Serialize, Debug)]
pub struct Signature {
	/// The gateway's key, `sr25519:0x…`.
	pub gateway: String,
	/// `0x` and the 64 bytes of the signature.
	pub signature: String,
}

/// One acknowledgement with its own signature (WebSocket, MQTT).
#[derive(Serialize)]
struct SignedAck<'a> {
	#[serde(flatten)]
	ack: &'a Ack,
	#[serde(flatten)]
	signature: Signature,
}

impl AnswerKey {
	/// Signs for the chain whose genesis hash is `genesis`, with the gateway's key `signer`.
	pub fn new(genesis: Hash, signer: Signer) -> Self {
		let public = signer.public_key().0;
		AnswerKey { genesis, signer, public, named: typed_key(KeyType::Sr25519, &public) }
	}

	/// The signature over `acks`, answered together in this order.
	pub fn sign_acks(&self, acks: &[Ack]) -> Signature {
		let signed: Vec<answer::Ack<'_>> = acks.iter().map(Ack::signed_form).collect();
		// Every reason is one of the gateway's own codes, each well within the 255 bytes a
		// reason may have (`refusal::tests`).
		let digest = acks_digest(&signed).unwrap_or_default();
		let payload = ack_signing_payload(&self.genesis, KeyType::Sr25519, &self.public, &digest);
		self.signature(&payload)
	}

	/// One acknowledgement, signed on its own, as the JSON text a WebSocket frame or MQTT
	/// message carries.
	pub fn signed_ack_text(&self, ack: &Ack) -> String {
		let signature = self.sign_acks(std::slice::from_ref(ack));
		serde_json::to_string(&SignedAck { ack, signature }).unwrap_or_default()
	}

	/// Signs a relay outcome, `outcome`, of `device`'s message `sequence` whose leaf hash is
	/// `message`, in place: it gains `message`, `gateway` and `signature`. A recorded
	/// outcome's detail is its event's SCALE bytes (`event_bytes`), a refused one's its
	/// `reason`.
	pub fn sign_outcome(
		&self,
		device: DeviceId,
		sequence: u64,
		message: &Hash,
		outcome: &mut Value,
	) {
		let recorded = outcome["status"] == "recorded";
		let detail = if recorded {
			let text = outcome["event_bytes"].as_str().unwrap_or_default();
			hex::decode(text.trim_start_matches("0x")).unwrap_or_default()
		} else {
			outcome["reason"].as_str().unwrap_or_default().as_bytes().to_vec()
		};
		let signed = answer::Outcome {
			device,
			sequence,
			message: *message,
			status: if recorded { OutcomeStatus::Recorded } else { OutcomeStatus::Refused },
			block: outcome["block"].as_u64().unwrap_or(0),
			detail: &detail,
		};
		let payload =
			outcome_signing_payload(&self.genesis, KeyType::Sr25519, &self.public, &signed);
		let Signature { gateway, signature } = self.signature(&payload);
		outcome["message"] = json!(iotchain_client::to_hex(message));
		outcome["gateway"] = json!(gateway);
		outcome["signature"] = json!(signature);
	}

	fn signature(&self, payload: &[u8]) -> Signature {
		Signature {
			gateway: self.named.clone(),
			signature: iotchain_client::to_hex(&self.signer.sign(payload).0),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::refusal::{Outcome, Refusal};
	use iotchain_gateway_protocol::{
		answer::{Ack as SignedForm, AckStatus},
		parse_typed_key,
		verify::{verify_acks, verify_outcome},
	};

	fn key() -> AnswerKey {
		AnswerKey::new([7; 32], iotchain_client::signer_from_suri("//answers").unwrap())
	}

	fn signature_of(value: &Value) -> [u8; 64] {
		hex::decode(value["signature"].as_str().unwrap().trim_start_matches("0x"))
			.unwrap()
			.try_into()
			.unwrap()
	}

	/// An acknowledgement on its own verifies, as a device rebuilds it from the JSON it got,
	/// against the gateway's key; told `accepted` instead of `refused`, it does not.
	#[test]
	fn a_device_verifies_its_acknowledgement_and_a_changed_one_fails() {
		let key = key();
		let ack = Outcome::Refused(Refusal::RateLimited).ack(Some(([1; 32], 5)), [2; 32]);
		let text: Value = serde_json::from_str(&key.signed_ack_text(&ack)).unwrap();
		assert_eq!(text["reason"], "rate-limited");
		assert_eq!(text["message"], iotchain_client::to_hex(&[2; 32]));
		let (key_type, gateway) = parse_typed_key(text["gateway"].as_str().unwrap()).unwrap();
		assert_eq!(gateway, key.public);
		let as_sent = SignedForm {
			device: [1; 32],
			sequence: 5,
			message: [2; 32],
			status: AckStatus::Refused,
			reason: "rate-limited",
		};
		let signature = signature_of(&text);
		assert!(verify_acks(&[7; 32], key_type, &gateway, &[as_sent], &signature));
		let forged = SignedForm { status: AckStatus::Accepted, reason: "", ..as_sent };
		assert!(!verify_acks(&[7; 32], key_type, &gateway, &[forged], &signature));
	}

	/// Answers signed together verify only together, in their order.
	#[test]
	fn answers_signed_together_verify_only_together() {
		let key = key();
		let acks = [
			Outcome::Accepted { duplicate: false }.ack(Some(([1; 32], 1)), [3; 32]),
			Outcome::Accepted { duplicate: true }.ack(Some(([1; 32], 2)), [4; 32]),
			Outcome::Refused(Refusal::Malformed).ack(None, [5; 32]),
		];
		let signature = key.sign_acks(&acks);
		let signature = signature_of(&json!({"signature": signature.signature}));
		let forms: Vec<_> = acks.iter().map(Ack::signed_form).collect();
		assert_eq!(forms[1].status, AckStatus::Duplicate);
		assert_eq!(forms[2].device, [0; 32], "bytes that were no envelope name no message");
		assert_eq!(forms[2].message, [0; 32]);
		assert!(verify_acks(&[7; 32], KeyType::Sr25519, &key.public, &forms, &signature));
		let reordered = [forms[1], forms[0], forms[2]];
		assert!(!verify_acks(&[7; 32], KeyType::Sr25519, &key.public, &reordered, &signature));
		assert!(!verify_acks(&[7; 32], KeyType::Sr25519, &key.public, &forms[..2], &signature));
	}

	/// A relay outcome verifies with its event's bytes (recorded) or its reason (refused).
	#[test]
	fn relay_outcomes_verify_with_their_detail() {
		let key = key();
		let mut recorded = json!({"status": "recorded", "block": 12, "event_bytes": "0x0102"});
		key.sign_outcome([1; 32], 3, &[9; 32], &mut recorded);
		let mut refused = json!({"status": "refused", "block": null, "reason": "not-assigned"});
		key.sign_outcome([1; 32], 4, &[8; 32], &mut refused);
		let base = answer::Outcome {
			device: [1; 32],
			sequence: 3,
			message: [9; 32],
			status: OutcomeStatus::Recorded,
			block: 12,
			detail: &[1, 2],
		};
		let check = |outcome: &answer::Outcome<'_>, value: &Value| {
			verify_outcome(&[7; 32], KeyType::Sr25519, &key.public, outcome, &signature_of(value))
		};
		assert!(check(&base, &recorded));
		assert!(!check(&answer::Outcome { detail: &[1, 3], ..base }, &recorded));
		let refusal = answer::Outcome {
			sequence: 4,
			message: [8; 32],
			status: OutcomeStatus::Refused,
			block: 0,
			detail: b"not-assigned",
			..base
		};
		assert!(check(&refusal, &refused));
		assert_eq!(refused["message"], iotchain_client::to_hex(&[8; 32]));
		assert!(!check(&answer::Outcome { status: OutcomeStatus::Recorded, ..refusal }, &refused));
	}
}
