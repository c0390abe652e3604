//! Reading what operators type and the files they point at: keys, accounts, 32-byte ids and
//! firmware versions. Every parser names what it expected.

use crate::{AccountId, Error, FirmwareVersion, Result, Signer};
use std::{path::Path, str::FromStr};
use subxt_signer::SecretUri;

/// A signing key from a secret URI: a BIP-39 phrase, a `0x` hex seed, or either followed by
/// derivation junctions (`//Alice` alone is the development phrase's Alice). Errors never
/// repeat the URI.
pub fn signer_from_suri(suri: &str) -> Result<Signer> {
	let uri = SecretUri::from_str(suri.trim())
		.map_err(|error| Error::BadKey(format!("not a secret URI: {error}")))?;
	Signer::from_uri(&uri).map_err(|error| Error::BadKey(error.to_string()))
}

/// Reads a file that holds a secret, refusing it when group or others may read it: a key
/// others can read is no longer the holder's alone.
pub fn read_secret_file(path: &Path) -> Result<Vec<u8>> {
	let file_error = |source| Error::File { path: path.to_owned(), source };
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(path).map_err(file_error)?.permissions().mode() & 0o777;
		if mode & 0o077 != 0 {
			return Err(Error::ExposedSecretFile { path: path.to_owned(), mode });
		}
	}
	std::fs::read(path).map_err(file_error)
}

/// A secret given on the command line as itself, as `@PATH` (the first line of a file only its
/// owner may read) or as `-` (the first line of standard input). Command lines are visible to
/// other users of the machine; files and standard input are not.
pub fn read_secret(given: &str) -> Result<String> {
	let text = match given {
		"-" => {
			let mut line = String::new();
			std::io::stdin()
				.read_line(&mut line)
				.map_err(|source| Error::File { path: "standard input".into(), source })?;
			line
		},
		_ => match given.strip_prefix('@') {
			Some(path) => String::from_utf8_lossy(&read_secret_file(Path::new(path))?)
				.lines()
				.next()
				.unwrap_or_default()
				.to_owned(),
			None => given.to_owned(),
		},
	};
	Ok(text.trim().to_owned())
}

/// A 32-byte secret (`0x` and 64 hex digits) given as [`read_secret`] takes it. Errors say what
/// is wrong without repeating the secret.
pub fn parse_secret32(what: &'static str, given: &str) -> Result<[u8; 32]> {
	let text = read_secret(given)?;
	parse_hex(&text, |reason| Error::MalformedSecret { what, reason })
}

/// A signing key from a file: either the JSON `iotchain-node key generate --output-type json`
/// writes (and `scripts/new-consortium.sh` keeps as `org<i>/account.json`), whose
/// `secretPhrase` or `secretSeed` is used, or a file holding a secret URI on its first line.
/// Refused when group or others may read the file.
pub fn signer_from_key_file(path: &Path) -> Result<Signer> {
	signer_from_suri(&secret_from_key_file(path)?)
}

/// The secret URI a key file holds: a node key file's JSON (`secretPhrase` or `secretSeed`) or
/// a secret URI on its first line. The file must be its owner's alone ([`read_secret_file`]).
pub fn secret_from_key_file(path: &Path) -> Result<String> {
	let text = String::from_utf8(read_secret_file(path)?)
		.map_err(|_| Error::BadKey(format!("{} is not text", path.display())))?;
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
		return Ok(secret.to_owned());
	}
	let first_line = trimmed.lines().next().unwrap_or_default();
	if first_line.is_empty() {
		return Err(Error::BadKey(format!("{} is empty", path.display())));
	}
	Ok(first_line.to_owned())
}

/// The development accounts every Substrate tool knows, derived from the public development
/// phrase.
const DEVELOPMENT_ACCOUNTS: [&str; 12] = [
	"//Alice",
	"//Bob",
	"//Charlie",
	"//Dave",
	"//Eve",
	"//Ferdie",
	"//Alice//stash",
	"//Bob//stash",
	"//Charlie//stash",
	"//Dave//stash",
	"//Eve//stash",
	"//Ferdie//stash",
];

