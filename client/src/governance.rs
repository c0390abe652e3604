//! What only the consortium decides — organisations' standing and, in recovery, their admins;
//! validators; the peer allow-list — reached through the sudo key (development chains) or a
//! council motion, and the council's own voting; plus what validators and organisation admins
//! do for themselves.

use crate::{
	runtime::{
		self,
		runtime_types::{
			bounded_collections::bounded_vec::BoundedVec, iotchain_runtime::RuntimeCall,
			pallet_device_registry::pallet::Call as RegistryCall,
			pallet_peer_allowlist::pallet::Call as AllowlistCall,
			pallet_validator_set::pallet::Call as ValidatorSetCall,
		},
	},
	AccountId, Client, Error, Hash, OrgId, OrgRoles, Receipt, Result, Wait,
};
use std::path::Path;
use subxt::ext::codec::Encode;

/// How a governance decision reaches the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Governance {
	/// Dispatched as root by the sudo key: development chains only (a consortium has none).
	Sudo,
	/// Proposed to the council by one of its members. It passes with the call's [`Threshold`]
	/// of all seats; when one vote reaches it (a single seat), the proposal executes at once.
	Council,
}

/// The share of all council seats a motion needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
	/// More than half: day-to-day governance.
	Majority,
	/// At least two thirds: the chain itself (runtime upgrades, finality stalls), seats, who
	/// validates, and removing a node from the allow-list.
	TwoThirds,
}

impl Threshold {
	/// The ayes this threshold needs out of `seats`.
	pub fn of(self, seats: u32) -> u32 {
		match self {
			Threshold::Majority => seats / 2 + 1,
			Threshold::TwoThirds => (2 * seats).div_ceil(3),
		}
	}
}

/// A council motion waiting for votes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Motion {
	pub hash: Hash,
	pub index: u32,
	pub threshold: u32,
	pub ayes: Vec<AccountId>,
	pub nays: Vec<AccountId>,
	/// The block after which it can be closed even without enough votes.
	pub end: u32,
}

impl Client {
	/// Dispatches `call` as the consortium: through sudo, or as a council motion with a
	/// majority threshold. A call that fails inside sudo or an executed motion is reported as
	/// its dispatch error, not as a success of the wrapper.
	pub async fn govern(&self, call: RuntimeCall, via: Governance, wait: Wait) -> Result<Receipt> {
		self.govern_with(call, via, Threshold::Majority, wait).await
	}

	/// As [`Client::govern`], with a council motion needing `threshold` of all seats.
	pub async fn govern_with(
		&self,
		call: RuntimeCall,
		via: Governance,
		threshold: Threshold,
		wait: Wait,
	) -> Result<Receipt> {
		let receipt = match via {
			Governance::Sudo => self.submit(&runtime::tx().sudo().sudo(call), wait).await?,
			Governance::Council => {
				let seats = self.council_members().await?.len() as u32;
				let threshold = threshold.of(seats);
				let length_bound = call.encoded_size() as u32;
				let propose = runtime::tx().council().propose(threshold, call, length_bound);
				self.submit(&propose, wait).await?
			},
		};
		ensure_inner_success(receipt)
	}
}

/// Fails with the inner dispatch error if the receipt shows a sudo call or an executed motion
/// that failed.
fn ensure_inner_success(receipt: Receipt) -> Result<Receipt> {
	use runtime::{council::events::Executed, sudo::events::Sudid};
	for event in receipt.events() {
		// The field of the event that holds the failed result, if it is one.
		let failed = if let Some(sudid) = event.as_event::<Sudid>() {
			sudid?.sudo_result.is_err().then_some("sudo_result")
		} else if let Some(executed) = event.as_event::<Executed>() {
			executed?.result.is_err().then_some("result")
		} else {
			None
		};
		if let Some(field) = failed {
			// Named from its JSON rendering, so an error the metadata cannot name reads as the
			// chain's own value; with the metadata of the block that holds it.
			let fields = event.record()?.fields;
			let error = fields.get(field).and_then(|result| result.get("Err")).cloned();
			return Err(Error::from_dispatch_json(event.metadata(), &error.unwrap_or_default()));
		}
	}
	Ok(receipt)
}

