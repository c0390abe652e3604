//! `iotctl chain`: what the chain is, who validates it, and its events as they finalise.

use super::{Output, Via};
use clap::Subcommand;
use iotchain_client::{Client, ReadAt, Wait};
use std::{
	io::Write,
	path::{Path, PathBuf},
};

#[derive(Debug, Subcommand)]
pub enum Command {
	/// The node and chain: name, versions, genesis, best and finalised blocks, peers.
	Info,
	/// The validator set: approved, active this session, planned for the next, and the minimum,
	/// at the last finalised block.
	Validators {
		/// Read at the best block instead: what motions not yet finalised changed, as while
		/// finality stalls (README, "Recovering a stalled finality").
		#[arg(long)]
		best: bool,
	},
	/// Print every event as its block finalises (Ctrl-C stops).
	Watch {
		/// Stop after this many blocks.
		#[arg(long)]
		blocks: Option<u64>,
		/// Only events of this pallet (e.g. DeviceRegistry).
		#[arg(long)]
		pallet: Option<String>,
	},
	/// Write the whole state at the last finalised block to a JSON file (key → value), for
	/// `scripts/try-upgrade.sh`. Needs a node whose RPC allows unsafe methods.
	Snapshot {
		#[arg(long)]
		out: PathBuf,
	},
	/// Write the node's runtime metadata (V16, the bytes subxt generates types from) to a file:
	/// what `scripts/refresh-metadata.sh` keeps as the client's `artifacts/iotchain.scale`.
	/// Any runtime's, whether or not this iotctl was built for it.
	Metadata {
		#[arg(long)]
		out: PathBuf,
	},
	/// Signal that finality (GRANDPA) has stalled: force a change to the then-current
	/// validators `--delay` blocks after the next session change (governance, two thirds).
	NoteStalled {
		/// Blocks to wait after the next session change before the forced change applies.
		#[arg(long)]
		delay: u32,
		/// The last block the healthy nodes report finalised.
		#[arg(long)]
		best_finalized: u32,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
}

/// `iotctl chain metadata`: the runtime's metadata V16, as the runtime serves it, into `out`.
pub async fn metadata(
	client: &Client,
	out: &Path,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	let version = iotchain_client::METADATA_VERSION;
	let metadata = client
		.runtime_metadata(version)
		.await?
		.ok_or_else(|| anyhow::anyhow!("the node's runtime serves no metadata V{version}"))?;
	std::fs::write(out, &metadata)
		.map_err(|error| anyhow::anyhow!("cannot write {}: {error}", out.display()))?;
	let value = serde_json::json!({ "out": out, "version": version, "bytes": metadata.len() });
	output.emit(&value, |w| {
		writeln!(w, "{}: {} bytes of metadata V{version}", out.display(), metadata.len())
	})
}

pub async fn run(
	command: Command,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Metadata { out } => metadata(client, &out, output).await,
		Command::Snapshot { out } => {
			let snapshot = client.state_snapshot().await?;
			let file = std::fs::File::create(&out)
				.map_err(|source| iotchain_client::Error::File { path: out.clone(), source })?;
			serde_json::to_writer(std::io::BufWriter::new(file), &snapshot)?;
			let value = serde_json::json!({
				"out": out,
				"block_number": snapshot.block_number,
				"block_hash": snapshot.block_hash,
				"spec_version": snapshot.spec_version,
				"keys": snapshot.top.len(),
			});
			output.emit(&value, |w| {
				writeln!(
					w,
					"{} keys at block #{} ({:?}, spec version {}) written to {}",
					snapshot.top.len(),
					snapshot.block_number,
					snapshot.block_hash,
					snapshot.spec_version,
					out.display()
				)
			})
		},
		Command::NoteStalled { delay, best_finalized, via } => {
			let receipt = client.note_stalled(delay, best_finalized, via.into(), wait).await?;
			let what = match via {
				Via::Council => "finality stall proposed to the council",
				Via::Sudo => "finality stall noted",
			};
			output.receipt(what, &receipt)
		},
		Command::Info => {
			let info = client.chain_info().await?;
			output.record(&serde_json::to_value(&info)?)
		},
		Command::Validators { best } => {
			let read_at = if best { ReadAt::Best } else { ReadAt::Finalised };
			let validators = client.validators(read_at).await?;
			output.emit(&validators, |out| {
				let block = if validators.best { "best" } else { "finalised" };
				writeln!(
					out,
					"session {} at {block} block #{}, minimum {} validators",
					validators.session, validators.block.number, validators.min_validators
				)?;
				for account in &validators.approved {
					let active =
						if validators.active.contains(account) { "active" } else { "pending" };
					let planned =
						if validators.planned.contains(account) { ", planned" } else { "" };
					writeln!(out, "  {account}\t{active}{planned}")?;
				}
				for account in validators.active.iter().filter(|a| !validators.approved.contains(a))
				{
					let planned =
						if validators.planned.contains(account) { ", planned" } else { "" };
					writeln!(out, "  {account}\tleaving{planned}")?;
				}
				Ok(())
			})
		},
		Command::Watch { blocks, pallet } => {
			let mut seen = 0u64;
			let mut failure = None;
			client
				.watch_finalised(|mut block| {
					if let Some(pallet) = &pallet {
						block.events.retain(|event| event.pallet() == pallet.as_str());
					}
					if let Err(error) = output.emit(&block, |out| {
						for event in &block.events {
							writeln!(out, "#{} {event}", block.block.number)?;
						}
						Ok(())
					}) {
						failure = Some(error);
						return Ok(false);
					}
					seen += 1;
					Ok(blocks.is_none_or(|blocks| seen < blocks))
				})
				.await?;
			failure.map_or(Ok(()), Err)
		},
	}
}
