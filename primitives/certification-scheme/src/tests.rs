use super::*;
use serde_json::Value;

const VECTORS: &str = include_str!("../test-vectors.json");
const SALT: Salt = [0x42; 32];

fn vectors() -> Value {
	serde_json::from_str(VECTORS).expect("test-vectors.json is valid JSON")
}

fn hex32(value: &Value) -> Hash {
	let text = value.as_str().expect("a hex string");
	let bytes = hex::decode(text).expect("valid hex");
	bytes.try_into().expect("32 bytes")
}

fn text(value: &Value) -> &[u8] {
	value.as_str().expect("a string").as_bytes()
}

fn user_hashes(vectors: &Value, bits: u8) -> UserHashes {
	let pick = |bit: u8, key: &str| (bits & bit != 0).then(|| hex32(&vectors[key]));
	UserHashes {
		first: pick(Combination::FIRST, "first_hash"),
		second: pick(Combination::SECOND, "second_hash"),
		third: pick(Combination::THIRD, "app_integrity_key"),
	}
}

#[test]
fn the_three_hashes_and_the_user_device_id_match_the_vectors() {
	let v = vectors();
	let inputs = &v["inputs"];
	let checksum = hex::decode(inputs["app_checksum"].as_str().unwrap()).unwrap();
	assert_eq!(first_hash(text(&inputs["user_identity"])), hex32(&v["first_hash"]));
	assert_eq!(second_hash(text(&inputs["user_device_info"])), hex32(&v["second_hash"]));
	assert_eq!(
		app_integrity_key(text(&inputs["app_version"]), &checksum),
		hex32(&v["app_integrity_key"])
	);
	assert_eq!(user_device_id(text(&inputs["user_device_info"])), hex32(&v["user_device_id"]));
}

#[test]
fn secrets_registration_and_certification_hashes_match_the_vectors() {
	let v = vectors();
	let device = hex32(&v["inputs"]["device"]);
	let nonce = hex32(&v["inputs"]["nonce"]);
	let user_device = hex32(&v["user_device_id"]);
	let cases = v["combinations"].as_array().unwrap();
	assert_eq!(cases.len(), 4);
	for case in cases {
		let bits = case["combination"].as_u64().unwrap() as u8;
		let salt = hex32(&v["inputs"]["salt"]);
		let (combination, secret) = registration_secret(&user_hashes(&v, bits), &salt).unwrap();
		assert_eq!(combination.bits(), bits);
		assert_eq!(secret, hex32(&case["registration_secret"]), "secret, combination {bits:#05b}");
		let registration = registration_hash(&device, &user_device, &secret);
		assert_eq!(registration, hex32(&case["registration_hash"]), "R, combination {bits:#05b}");
		let certification = certification_hash(&secret, &nonce);
		assert_eq!(certification, hex32(&case["certification_hash"]), "c, combination {bits:#05b}");
		assert_eq!(
			verify_certification(
				&registration,
				&device,
				&user_device,
				&secret,
				&nonce,
				&certification
			),
			Ok(())
		);
	}
}

#[test]
fn login_payload_matches_the_vector() {
	let v = vectors();
	let inputs = &v["inputs"];
	let payload = login_payload(
		&hex32(&inputs["genesis"]),
		&hex32(&inputs["device"]),
		&hex32(&v["user_device_id"]),
		&hex32(&inputs["nonce"]),
		inputs["challenge_block"].as_u64().unwrap() as u32,
	);
	assert_eq!(hex::encode(payload), v["login_payload"].as_str().unwrap());
}