/// The hex seeds of the development accounts Alice to Ferdie, which tools print and
/// tutorials copy: a key derived from one, with any path, is anybody's too.
const DEVELOPMENT_SEEDS: [&str; 6] = [
	"e5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a",
	"398f0c28f98885e046333d4a41c19cee4c37368a9832c6502f6cfd182e2aef89",
	"bc1ede780f784bb6991a585e4f6e61522c14e1cae6ad0895fb57b9a205a8f938",
	"868020ae0687dda7d57565093a69090211449845a7e11453612800b663307246",
	"786ad0e2df456fe43dd1f91ebca22e235bc162e0bb8d53c633e8c85b2af68b7a",
	"42438b7883391c05512a938e36c2df0131e088b3756d6aa7a755fbff19d2f842",
];

/// Whether anybody may hold the key `suri` names: one derived from the public development
/// phrase, whatever the path (`//Alice`, `//my-gateway`, the phrase itself), or from a
/// development account's seed, whatever the path, or one of the development accounts given
/// any other way. Such a key is fine on a development chain and a hazard on a live one.
pub fn is_development_key(suri: &str) -> bool {
	use subxt_signer::{ExposeSecret, DEV_PHRASE};
	let Ok(uri) = SecretUri::from_str(suri.trim()) else { return false };
	let phrase = uri.phrase.expose_secret();
	let words: Vec<&str> = phrase.split_whitespace().collect();
	if words == DEV_PHRASE.split_whitespace().collect::<Vec<_>>() {
		return true;
	}
	let seed = phrase.trim().trim_start_matches("0x").to_ascii_lowercase();
	if DEVELOPMENT_SEEDS.contains(&seed.as_str()) {
		return true;
	}
	let Ok(signer) = Signer::from_uri(&uri) else { return false };
	let public = signer.public_key().0;
	DEVELOPMENT_ACCOUNTS
		.iter()
		.any(|account| signer_from_suri(account).is_ok_and(|known| known.public_key().0 == public))
}

/// An account: SS58 (any network prefix) or `0x` and 64 hex digits.
pub fn parse_account(input: &str) -> Result<AccountId> {
	let input = input.trim();
	if input.starts_with("0x") {
		return parse_hash32("account", input).map(AccountId::from);
	}
	AccountId::from_str(input).map_err(|error| Error::malformed("account", input, error))
}

/// A 64-byte signature written as `0x` and 128 hex digits.
pub fn parse_signature64(what: &'static str, input: &str) -> Result<[u8; 64]> {
	let input = input.trim();
	parse_hex(input, |reason| Error::malformed(what, input, reason))
}

/// A 32-byte value written as `0x` and 64 hex digits: device ids, user-device ids, hashes.
pub fn parse_hash32(what: &'static str, input: &str) -> Result<[u8; 32]> {
	let input = input.trim();
	parse_hex(input, |reason| Error::malformed(what, input, reason))
}