impl Client {
	/// Creates an organisation with its first admin.
	pub async fn create_org(
		&self,
		name: Vec<u8>,
		roles: OrgRoles,
		admin: AccountId,
		via: Governance,
		wait: Wait,
	) -> Result<Receipt> {
		let call = RegistryCall::create_org { name, roles, admin };
		self.govern(RuntimeCall::DeviceRegistry(call), via, wait).await
	}

	/// Suspends an organisation: nothing it owns counts as active.
	pub async fn suspend_org(&self, org: OrgId, via: Governance, wait: Wait) -> Result<Receipt> {
		let call = RegistryCall::suspend_org { org };
		self.govern(RuntimeCall::DeviceRegistry(call), via, wait).await
	}

	/// Resumes a suspended organisation.
	pub async fn resume_org(&self, org: OrgId, via: Governance, wait: Wait) -> Result<Receipt> {
		let call = RegistryCall::resume_org { org };
		self.govern(RuntimeCall::DeviceRegistry(call), via, wait).await
	}

	/// Replaces an organisation's admins with `admins`: recovery when its admins' keys are lost
	/// or turned against it, which a majority of its own admins can no longer repair. They need
	/// no consent (the consortium chose them; none may serve another organisation) and count as
	/// settled admins at once; pending admin changes are dropped.
	pub async fn set_admins(
		&self,
		org: OrgId,
		admins: Vec<AccountId>,
		via: Governance,
		wait: Wait,
	) -> Result<Receipt> {
		let call = RegistryCall::force_set_admins { org, admins: BoundedVec(admins) };
		self.govern(RuntimeCall::DeviceRegistry(call), via, wait).await
	}

	/// Approves a validator (two thirds of the seats); it joins at the second session
	/// boundary after it has keys.
	pub async fn add_validator(
		&self,
		validator: AccountId,
		via: Governance,
		wait: Wait,
	) -> Result<Receipt> {
		let call = ValidatorSetCall::add_validator { validator };
		self.govern_with(RuntimeCall::ValidatorSet(call), via, Threshold::TwoThirds, wait)
			.await
	}

	/// Removes a validator (two thirds of the seats), unless that would go below the minimum.
	pub async fn remove_validator(
		&self,
		validator: AccountId,
		via: Governance,
		wait: Wait,
	) -> Result<Receipt> {
		let call = ValidatorSetCall::remove_validator { validator };
		self.govern_with(RuntimeCall::ValidatorSet(call), via, Threshold::TwoThirds, wait)
			.await
	}

	/// Withdraws the signer's own validator, without a vote, unless that would go below the
	/// minimum.
	pub async fn withdraw_validator(&self, wait: Wait) -> Result<Receipt> {
		let call = runtime::tx().validator_set().remove_validator(self.signer_account()?);
		self.submit(&call, wait).await
	}

	/// Sets the fewest validators the set may shrink to (two thirds of the seats).
	pub async fn set_min_validators(
		&self,
		min_validators: u32,
		via: Governance,
		wait: Wait,
	) -> Result<Receipt> {
		let call = ValidatorSetCall::set_min_validators { min_validators };
		self.govern_with(RuntimeCall::ValidatorSet(call), via, Threshold::TwoThirds, wait)
			.await
	}

	/// Allows a node (by PeerId) into the network on the consortium's behalf.
	pub async fn allow_node(&self, peer_id: &str, via: Governance, wait: Wait) -> Result<Receipt> {
		let call = AllowlistCall::add_node { peer_id: peer_id_bytes(peer_id)? };
		self.govern(RuntimeCall::PeerAllowlist(call), via, wait).await
	}

	/// Removes a node from the allow-list on the consortium's behalf (two thirds of the
	/// seats).
	pub async fn disallow_node(
		&self,
		peer_id: &str,
		via: Governance,
		wait: Wait,
	) -> Result<Receipt> {
		let call = AllowlistCall::remove_node { peer_id: peer_id_bytes(peer_id)? };
		self.govern_with(RuntimeCall::PeerAllowlist(call), via, Threshold::TwoThirds, wait)
			.await
	}

	/// Claims an allow-list slot for one of the signer's organisation's nodes (its admins),
	/// with the node identity key's `signature` consenting to it ([`node_claim_proof`]).
	pub async fn claim_node(
		&self,
		peer_id: &str,
		signature: [u8; 64],
		wait: Wait,
	) -> Result<Receipt> {
		let call = runtime::tx().peer_allowlist().claim_node(peer_id_bytes(peer_id)?, signature);
		self.submit(&call, wait).await
	}

