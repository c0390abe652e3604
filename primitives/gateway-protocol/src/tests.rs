use crate::{
	envelope::{DecodeError, Envelope, KeyType, Kind, HEADER_LEN, TRAILER_LEN, VERSION},
	merkle::{inclusion_proof, leaf_hash, root, verify_inclusion},
	Hash,
};
use serde_json::Value;

fn vectors() -> Value {
	serde_json::from_str(include_str!("../test-vectors.json")).expect("the vectors are JSON")
}

fn bytes(value: &Value) -> Vec<u8> {
	hex::decode(value.as_str().expect("a hex string")).expect("valid hex")
}

fn hash(value: &Value) -> Hash {
	bytes(value).try_into().expect("32 bytes")
}

fn sample() -> Envelope {
	Envelope {
		kind: Kind::Telemetry,
		device: [7; 32],
		sequence: 42,
		timestamp_ms: 1_790_000_000_000,
		payload: b"reading".to_vec(),
		key_type: KeyType::Sr25519,
		signature: [9; 64],
	}
}

#[test]
fn envelopes_match_the_independent_implementation() {
	let vectors = vectors();
	let genesis = hash(&vectors["genesis"]);
	let device = hash(&vectors["device"]);
	for message in vectors["messages"].as_array().unwrap() {
		let wire = bytes(&message["envelope"]);
		let envelope = Envelope::decode(&wire, 1024).expect("the vector decodes");
		assert_eq!(envelope.device, device);
		assert_eq!(envelope.sequence, message["sequence"].as_u64().unwrap());
		assert_eq!(envelope.timestamp_ms, message["timestamp_ms"].as_u64().unwrap());
		assert_eq!(envelope.kind.name(), message["kind"].as_str().unwrap());
		assert_eq!(envelope.payload, bytes(&message["payload"]));
		assert_eq!(envelope.key_type, KeyType::Ed25519);
		assert_eq!(envelope.signing_payload(&genesis).to_vec(), bytes(&message["signing_payload"]));
		assert_eq!(envelope.encode(), wire);
		assert_eq!(leaf_hash(&wire), hash(&message["leaf_hash"]));
	}
}

#[test]
fn trees_and_proofs_match_the_independent_implementation() {
	let vectors = vectors();
	let leaves: Vec<Hash> = vectors["messages"]
		.as_array()
		.unwrap()
		.iter()
		.map(|m| hash(&m["leaf_hash"]))
		.collect();
	for tree in vectors["trees"].as_array().unwrap() {
		let size = tree["size"].as_u64().unwrap() as usize;
		let expected_root = hash(&tree["root"]);
		assert_eq!(root(&leaves[..size]), expected_root, "root of {size} leaves");
		for (index, proof) in tree["proofs"].as_array().unwrap().iter().enumerate() {
			let expected: Vec<Hash> = proof.as_array().unwrap().iter().map(hash).collect();
			assert_eq!(inclusion_proof(&leaves[..size], index), Some(expected.clone()));
			assert!(verify_inclusion(
				&leaves[index],
				index as u64,
				size as u64,
				&expected,
				&expected_root
			));
		}
	}
}

#[test]
fn an_altered_dropped_or_moved_leaf_no_longer_proves() {
	let leaves: Vec<Hash> = (0u8..13).map(|i| leaf_hash(&[i])).collect();
	let anchored = root(&leaves);
	let proof = inclusion_proof(&leaves, 5).unwrap();
	assert!(verify_inclusion(&leaves[5], 5, 13, &proof, &anchored));
	// Altered: another reading under the same index.
	assert!(!verify_inclusion(&leaf_hash(&[99]), 5, 13, &proof, &anchored));
	// Moved: the same reading claimed at another index, or in a tree of another shape. (The
	// size a verifier uses is the anchored leaf count, never the prover's claim.)
	assert!(!verify_inclusion(&leaves[5], 4, 13, &proof, &anchored));
	assert!(!verify_inclusion(&leaves[5], 5, 8, &proof, &anchored));
	// Dropped: a tree without it has another root, against which nothing of the old proves.
	let mut without = leaves.clone();
	without.remove(5);
	assert_ne!(root(&without), anchored);
	let shifted = inclusion_proof(&without, 5).unwrap();
	assert!(!verify_inclusion(&without[5], 5, 13, &shifted, &anchored));
	// Outside the tree, and a proof with a hash too many or too few.
	assert_eq!(inclusion_proof(&leaves, 13), None);
	assert!(!verify_inclusion(&leaves[5], 13, 13, &proof, &anchored));
	let mut longer = proof.clone();
	longer.push(anchored);
	assert!(!verify_inclusion(&leaves[5], 5, 13, &longer, &anchored));
	assert!(!verify_inclusion(&leaves[5], 5, 13, &proof[..proof.len() - 1], &anchored));
}

