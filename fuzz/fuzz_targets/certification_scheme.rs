//! The certification scheme (registration secret, registration hash, certification hash,
//! login payload) on arbitrary inputs, and the on-chain encoding of a combination.
//!
//! Properties: nothing panics; a secret exists exactly when some hash is given, and its
//! combination names exactly the hashes given; a certifier accepts the certification hash
//! that answers the nonce with the secret and refuses one that differs in any way, and refuses
//! a secret that no longer yields the registration; a combination decoded from the chain's
//! byte is valid exactly when `from_bits` accepts the byte; the login payload carries each
//! field where the scheme says.
#![no_main]

use codec::Decode;
use iotchain_certification_scheme::{
	certification_hash, first_hash, login_payload, registration_hash, registration_secret,
	second_hash, user_device_id, verify_certification, CertificationError, Combination, UserHashes,
	LOGIN_PAYLOAD_LEN,
};
use libfuzzer_sys::fuzz_target;

/// Splits off the next `N` bytes, or zeros when the input has run out.
fn take<const N: usize>(data: &mut &[u8]) -> [u8; N] {
	let mut out = [0u8; N];
	let n = N.min(data.len());
	out[..n].copy_from_slice(&data[..n]);
	*data = &data[n..];
	out
}

fuzz_target!(|input: &[u8]| {
	let mut data = input;
	let [flags] = take::<1>(&mut data);
	let hash = |present: bool, data: &mut &[u8]| present.then(|| take::<32>(data));
	let hashes = UserHashes {
		first: hash(flags & 1 != 0, &mut data),
		second: hash(flags & 2 != 0, &mut data),
		third: hash(flags & 4 != 0, &mut data),
	};
	let salt = take::<32>(&mut data);
	let device = take::<32>(&mut data);
	let user_device = take::<32>(&mut data);
	let nonce = take::<32>(&mut data);
	let block = u32::from_le_bytes(take::<4>(&mut data));

	match registration_secret(&hashes, &salt) {
		None => assert_eq!(flags & 0b111, 0, "a secret whenever a hash is given"),
		Some((combination, secret)) => {
			assert_eq!(combination.bits(), flags & 0b111, "the combination names the hashes given");
			assert!(combination.is_valid());
			let registration = registration_hash(&device, &user_device, &secret);
			let answer = certification_hash(&secret, &nonce);
			assert_eq!(
				verify_certification(
					&registration,
					&device,
					&user_device,
					&secret,
					&nonce,
					&answer
				),
				Ok(())
			);
			// Any other answer, by one bit anywhere, is refused.
			let bit = usize::from(flags) % 256;
			let mut wrong = answer;
			wrong[bit / 8] ^= 1 << (bit % 8);
			assert_eq!(
				verify_certification(&registration, &device, &user_device, &secret, &nonce, &wrong),
				Err(CertificationError::CertificationHashMismatch)
			);
			// A secret altered in the certifier's database no longer yields the registration.
			let mut altered = secret;
			altered[bit / 8] ^= 1 << (bit % 8);
			assert_eq!(
				verify_certification(
					&registration,
					&device,
					&user_device,
					&altered,
					&nonce,
					&answer
				),
				Err(CertificationError::SecretDoesNotMatchRegistration)
			);
			// Another salt makes another secret.
			let mut other_salt = salt;
			other_salt[0] ^= 1;
			assert_ne!(registration_secret(&hashes, &other_salt).map(|(_, s)| s), Some(secret));
		},
	}

	// The chain stores a combination as one byte; decoding it must not yield an invalid one
	// that `from_bits` would refuse, without the caller noticing.
	if let Ok(decoded) = Combination::decode(&mut &[flags][..]) {
		assert_eq!(decoded.is_valid(), Combination::from_bits(flags).is_some());
	}

	// Variable-length inputs are length-prefixed and domain-separated.
	let rest = data;
	assert_ne!(first_hash(rest), second_hash(rest), "the first and second hashes are separated");
	assert_ne!(user_device_id(rest), second_hash(rest), "the public id reveals no second hash");

	let payload = login_payload(&salt, &device, &user_device, &nonce, block);
	assert_eq!(payload.len(), LOGIN_PAYLOAD_LEN);
	assert_eq!(&payload[LOGIN_PAYLOAD_LEN - 4..], &block.to_le_bytes());
	assert_eq!(&payload[LOGIN_PAYLOAD_LEN - 36..LOGIN_PAYLOAD_LEN - 4], &nonce);
});
