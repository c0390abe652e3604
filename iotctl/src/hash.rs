//! `iotctl hash`: registration hashes between user devices and IoT devices.

use super::Output;
use clap::{Args, Subcommand};
use iotchain_certification_scheme as scheme;
use iotchain_client::{
	fresh_salt, parse_hash32, parse_secret32, runtime::registration_hashes::events::Registered,
	to_hex, Client, Credential, HashRegistration, RegistrationOf, UserDeviceKey, Wait,
};
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Record a pair's next registration: hash mode (from the user's inputs; prints the secret
	/// the certifier keeps) or signature mode (--user-key).
	Register(Register),
	/// Revoke one version of a pair's registration.
	Revoke {
		#[command(flatten)]
		pair: Pair,
		#[arg(long)]
		version: u32,
	},
	/// Show a pair's latest registration, or with --history all of them.
	Show {
		#[command(flatten)]
		pair: Pair,
		#[arg(long)]
		history: bool,
	},
	/// Compute the certification hash answering a nonce with a registration secret (offline).
	Certify(Certify),
}

/// An (IoT device, user device) pair.
#[derive(Debug, Args)]
pub struct Pair {
	/// The IoT device's id (0x, 32 bytes).
	#[arg(long)]
	pub device: String,
	/// The user device's id (0x, 32 bytes).
	#[arg(long)]
	pub user_device: String,
}

impl Pair {
	pub fn parse(&self) -> iotchain_client::Result<([u8; 32], [u8; 32])> {
		Ok((
			parse_hash32("device id", &self.device)?,
			parse_hash32("user device id", &self.user_device)?,
		))
	}
}

#[derive(Debug, Args)]
pub struct Register {
	/// The IoT device's id (0x, 32 bytes).
	#[arg(long)]
	device: String,
	/// The user device's id (0x, 32 bytes); derived from --user-device-info when absent.
	#[arg(long)]
	user_device: Option<String>,
	/// The user's identity (first hash).
	#[arg(long)]
	user_identity: Option<String>,
	/// The user device's own information (second hash; also names the user device).
	#[arg(long)]
	user_device_info: Option<String>,
	/// The IoT app's version (with --app-checksum, the third hash and integrity key).
	#[arg(long)]
	app_version: String,
	/// The IoT app's checksum.
	#[arg(long)]
	app_checksum: String,
	/// The user device's salt (0x, 32 bytes, or @FILE, or -), when it drew its own; otherwise
	/// a fresh one is drawn here. Printed with the secret: keep both in the certification
	/// database.
	#[arg(long, conflicts_with = "user_key")]
	salt: Option<String>,
	/// Signature mode: the user device's sr25519 public key (0x, 32 bytes) instead of hashes.
	#[arg(long, conflicts_with_all = ["user_identity"])]
	user_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct Certify {
	/// The pair's registration secret (0x, 32 bytes), or @FILE, or - for standard input.
	#[arg(long)]
	secret: String,
	/// The nonce the IoT device issued (0x, 32 bytes).
	#[arg(long)]
	nonce: String,
}

pub async fn run(
	command: Command,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Register(register) => {
			let device = parse_hash32("device id", &register.device)?;
			let user_device = match (&register.user_device, &register.user_device_info) {
				(Some(id), _) => parse_hash32("user device id", id)?,
				(None, Some(info)) => scheme::user_device_id(info.as_bytes()),
				(None, None) => anyhow::bail!("give --user-device or --user-device-info"),
			};
			let app = (register.app_version.as_bytes(), register.app_checksum.as_bytes());
			let (credential, integrity_key, derived_secret) = match &register.user_key {
				Some(key) => {
					let key = parse_hash32("user key", key)?;
					let integrity_key = scheme::app_integrity_key(app.0, app.1);
					(Credential::Key(UserDeviceKey::Sr25519(key)), integrity_key, None)
				},
				None => {
					let salt = match &register.salt {
						Some(salt) => parse_secret32("salt", salt)?,
						None => fresh_salt()?,
					};
					let derived = HashRegistration::derive(
						&device,
						&user_device,
						register.user_identity.as_deref().map(str::as_bytes),
						register.user_device_info.as_deref().map(str::as_bytes),
						app,
						salt,
					)?;
					let credential = Credential::Hash {
						registration_hash: derived.registration_hash,
						combination: derived.combination,
					};
					(credential, derived.app_integrity_key, Some((derived.secret, derived.salt)))
				},
			};
			let receipt = client
				.register_pair(device, user_device, credential, integrity_key, wait)
				.await?;
			let version = receipt.find_first::<Registered>()?.map(|registered| registered.version);
			let value = serde_json::json!({
				"device": to_hex(&device),
				"user_device": to_hex(&user_device),
				"version": version,
				"secret": derived_secret.map(|(secret, _)| to_hex(&secret)),
				"salt": derived_secret.map(|(_, salt)| to_hex(&salt)),
				"receipt": receipt,
			});
			output.emit(&value, |out| {
				writeln!(
					out,
					"pair registered: device {} user device {} version {}",
					to_hex(&device),
					to_hex(&user_device),
					version.map(|v| v.to_string()).unwrap_or_else(|| "(not waited for)".into())
				)?;
				if let Some((secret, salt)) = derived_secret {
					writeln!(
						out,
						"registration secret (keep it in the certification database): {}",
						to_hex(&secret)
					)?;
					writeln!(out, "salt (keep it with the secret): {}", to_hex(&salt))?;
				}
				Ok(())
			})
		},
		Command::Revoke { pair, version } => {
			let (device, user_device) = pair.parse()?;
			let receipt = client.revoke_pair(device, user_device, version, wait).await?;
			output.receipt(&format!("registration version {version} revoked"), &receipt)
		},
		Command::Show { pair, history } => {
			let (device, user_device) = pair.parse()?;
			let registrations = if history {
				client.registration_history(device, user_device).await?
			} else {
				client.latest_registration(device, user_device).await?.into_iter().collect()
			};
			if registrations.is_empty() {
				return Err(iotchain_client::Error::NotFound {
					what: "registration of pair",
					id: format!("({}, {})", pair.device, pair.user_device),
				}
				.into());
			}
			let records: Vec<_> = registrations
				.iter()
				.map(|(version, registration)| registration_json(*version, registration))
				.collect();
			if history {
				output.emit(&records, |out| {
					for record in &records {
						writeln!(out, "{record}")?;
					}
					Ok(())
				})
			} else {
				output.record(&records[0])
			}
		},
		Command::Certify(command) => certify(&command, output),
	}
}