#[test]
fn a_leaf_never_passes_for_a_node() {
	let (left, right) = (leaf_hash(b"a"), leaf_hash(b"b"));
	let mut node_input = left.to_vec();
	node_input.extend_from_slice(&right);
	assert_ne!(leaf_hash(&node_input), root(&[left, right]));
}

#[test]
fn concatenated_envelopes_read_one_after_another() {
	let first = sample();
	let mut second = sample();
	second.sequence = 43;
	second.payload = vec![1; 300];
	let mut stream = first.encode();
	stream.extend(second.encode());
	let (read, used) = Envelope::decode_prefix(&stream, 1024).unwrap();
	assert_eq!(read, first);
	assert_eq!(used, HEADER_LEN + 7 + TRAILER_LEN);
	assert_eq!(Envelope::decode(&stream[used..], 1024), Ok(second));
	assert_eq!(Envelope::decode(&stream, 1024), Err(DecodeError::TrailingBytes));
}

#[test]
fn an_envelopes_length_is_known_from_its_header_alone() {
	let mut envelope = sample();
	envelope.payload = vec![5; 70_000];
	let wire = envelope.encode();
	assert_eq!(Envelope::wire_length(&wire[..HEADER_LEN]), Ok(wire.len()));
	assert_eq!(Envelope::wire_length(&wire), Ok(wire.len()));
	assert_eq!(Envelope::wire_length(&wire[..HEADER_LEN - 1]), Err(DecodeError::Truncated));
	let mut bad = wire[..HEADER_LEN].to_vec();
	bad[0] = 9;
	assert_eq!(Envelope::wire_length(&bad), Err(DecodeError::UnknownVersion(9)));
	bad[0] = VERSION;
	bad[1] = 200;
	assert_eq!(Envelope::wire_length(&bad), Err(DecodeError::UnknownKind(200)));
	// The largest length a header can declare does not overflow.
	let mut huge = wire[..HEADER_LEN].to_vec();
	huge[HEADER_LEN - 4..].copy_from_slice(&u32::MAX.to_le_bytes());
	assert_eq!(
		Envelope::wire_length(&huge),
		Ok((u32::MAX as usize).saturating_add(HEADER_LEN + TRAILER_LEN))
	);
}

#[test]
fn bad_bytes_are_refused_with_their_reason() {
	let wire = sample().encode();
	for cut in [0, 1, HEADER_LEN - 1, HEADER_LEN + 3, wire.len() - 1] {
		assert_eq!(Envelope::decode(&wire[..cut], 1024), Err(DecodeError::Truncated), "cut {cut}");
	}
	let mut bad = wire.clone();
	bad[0] = 2;
	assert_eq!(Envelope::decode(&bad, 1024), Err(DecodeError::UnknownVersion(2)));
	let mut bad = wire.clone();
	bad[1] = 3;
	assert_eq!(Envelope::decode(&bad, 1024), Err(DecodeError::UnknownKind(3)));
	let mut bad = wire.clone();
	bad[HEADER_LEN + 7] = 2;
	assert_eq!(Envelope::decode(&bad, 1024), Err(DecodeError::UnknownKeyType(2)));
	assert_eq!(Envelope::decode(&wire, 6), Err(DecodeError::PayloadTooLarge { length: 7, max: 6 }));
	// A length claiming gigabytes is refused by the limit before anything is read.
	let mut huge = wire.clone();
	huge[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&u32::MAX.to_le_bytes());
	assert_eq!(
		Envelope::decode(&huge, 1024),
		Err(DecodeError::PayloadTooLarge { length: u32::MAX, max: 1024 })
	);
	assert_eq!(Envelope::decode(&huge, u32::MAX), Err(DecodeError::Truncated));
}

