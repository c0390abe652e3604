//! `iotctl validator`, `iotctl node` and `iotctl council`: what the consortium governs.

use super::{Output, Via};
use crate::{parse_account, Client, Hash, Wait};
use clap::Subcommand;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum ValidatorCommand {
	/// Approve a validator (governance).
	Add {
		account: String,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Remove a validator (governance).
	Remove {
		account: String,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Set the fewest validators the set may shrink to (governance).
	Min {
		count: u32,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Have the connected node generate session keys for the signer and register them.
	RotateKeys,
}

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
	/// Allow a node into the network (governance).
	Allow {
		peer_id: String,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Remove a node from the allow-list (governance).
	Disallow {
		peer_id: String,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Claim an allow-list slot for one of the signer's organisation's nodes (its admins).
	Claim { peer_id: String },
	/// Release a node the signer's organisation claimed.
	Release { peer_id: String },
	/// List the allowed nodes.
	List,
}

#[derive(Debug, Subcommand)]
pub enum CouncilCommand {
	/// The council's members.
	Members,
	/// Motions waiting for votes.
	Motions,
	/// Vote on a motion.
	Vote {
		motion: Hash,
		index: u32,
		/// Vote against (the default is for).
		#[arg(long)]
		nay: bool,
	},
	/// Close a motion: execute it if it has its majority.
	Close { motion: Hash, index: u32 },
}

pub async fn run_validator(
	command: ValidatorCommand,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		ValidatorCommand::Add { account, via } => {
			let receipt = client.add_validator(parse_account(&account)?, via.into(), wait).await?;
			output.receipt(&format!("validator {account} approved"), &receipt)
		},
		ValidatorCommand::Remove { account, via } => {
			let receipt =
				client.remove_validator(parse_account(&account)?, via.into(), wait).await?;
			output.receipt(&format!("validator {account} removed"), &receipt)
		},
		ValidatorCommand::Min { count, via } => {
			let receipt = client.set_min_validators(count, via.into(), wait).await?;
			output.receipt(&format!("minimum validators set to {count}"), &receipt)
		},
		ValidatorCommand::RotateKeys => {
			let receipt = client.rotate_session_keys(wait).await?;
			output.receipt("session keys generated and registered", &receipt)
		},
	}
}

pub async fn run_node(
	command: NodeCommand,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		NodeCommand::Allow { peer_id, via } => {
			let receipt = client.allow_node(&peer_id, via.into(), wait).await?;
			output.receipt(&format!("node {peer_id} allowed"), &receipt)
		},
		NodeCommand::Disallow { peer_id, via } => {
			let receipt = client.disallow_node(&peer_id, via.into(), wait).await?;
			output.receipt(&format!("node {peer_id} removed"), &receipt)
		},
		NodeCommand::Claim { peer_id } => {
			let receipt = client.claim_node(&peer_id, wait).await?;
			output.receipt(&format!("node {peer_id} claimed"), &receipt)
		},
		NodeCommand::Release { peer_id } => {
			let receipt = client.release_node(&peer_id, wait).await?;
			output.receipt(&format!("node {peer_id} released"), &receipt)
		},
		NodeCommand::List => {
			let nodes = client.allowed_nodes().await?;
			let value: Vec<_> = nodes
				.iter()
				.map(|(peer_id, owner)| serde_json::json!({ "peer_id": peer_id, "owner": owner }))
				.collect();
			output.emit(&value, |out| {
				for (peer_id, owner) in &nodes {
					writeln!(out, "{peer_id}\t{owner}")?;
				}
				Ok(())
			})
		},
	}
}

pub async fn run_council(
	command: CouncilCommand,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		CouncilCommand::Members => {
			let members = client.council_members().await?;
			output.emit(&members, |out| {
				for member in &members {
					writeln!(out, "{member}")?;
				}
				Ok(())
			})
		},
		CouncilCommand::Motions => {
			let motions = client.motions().await?;
			output.emit(&motions, |out| {
				for motion in &motions {
					writeln!(
						out,
						"{:?} #{}\t{} of {} ayes, {} nays, ends at block {}",
						motion.hash,
						motion.index,
						motion.ayes.len(),
						motion.threshold,
						motion.nays.len(),
						motion.end
					)?;
				}
				Ok(())
			})
		},
		CouncilCommand::Vote { motion, index, nay } => {
			let receipt = client.vote(motion, index, !nay, wait).await?;
			output.receipt(
				&format!("voted {} motion #{index}", if nay { "nay on" } else { "aye on" }),
				&receipt,
			)
		},
		CouncilCommand::Close { motion, index } => {
			let receipt = client.close_motion(motion, index, wait).await?;
			output.receipt(&format!("motion #{index} closed"), &receipt)
		},
	}
}
