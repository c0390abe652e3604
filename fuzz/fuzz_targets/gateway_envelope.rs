//! The gateway's envelope decoder and Merkle proofs, on arbitrary bytes: the gateway reads
//! every envelope a device or a stranger sends before it checks any signature.
//!
//! Properties: decoding never panics; what decodes re-encodes to exactly the bytes it came
//! from (one wire form per envelope, so a signature covers one message); a payload over the
//! reader's limit is refused whatever follows; a stream of envelopes decodes envelope by
//! envelope; and inclusion proofs over leaves taken from the input verify, and stop verifying
//! when the leaf or the root changes.
#![no_main]

use iotchain_gateway_protocol::{
	envelope::{DecodeError, Envelope, HEADER_LEN, TRAILER_LEN},
	merkle,
};
use libfuzzer_sys::fuzz_target;

/// The reader limits the gateway uses or could be configured with.
const LIMITS: [u32; 4] = [0, 1, 64, 65_536];

fuzz_target!(|data: &[u8]| {
	for max_payload in LIMITS {
		match Envelope::decode(data, max_payload) {
			Ok(envelope) => {
				assert_eq!(envelope.encode(), data, "decoding is the inverse of encoding");
				assert!(envelope.payload.len() <= max_payload as usize);
				assert_eq!(data.len(), HEADER_LEN + envelope.payload.len() + TRAILER_LEN);
				let _ = envelope.signing_payload(&[0; 32]);
			},
			Err(DecodeError::PayloadTooLarge { length, max }) => {
				assert!(length > max && max == max_payload);
			},
			Err(_) => {},
		}
		// A stream: each envelope taken from the front, until the bytes end or stop decoding.
		let mut rest = data;
		while let Ok((envelope, used)) = Envelope::decode_prefix(rest, max_payload) {
			assert!(used > 0 && used <= rest.len());
			assert_eq!(Envelope::wire_length(rest), Ok(used), "the header tells the length");
			assert_eq!(envelope.encode(), rest[..used], "each envelope of a stream re-encodes");
			rest = &rest[used..];
		}
	}

	// Leaves from the input, 8 bytes each (at most 16 of them, so one run stays fast).
	let leaves: Vec<_> = data.chunks(8).take(16).map(merkle::leaf_hash).collect();
	let root = merkle::root(&leaves);
	let size = leaves.len() as u64;
	for (index, leaf) in leaves.iter().enumerate() {
		let proof = merkle::inclusion_proof(&leaves, index).expect("a proof for every leaf");
		assert!(merkle::verify_inclusion(leaf, index as u64, size, &proof, &root));
		let mut other = *leaf;
		other[0] ^= 1;
		assert!(!merkle::verify_inclusion(&other, index as u64, size, &proof, &root));
		let mut other_root = root;
		other_root[31] ^= 1;
		assert!(!merkle::verify_inclusion(leaf, index as u64, size, &proof, &other_root));
	}
	assert!(merkle::inclusion_proof(&leaves, leaves.len()).is_none());
	// A proof of arbitrary hashes from the input never panics.
	let hashes: Vec<[u8; 32]> = data
		.chunks_exact(32)
		.map(|chunk| chunk.try_into().expect("32 bytes"))
		.collect();
	if let Some((first, proof)) = hashes.split_first() {
		let index = u64::from(data[0]);
		let _ = merkle::verify_inclusion(first, index, index.saturating_add(u64::from(data[1 % data.len()])), proof, &root);
	}
});