#[test]
fn every_signed_field_changes_the_signing_payload() {
	let genesis = [3; 32];
	let base = sample();
	let signed = base.signing_payload(&genesis);
	assert_ne!(signed, base.signing_payload(&[4; 32]));
	for change in [
		(|e: &mut Envelope| e.device = [8; 32]) as fn(&mut Envelope),
		|e| e.sequence += 1,
		|e| e.timestamp_ms += 1,
		|e| e.kind = Kind::Login,
		|e| e.payload.push(0),
	] {
		let mut changed = base.clone();
		change(&mut changed);
		assert_ne!(changed.signing_payload(&genesis), signed);
	}
}

/// The vectors' ed25519 signatures, made by Python's `cryptography`, verify one by one and in
/// a batch; on another chain they do not; one forged envelope fails alone, not its batch.
#[cfg(feature = "std")]
#[test]
fn the_independent_implementations_signatures_verify() {
	use crate::verify::{verify_envelope_signature, verify_envelope_signatures};
	let vectors = vectors();
	let genesis = hash(&vectors["genesis"]);
	let key = hash(&vectors["ed25519_public"]);
	let mut envelopes: Vec<Envelope> = vectors["messages"]
		.as_array()
		.unwrap()
		.iter()
		.map(|m| Envelope::decode(&bytes(&m["envelope"]), 1024).unwrap())
		.collect();
	for envelope in &envelopes {
		assert!(verify_envelope_signature(envelope, &genesis, &key));
		assert!(!verify_envelope_signature(envelope, &[0; 32], &key));
	}
	let pairs: Vec<_> = envelopes.iter().map(|e| (e, key)).collect();
	assert!(verify_envelope_signatures(&pairs, &genesis).iter().all(|&valid| valid));
	envelopes[3].sequence += 1;
	let pairs: Vec<_> = envelopes.iter().map(|e| (e, key)).collect();
	let valid = verify_envelope_signatures(&pairs, &genesis);
	assert_eq!(valid.iter().filter(|&&valid| !valid).count(), 1);
	assert!(!valid[3]);
}

/// sr25519 envelopes verify under the `substrate` signing context, alone and in a batch mixed
/// with ed25519 ones; a wrong key fails only its own envelope.
#[cfg(feature = "std")]
#[test]
fn sr25519_signatures_verify_alone_and_in_batches() {
	use crate::verify::{verify_envelope_signature, verify_envelope_signatures};
	let genesis = [3; 32];
	let pair = |seed: u8| {
		schnorrkel::MiniSecretKey::from_bytes(&[seed; 32])
			.unwrap()
			.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519)
	};
	let signed = |seed: u8, sequence: u64| {
		let mut envelope = sample();
		envelope.sequence = sequence;
		envelope.signature = pair(seed)
			.sign_simple(b"substrate", &envelope.signing_payload(&genesis))
			.to_bytes();
		(envelope, pair(seed).public.to_bytes())
	};
	let (first, first_key) = signed(1, 1);
	let (second, second_key) = signed(2, 2);
	assert!(verify_envelope_signature(&first, &genesis, &first_key));
	assert!(!verify_envelope_signature(&first, &genesis, &second_key));
	let mut ed25519 = first.clone();
	ed25519.key_type = KeyType::Ed25519;
	let pairs = [(&first, first_key), (&second, second_key), (&ed25519, first_key)];
	assert_eq!(verify_envelope_signatures(&pairs, &genesis), [true, true, false]);
	let pairs = [(&first, first_key), (&second, first_key)];
	assert_eq!(verify_envelope_signatures(&pairs, &genesis), [true, false]);
}

/// Read requests: the independent implementation's headers parse, their signing payloads are
/// the same bytes, and their signatures verify over their own method and target only.
#[cfg(feature = "std")]
#[test]
fn read_requests_match_the_independent_implementation() {
	use crate::{read_request::ReadRequest, verify::verify_read_request};
	let vectors = vectors();
	let genesis = hash(&vectors["genesis"]);
	let key = hash(&vectors["ed25519_public"]);
	let requests = vectors["read_requests"].as_array().unwrap();
	assert!(!requests.is_empty());
	for vector in requests {
		let header = vector["authorization"].as_str().unwrap();
		let request = ReadRequest::parse(header).expect("the vector's header parses");
		assert_eq!(request.key_type, KeyType::Ed25519);
		assert_eq!(request.key, key);
		assert_eq!(request.time_ms, vector["time_ms"].as_u64().unwrap());
		assert_eq!(request.nonce.to_vec(), bytes(&vector["nonce"]));
		assert_eq!(request.signature.to_vec(), bytes(&vector["signature"]));
		assert_eq!(request.header(), header, "the header is written as it is read");
		let (method, target) =
			(vector["method"].as_str().unwrap(), vector["target"].as_str().unwrap());
		assert_eq!(
			request.signing_payload(&genesis, method, target).to_vec(),
			bytes(&vector["signing_payload"])
		);
		assert!(verify_read_request(&request, &genesis, method, target));
		assert!(!verify_read_request(&request, &genesis, "POST", target));
		assert!(!verify_read_request(&request, &genesis, method, &format!("{target}x")));
		assert!(!verify_read_request(&request, &[0; 32], method, target));
	}
}

