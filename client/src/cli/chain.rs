//! `iotctl chain`: what the chain is, who validates it, and its events as they finalise.

use super::Output;
use crate::Client;
use clap::Subcommand;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum Command {
	/// The node and chain: name, versions, genesis, best and finalised blocks, peers.
	Info,
	/// The validator set: approved, active this session, and the minimum.
	Validators,
	/// Print every event as its block finalises (Ctrl-C stops).
	Watch {
		/// Stop after this many blocks.
		#[arg(long)]
		blocks: Option<u64>,
		/// Only events of this pallet (e.g. DeviceRegistry).
		#[arg(long)]
		pallet: Option<String>,
	},
}

pub async fn run(
	command: Command,
	client: &Client,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Info => {
			let info = client.chain_info().await?;
			output.record(&serde_json::to_value(&info)?)
		},
		Command::Validators => {
			let validators = client.validators().await?;
			output.emit(&validators, |out| {
				writeln!(
					out,
					"session {}, minimum {} validators",
					validators.session, validators.min_validators
				)?;
				for account in &validators.approved {
					let active =
						if validators.active.contains(account) { "active" } else { "pending" };
					writeln!(out, "  {account}\t{active}")?;
				}
				for account in validators.active.iter().filter(|a| !validators.approved.contains(a))
				{
					writeln!(out, "  {account}\tleaving")?;
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
						block.events.retain(|event| &event.pallet == pallet);
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