#[test]
fn a_tampered_secret_no_longer_matches_the_registration() {
	let device = [1; 32];
	let user_device = [2; 32];
	let nonce = [3; 32];
	let (_, secret) = registration_secret(
		&UserHashes {
			first: Some(first_hash(b"alice")),
			second: Some(second_hash(b"phone")),
			third: None,
		},
		&SALT,
	)
	.unwrap();
	let registration = registration_hash(&device, &user_device, &secret);
	let mut tampered = secret;
	tampered[0] ^= 1;
	// Even a certification hash consistent with the tampered secret is refused: the chain's R
	// does not come from it.
	let consistent = certification_hash(&tampered, &nonce);
	assert_eq!(
		verify_certification(&registration, &device, &user_device, &tampered, &nonce, &consistent),
		Err(CertificationError::SecretDoesNotMatchRegistration)
	);
}

#[test]
fn a_certification_hash_for_another_nonce_is_refused() {
	let (device, user_device) = ([1; 32], [2; 32]);
	let (_, secret) =
		registration_secret(&UserHashes { first: Some([9; 32]), ..Default::default() }, &SALT)
			.unwrap();
	let registration = registration_hash(&device, &user_device, &secret);
	let answer_to_old_nonce = certification_hash(&secret, &[3; 32]);
	assert_eq!(
		verify_certification(
			&registration,
			&device,
			&user_device,
			&secret,
			&[4; 32],
			&answer_to_old_nonce
		),
		Err(CertificationError::CertificationHashMismatch)
	);
}

#[test]
fn a_registration_is_bound_to_its_pair() {
	let secret = [5; 32];
	let registration = registration_hash(&[1; 32], &[2; 32], &secret);
	assert_ne!(registration, registration_hash(&[1; 32], &[3; 32], &secret));
	assert_ne!(registration, registration_hash(&[4; 32], &[2; 32], &secret));
}

#[test]
fn the_combination_decides_the_secret() {
	let all = UserHashes { first: Some([1; 32]), second: Some([2; 32]), third: Some([3; 32]) };
	let two = UserHashes { third: None, ..all };
	assert_ne!(
		registration_secret(&all, &SALT).unwrap().1,
		registration_secret(&two, &SALT).unwrap().1
	);
}

/// Without the salt, whoever knows or guesses the inputs recomputes `k` (scheme v1's flaw);
/// with it, the same public inputs make unrelated secrets.
#[test]
fn the_salt_decides_the_secret() {
	let public_only = UserHashes { third: Some([3; 32]), ..Default::default() };
	let other_salt = [0x5a; 32];
	assert_ne!(
		registration_secret(&public_only, &SALT).unwrap().1,
		registration_secret(&public_only, &other_salt).unwrap().1
	);
}

#[test]
fn only_the_first_and_second_hashes_are_private_inputs() {
	for (bits, private) in
		[(0b001, true), (0b010, true), (0b100, false), (0b101, true), (0b111, true)]
	{
		assert_eq!(
			Combination::from_bits(bits).unwrap().mixes_private_input(),
			private,
			"{bits:#05b}"
		);
	}
}

#[test]
fn no_hash_makes_no_secret() {
	assert_eq!(registration_secret(&UserHashes::default(), &SALT), None);
}

#[test]
fn combinations_must_name_a_known_hash() {
	assert_eq!(Combination::from_bits(0), None);
	assert_eq!(Combination::from_bits(0b1000), None);
	assert_eq!(Combination::from_bits(0b1001), None);
	let all = Combination::from_bits(0b111).unwrap();
	assert_eq!(all.count(), 3);
	// Decoding does not validate: the receiver must ask.
	let decoded = Combination::decode(&mut &[0b1000_0001u8][..]).unwrap();
	assert!(!decoded.is_valid());
}

#[test]
fn length_prefixes_keep_the_app_integrity_inputs_apart() {
	// Without the prefixes, ("1.2", "3abc") and ("1.23", "abc") would hash the same bytes.
	assert_ne!(app_integrity_key(b"1.2", b"3abc"), app_integrity_key(b"1.23", b"abc"));
}

#[test]
fn the_user_device_id_does_not_reveal_the_second_hash() {
	assert_ne!(user_device_id(b"phone"), second_hash(b"phone"));
}