/// Every signed field of a read request changes what is signed.
#[test]
fn every_read_request_field_changes_the_signing_payload() {
	use crate::read_request::signing_payload;
	let base = || ([1u8; 32], KeyType::Sr25519, [2u8; 32], 5u64, [3u8; 16], "GET", "/v1/x");
	let (g, t, k, time, n, m, p) = base();
	let reference = signing_payload(&g, t, &k, time, &n, m, p);
	let changed = [
		signing_payload(&[9; 32], t, &k, time, &n, m, p),
		signing_payload(&g, KeyType::Ed25519, &k, time, &n, m, p),
		signing_payload(&g, t, &[9; 32], time, &n, m, p),
		signing_payload(&g, t, &k, time + 1, &n, m, p),
		signing_payload(&g, t, &k, time, &[9; 16], m, p),
		signing_payload(&g, t, &k, time, &n, "HEAD", p),
		signing_payload(&g, t, &k, time, &n, m, "/v1/y"),
		// The method and target are separated, so bytes cannot move between them.
		signing_payload(&g, t, &k, time, &n, "GET /v1", "x"),
	];
	for payload in changed {
		assert_ne!(payload, reference);
	}
}

/// Headers that are not a signed read request are refused with the field at fault.
#[test]
fn malformed_read_request_headers_name_their_fault() {
	use crate::read_request::{ParseError, ReadRequest};
	let good = ReadRequest {
		key_type: KeyType::Sr25519,
		key: [1; 32],
		time_ms: 7,
		nonce: [2; 16],
		signature: [3; 64],
	};
	let header = good.header();
	assert_eq!(ReadRequest::parse(&header), Ok(good.clone()));
	assert_eq!(ReadRequest::parse("Bearer abc"), Err(ParseError::OtherScheme));
	let without = |field: &str| {
		header
			.split(',')
			.filter(|part| !part.trim_start_matches("IotchainRead ").starts_with(field))
			.collect::<Vec<_>>()
			.join(",")
	};
	assert_eq!(ReadRequest::parse(&without("time")), Err(ParseError::BadField("time")));
	assert_eq!(ReadRequest::parse(&without("nonce")), Err(ParseError::BadField("nonce")));
	assert_eq!(ReadRequest::parse(&without("signature")), Err(ParseError::BadField("signature")));
	let repeated = format!("{header},time=8");
	assert_eq!(ReadRequest::parse(&repeated), Err(ParseError::BadField("time")));
	let short_nonce = header.replace(&format!("nonce=0x{}", "02".repeat(16)), "nonce=0x0202");
	assert_eq!(ReadRequest::parse(&short_nonce), Err(ParseError::BadField("nonce")));
	let other_key = header.replace("sr25519:", "ecdsa:");
	assert_eq!(ReadRequest::parse(&other_key), Err(ParseError::BadField("key")));
	let not_a_number = header.replace("time=7", "time=seven");
	assert_eq!(ReadRequest::parse(&not_a_number), Err(ParseError::BadField("time")));
}

/// An acknowledgement as a vector gives it.
fn vector_ack(value: &Value) -> crate::answer::Ack<'_> {
	use crate::answer::{Ack, AckStatus};
	Ack {
		device: hash(&value["device"]),
		sequence: value["sequence"].as_u64().unwrap(),
		message: hash(&value["message"]),
		status: match value["status"].as_str().unwrap() {
			"accepted" => AckStatus::Accepted,
			"duplicate" => AckStatus::Duplicate,
			_ => AckStatus::Refused,
		},
		reason: value["reason"].as_str().unwrap(),
	}
}