	/// Releases a node the signer's organisation claimed.
	pub async fn release_node(&self, peer_id: &str, wait: Wait) -> Result<Receipt> {
		let call = runtime::tx().peer_allowlist().remove_node(peer_id_bytes(peer_id)?);
		self.submit(&call, wait).await
	}

	/// Every allowed PeerId (base58) with who holds it.
	pub async fn allowed_nodes(&self) -> Result<Vec<(String, serde_json::Value)>> {
		let at = self.api().at_current_block().await?;
		let address = runtime::storage().peer_allowlist().allowed_nodes();
		let mut entries = at.storage().iter(address, ()).await?;
		let mut nodes = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry?;
			let peer_id = entry.key()?.decode()?.0;
			let owner = entry.value().decode_as::<subxt::ext::scale_value::Value>()?;
			nodes.push((bs58::encode(peer_id.0).into_string(), crate::value_to_json(&owner)));
		}
		nodes.sort_by(|a, b| a.0.cmp(&b.0));
		Ok(nodes)
	}

	/// Makes the node this client is connected to generate session keys owned by the signer
	/// and registers them (`Session.set_keys`): a validator's step to start authoring once
	/// approved. The node must allow unsafe RPC methods (it holds the new keys).
	pub async fn rotate_session_keys(&self, wait: Wait) -> Result<Receipt> {
		let owner = self.signer_account()?;
		let generated: serde_json::Value = self
			.raw_rpc()
			.request(
				"author_rotateKeysWithOwner",
				subxt::rpcs::rpc_params![crate::input::to_hex(&owner.0)],
			)
			.await?;
		let field = |name: &str| -> Result<Vec<u8>> {
			let text = generated
				.get(name)
				.and_then(|value| value.as_str())
				.ok_or_else(|| Error::Node(format!("the node's new keys lack `{name}`")))?;
			hex::decode(text.trim_start_matches("0x"))
				.map_err(|error| Error::Node(error.to_string()))
		};
		let keys =
			subxt::ext::codec::Decode::decode(&mut &field("keys")?[..]).map_err(|error| {
				Error::Node(format!("the node's session keys do not decode: {error}"))
			})?;
		let call = runtime::tx().session().set_keys(keys, field("proof")?);
		self.submit(&call, wait).await
	}

	/// The council's members.
	pub async fn council_members(&self) -> Result<Vec<AccountId>> {
		let at = self.api().at_current_block().await?;
		let address = runtime::storage().council().members();
		Ok(at.storage().fetch(address, ()).await?.decode()?)
	}

	/// The motions waiting for votes.
	pub async fn motions(&self) -> Result<Vec<Motion>> {
		let at = self.api().at_current_block().await?;
		let hashes = at.storage().fetch(runtime::storage().council().proposals(), ()).await?;
		let mut motions = Vec::new();
		for hash in hashes.decode()?.0 {
			let address = runtime::storage().council().voting();
			if let Some(votes) = at.storage().try_fetch(address, (hash,)).await? {
				let votes = votes.decode()?;
				motions.push(Motion {
					hash,
					index: votes.index,
					threshold: votes.threshold,
					ayes: votes.ayes,
					nays: votes.nays,
					end: votes.end,
				});
			}
		}
		Ok(motions)
	}

	/// Votes on a motion as a council member.
	pub async fn vote(
		&self,
		motion: Hash,
		index: u32,
		approve: bool,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().council().vote(motion, index, approve), wait).await
	}

	/// Closes a motion: executes it if it has its majority, drops it if it cannot reach it.
	pub async fn close_motion(&self, motion: Hash, index: u32, wait: Wait) -> Result<Receipt> {
		let at = self.api().at_current_block().await?;
		let proposal = at
			.storage()
			.try_fetch(runtime::storage().council().proposal_of(), (motion,))
			.await?
			.ok_or_else(|| Error::NotFound { what: "motion", id: format!("{motion:?}") })?
			.decode()?;
		let length = proposal.encoded_size() as u32;
		let info_call = runtime::runtime_apis()
			.transaction_payment_call_api()
			.query_call_info(proposal, length);
		let weight = at.runtime_apis().call(info_call).await?.weight;
		let close = runtime::tx().council().close(motion, index, weight, length);
		let receipt = self.submit(&close, wait).await?;
		// The motion is gone, passed or not: its proposer's deposit and slot come back.
		self.release_motion_cost(motion, wait).await?;
		ensure_inner_success(receipt)
	}

	/// Gives a closed motion's deposit and slot back to its proposer; anyone may.
	pub async fn release_motion_cost(&self, motion: Hash, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().council().release_proposal_cost(motion), wait).await
	}
}

