//! The chain itself: what it is, who validates it, and its events as blocks finalise.

use crate::{events::ChainEvent, runtime, submit::BlockAt, AccountId, Client, Error, Hash, Result};
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

/// The validator set at one block: approved by governance, active in this session, planned
/// for the next, and the minimum.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Validators {
	/// The block read, and whether it was the best block rather than the last finalised.
	pub block: BlockAt,
	pub best: bool,
	pub approved: Vec<AccountId>,
	pub active: Vec<AccountId>,
	/// The set the last session boundary planned: active from the next boundary on. GRANDPA
	/// forces a change to this set when a stall is signalled.
	pub planned: Vec<AccountId>,
	pub min_validators: u32,
	pub session: u32,
}

/// Which block a read is made at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadAt {
	/// The last finalised block: what no fork can undo.
	Finalised,
	/// The best block: what blocks not yet finalised changed, as while finality stalls.
	Best,
}

/// A finalised block's events, found by type ([`ChainEvent::as_event`]); serialised, each is
/// `{"pallet", "name", "fields"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BlockEvents {
	pub block: BlockAt,
	pub events: Vec<ChainEvent>,
}

/// How the chain's runtime compares with the one this client's metadata describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RuntimeCompatibility {
	/// The spec version of the runtime the client was built against (`artifacts/iotchain.scale`).
	pub built_for: u32,
	/// The spec version the chain runs now.
	pub chain: u32,
}

impl RuntimeCompatibility {
	/// What an operator should know when the two differ; `None` when they match.
	///
	/// A differing version alone refuses nothing: subxt checks each call, storage item and
	/// constant against the chain's metadata when it is used, so whatever did not change keeps
	/// working and whatever did is refused as [`crate::Error::IncompatibleRuntime`].
	pub fn warning(&self) -> Option<String> {
		use core::cmp::Ordering::*;
		let relation = match self.chain.cmp(&self.built_for) {
			Equal => return None,
			Greater => "older than the chain's",
			Less => "newer than the chain's",
		};
		Some(format!(
			"this client's metadata (runtime spec version {}) is {relation} (spec version {}): \
			 reads and calls the upgrade left unchanged work, any other is refused as \
			 incompatible; build the client from the chain's source tree",
			self.built_for, self.chain
		))
	}
}

/// The spec version in the metadata this client was generated from.
pub fn built_for_spec_version() -> u32 {
	static METADATA: &[u8] = include_bytes!("../artifacts/iotchain.scale");
	// `System::Version` is the runtime's `RuntimeVersion`: spec name, impl name, authoring
	// version, then the spec version.
	let metadata = subxt::metadata::Metadata::decode_from(METADATA)
		.expect("the committed metadata decodes: a test checks it against the runtime");
	let version = metadata
		.pallet_by_name("System")
		.and_then(|system| system.constant_by_name("Version"))
		.expect("every FRAME runtime has System::Version")
		.value();
	<(String, String, u32, u32) as codec::Decode>::decode(&mut &version[..])
		.expect("System::Version starts with names and versions")
		.3
}

/// The metadata version this client's types are generated from: `artifacts/iotchain.scale`
/// holds the runtime's metadata at this version ([`Client::runtime_metadata`]).
pub const METADATA_VERSION: u32 = 16;

/// Every key and value of the chain's state at one finalised block: what `scripts/try-upgrade.sh`
/// runs a new runtime's migrations and invariants against.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct StateSnapshot {
	pub block_number: u64,
	pub block_hash: Hash,
	pub spec_version: u32,
	/// The main trie, hex key to hex value. (The runtime keeps no child tries.)
	pub top: std::collections::BTreeMap<String, String>,
}

/// Keys asked for in one request; the node's limit for `state_getKeysPaged` is 1,000.
const SNAPSHOT_PAGE: u32 = 1_000;

impl Client {
	/// The whole state at the last finalised block, read page by page through the node's RPC
	/// (which must allow unsafe methods for the key listing, as a node's local RPC does).
	pub async fn state_snapshot(&self) -> Result<StateSnapshot> {
		use subxt::rpcs::rpc_params;
		let block_hash = self.rpc().chain_get_finalized_head().await?;
		let block_number = self
			.rpc()
			.chain_get_header(Some(block_hash))
			.await?
			.map(|header| header.number)
			.unwrap_or(0);
		let spec_version =
			self.rpc().state_get_runtime_version(Some(block_hash)).await?.spec_version;
		let mut top = std::collections::BTreeMap::new();
		let mut start: Option<String> = None;
		loop {
			let keys: Vec<String> = self
				.raw_rpc()
				.request(
					"state_getKeysPaged",
					rpc_params!["0x", SNAPSHOT_PAGE, start.clone(), block_hash],
				)
				.await?;
			let changes: Vec<serde_json::Value> = self
				.raw_rpc()
				.request("state_queryStorageAt", rpc_params![keys.clone(), block_hash])
				.await?;
			for change in
				changes.iter().flat_map(|set| set["changes"].as_array().into_iter().flatten())
			{
				if let (Some(key), Some(value)) = (change[0].as_str(), change[1].as_str()) {
					top.insert(key.to_owned(), value.to_owned());
				}
			}
			if keys.len() < SNAPSHOT_PAGE as usize {
				break;
			}
			start = keys.last().cloned();
		}
		Ok(StateSnapshot { block_number, block_hash, spec_version, top })
	}

