//! Which peers may request chain data of this node: the consortium's allow-list, applied to
//! every request-response protocol the node serves (`network.rs` puts each behind the gate).
//!
//! The policy is deliberately closed on doubt. On a development or local chain whose allow-list
//! has never named a peer (an open test network) everyone is admitted; once the list names any
//! PeerId only those are, and an empty list then admits no one; on a live (consortium) chain an
//! empty list admits no one from the start — removing every node closes the gate, it never
//! opens it. A list whose entries are all malformed admits no one, and a node that cannot read
//! its chain keeps the list it had.
//! A refused peer gets a fatal reputation change, so the network bans it and closes its
//! connections.

use crate::client::FullClient;
use futures::StreamExt;
use iotchain_runtime::opaque::Block;
use pallet_peer_allowlist::runtime_api::PeerAllowlistApi;
use sc_client_api::BlockchainEvents;
use sc_network::{
	config::{IncomingRequest, OutgoingResponse},
	service::traits::RequestResponseConfig,
	NetworkBackend, PeerId, ReputationChange,
};
use sc_service::SpawnTaskHandle;
use sp_api::ProvideRuntimeApi;
use sp_runtime::traits::Block as BlockT;
use std::{
	collections::HashSet,
	sync::{Arc, PoisonError, RwLock},
};

type Hash = <Block as BlockT>::Hash;

const LOG_TARGET: &str = "iotchain::allow-list";

/// Which peers may make requests of this node: only the PeerIds on the chain's allow-list, or
/// everyone on an open test network whose list has never named a peer.
#[derive(Clone)]
pub struct PeerGate {
	/// `None` while the gate is open: a test network that has never listed a peer.
	listed: Arc<RwLock<Option<HashSet<PeerId>>>>,
}

impl PeerGate {
	/// The gate of a live chain: closed until the allow-list names a peer, and closed again if
	/// it ever names none.
	pub fn closed_when_empty() -> Self {
		PeerGate { listed: Arc::new(RwLock::new(Some(HashSet::new()))) }
	}

	/// The gate of a development or local test network: open while its allow-list has never
	/// named a peer, then as closed as a live chain's.
	pub fn open_until_listed() -> Self {
		PeerGate { listed: Arc::new(RwLock::new(None)) }
	}

	fn admits(&self, peer: &PeerId) -> bool {
		match &*self.listed.read().unwrap_or_else(PoisonError::into_inner) {
			None => true,
			Some(listed) => listed.contains(peer),
		}
	}

	/// Takes the allow-list as the runtime hands it out. An empty list leaves an open gate
	/// open and a closed one closed; a list whose entries are all malformed admits no one.
	fn update(&self, allowed: Vec<sp_core::OpaquePeerId>) {
		let mut listed = self.listed.write().unwrap_or_else(PoisonError::into_inner);
		if allowed.is_empty() && listed.is_none() {
			return;
		}
		*listed = Some(
			allowed
				.iter()
				.filter_map(|peer_id| PeerId::from_bytes(&peer_id.0).ok())
				.collect(),
		);
	}

	/// Reads the allow-list at `at`. On failure the gate keeps the list it had: a node that
	/// cannot read its chain does not thereby open up.
	pub(crate) fn refresh(&self, client: &FullClient, at: Hash) {
		match client.runtime_api().allowed_peer_ids(at) {
			Ok(allowed) => self.update(allowed),
			Err(error) => {
				log::warn!(target: LOG_TARGET, "cannot read the allow-list at {at}: {error}")
			},
		}
	}

	/// Follows the best block, as the offchain worker that sets the reserved peers does.
	pub(crate) async fn follow(self, client: Arc<FullClient>) {
		let mut imports = client.import_notification_stream();
		while let Some(imported) = imports.next().await {
			if imported.is_new_best {
				self.refresh(&client, imported.hash);
			}
		}
	}

	/// Passes `requests` from listed peers on to the protocol's `handler`. Others get a refusal
	/// and a fatal reputation change: the network bans them, so their next requests are refused
	/// before they reach the gate, and closes their connections.
	async fn admit(
		self,
		protocol: String,
		requests: async_channel::Receiver<IncomingRequest>,
		handler: async_channel::Sender<IncomingRequest>,
	) {
		while let Ok(request) = requests.recv().await {
			if self.admits(&request.peer) {
				if handler.send(request).await.is_err() {
					return; // The handler has stopped: the node is shutting down.
				}
				continue;
			}
			log::debug!(
				target: LOG_TARGET,
				"refused a {protocol} request from {}, which is not on the allow-list",
				request.peer
			);
			// The requester may have hung up already; nothing is owed to it then.
			let _ = request.pending_response.send(OutgoingResponse {
				result: Err(()),
				reputation_changes: vec![ReputationChange::new_fatal("not on the allow-list")],
				sent_feedback: None,
			});
		}
	}

	/// Re-routes the inbound requests of `config`'s protocol through this gate.
	pub(crate) fn guard<N: InboundQueues>(
		&self,
		mut config: N::RequestResponseProtocolConfig,
		spawn_handle: &SpawnTaskHandle,
	) -> N::RequestResponseProtocolConfig {
		let protocol = config.protocol_name().to_string();
		let Some(handler) = N::inbound_queue(&mut config).take() else {
			return config; // A protocol this node only sends requests on.
		};
		// As deep as the handler's own queue: the network drops requests once it is full.
		let depth = handler.capacity().unwrap_or(DEFAULT_QUEUE_DEPTH);
		let (inbound, requests) = async_channel::bounded(depth);
		*N::inbound_queue(&mut config) = Some(inbound);
		spawn_handle.spawn(
			"allow-list-gate",
			Some("networking"),
			self.clone().admit(protocol, requests, handler),
		);
		config
	}
}

