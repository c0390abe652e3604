//! `iotctl validator`, `iotctl node` and `iotctl council`: what the consortium governs.

use super::{Output, Via};
use clap::{Args, Subcommand};
use iotchain_client::{
	node_claim_proof, node_key_from_file, parse_account, parse_hash32, parse_signature64, to_hex,
	Client, Hash, OrgId, Wait,
};
use std::{io::Write, path::PathBuf};

#[derive(Debug, Subcommand)]
pub enum ValidatorCommand {
	/// Approve a validator (governance: two thirds of the council).
	Add {
		account: String,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Remove a validator (governance: two thirds of the council).
	Remove {
		account: String,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Withdraw the signer's own validator, without a vote.
	Withdraw,
	/// Set the fewest validators the set may shrink to (governance: two thirds of the council).
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
	/// Remove a node from the allow-list (governance: two thirds of the council).
	Disallow {
		peer_id: String,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Claim an allow-list slot for one of the signer's organisation's nodes (its admins),
	/// with the node's consent: its key file here, or the PeerId and signature `node prove`
	/// printed on the node's machine.
	Claim {
		/// The node's identity key file (`iotchain-node key generate-node-key --file`).
		#[arg(long, conflicts_with_all = ["peer_id", "signature"], required_unless_present = "peer_id")]
		node_key_file: Option<PathBuf>,
		/// The node's PeerId (base58), with --signature.
		#[arg(long, requires = "signature")]
		peer_id: Option<String>,
		/// The node key's signature from `node prove` (0x, 64 bytes).
		#[arg(long, requires = "peer_id")]
		signature: Option<String>,
	},
	/// Print a node's PeerId and its key's consent to organisation `--org` claiming it, for an
	/// admin to submit with `node claim`. Offline when `--genesis` names the chain.
	Prove(NodeProve),
	/// Release a node the signer's organisation claimed.
	Release { peer_id: String },
	/// List the allowed nodes.
	List,
}

#[derive(Debug, Args)]
pub struct NodeProve {
	/// The node's identity key file.
	#[arg(long)]
	node_key_file: PathBuf,
	/// The organisation that will claim it.
	#[arg(long)]
	org: OrgId,
	/// The chain's genesis hash (0x, 32 bytes); asked of the node when absent.
	#[arg(long)]
	pub genesis: Option<String>,
}

/// Prints a node's PeerId and claim signature for `genesis`.
pub fn node_prove(
	args: &NodeProve,
	genesis: [u8; 32],
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	let node_key = node_key_from_file(&args.node_key_file)?;
	let (peer_id, signature) = node_claim_proof(&node_key, &genesis, args.org);
	let value = serde_json::json!({
		"peer_id": peer_id,
		"org": args.org,
		"signature": to_hex(&signature),
	});
	output.emit(&value, |out| {
		writeln!(out, "peer_id   {peer_id}")?;
		writeln!(out, "signature {}", to_hex(&signature))?;
		Ok(())
	})
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
	/// Close a motion: execute it if it has its majority; then give its proposer's deposit and
	/// slot back.
	Close { motion: Hash, index: u32 },
	/// Give a closed motion's deposit and slot back to its proposer (a seat holds at most three
	/// motions open).
	Release { motion: Hash },
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
		ValidatorCommand::Withdraw => {
			let receipt = client.withdraw_validator(wait).await?;
			output.receipt("validator withdrawn", &receipt)
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
		NodeCommand::Claim { node_key_file, peer_id, signature } => {
			let (peer_id, signature) = match (node_key_file, peer_id, signature) {
				(Some(path), _, _) => {
					let node_key = node_key_from_file(&path)?;
					let org = client.signer_organisation().await?;
					node_claim_proof(&node_key, &client.genesis(), org)
				},
				(None, Some(peer_id), Some(signature)) => {
					(peer_id, parse_signature64("node signature", &signature)?)
				},
				_ => anyhow::bail!("give --node-key-file, or --peer-id with --signature"),
			};
			let receipt = client.claim_node(&peer_id, signature, wait).await?;
			output.receipt(&format!("node {peer_id} claimed"), &receipt)
		},
		NodeCommand::Prove(args) => {
			let genesis = match &args.genesis {
				Some(genesis) => parse_hash32("genesis hash", genesis)?,
				None => client.genesis(),
			};
			node_prove(&args, genesis, output)
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
		CouncilCommand::Release { motion } => {
			let receipt = client.release_motion_cost(motion, wait).await?;
			output.receipt(&format!("motion {motion:?}'s deposit released"), &receipt)
		},
	}
}
