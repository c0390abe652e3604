//! Reading what operators type and the files they point at: keys, accounts, 32-byte ids and
//! firmware versions. Every parser names what it expected.

use crate::{AccountId, Error, FirmwareVersion, Result, Signer};
use std::{path::Path, str::FromStr};
use subxt_signer::SecretUri;

/// A signing key from a secret URI: a BIP-39 phrase, a `0x` hex seed, or either followed by
/// derivation junctions (`//Alice` alone is the development phrase's Alice).
pub fn signer_from_suri(suri: &str) -> Result<Signer> {
	let uri = SecretUri::from_str(suri.trim())
		.map_err(|error| Error::BadKey(format!("not a secret URI: {error}")))?;
	Signer::from_uri(&uri).map_err(|error| Error::BadKey(error.to_string()))
}

/// A signing key from a file: either the JSON `iotchain-node key generate --output-type json`
/// writes (and `scripts/new-consortium.sh` keeps as `org<i>/account.json`), whose
/// `secretPhrase` or `secretSeed` is used, or a file holding a secret URI on its first line.
pub fn signer_from_key_file(path: &Path) -> Result<Signer> {
	let text = std::fs::read_to_string(path)
		.map_err(|source| Error::File { path: path.to_owned(), source })?;
	let trimmed = text.trim();
	if trimmed.starts_with('{') {
		let json: serde_json::Value = serde_json::from_str(trimmed).map_err(|error| {
			Error::BadKey(format!("{} is not valid JSON: {error}", path.display()))
		})?;
		let secret = ["secretPhrase", "secretSeed"]
			.iter()
			.find_map(|field| json.get(field).and_then(|value| value.as_str()))
			.ok_or_else(|| {
				Error::BadKey(format!("{} has no secretPhrase or secretSeed", path.display()))
			})?;
		return signer_from_suri(secret);
	}
	let first_line = trimmed.lines().next().unwrap_or_default();
	if first_line.is_empty() {
		return Err(Error::BadKey(format!("{} is empty", path.display())));
	}
	signer_from_suri(first_line)
}

/// An account: SS58 (any network prefix) or `0x` and 64 hex digits.
pub fn parse_account(input: &str) -> Result<AccountId> {
	let input = input.trim();
	if input.starts_with("0x") {
		return parse_hash32("account", input).map(AccountId::from);
	}
	AccountId::from_str(input).map_err(|error| Error::malformed("account", input, error))
}

/// A 32-byte value written as `0x` and 64 hex digits: device ids, user-device ids, hashes.
pub fn parse_hash32(what: &'static str, input: &str) -> Result<[u8; 32]> {
	let input = input.trim();
	let digits = input
		.strip_prefix("0x")
		.ok_or_else(|| Error::malformed(what, input, "expected 0x and 64 hex digits"))?;
	let bytes = hex::decode(digits).map_err(|error| Error::malformed(what, input, error))?;
	<[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
		Error::malformed(what, input, format!("expected 32 bytes, got {}", bytes.len()))
	})
}

/// A firmware version `MAJOR.MINOR.PATCH`, each part at most 65535.
pub fn parse_firmware_version(input: &str) -> Result<FirmwareVersion> {
	let input = input.trim();
	let parts: Vec<&str> = input.split('.').collect();
	let [major, minor, patch] = parts.as_slice() else {
		return Err(Error::malformed("firmware version", input, "expected MAJOR.MINOR.PATCH"));
	};
	let part = |text: &str| {
		text.parse::<u16>()
			.map_err(|error| Error::malformed("firmware version", input, error))
	};
	Ok(FirmwareVersion { major: part(major)?, minor: part(minor)?, patch: part(patch)? })
}

impl std::fmt::Display for FirmwareVersion {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
	}
}

/// `0x`-prefixed lower-case hex, how every 32-byte value is shown.
pub fn to_hex(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// Serialises 32 bytes as `0x` hex (for serde-derived output types).
pub(crate) fn serialize_hex<S: serde::Serializer>(
	bytes: &[u8; 32],
	serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
	serializer.serialize_str(&to_hex(bytes))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn accounts_parse_from_ss58_and_hex() {
		let alice = signer_from_suri("//Alice").unwrap().public_key().to_account_id();
		assert_eq!(parse_account(&alice.to_string()).unwrap(), alice);
		assert_eq!(parse_account(&to_hex(&alice.0)).unwrap(), alice);
		assert!(matches!(parse_account("5Nope"), Err(Error::Malformed { what: "account", .. })));
	}

	#[test]
	fn hashes_need_exactly_32_bytes_of_hex() {
		assert_eq!(
			parse_hash32("device id", &format!("0x{}", "ab".repeat(32))).unwrap(),
			[0xab; 32]
		);
		for bad in ["ab".repeat(32), format!("0x{}", "ab".repeat(31)), "0xzz".into()] {
			assert!(
				matches!(
					parse_hash32("device id", &bad),
					Err(Error::Malformed { what: "device id", .. })
				),
				"{bad} accepted"
			);
		}
	}

	#[test]
	fn firmware_versions_are_three_u16_parts() {
		assert_eq!(
			parse_firmware_version("1.20.300").unwrap(),
			FirmwareVersion { major: 1, minor: 20, patch: 300 }
		);
		for bad in ["1.2", "1.2.3.4", "1.x.3", "70000.0.0", ""] {
			assert!(parse_firmware_version(bad).is_err(), "{bad} accepted");
		}
		assert_eq!(parse_firmware_version("2.0.1").unwrap().to_string(), "2.0.1");
	}

	#[test]
	fn key_files_hold_json_or_a_secret_uri() {
		let dir = std::env::temp_dir().join(format!("iotctl-keys-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let alice = signer_from_suri("//Alice").unwrap().public_key().0;

		let uri_file = dir.join("uri");
		std::fs::write(&uri_file, "//Alice\n").unwrap();
		assert_eq!(signer_from_key_file(&uri_file).unwrap().public_key().0, alice);

		let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
		let json_file = dir.join("account.json");
		std::fs::write(&json_file, format!("{{\"secretPhrase\": \"{phrase}\"}}")).unwrap();
		assert_eq!(
			signer_from_key_file(&json_file).unwrap().public_key().0,
			signer_from_suri(phrase).unwrap().public_key().0
		);

		std::fs::write(&json_file, "{\"ss58Address\": \"x\"}").unwrap();
		assert!(matches!(signer_from_key_file(&json_file), Err(Error::BadKey(_))));
		std::fs::write(&uri_file, "").unwrap();
		assert!(matches!(signer_from_key_file(&uri_file), Err(Error::BadKey(_))));
		assert!(matches!(signer_from_key_file(&dir.join("missing")), Err(Error::File { .. })));
		assert!(matches!(signer_from_suri("not a phrase"), Err(Error::BadKey(_))));
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
