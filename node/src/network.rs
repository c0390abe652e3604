//! The node's networking, assembled here rather than by `sc_service::build_network` so that the
//! consortium's allow-list binds every protocol that hands out chain data.
//!
//! The peer-allowlist pallet's offchain worker puts the network in reserved-only mode with the
//! listed PeerIds. In `sc-network` that is a rule of the notification protocols' peer sets
//! (block announces, transactions, GRANDPA votes); the request-response protocols answer any
//! connected peer that is not banned. A stranger that dials a consortium node could therefore
//! fetch blocks, state and finality proofs with plain requests. So every request protocol this
//! node serves is put behind a [`PeerGate`] (`peer_gate.rs`), which answers only PeerIds on the
//! chain's allow-list and bans the rest. The light-client protocol is not served at all: consortium
//! members run full nodes, and auditors read the chain through RPC.
//!
//! What stays reachable by a stranger is the transport itself (the noise handshake) and
//! libp2p's identify, ping and Kademlia protocols, which reveal node addresses and versions but
//! no chain data; closing those needs a firewall in front of the p2p port (docs/security.md).

use crate::{
	client::FullClient,
	peer_gate::{InboundQueues, PeerGate},
};
use futures::{pin_mut, FutureExt, StreamExt};
use iotchain_runtime::opaque::Block;
use sc_client_api::BlockchainEvents;
use sc_consensus::ImportQueue;
use sc_network::{
	config::FullNetworkConfiguration,
	service::traits::{PeerStore, RequestResponseConfig},
	NetworkBackend, NetworkBlock, Roles,
};
use sc_network_sync::{
	block_request_handler::BlockRequestHandler,
	engine::SyncingEngine,
	service::network::NetworkServiceProvider,
	state_request_handler::StateRequestHandler,
	strategy::polkadot::{PolkadotSyncingStrategy, PolkadotSyncingStrategyConfig},
	strategy::warp::WarpSyncProvider,
	warp_request_handler::RequestHandler as WarpRequestHandler,
	SyncingService, WarpSyncConfig,
};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager};
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::{Block as BlockT, Header as HeaderT};
use std::sync::Arc;

type Hash = <Block as BlockT>::Hash;

/// What the rest of the node needs from the network.
pub struct Network {
	pub service: Arc<dyn sc_network::service::traits::NetworkService>,
	pub system_rpc_tx: sc_utils::mpsc::TracingUnboundedSender<sc_rpc::system::Request<Block>>,
	pub tx_handler_controller: sc_network_transactions::TransactionsHandlerController<Hash>,
	pub sync_service: Arc<SyncingService<Block>>,
}

/// Everything [`build`] takes.
pub struct NetworkParams<'a, N: NetworkBackend<Block, Hash>> {
	pub config: &'a Configuration,
	pub net_config: FullNetworkConfiguration<Block, Hash, N>,
	pub client: Arc<FullClient>,
	pub transaction_pool: Arc<sc_transaction_pool::TransactionPoolHandle<Block, FullClient>>,
	pub task_manager: &'a TaskManager,
	pub import_queue: sc_consensus::DefaultImportQueue<Block>,
	/// Where this node's GRANDPA warp proofs come from, for peers that warp-sync from it.
	pub warp_proofs: Arc<dyn WarpSyncProvider<Block>>,
	pub metrics: sc_network::NotificationMetrics,
}

