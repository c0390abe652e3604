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
		Command::Verify { proof } => {
			let text = if proof.as_os_str() == "-" {
				std::io::read_to_string(std::io::stdin()).context("reading the proof from stdin")?
			} else {
				std::fs::read_to_string(&proof)
					.with_context(|| format!("reading {}", proof.display()))?
			};
			let reading: ReadingProof =
				serde_json::from_str(&text).context("the proof is not a gateway's proof JSON")?;
			let verified = client.verify_reading(&reading).await?;
			output.record(&serde_json::to_value(&verified)?)
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