/// The gateway's acknowledgements: the independent implementation's digests and signing
/// payloads are the same bytes, its signatures verify, and an answer changed in any way (a
/// refusal turned into `accepted`, another message, one answer left out) no longer does.
#[cfg(feature = "std")]
#[test]
fn acknowledgements_match_the_independent_implementation() {
	use crate::{
		answer::{ack_signing_payload, acks_digest, AckStatus},
		verify::verify_acks,
	};
	let vectors = vectors();
	let genesis = hash(&vectors["genesis"]);
	let gateway = hash(&vectors["gateway_ed25519_public"]);
	let lists = vectors["acknowledgements"].as_array().unwrap();
	assert_eq!(lists.len(), 3);
	for vector in lists {
		let acks: Vec<_> = vector["acks"].as_array().unwrap().iter().map(vector_ack).collect();
		let digest = acks_digest(&acks).unwrap();
		assert_eq!(digest, hash(&vector["digest"]));
		assert_eq!(
			ack_signing_payload(&genesis, KeyType::Ed25519, &gateway, &digest).to_vec(),
			bytes(&vector["signing_payload"])
		);
		let signature: [u8; 64] = bytes(&vector["signature"]).try_into().unwrap();
		assert!(verify_acks(&genesis, KeyType::Ed25519, &gateway, &acks, &signature));
		assert!(!verify_acks(&[0; 32], KeyType::Ed25519, &gateway, &acks, &signature));
		assert!(!verify_acks(&genesis, KeyType::Sr25519, &gateway, &acks, &signature));
		let mut forged = acks.clone();
		forged[0].status = match forged[0].status {
			AckStatus::Refused => AckStatus::Accepted,
			_ => AckStatus::Refused,
		};
		assert!(!verify_acks(&genesis, KeyType::Ed25519, &gateway, &forged, &signature));
		let mut other_message = acks.clone();
		other_message[0].message[0] ^= 1;
		assert!(!verify_acks(&genesis, KeyType::Ed25519, &gateway, &other_message, &signature));
		if acks.len() > 1 {
			let fewer = &acks[..acks.len() - 1];
			assert!(!verify_acks(&genesis, KeyType::Ed25519, &gateway, fewer, &signature));
		}
	}
}

/// The gateway's outcomes of relayed messages: the independent implementation's signing
/// payloads are the same bytes and its signatures verify; a refusal turned into a record, or
/// another event's bytes, does not.
#[cfg(feature = "std")]
#[test]
fn outcomes_match_the_independent_implementation() {
	use crate::{
		answer::{outcome_signing_payload, Outcome, OutcomeStatus},
		verify::verify_outcome,
	};
	let vectors = vectors();
	let genesis = hash(&vectors["genesis"]);
	let gateway = hash(&vectors["gateway_ed25519_public"]);
	let outcomes = vectors["outcomes"].as_array().unwrap();
	assert_eq!(outcomes.len(), 3);
	for vector in outcomes {
		let fields = &vector["outcome"];
		let detail = bytes(&fields["detail"]);
		let outcome = Outcome {
			device: hash(&fields["device"]),
			sequence: fields["sequence"].as_u64().unwrap(),
			message: hash(&fields["message"]),
			status: match fields["status"].as_str().unwrap() {
				"recorded" => OutcomeStatus::Recorded,
				_ => OutcomeStatus::Refused,
			},
			block: fields["block"].as_u64().unwrap(),
			detail: &detail,
		};
		assert_eq!(
			outcome_signing_payload(&genesis, KeyType::Ed25519, &gateway, &outcome).to_vec(),
			bytes(&vector["signing_payload"])
		);
		let signature: [u8; 64] = bytes(&vector["signature"]).try_into().unwrap();
		assert!(verify_outcome(&genesis, KeyType::Ed25519, &gateway, &outcome, &signature));
		let flipped = Outcome {
			status: match outcome.status {
				OutcomeStatus::Recorded => OutcomeStatus::Refused,
				OutcomeStatus::Refused => OutcomeStatus::Recorded,
			},
			..outcome
		};
		assert!(!verify_outcome(&genesis, KeyType::Ed25519, &gateway, &flipped, &signature));
		let other_detail = [&detail[..], b"x"].concat();
		let altered = Outcome { detail: &other_detail, ..outcome };
		assert!(!verify_outcome(&genesis, KeyType::Ed25519, &gateway, &altered, &signature));
		let other_block = Outcome { block: outcome.block + 1, ..outcome };
		assert!(!verify_outcome(&genesis, KeyType::Ed25519, &gateway, &other_block, &signature));
	}
}