/// Builds the network service, block sync and transaction gossip, with every served request
/// protocol behind the allow-list gate. It mirrors `sc_service::build_network` otherwise.
pub fn build<N>(params: NetworkParams<'_, N>) -> Result<Network, ServiceError>
where
	N: InboundQueues,
{
	let NetworkParams {
		config,
		mut net_config,
		client,
		transaction_pool,
		task_manager,
		import_queue,
		warp_proofs,
		metrics,
	} = params;
	if net_config.network_config.ipfs_server {
		return Err(ServiceError::Other("iotchain nodes do not serve IPFS (--ipfs-server)".into()));
	}
	let spawn_handle = task_manager.spawn_handle();
	let spawn_essential_handle = task_manager.spawn_essential_handle();
	let protocol_id = config.protocol_id();
	let fork_id = config.chain_spec.fork_id();
	let registry = config.prometheus_registry();
	let genesis_hash = client.info().genesis_hash;

	// Closed from the first request on: the gate reads the list before the network starts. A
	// live chain's gate never opens for an empty list; a test network's is open until its list
	// first names a peer.
	let gate = match config.chain_spec.chain_type() {
		sc_service::ChainType::Live => PeerGate::closed_when_empty(),
		_ => PeerGate::open_until_listed(),
	};
	gate.refresh(&client, client.info().best_hash);
	spawn_handle.spawn(
		"allow-list-follower",
		Some("networking"),
		gate.clone().follow(client.clone()),
	);

	let network_service_provider = NetworkServiceProvider::new();
	let peers_hint = net_config.network_config.default_peers_set_num_full as usize
		+ net_config.network_config.default_peers_set.reserved_nodes.len();

	let blocks = BlockRequestHandler::new::<N>(
		network_service_provider.handle(),
		&protocol_id,
		fork_id,
		client.clone(),
		peers_hint,
	);
	let mut block_server = blocks.server;
	spawn_handle.spawn("block-request-handler", Some("networking"), async move {
		block_server.run().await
	});
	net_config.add_request_response_protocol(
		gate.guard::<N>(blocks.request_response_config, &spawn_handle),
	);

	let (state_handler, state_config) =
		StateRequestHandler::new::<N>(&protocol_id, fork_id, client.clone(), peers_hint);
	spawn_handle.spawn("state-request-handler", Some("networking"), state_handler.run());
	let state_protocol = state_config.protocol_name().clone();
	net_config.add_request_response_protocol(gate.guard::<N>(state_config, &spawn_handle));

	let (warp_handler, warp_config) = WarpRequestHandler::new::<_, N>(
		protocol_id.clone(),
		genesis_hash,
		fork_id,
		warp_proofs.clone(),
	);
	spawn_handle.spawn("warp-sync-request-handler", Some("networking"), warp_handler.run());
	let warp_protocol = warp_config.protocol_name().clone();
	net_config.add_request_response_protocol(gate.guard::<N>(warp_config, &spawn_handle));

	let network_config = &net_config.network_config;
	let strategy = PolkadotSyncingStrategy::new(
		PolkadotSyncingStrategyConfig {
			mode: network_config.sync_mode,
			max_parallel_downloads: network_config.max_parallel_downloads,
			max_blocks_per_request: network_config.max_blocks_per_request,
			min_peers_to_start_warp_sync: network_config.min_peers_to_start_warp_sync,
			metrics_registry: registry.cloned(),
			state_request_protocol_name: state_protocol,
			block_downloader: blocks.downloader,
			gap_sync_body_policy: sc_service::default_gap_sync_body_policy(config.blocks_pruning),
		},
		client.clone(),
		Some(WarpSyncConfig::WithProvider(warp_proofs)),
		Some(warp_protocol),
	)?;
	let (syncing_engine, sync_service, block_announce_config) = SyncingEngine::new(
		Roles::from(&config.role),
		client.clone(),
		registry,
		metrics.clone(),
		&net_config,
		protocol_id.clone(),
		fork_id,
		Box::new(sp_consensus::block_validation::DefaultBlockAnnounceValidator),
		Box::new(strategy),
		network_service_provider.handle(),
		import_queue.service(),
		net_config.peer_store_handle(),
	)?;
	// A node that can no longer sync is better shut down than kept running.
	spawn_essential_handle.spawn_blocking("syncing", None, syncing_engine.run());
	let sync_service = Arc::new(sync_service);

	let (transactions, transactions_config) =
		sc_network_transactions::TransactionsHandlerPrototype::new::<_, Block, N>(
			protocol_id.clone(),
			genesis_hash,
			fork_id,
			metrics.clone(),
			net_config.peer_store_handle(),
		);
	net_config.add_notification_protocol(transactions_config);

	spawn_handle.spawn("peer-store", Some("networking"), net_config.take_peer_store().run());

	let has_bootnodes = !net_config.network_config.boot_nodes.is_empty();
	let network_spawn_handle = spawn_handle.clone();
	let network = N::new(sc_network::config::Params::<Block, Hash, N> {
		role: config.role,
		executor: Box::new(move |future| {
			network_spawn_handle.spawn("libp2p-node", Some("networking"), future)
		}),
		network_config: net_config,
		genesis_hash,
		protocol_id,
		fork_id: fork_id.map(ToOwned::to_owned),
		metrics_registry: registry.cloned(),
		block_announce_config,
		ipfs_config: None,
		notification_metrics: metrics,
	})?;
	let service = network.network_service();

	let (transactions, tx_handler_controller) = transactions.build(
		service.clone(),
		sync_service.clone(),
		Arc::new(sc_service::TransactionPoolAdapter::new(transaction_pool, client.clone())),
		registry,
	)?;
	spawn_handle.spawn_blocking(
		"network-transactions-handler",
		Some("networking"),
		transactions.run(),
	);
	spawn_handle.spawn_blocking(
		"chain-sync-network-service-provider",
		Some("networking"),
		network_service_provider.run(Arc::new(service.clone())),
	);
	spawn_handle.spawn("import-queue", None, {
		let sync_service = sync_service.clone();
		async move { import_queue.run(sync_service.as_ref()).await }
	});

	let (system_rpc_tx, system_rpc_rx) =
		sc_utils::mpsc::tracing_unbounded("mpsc_system_rpc", 10_000);
	spawn_handle.spawn(
		"system-rpc-handler",
		Some("networking"),
		sc_service::build_system_rpc_future::<_, _, Hash>(
			config.role,
			service.clone(),
			sync_service.clone(),
			client.clone(),
			system_rpc_rx,
			has_bootnodes,
		),
	);

	// The network worker's queue can take seconds to drain under load; it runs on a blocking
	// thread, and as essential: a node whose network stopped must stop too.
	spawn_essential_handle.spawn_blocking(
		"network-worker",
		Some("networking"),
		drive(network, client, sync_service.clone(), config.announce_block),
	);

	Ok(Network { service, system_rpc_tx, tx_handler_controller, sync_service })
}

/// Runs the network and keeps block sync informed of what this node imports and finalises.
async fn drive<N: NetworkBackend<Block, Hash>>(
	network: N,
	client: Arc<FullClient>,
	sync_service: Arc<SyncingService<Block>>,
	announce_imported_blocks: bool,
) {
	let mut imported = client.import_notification_stream().fuse();
	let mut finalized = client.finality_notification_stream().fuse();
	let network = network.run().fuse();
	pin_mut!(network);
	loop {
		futures::select! {
			notification = imported.next() => {
				let Some(notification) = notification else {
					log::warn!("the block import stream ended; stopping the network");
					return;
				};
				if announce_imported_blocks {
					sync_service.announce_block(notification.hash, None);
				}
				if notification.is_new_best {
					sync_service
						.new_best_block_imported(notification.hash, *notification.header.number());
				}
			},
			notification = finalized.select_next_some() => {
				sync_service.on_block_finalized(notification.hash, notification.header);
			},
			_ = network => {
				log::warn!("the network worker stopped; stopping the node");
				return;
			},
		}
	}
}