/// `N` bytes written as `0x` and `2N` hex digits; `malformed` makes the error from the reason
/// (so secrets' errors can leave the input out).
fn parse_hex<const N: usize>(input: &str, malformed: impl Fn(String) -> Error) -> Result<[u8; N]> {
	let digits = input
		.strip_prefix("0x")
		.ok_or_else(|| malformed(format!("expected 0x and {} hex digits", 2 * N)))?;
	// The reason names no character of the input: it may be a secret.
	let bytes = hex::decode(digits).map_err(|error| {
		malformed(match error {
			hex::FromHexError::OddLength => "an odd number of hex digits".into(),
			_ => "a character that is not a hex digit".into(),
		})
	})?;
	<[u8; N]>::try_from(bytes.as_slice())
		.map_err(|_| malformed(format!("expected {N} bytes, got {}", bytes.len())))
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

/// Milliseconds since the Unix epoch by this machine's clock (0 for a clock set before 1970): the
/// "now" of grant windows, read requests and device timestamps.
pub fn now_ms() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map_or(0, |since| since.as_millis() as u64)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn keys_anybody_may_hold_are_told_from_private_ones() {
		let alice_seed = "0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a";
		let phrase = subxt_signer::DEV_PHRASE;
		for public in
			["//Alice", "//my-gateway", "//Bob//stash", alice_seed, phrase, &format!("{phrase}//x")]
		{
			assert!(is_development_key(public), "{public}");
		}
		// Each seed is its account's: a path from it is anybody's key.
		for (seed, name) in DEVELOPMENT_SEEDS
			.iter()
			.zip(["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"])
		{
			let from_seed = signer_from_suri(&format!("0x{seed}")).unwrap();
			let named = signer_from_suri(&format!("//{name}")).unwrap();
			assert_eq!(from_seed.public_key().0, named.public_key().0, "{name}'s seed");
			assert!(is_development_key(&format!("0x{seed}//gateway")), "{name}'s seed with a path");
		}
		let private = "0x0101010101010101010101010101010101010101010101010101010101010101";
		for other in [private, &format!("{private}//gateway"), "not a key"] {
			assert!(!is_development_key(other), "{other}");
		}
	}

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

	/// Writes a file only its owner may read, as key files must be.
	fn write_private(path: &Path, contents: &str) {
		use std::os::unix::fs::PermissionsExt;
		std::fs::write(path, contents).unwrap();
		std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
	}

	#[test]
	fn key_files_hold_json_or_a_secret_uri() {
		let dir = std::env::temp_dir().join(format!("iotctl-keys-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let alice = signer_from_suri("//Alice").unwrap().public_key().0;

		let uri_file = dir.join("uri");
		write_private(&uri_file, "//Alice\n");
		assert_eq!(signer_from_key_file(&uri_file).unwrap().public_key().0, alice);

		let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
		let json_file = dir.join("account.json");
		write_private(&json_file, &format!("{{\"secretPhrase\": \"{phrase}\"}}"));
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

	/// As ssh does: a key others can read is refused, with the fix in the message.
	#[test]
	fn a_key_file_readable_by_others_is_refused() {
		use std::os::unix::fs::PermissionsExt;
		let dir = std::env::temp_dir().join(format!("iotctl-exposed-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let key = dir.join("key");
		for mode in [0o644, 0o640, 0o604] {
			std::fs::write(&key, "//Alice").unwrap();
			std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
			let refused = signer_from_key_file(&key).map(|_| ());
			assert!(
				matches!(&refused, Err(Error::ExposedSecretFile { mode: m, .. }) if *m == mode),
				"{mode:o}: {refused:?}"
			);
			assert!(refused.unwrap_err().to_string().contains("chmod 600"));
			assert!(read_secret(&format!("@{}", key.display())).is_err());
		}
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn secrets_come_from_the_line_or_a_private_file_and_errors_never_repeat_them() {
		let dir = std::env::temp_dir().join(format!("iotctl-secrets-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let secret = format!("0x{}", "5a".repeat(32));
		let file = dir.join("secret");
		write_private(&file, &format!("{secret}\n"));
		assert_eq!(parse_secret32("secret", &secret).unwrap(), [0x5a; 32]);
		assert_eq!(parse_secret32("secret", &format!("@{}", file.display())).unwrap(), [0x5a; 32]);
		let almost = format!("0x{}", "5a".repeat(31));
		let error = parse_secret32("secret", &almost).unwrap_err().to_string();
		assert!(!error.contains(&"5a".repeat(31)), "{error}");
		assert!(error.contains("expected 32 bytes"), "{error}");
		let error = parse_secret32("secret", &format!("0x{}q", "5a".repeat(31))).unwrap_err();
		assert!(!error.to_string().contains('q'), "{error}");
		let error = signer_from_suri("correct horse battery staple").unwrap_err().to_string();
		assert!(!error.contains("horse"), "{error}");
		std::fs::remove_dir_all(&dir).unwrap();
	}
}