	/// The runtime's metadata at `version`, exactly as the runtime serves it (its
	/// `Metadata_metadata_at_version` API) at the best block: the bytes, starting with the
	/// magic number `meta`, that `artifacts/iotchain.scale` holds for [`METADATA_VERSION`].
	/// `None` when the runtime does not serve that version. Any runtime's metadata is read,
	/// whether or not it matches this client's (`scripts/refresh-metadata.sh` reads a new
	/// runtime's with a client built for the old one).
	pub async fn runtime_metadata(&self, version: u32) -> Result<Option<Vec<u8>>> {
		use codec::{Decode, Encode};
		let answer = self
			.rpc()
			.state_call("Metadata_metadata_at_version", Some(&version.encode()[..]), None)
			.await?;
		// An `Option<OpaqueMetadata>`, which encodes as an `Option<Vec<u8>>`.
		let metadata = Option::<Vec<u8>>::decode(&mut &answer[..]).map_err(|error| {
			Error::Node(format!("the runtime's metadata answer does not decode: {error}"))
		})?;
		match metadata {
			Some(bytes) if !bytes.starts_with(b"meta") => Err(Error::Node(
				"the runtime's metadata does not start with the magic number \"meta\"".into(),
			)),
			metadata => Ok(metadata),
		}
	}

	/// The chain's runtime version against the one this client was built for.
	pub async fn runtime_compatibility(&self) -> Result<RuntimeCompatibility> {
		let chain = self.rpc().state_get_runtime_version(None).await?.spec_version;
		Ok(RuntimeCompatibility { built_for: built_for_spec_version(), chain })
	}

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

	/// Whether the node runs a live chain: one its chain spec declares `Live`, or of a custom
	/// type; only `Development` and `Local` chains are not.
	pub async fn chain_is_live(&self) -> Result<bool> {
		use subxt::rpcs::rpc_params;
		let chain_type: serde_json::Value =
			self.raw_rpc().request("system_chainType", rpc_params![]).await?;
		Ok(!matches!(chain_type.as_str(), Some("Development" | "Local")))
	}

	/// The validator set at the last finalised block, or at the best block.
	pub async fn validators(&self, read_at: ReadAt) -> Result<Validators> {
		let at = match read_at {
			ReadAt::Finalised => self.api().at_current_block().await?,
			ReadAt::Best => {
				let best = self.rpc().chain_get_header(None).await?.map(|header| header.number);
				self.api().at_block(best.unwrap_or(0)).await?
			},
		};
		let block = BlockAt { number: at.block_number(), hash: at.block_hash() };
		let storage = at.storage();
		let approved = storage
			.fetch(runtime::storage().validator_set().approved_validators(), ())
			.await?;
		let active = storage.fetch(runtime::storage().session().validators(), ()).await?;
		let planned = storage
			.fetch(runtime::storage().validator_set().planned_validators(), ())
			.await?;
		let min = storage.fetch(runtime::storage().validator_set().min_validators(), ()).await?;
		let session = storage.fetch(runtime::storage().session().current_index(), ()).await?;
		Ok(Validators {
			block,
			best: read_at == ReadAt::Best,
			approved: approved.decode()?.0,
			active: active.decode()?,
			planned: planned.decode()?.0,
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
			if !on_block(block_events(&at).await?)? {
				break;
			}
		}
		Ok(())
	}

	/// The events of finalised block `number`: for a follower that missed blocks.
	pub async fn finalised_block_events(&self, number: u64) -> Result<BlockEvents> {
		block_events(&self.api().at_block(number).await?).await
	}
}

/// The events of the block `at` is at, decoded with that block's metadata.
async fn block_events(at: &subxt::OnlineClientAtBlock<crate::ChainConfig>) -> Result<BlockEvents> {
	let metadata = at.metadata();
	let mut events = Vec::new();
	for event in at.events().fetch().await?.iter() {
		events.push(ChainEvent::from_subxt(&event?, &metadata));
	}
	Ok(BlockEvents { block: BlockAt { number: at.block_number(), hash: at.block_hash() }, events })
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_client_knows_the_spec_version_it_was_built_for() {
		assert_eq!(built_for_spec_version(), iotchain_runtime::VERSION.spec_version);
	}

	#[test]
	fn a_differing_runtime_is_named_and_a_matching_one_is_not() {
		let same = RuntimeCompatibility { built_for: 100, chain: 100 };
		assert_eq!(same.warning(), None);
		let upgraded = RuntimeCompatibility { built_for: 100, chain: 101 }.warning().unwrap();
		assert!(upgraded.contains("spec version 100) is older than the chain's (spec version 101)"));
		let rolled_back = RuntimeCompatibility { built_for: 101, chain: 100 }.warning().unwrap();
		assert!(rolled_back.contains("newer than the chain's"));
	}
}