/// The queue depth for a handler whose own queue is unbounded.
const DEFAULT_QUEUE_DEPTH: usize = 64;

/// A network backend whose request-response configurations expose their inbound queue, which
/// the gate takes over. Each backend has its own configuration type with the same public field.
pub trait InboundQueues: NetworkBackend<Block, Hash> {
	fn inbound_queue(
		config: &mut Self::RequestResponseProtocolConfig,
	) -> &mut Option<async_channel::Sender<IncomingRequest>>;
}

impl InboundQueues for sc_network::Litep2pNetworkBackend {
	fn inbound_queue(
		config: &mut Self::RequestResponseProtocolConfig,
	) -> &mut Option<async_channel::Sender<IncomingRequest>> {
		&mut config.inbound_queue
	}
}

impl InboundQueues for sc_network::NetworkWorker<Block, Hash> {
	fn inbound_queue(
		config: &mut Self::RequestResponseProtocolConfig,
	) -> &mut Option<async_channel::Sender<IncomingRequest>> {
		&mut config.inbound_queue
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use futures::{channel::oneshot, executor::block_on};

	fn listed(peers: &[PeerId]) -> Vec<sp_core::OpaquePeerId> {
		peers.iter().map(|peer| sp_core::OpaquePeerId(peer.to_bytes())).collect()
	}

	/// Sends one request from `peer` through a gate that lists `allowed`; returns what reached
	/// the protocol's handler and where the requester's answer comes.
	fn request_through_gate(
		allowed: &[PeerId],
		peer: PeerId,
	) -> (Option<IncomingRequest>, oneshot::Receiver<OutgoingResponse>) {
		let gate = PeerGate::open_until_listed();
		gate.update(listed(allowed));
		let (to_gate, requests) = async_channel::bounded(1);
		let (handler, handled) = async_channel::bounded(1);
		let (pending_response, response) = oneshot::channel();
		block_on(async {
			to_gate
				.send(IncomingRequest {
					peer,
					payload: b"block request".to_vec(),
					pending_response,
				})
				.await
				.expect("the gate's queue is open");
			// The gate runs until its inbound queue closes.
			drop(to_gate);
			gate.admit("/sync/2".into(), requests, handler).await;
		});
		(handled.try_recv().ok(), response)
	}

	#[test]
	fn a_test_network_that_never_listed_a_peer_admits_everyone() {
		let gate = PeerGate::open_until_listed();
		assert!(gate.admits(&PeerId::random()));
		gate.update(Vec::new());
		assert!(gate.admits(&PeerId::random()));
	}

	/// The attack: a council majority removes every node from the list, hoping the gate of a
	/// live chain opens to everyone. It closes.
	#[test]
	fn an_empty_allow_list_on_a_live_chain_admits_no_one() {
		let member = PeerId::random();
		let gate = PeerGate::closed_when_empty();
		assert!(!gate.admits(&member), "closed before the list is read");
		gate.update(listed(&[member]));
		assert!(gate.admits(&member));
		gate.update(Vec::new());
		assert!(!gate.admits(&member));
		assert!(!gate.admits(&PeerId::random()));
	}

	/// A test network's gate, once its list named a peer, closes like a live chain's when the
	/// list is emptied.
	#[test]
	fn an_emptied_allow_list_closes_a_test_networks_gate() {
		let member = PeerId::random();
		let gate = PeerGate::open_until_listed();
		gate.update(listed(&[member]));
		gate.update(Vec::new());
		assert!(!gate.admits(&member));
	}

	#[test]
	fn once_the_list_names_peers_only_they_are_admitted() {
		let (member, stranger) = (PeerId::random(), PeerId::random());
		let gate = PeerGate::open_until_listed();
		gate.update(listed(&[member]));
		assert!(gate.admits(&member));
		assert!(!gate.admits(&stranger));
	}

	#[test]
	fn a_list_of_only_malformed_entries_admits_no_one() {
		let gate = PeerGate::open_until_listed();
		gate.update(vec![sp_core::OpaquePeerId(vec![0xff; 7])]);
		assert!(!gate.admits(&PeerId::random()));
	}

	#[test]
	fn a_member_removed_from_the_list_is_no_longer_admitted() {
		let (member, other) = (PeerId::random(), PeerId::random());
		let gate = PeerGate::open_until_listed();
		gate.update(listed(&[member, other]));
		gate.update(listed(&[other]));
		assert!(!gate.admits(&member));
		assert!(gate.admits(&other));
	}

	#[test]
	fn a_listed_peers_request_reaches_the_handler_untouched() {
		let member = PeerId::random();
		let (handled, answer) = request_through_gate(&[member], member);
		let handled = handled.expect("the request reached the handler");
		assert_eq!(handled.peer, member);
		assert_eq!(handled.payload, b"block request");
		// The gate did not answer: answering is the handler's business, and it hung up here.
		drop(handled);
		assert!(block_on(answer).is_err());
	}

	#[test]
	fn a_strangers_request_is_refused_with_a_fatal_reputation_change_and_never_handled() {
		let (member, stranger) = (PeerId::random(), PeerId::random());
		let (handled, answer) = request_through_gate(&[member], stranger);
		assert!(handled.is_none(), "a stranger's request reached the handler");
		let answered = block_on(answer).expect("the stranger was answered");
		assert_eq!(answered.result, Err(()));
		assert_eq!(answered.reputation_changes.len(), 1);
		assert_eq!(answered.reputation_changes[0].value, i32::MIN, "the refusal bans the peer");
	}
}