/// A PeerId in its base58 text form (`12D3KooW…`) as the binary multihash the chain stores.
/// What an ed25519 PeerId starts with before its public key: the identity multihash code and
/// length, then the protobuf key type (Ed25519) and data length.
const ED25519_PEER_ID_PREFIX: [u8; 6] = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

/// A node's libp2p identity key from its key file: the 32-byte ed25519 secret, in hex (as
/// `iotchain-node key generate-node-key --file` writes it) or raw (`--bin`, and the node's own
/// `network/secret_ed25519`).
pub fn node_key_from_file(path: &Path) -> Result<[u8; 32]> {
	let bytes = crate::input::read_secret_file(path)?;
	if let Ok(raw) = <[u8; 32]>::try_from(bytes.as_slice()) {
		return Ok(raw);
	}
	let text = String::from_utf8_lossy(&bytes);
	let decoded = hex::decode(text.trim().trim_start_matches("0x"))
		.map_err(|_| Error::BadKey(format!("{} holds no node key", path.display())))?;
	<[u8; 32]>::try_from(decoded.as_slice())
		.map_err(|_| Error::BadKey(format!("{} holds no 32-byte node key", path.display())))
}

/// A node's PeerId (base58) and its identity key's signature consenting to organisation `org`
/// claiming it on the chain with genesis hash `genesis`. Run where the node key lives: only the
/// PeerId and the signature leave that machine.
pub fn node_claim_proof(node_key: &[u8; 32], genesis: &[u8; 32], org: OrgId) -> (String, [u8; 64]) {
	use ed25519_dalek::Signer as _;
	let key = ed25519_dalek::SigningKey::from_bytes(node_key);
	let mut peer_id = ED25519_PEER_ID_PREFIX.to_vec();
	peer_id.extend_from_slice(key.verifying_key().as_bytes());
	let payload = iotchain_possession_proofs::node_claim_payload(genesis, org, &peer_id);
	(bs58::encode(&peer_id).into_string(), key.sign(&payload).to_bytes())
}

fn peer_id_bytes(peer_id: &str) -> Result<Vec<u8>> {
	let bytes = bs58::decode(peer_id.trim())
		.into_vec()
		.map_err(|error| Error::malformed("PeerId", peer_id, error))?;
	// A PeerId is a multihash: identity (0x00) or SHA-256 (0x12) code, then its length.
	match bytes.as_slice() {
		[0x00 | 0x12, length, rest @ ..] if *length as usize == rest.len() => Ok(bytes),
		_ => Err(Error::malformed("PeerId", peer_id, "not a libp2p multihash")),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn peer_ids_decode_from_base58_multihashes() {
		let peer_id = "12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp";
		let bytes = peer_id_bytes(peer_id).unwrap();
		assert_eq!(bytes.len(), 38);
		assert_eq!(bs58::encode(&bytes).into_string(), peer_id);
	}

	#[test]
	fn a_node_claim_proof_names_the_peer_id_of_the_key_and_verifies() {
		use ed25519_dalek::Verifier as _;
		let node_key = [7u8; 32];
		let (peer_id, signature) = node_claim_proof(&node_key, &[1; 32], 3);
		let bytes = peer_id_bytes(&peer_id).unwrap();
		let public = ed25519_dalek::SigningKey::from_bytes(&node_key).verifying_key();
		assert_eq!(&bytes[6..], public.as_bytes());
		let payload = iotchain_possession_proofs::node_claim_payload(&[1; 32], 3, &bytes);
		assert!(public
			.verify(&payload, &ed25519_dalek::Signature::from_bytes(&signature))
			.is_ok());
		assert!(matches!(peer_id_bytes("0OIl"), Err(Error::Malformed { what: "PeerId", .. })));
		assert!(matches!(peer_id_bytes("3yZe7d"), Err(Error::Malformed { what: "PeerId", .. })));
	}
}