/// `hash certify`, which needs no node.
pub fn certify(certify: &Certify, output: &mut Output<'_, impl Write>) -> anyhow::Result<()> {
	let secret = parse_secret32("secret", &certify.secret)?;
	let nonce = parse_hash32("nonce", &certify.nonce)?;
	let answer = to_hex(&scheme::certification_hash(&secret, &nonce));
	output
		.emit(&serde_json::json!({ "certification_hash": answer }), |out| writeln!(out, "{answer}"))
}

/// A registration as JSON.
pub fn registration_json(version: u32, registration: &RegistrationOf) -> serde_json::Value {
	let credential = match &registration.credential {
		Credential::Hash { registration_hash, combination } => serde_json::json!({
			"mode": "hash",
			"registration_hash": to_hex(registration_hash),
			"combination": combination.0,
		}),
		Credential::Key(UserDeviceKey::Sr25519(key)) => {
			serde_json::json!({ "mode": "signature", "sr25519": to_hex(key) })
		},
		Credential::Key(UserDeviceKey::Ed25519(key)) => {
			serde_json::json!({ "mode": "signature", "ed25519": to_hex(key) })
		},
	};
	serde_json::json!({
		"version": version,
		"credential": credential,
		"app_integrity_key": to_hex(&registration.app_integrity_key),
		"recorder": format!("{:?}", registration.recorder),
		"recorded_by": registration.recorded_by.to_string(),
		"recorded_at": registration.recorded_at,
		"revoked": registration.revoked.as_ref().map(|revocation| serde_json::json!({
			"by": revocation.by.to_string(),
			"at": revocation.at,
		})),
	})
}
