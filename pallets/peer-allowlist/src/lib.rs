//! # Peer Allow-list Pallet
//!
//! Which nodes may be part of the consortium's network, by libp2p PeerId. The list lives on
//! chain, so adding or removing a node is a governed, audited transaction like any other.
//!
//! ## Overview
//!
//! - Governance adds nodes for the consortium ([`Pallet::add_node`]): typically each member
//!   organisation's validator, listed in the chain spec's genesis.
//! - An admin of an active member organisation claims nodes of its own ([`Pallet::claim_node`]), at
//!   most `MaxNodesPerOrg` (its RPC or archive nodes), without a council vote. A claim needs the
//!   node's consent: a signature by its libp2p identity key (ed25519) over
//!   [`iotchain_possession_proofs::node_claim_payload`] — this chain's genesis hash, the
//!   organisation and the PeerId — so no organisation claims a node it does not run.
//! - Governance removes any node (at `RemovalOrigin`, the council's qualified majority, so that
//!   no bare majority cuts the other organisations' nodes off), an organisation's admin the
//!   nodes it claimed ([`Pallet::remove_node`]). A node governance removed can be allowed again
//!   only by governance: no organisation claims it back.
//! - A suspended organisation's claimed nodes leave the list handed to the network until the
//!   organisation is resumed.
//!
//! Every node runs this pallet's offchain worker after each imported block; it hands the list to
//! the node's network, which from then on exchanges notifications (block announces,
//! transactions, GRANDPA votes) only with listed peers (`reserved-only`). The node also reads the
//! list through [`runtime_api::PeerAllowlistApi`] at each new best block and answers requests
//! (blocks, state, finality proofs) only from listed peers. A node that is not on the list
//! therefore cannot sync from, read from or send transactions to the consortium. Validators run
//! offchain workers by default; other nodes need `--offchain-worker always`. An empty list leaves
//! the network open, as on development chains.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
pub mod weights;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use pallet_device_registry::OrgId;
use scale_info::TypeInfo;