/// Every field of an acknowledgement changes its digest, and a reason moved between two
/// answers changes it too: each answer's length is in its bytes. A reason over 255 bytes is
/// refused, not cut.
#[test]
fn every_acknowledgement_field_changes_the_digest() {
	use crate::answer::{acks_digest, Ack, AckStatus, AnswerError};
	let base = Ack {
		device: [1; 32],
		sequence: 2,
		message: [3; 32],
		status: AckStatus::Refused,
		reason: "rate-limited",
	};
	let reference = acks_digest(&[base]).unwrap();
	for changed in [
		Ack { device: [9; 32], ..base },
		Ack { sequence: 3, ..base },
		Ack { message: [9; 32], ..base },
		Ack { status: AckStatus::Accepted, ..base },
		Ack { reason: "overloaded", ..base },
	] {
		assert_ne!(acks_digest(&[changed]).unwrap(), reference);
	}
	let split = |first: &'static str, second: &'static str| {
		acks_digest(&[Ack { reason: first, ..base }, Ack { reason: second, ..base }]).unwrap()
	};
	assert_ne!(split("ab", "c"), split("a", "bc"));
	let long = "x".repeat(256);
	assert_eq!(acks_digest(&[Ack { reason: &long, ..base }]), Err(AnswerError::ReasonTooLong));
}

/// Gateways sign with their sr25519 chain keys: such answers verify under the `substrate`
/// context, and not under another gateway's key.
#[cfg(feature = "std")]
#[test]
fn sr25519_gateway_answers_verify() {
	use crate::{
		answer::{ack_signing_payload, acks_digest, Ack, AckStatus},
		verify::verify_acks,
	};
	let pair = |seed: u8| {
		schnorrkel::MiniSecretKey::from_bytes(&[seed; 32])
			.unwrap()
			.expand_to_keypair(schnorrkel::ExpansionMode::Ed25519)
	};
	let (gateway, other) = (pair(1), pair(2));
	let genesis = [5; 32];
	let acks = [Ack {
		device: [1; 32],
		sequence: 7,
		message: [2; 32],
		status: AckStatus::Accepted,
		reason: "",
	}];
	let public = gateway.public.to_bytes();
	let payload =
		ack_signing_payload(&genesis, KeyType::Sr25519, &public, &acks_digest(&acks).unwrap());
	let signature = gateway.sign_simple(b"substrate", &payload).to_bytes();
	assert!(verify_acks(&genesis, KeyType::Sr25519, &public, &acks, &signature));
	let other_public = other.public.to_bytes();
	assert!(!verify_acks(&genesis, KeyType::Sr25519, &other_public, &acks, &signature));
}

/// Keys in text form read back as written; other key types and lengths do not read.
#[test]
fn typed_keys_read_back_as_written() {
	use crate::{parse_typed_key, typed_key};
	for key_type in [KeyType::Ed25519, KeyType::Sr25519] {
		let text = typed_key(key_type, &[0xab; 32]);
		assert_eq!(parse_typed_key(&text), Some((key_type, [0xab; 32])));
	}
	assert_eq!(parse_typed_key(&format!("ecdsa:0x{}", "ab".repeat(32))), None);
	assert_eq!(parse_typed_key(&format!("sr25519:0x{}", "ab".repeat(31))), None);
	assert_eq!(parse_typed_key(&format!("sr25519:{}", "ab".repeat(32))), None);
}

/// A leaf hashed as it streams by is the leaf's hash, however it is split; an oversized
/// envelope's header still names its device and sequence.
#[test]
fn a_leaf_hashed_in_pieces_and_the_header_of_an_oversized_envelope() {
	use crate::merkle::LeafHasher;
	let wire = sample().encode();
	for split in [0, 1, 40, wire.len()] {
		let mut hasher = LeafHasher::default();
		hasher.update(&wire[..split]);
		hasher.update(&wire[split..]);
		assert_eq!(hasher.finish(), leaf_hash(&wire));
	}
	assert_eq!(Envelope::header_identity(&wire[..HEADER_LEN]), Some(([7; 32], 42)));
	assert_eq!(Envelope::header_identity(&wire[..HEADER_LEN - 1]), None);
	assert_eq!(Envelope::header_identity(b"not an envelope at all, but long enough here"), None);
}
