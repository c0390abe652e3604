//! Read access for the node: the PeerIds its network may talk to.

use alloc::vec::Vec;

sp_api::decl_runtime_apis! {
	/// The allow-list as the node's network applies it.
	pub trait PeerAllowlistApi {
		/// Every PeerId the network may exchange anything with: notifications (block
		/// announces, transactions, GRANDPA votes) and requests (blocks, state, proofs). An
		/// empty list leaves the network open, as on development chains.
		fn allowed_peer_ids() -> Vec<sp_core::OpaquePeerId>;
	}
}
