//! `iotctl login`: challenges, logins and the audit trail.

use super::{hash::Pair, Output};
use clap::{Args, Subcommand};
use iotchain_client::{
	parse_hash32, parse_secret32, read_secret, runtime::login_records::events::LoginRecorded,
	signer_from_suri, to_hex, Challenge, Client, Error, Evidence, LoginOutcome, LoginRecordOf,
	UserDeviceSignature, Wait,
};
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Issue a challenge as an IoT device does: a random nonce and the current block.
	Challenge,
	/// Record a hash-mode login a certifier checks: the outcome is decided from the secret,
	/// the answer and the chain's registration, and recorded either way.
	Record {
		#[command(flatten)]
		pair: Pair,
		#[command(flatten)]
		challenge: ChallengeArgs,
		/// The pair's registration secret from the certification database (0x, 32 bytes), or
		/// @FILE to read it from a file only you can read, or - for standard input.
		#[arg(long)]
		secret: String,
		/// The certification hash the user device answered.
		#[arg(long)]
		certification_hash: String,
	},
	/// Submit a signature-mode login for the chain to verify and record: signed here with
	/// the user device's key (--user-suri) or given (--signature).
	VerifySignature {
		#[command(flatten)]
		pair: Pair,
		#[command(flatten)]
		challenge: ChallengeArgs,
		/// The user device's sr25519 secret URI, or @FILE, or - for standard input; signs the
		/// login payload locally.
		#[arg(long, conflicts_with = "signature", required_unless_present = "signature")]
		user_suri: Option<String>,
		/// The user device's sr25519 signature of the login payload (0x, 64 bytes).
		#[arg(long)]
		signature: Option<String>,
	},
	/// A device's recent login attempts (and a pair's failure count and lock).
	History {
		#[arg(long)]
		device: String,
		/// Also show this user device's failure count and lock.
		#[arg(long)]
		user_device: Option<String>,
		#[arg(long, default_value_t = 20)]
		limit: u32,
	},
	/// Unlock a locked pair (an account of the device's organisation).
	Unlock {
		#[command(flatten)]
		pair: Pair,
	},
}

/// The challenge a login answers.
#[derive(Debug, Args)]
pub struct ChallengeArgs {
	/// The nonce the IoT device issued (0x, 32 bytes).
	#[arg(long)]
	nonce: String,
	/// The block the challenge was issued at.
	#[arg(long)]
	challenge_block: u32,
}

impl ChallengeArgs {
	fn parse(&self) -> iotchain_client::Result<Challenge> {
		Ok(Challenge { nonce: parse_hash32("nonce", &self.nonce)?, block: self.challenge_block })
	}
}

pub async fn run(
	command: Command,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Challenge => {
			let challenge = client.challenge().await?;
			output.emit(&challenge, |out| {
				writeln!(out, "nonce: {}\nblock: {}", to_hex(&challenge.nonce), challenge.block)
			})
		},
		Command::Record { pair, challenge, secret, certification_hash } => {
			let (device, user_device) = pair.parse()?;
			let (outcome, receipt) = client
				.record_hash_login(
					device,
					user_device,
					challenge.parse()?,
					parse_secret32("secret", &secret)?,
					parse_hash32("certification hash", &certification_hash)?,
					wait,
				)
				.await?;
			output.receipt(&format!("login recorded: {}", outcome_text(&outcome)), &receipt)
		},
		Command::VerifySignature { pair, challenge, user_suri, signature } => {
			let (device, user_device) = pair.parse()?;
			let challenge = challenge.parse()?;
			let signature = match (user_suri, signature) {
				(Some(suri), _) => client.sign_login(
					&signer_from_suri(&read_secret(&suri)?)?,
					device,
					user_device,
					challenge,
				),
				(None, Some(signature)) => {
					UserDeviceSignature::Sr25519(parse_signature(&signature)?)
				},
				(None, None) => anyhow::bail!("give --user-suri or --signature"),
			};
			let receipt = client
				.submit_signed_login(device, user_device, challenge, signature, wait)
				.await?;
			// The chain's record of the login; without waiting for it there is none.
			let outcome = receipt
				.events()
				.iter()
				.find(|event| event.is::<LoginRecorded>())
				.map_or("submitted", |event| event.name());
			output.receipt(&format!("signed login: {outcome}"), &receipt)
		},
		Command::History { device, user_device, limit } => {
			let device = parse_hash32("device id", &device)?;
			let records = client.recent_logins(device, limit).await?;
			let state = match &user_device {
				Some(user_device) => {
					let user_device = parse_hash32("user device id", user_device)?;
					let state = client.pair_state(device, user_device).await?;
					Some(serde_json::json!({
						"user_device": to_hex(&user_device),
						"consecutive_failures": state.consecutive_failures,
						"locked_since": state.locked_since,
					}))
				},
				None => None,
			};
			let json: Vec<_> = records.iter().map(login_json).collect();
			let value =
				serde_json::json!({ "device": to_hex(&device), "attempts": json, "pair": state });
			output.emit(&value, |out| {
				for record in &records {
					writeln!(
						out,
						"#{}\tblock {}\t{}\t{}",
						record.attempt,
						record.block,
						to_hex(&record.user_device),
						outcome_text(&record.outcome)
					)?;
				}
				if let Some(state) = &state {
					writeln!(
						out,
						"pair {}: {} consecutive failures, {}",
						state["user_device"].as_str().unwrap_or_default(),
						state["consecutive_failures"],
						match state["locked_since"].as_u64() {
							Some(block) => format!("locked since block {block}"),
							None => "not locked".into(),
						}
					)?;
				}
				Ok(())
			})
		},
		Command::Unlock { pair } => {
			let (device, user_device) = pair.parse()?;
			let receipt = client.unlock_pair(device, user_device, wait).await?;
			output.receipt("pair unlocked", &receipt)
		},
	}
}

fn parse_signature(text: &str) -> iotchain_client::Result<[u8; 64]> {
	let digits = text.trim().trim_start_matches("0x");
	let bytes = hex::decode(digits).map_err(|error| Error::malformed("signature", text, error))?;
	<[u8; 64]>::try_from(bytes.as_slice())
		.map_err(|_| Error::malformed("signature", text, "expected 64 bytes"))
}

fn outcome_text(outcome: &LoginOutcome) -> String {
	match outcome {
		LoginOutcome::Success => "success".into(),
		LoginOutcome::Failure(reason) => format!("failure ({reason:?})"),
	}
}

/// A login record as JSON.
pub fn login_json(record: &LoginRecordOf) -> serde_json::Value {
	let evidence = match &record.evidence {
		Evidence::CertificationHash(hash) => {
			serde_json::json!({ "certification_hash": to_hex(hash) })
		},
		Evidence::Signature(UserDeviceSignature::Sr25519(signature)) => {
			serde_json::json!({ "sr25519_signature": to_hex(signature) })
		},
		Evidence::Signature(UserDeviceSignature::Ed25519(signature)) => {
			serde_json::json!({ "ed25519_signature": to_hex(signature) })
		},
	};
	serde_json::json!({
		"attempt": record.attempt,
		"user_device": to_hex(&record.user_device),
		"outcome": outcome_text(&record.outcome),
		"nonce": to_hex(&record.nonce),
		"challenge_block": record.challenge_block,
		"evidence": evidence,
		"registration_version": record.registration_version,
		"certifier": record.certifier,
		"submitted_by": record.submitted_by.to_string(),
		"block": record.block,
	})
}
