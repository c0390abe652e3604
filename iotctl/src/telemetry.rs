//! `iotctl telemetry`: check a reading a gateway anchored, and where devices' readings stand.

use super::Output;
use anyhow::Context;
use clap::Subcommand;
use iotchain_client::{parse_hash32, Client, ReadingProof};
use std::{io::Write, path::PathBuf};

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Check a reading against the chain: its device's signature, its inclusion proof and the
	/// finalised anchor (the JSON a gateway serves at /v1/proofs/{device}/{seq}).
	Verify {
		/// The proof's JSON file, or `-` for standard input.
		proof: PathBuf,
		/// The reading's envelope, for a proof served without it (`telemetry read
		/// --no-payload`): a file of its wire bytes, or of their hex (`0x…`).
		#[arg(long)]
		envelope: Option<PathBuf>,
	},
	/// Fetch a reading and its proof from a gateway, as one of the device's readers: the
	/// device, its owner's admins and members, or a holder of a `read` grant on it (at the
	/// grant's level). The request is signed with --suri or --key-file; the answer is the
	/// proof `telemetry verify` checks.
	Read {
		/// The gateway's HTTP address, e.g. http://127.0.0.1:8080.
		#[arg(long, env = "IOTCHAIN_GATEWAY_URL")]
		gateway: String,
		/// The device id (hex).
		device: String,
		/// The reading's sequence number.
		sequence: u64,
		/// Leave the envelope out: for a verifier that holds the reading already.
		#[arg(long)]
		no_payload: bool,
	},
	/// Where a device's readings were last anchored: gateway, batch, last sequence number.
	Anchor {
		/// The device id (hex).
		device: String,
	},
	/// A gateway's anchored batch: root, leaf count, time range, anchoring block.
	Batch {
		/// The gateway's device id (hex).
		gateway: String,
		/// The batch's sequence number.
		sequence: u64,
	},
}

pub async fn run(
	command: Command,
	client: &Client,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Verify { proof, envelope } => {
			let text = if proof.as_os_str() == "-" {
				std::io::read_to_string(std::io::stdin()).context("reading the proof from stdin")?
			} else {
				std::fs::read_to_string(&proof)
					.with_context(|| format!("reading {}", proof.display()))?
			};
			let mut reading: ReadingProof =
				serde_json::from_str(&text).context("the proof is not a gateway's proof JSON")?;
			if let Some(path) = envelope {
				let bytes =
					std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
				let wire = match bytes.strip_prefix(b"0x") {
					Some(digits) => hex::decode(digits.trim_ascii())
						.with_context(|| format!("{} is not hex", path.display()))?,
					None => bytes,
				};
				reading.envelope = Some(iotchain_client::to_hex(&wire));
			}
			let verified = client.verify_reading(&reading).await?;
			output.record(&serde_json::to_value(&verified)?)
		},
		Command::Read { gateway, device, sequence, no_payload } => {
			let device = parse_hash32("device", &device)?;
			let mut target = format!("/v1/proofs/{}/{sequence}", iotchain_client::to_hex(&device));
			if no_payload {
				target.push_str("?payload=omit");
			}
			let signed = client.sign_read_request("GET", &target)?;
			let url = format!("{}{target}", gateway.trim_end_matches('/'));
			let response = reqwest::Client::new()
				.get(&url)
				.header(reqwest::header::AUTHORIZATION, signed.header())
				.send()
				.await
				.with_context(|| format!("the gateway at {gateway} did not answer"))?;
			let status = response.status();
			let body: serde_json::Value =
				response.json().await.context("the gateway's answer is not JSON")?;
			if !status.is_success() {
				anyhow::bail!(
					"the gateway refused the read ({status}): {} ({})",
					body["error"].as_str().unwrap_or("?"),
					body["detail"].as_str().unwrap_or("")
				);
			}
			output.record(&body)
		},
		Command::Anchor { device } => {
			let anchor = client.device_anchor(parse_hash32("device", &device)?).await?;
			let value = anchor.map(|anchor| {
				serde_json::json!({
					"gateway": iotchain_client::to_hex(&anchor.gateway),
					"batch": anchor.batch,
					"last_sequence": anchor.last_sequence,
				})
			});
			output.record(&value.unwrap_or(serde_json::Value::Null))
		},
		Command::Batch { gateway, sequence } => {
			let batch = client.anchored_batch(parse_hash32("gateway", &gateway)?, sequence).await?;
			let value = batch.map(|batch| {
				serde_json::json!({
					"root": iotchain_client::to_hex(&batch.root),
					"leaf_count": batch.leaf_count,
					"first_timestamp_ms": batch.first_timestamp_ms,
					"last_timestamp_ms": batch.last_timestamp_ms,
					"device_count": batch.device_count,
					"anchored_at": batch.anchored_at,
				})
			});
			output.record(&value.unwrap_or(serde_json::Value::Null))
		},
	}
}
