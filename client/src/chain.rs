//! The chain itself: what it is, who validates it, and its events as blocks finalise.

use crate::{client::BlockAt, render::EventRecord, runtime, AccountId, Client, Hash, Result};
use serde::Serialize;

/// What a node says about itself and its chain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChainInfo {
	pub chain: String,
	pub node: String,
	pub node_version: String,
	pub genesis: Hash,
	pub spec_name: String,
	pub spec_version: u32,
	pub best: u64,
	pub finalised: u64,
	pub peers: usize,
	pub syncing: bool,
}

/// The validator set: approved by governance, active in this session, and the minimum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Validators {
	pub approved: Vec<AccountId>,
	pub active: Vec<AccountId>,
	pub min_validators: u32,
	pub session: u32,
}

/// A finalised block's events.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockEvents {
	pub block: BlockAt,
	pub events: Vec<EventRecord>,
}

impl Client {
	/// The node's and the chain's identity and progress.
	pub async fn chain_info(&self) -> Result<ChainInfo> {
		let rpc = self.rpc();
		let health = rpc.system_health().await?;
		let best = rpc.chain_get_header(None).await?.map(|header| header.number).unwrap_or(0);
		let finalised_hash = rpc.chain_get_finalized_head().await?;
		let finalised = rpc
			.chain_get_header(Some(finalised_hash))
			.await?
			.map(|header| header.number)
			.unwrap_or(0);
		let version = rpc.state_get_runtime_version(None).await?;
		let spec_name = version
			.other
			.get("specName")
			.and_then(|name| name.as_str())
			.unwrap_or_default()
			.to_owned();
		Ok(ChainInfo {
			chain: rpc.system_chain().await?,
			node: rpc.system_name().await?,
			node_version: rpc.system_version().await?,
			genesis: self.api().genesis_hash(),
			spec_name,
			spec_version: version.spec_version,
			best,
			finalised,
			peers: health.peers,
			syncing: health.is_syncing,
		})
	}

	/// The validator set as of the last finalised block.
	pub async fn validators(&self) -> Result<Validators> {
		let at = self.api().at_current_block().await?;
		let storage = at.storage();
		let approved = storage
			.fetch(runtime::storage().validator_set().approved_validators(), ())
			.await?;
		let active = storage.fetch(runtime::storage().session().validators(), ()).await?;
		let min = storage.fetch(runtime::storage().validator_set().min_validators(), ()).await?;
		let session = storage.fetch(runtime::storage().session().current_index(), ()).await?;
		Ok(Validators {
			approved: approved.decode()?.0,
			active: active.decode()?,
			min_validators: min.decode()?,
			session: session.decode()?,
		})
	}

	/// Calls `on_block` with each block's events as it finalises, until it returns `false` or
	/// the connection ends.
	pub async fn watch_finalised(
		&self,
		mut on_block: impl FnMut(BlockEvents) -> Result<bool>,
	) -> Result<()> {
		let mut blocks = self.api().stream_blocks().await?;
		while let Some(block) = blocks.next().await {
			let block = block?;
			let at = block.at().await?;
			let metadata = at.metadata();
			let mut events = Vec::new();
			for event in at.events().fetch().await?.iter() {
				events.push(EventRecord::from_event(&event?, &metadata)?);
			}
			let block = BlockAt { number: block.number(), hash: block.hash() };
			if !on_block(BlockEvents { block, events })? {
				break;
			}
		}
		Ok(())
	}
}