/// Who answers for an allowed node, and so who may remove it besides governance.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum NodeOwner {
	/// Added by governance (or in genesis).
	Consortium,
	/// Claimed by an admin of this member organisation.
	Organisation(OrgId),
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;
	use pallet_device_registry::DeviceRegistry;
	use sp_core::ed25519;
	use sp_runtime::traits::Verify;

	/// A libp2p PeerId in its binary (multihash) form, as this runtime stores it.
	pub type PeerIdOf<T> = BoundedVec<u8, <T as Config>::MaxPeerIdLength>;

	/// What an ed25519 PeerId starts with before its 32-byte public key: the identity
	/// multihash code and length, then the protobuf key type (Ed25519) and data length.
	pub const ED25519_PEER_ID_PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

	/// The in-code storage version: 0 is the layout as first released.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// Who adds any node: the consortium's governance.
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who removes any node, whichever organisation runs it. In iotchain the council's
		/// qualified majority: a removed node can no longer sync or send anything, so a bare
		/// majority of organisations must not be able to cut the others' nodes off.
		type RemovalOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The device registry: which organisation an account administers.
		type Registry: DeviceRegistry<Self::AccountId>;

		/// Longest PeerId accepted, in bytes (an ed25519 PeerId takes 38).
		#[pallet::constant]
		type MaxPeerIdLength: Get<u32>;

		/// Most nodes on the list.
		#[pallet::constant]
		type MaxNodes: Get<u32>;

		/// Most nodes one organisation may claim.
		#[pallet::constant]
		type MaxNodesPerOrg: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The allowed nodes and who answers for each.
	// Blake2_128Concat: PeerIds are submitted by organisations.
	#[pallet::storage]
	pub type AllowedNodes<T: Config> = StorageMap<_, Blake2_128Concat, PeerIdOf<T>, NodeOwner>;

	/// How many nodes are allowed.
	#[pallet::storage]
	pub type NodeCount<T: Config> = StorageValue<_, u32, ValueQuery>;

	/// How many nodes each organisation has claimed.
	// Twox64Concat: organisation ids are assigned by the chain.
	#[pallet::storage]
	pub type ClaimedNodes<T: Config> = StorageMap<_, Twox64Concat, OrgId, u32, ValueQuery>;

	/// Nodes governance removed: only governance allows them again.
	// Blake2_128Concat: PeerIds are submitted by organisations.
	#[pallet::storage]
	pub type RemovedByGovernance<T: Config> = StorageMap<_, Blake2_128Concat, PeerIdOf<T>, ()>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The consortium's first nodes, as binary PeerIds.
		pub nodes: Vec<Vec<u8>>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			for node in &self.nodes {
				let peer_id = Pallet::<T>::checked_peer_id(node.clone())
					.expect("genesis nodes must be valid PeerIds");
				Pallet::<T>::insert(peer_id, NodeOwner::Consortium)
					.expect("genesis nodes must be distinct and at most MaxNodes");
			}
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `peer_id` may join the consortium's network.
		NodeAdded { peer_id: PeerIdOf<T>, owner: NodeOwner },
		/// `peer_id` may no longer join; nodes drop it at their next block.
		NodeRemoved { peer_id: PeerIdOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The PeerId is empty or longer than `MaxPeerIdLength`.
		BadPeerId,
		/// The node is already on the list.
		AlreadyAllowed,
		/// The node is not on the list.
		NotAllowed,
		/// `MaxNodes` nodes are already on the list.
		TooManyNodes,
		/// The organisation has claimed `MaxNodesPerOrg` nodes already.
		TooManyOrgNodes,
		/// The caller is not an admin of an active organisation.
		NotOrgAdmin,
		/// The node belongs to the consortium or another organisation.
		NotOwner,
		/// The PeerId is not an ed25519 identity: only governance allows such nodes, as the
		/// chain cannot check their consent.
		UnverifiablePeerId,
		/// The signature is not the node identity key's over this chain, organisation and
		/// PeerId: the node did not consent to the claim.
		BadNodeSignature,
		/// Governance removed this node; only governance allows it again.
		RemovedByGovernance,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Allows `peer_id` on behalf of the consortium (also one governance removed).
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_node())]
		pub fn add_node(origin: OriginFor<T>, peer_id: Vec<u8>) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_add_node(peer_id)
		}

		// Call index 1 (`claim_node` without the node's signature) is retired, never reused.

		/// Allows `peer_id` as a node of the caller's organisation; the caller must be one of
		/// its admins, and `signature` the node identity key's over
		/// [`iotchain_possession_proofs::node_claim_payload`] (`iotctl node prove` makes it).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::claim_node())]
		pub fn claim_node(
			origin: OriginFor<T>,
			peer_id: Vec<u8>,
			signature: ed25519::Signature,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_claim_node(&caller, peer_id, &signature)
		}

		/// Removes `peer_id` from the list: governance removes any node, an organisation's
		/// admin the nodes the organisation claimed.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_node())]
		pub fn remove_node(origin: OriginFor<T>, peer_id: Vec<u8>) -> DispatchResult {
			let remover: Remover<T::AccountId> =
				if T::RemovalOrigin::try_origin(origin.clone()).is_ok() {
					Remover::Governance
				} else {
					// Not refused yet: an unknown node is reported before a bad origin.
					Remover::Signer(ensure_signed(origin))
				};
			Self::do_remove_node(remover, peer_id)
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Hands the list to this node's network after every imported block, so a change is in
		/// force one block after it is made.
		fn offchain_worker(_block: BlockNumberFor<T>) {
			let nodes = Self::allowed_peer_ids();
			// An empty list means an open network (development chains); only a list closes it.
			if !nodes.is_empty() {
				sp_io::offchain::set_authorized_nodes(nodes, true);
			}
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	/// Who removes a node: governance, or the signer of a call that is not governance's (its
	/// origin checked only once the node is found, so a bad PeerId or unknown node is reported
	/// first).
	pub(crate) enum Remover<AccountId> {
		/// The consortium's governance: removes any node, and only it allows the node again.
		Governance,
		/// A signed origin's account, or `BadOrigin` for any other origin.
		Signer(Result<AccountId, sp_runtime::traits::BadOrigin>),
	}

	impl<T: Config> Pallet<T> {
		/// Allows `peer_id` for the consortium; governance may allow again a node it removed.
		fn do_add_node(peer_id: Vec<u8>) -> DispatchResult {
			let peer_id = Self::checked_peer_id(peer_id)?;
			Self::insert(peer_id.clone(), NodeOwner::Consortium)?;
			RemovedByGovernance::<T>::remove(&peer_id);
			Ok(())
		}

		/// Allows `peer_id` for the organisation `caller` administers, with the node's consent.
		fn do_claim_node(
			caller: &T::AccountId,
			peer_id: Vec<u8>,
			signature: &ed25519::Signature,
		) -> DispatchResult {
			let org = T::Registry::active_admin_org_of(caller).ok_or(Error::<T>::NotOrgAdmin)?;
			let peer_id = Self::checked_peer_id(peer_id)?;
			ensure!(
				!RemovedByGovernance::<T>::contains_key(&peer_id),
				Error::<T>::RemovedByGovernance
			);
			let identity =
				Self::ed25519_identity(&peer_id).ok_or(Error::<T>::UnverifiablePeerId)?;
			let payload = Self::claim_payload(org, &peer_id);
			ensure!(signature.verify(&payload[..], &identity), Error::<T>::BadNodeSignature);
			let claimed = ClaimedNodes::<T>::get(org);
			ensure!(claimed < T::MaxNodesPerOrg::get(), Error::<T>::TooManyOrgNodes);
			Self::insert(peer_id, NodeOwner::Organisation(org))?;
			ClaimedNodes::<T>::insert(org, claimed.saturating_add(1));
			Ok(())
		}

		/// Removes `peer_id` from the list: any node for governance, for a signer the nodes of
		/// the organisation it administers. A node governance removed only governance allows
		/// again.
		fn do_remove_node(remover: Remover<T::AccountId>, peer_id: Vec<u8>) -> DispatchResult {
			let peer_id = Self::checked_peer_id(peer_id)?;
			let owner = AllowedNodes::<T>::get(&peer_id).ok_or(Error::<T>::NotAllowed)?;
			let by_governance = match remover {
				Remover::Governance => true,
				Remover::Signer(caller) => {
					let caller = caller?;
					let org =
						T::Registry::active_admin_org_of(&caller).ok_or(Error::<T>::NotOrgAdmin)?;
					ensure!(owner == NodeOwner::Organisation(org), Error::<T>::NotOwner);
					false
				},
			};
			AllowedNodes::<T>::remove(&peer_id);
			NodeCount::<T>::mutate(|count| *count = count.saturating_sub(1));
			if let NodeOwner::Organisation(org) = owner {
				ClaimedNodes::<T>::mutate(org, |count| *count = count.saturating_sub(1));
			}
			if by_governance {
				RemovedByGovernance::<T>::insert(&peer_id, ());
			}
			Self::deposit_event(Event::NodeRemoved { peer_id });
			Ok(())
		}

		/// Every allowed PeerId, as the node's network takes them: the consortium's nodes and
		/// those of active organisations (a suspended organisation's nodes are dropped until it
		/// is resumed).
		pub fn allowed_peer_ids() -> Vec<sp_core::OpaquePeerId> {
			AllowedNodes::<T>::iter()
				.filter(|(_, owner)| match owner {
					NodeOwner::Consortium => true,
					NodeOwner::Organisation(org) => T::Registry::active_org_roles(*org).is_some(),
				})
				.map(|(peer_id, _)| sp_core::OpaquePeerId(peer_id.into_inner()))
				.collect()
		}

		/// The ed25519 public key a PeerId embeds: libp2p's identity multihash (code 0,
		/// length 36) of the protobuf-encoded key (type 1 = Ed25519, 32 bytes of data).
		pub fn ed25519_identity(peer_id: &[u8]) -> Option<ed25519::Public> {
			let key = peer_id.strip_prefix(&ED25519_PEER_ID_PREFIX)?;
			<[u8; 32]>::try_from(key).ok().map(ed25519::Public::from_raw)
		}

		/// The bytes a node's identity key signs to consent to `org` claiming `peer_id`: they
		/// name this chain's genesis hash, as every node claim does.
		pub fn claim_payload(org: OrgId, peer_id: &[u8]) -> Vec<u8> {
			iotchain_possession_proofs::node_claim_payload(
				&pallet_device_registry::genesis_hash::<T>(),
				org,
				peer_id,
			)
		}

		fn checked_peer_id(peer_id: Vec<u8>) -> Result<PeerIdOf<T>, Error<T>> {
			let peer_id: PeerIdOf<T> = peer_id.try_into().map_err(|_| Error::<T>::BadPeerId)?;
			ensure!(!peer_id.is_empty(), Error::<T>::BadPeerId);
			Ok(peer_id)
		}

		fn insert(peer_id: PeerIdOf<T>, owner: NodeOwner) -> DispatchResult {
			ensure!(!AllowedNodes::<T>::contains_key(&peer_id), Error::<T>::AlreadyAllowed);
			let count = NodeCount::<T>::get();
			ensure!(count < T::MaxNodes::get(), Error::<T>::TooManyNodes);
			AllowedNodes::<T>::insert(&peer_id, owner);
			NodeCount::<T>::put(count.saturating_add(1));
			Self::deposit_event(Event::NodeAdded { peer_id, owner });
			Ok(())
		}

		/// Checks that the counts match the list.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let mut total = 0u32;
			let mut per_org = alloc::collections::BTreeMap::<OrgId, u32>::new();
			for owner in AllowedNodes::<T>::iter_values() {
				total += 1;
				if let NodeOwner::Organisation(org) = owner {
					*per_org.entry(org).or_default() += 1;
				}
			}
			ensure!(total == NodeCount::<T>::get(), "NodeCount does not match the list");
			for (org, count) in ClaimedNodes::<T>::iter() {
				ensure!(
					per_org.remove(&org).unwrap_or(0) == count,
					"an organisation's claimed count does not match the list"
				);
			}
			ensure!(per_org.is_empty(), "a claimed node is not counted");
			Ok(())
		}
	}
}
