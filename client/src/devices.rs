//! The device registry: organisations, their accounts, and their devices and gateways.

use crate::{
	runtime::{self, runtime_types::bounded_collections::bounded_vec::BoundedVec},
	AccountConsent, AccountId, BlockAt, ChainConfig, Client, Device, DeviceId, DeviceKind, Error,
	KeyProof, OrgId, OrgRoles, Organisation, ProvenKey, ProvenRegistration, Receipt, Result,
	Signer, Wait,
};
use iotchain_possession_proofs::{KeyKind, OrgRole};

/// A registration with its device key's consent, as the chain takes it.
pub type ProvenRegistrationOf = ProvenRegistration<AccountId, KeyProof>;
/// A device's new key with its consent, as a transfer takes it.
pub type ProvenKeyOf = ProvenKey<AccountId, KeyProof>;
/// An account's consent to joining an organisation, as the chain takes it.
pub type AccountConsentOf = AccountConsent<u32, KeyProof>;

/// The device key's consent to being device `device`, of kind `kind`, of organisation `org` on
/// the chain with genesis hash `genesis`: its account and its sr25519 signature over the
/// device-key payload (sent as `KeyProof::Sr25519`). A factory can make it offline, holding the
/// key; the registering organisation (or the one accepting the device in a transfer) sends it
/// with the device. The kind is signed so that a key provisioned for a sensor never becomes a
/// gateway's.
pub fn device_key_proof(
	device_key: &Signer,
	genesis: &[u8; 32],
	org: OrgId,
	kind: &DeviceKind,
	device: &DeviceId,
) -> (AccountId, [u8; 64]) {
	let account = AccountId::from(device_key.public_key().0);
	let kind = match kind {
		DeviceKind::Device => KeyKind::Device,
		DeviceKind::Gateway => KeyKind::Gateway,
	};
	let payload =
		iotchain_possession_proofs::device_key_payload(genesis, org, kind, device, &account.0);
	(account, device_key.sign(&payload).0)
}

/// An account's consent to joining organisation `org` as `role` on the chain with genesis hash
/// `genesis`, if it is added by block `valid_until`: its account and its sr25519 signature over
/// the org-account payload (sent as `KeyProof::Sr25519` in an [`AccountConsentOf`]). The
/// account's holder makes it and hands it to the organisation's admins, so nobody is enrolled
/// without choosing to be; the expiry keeps an old consent from enrolling the account again
/// once it has left.
pub fn org_account_consent(
	account_key: &Signer,
	genesis: &[u8; 32],
	org: OrgId,
	role: OrgRole,
	valid_until: u32,
) -> (AccountId, [u8; 64]) {
	let account = AccountId::from(account_key.public_key().0);
	let payload = iotchain_possession_proofs::org_account_payload(
		genesis,
		org,
		role,
		valid_until,
		&account.0,
	);
	(account, account_key.sign(&payload).0)
}

/// A key proof given as `0x` and the 64-byte sr25519 signature in hex.
pub fn parse_key_proof(input: &str) -> Result<KeyProof> {
	crate::parse_signature64("key proof", input).map(KeyProof::Sr25519)
}

/// An account's consent given as the last block it holds and `0x` and the 64-byte sr25519
/// signature in hex, as [`org_account_consent`] makes them.
pub fn parse_account_consent(valid_until: u32, signature: &str) -> Result<AccountConsentOf> {
	let signature = crate::parse_signature64("consent", signature)?;
	Ok(AccountConsent { valid_until, signature: KeyProof::Sr25519(signature) })
}

/// A device as the registry stores it.
pub type DeviceOf = Device<AccountId, u32>;
/// An organisation as the registry stores it.
pub type OrganisationOf = Organisation<AccountId, u32>;

impl Client {
	/// The organisation with this id.
	pub async fn organisation(&self, org: OrgId) -> Result<Option<OrganisationOf>> {
		self.registry().await?.organisation(org).await
	}

	/// Every organisation, by id.
	pub async fn organisations(&self) -> Result<Vec<(OrgId, OrganisationOf)>> {
		let at = self.api().at_current_block().await?;
		let address = runtime::storage().device_registry().organisations();
		let mut entries = at.storage().iter(address, ()).await?;
		let mut organisations = Vec::new();
		while let Some(entry) = entries.next().await {
			let entry = entry?;
			organisations.push((entry.key()?.decode()?.0, entry.value().decode()?));
		}
		organisations.sort_by_key(|(id, _)| *id);
		Ok(organisations)
	}

	/// The organisation an account is an admin or member of.
	pub async fn organisation_of(&self, account: &AccountId) -> Result<Option<OrgId>> {
		let at = self.api().at_current_block().await?;
		let address = runtime::storage().device_registry().org_of_account();
		match at.storage().try_fetch(address, (account.clone(),)).await? {
			Some(value) => Ok(Some(value.decode()?)),
			None => Ok(None),
		}
	}

	/// The signer's consent to joining organisation `org` of this chain as `role`, if it is
	/// added by block `valid_until` (see [`org_account_consent`]).
	pub fn consent_to_join(
		&self,
		org: OrgId,
		role: OrgRole,
		valid_until: u32,
	) -> Result<(AccountId, [u8; 64])> {
		Ok(org_account_consent(self.signer()?, &self.genesis(), org, role, valid_until))
	}

	/// Approves adding `account`, which consented as an admin, to the signer's organisation.
	/// No single admin adds one: it joins when a majority of the admins have approved, each
	/// sending the same consent. Until then the receipt holds `AdminChangeApproved` (with the
	/// approvals so far), then `AdminAdded`.
	pub async fn add_admin(
		&self,
		account: AccountId,
		consent: AccountConsentOf,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().add_admin(account, consent), wait)
			.await
	}

	/// Approves removing an admin from the signer's organisation: by a majority of the admins,
	/// as [`Client::add_admin`] (`AdminChangeApproved`, then `AdminRemoved`); the last admin
	/// stays.
	pub async fn remove_admin(&self, account: AccountId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().remove_admin(account), wait).await
	}

	/// Adds an operator account, which consented as a member, to the signer's organisation
	/// (its admins only).
	pub async fn add_member(
		&self,
		account: AccountId,
		consent: AccountConsentOf,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().add_member(account, consent), wait)
			.await
	}

	/// Removes an operator account from the signer's organisation.
	pub async fn remove_member(&self, account: AccountId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().remove_member(account), wait).await
	}

	/// The signer leaves its organisation, as an admin or a member: nobody stays in one
	/// against their will. The last admin cannot leave.
	pub async fn leave_org(&self, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().leave_org(), wait).await
	}

	/// Registers one device or gateway, with its key's proof, for the signer's organisation.
	pub async fn register_device(
		&self,
		registration: ProvenRegistrationOf,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().register_device(registration), wait)
			.await
	}

	/// Registers many devices, `per_extrinsic` in each `register_devices` call (1 uses
	/// `register_device`), all pipelined. Returns one outcome per extrinsic, with the devices it
	/// carried; `progress` counts devices settled.
	pub async fn register_devices(
		&self,
		registrations: Vec<ProvenRegistrationOf>,
		per_extrinsic: usize,
		wait: Wait,
		progress: impl Fn(usize),
	) -> Result<Vec<(Vec<DeviceId>, Result<Receipt>)>> {
		let outcomes = if per_extrinsic <= 1 {
			let register = |mut one: Vec<ProvenRegistrationOf>| {
				runtime::tx().device_registry().register_device(one.remove(0))
			};
			self.submit_in_batches(registrations, 1, register, wait, progress).await?
		} else {
			// The runtime bounds a batch by its `MaxBatchSize`: a larger one does not decode.
			let register =
				|batch| runtime::tx().device_registry().register_devices(BoundedVec(batch));
			self.submit_in_batches(registrations, per_extrinsic, register, wait, progress)
				.await?
		};
		Ok(outcomes
			.into_iter()
			.map(|(batch, outcome)| {
				(batch.into_iter().map(|proven| proven.registration.id).collect(), outcome)
			})
			.collect())
	}

	/// Rotates a device's key to `new_account`, with the new key's proof (see
	/// [`device_key_proof`]); the old key can never sign for it again.
	pub async fn rotate_device_key(
		&self,
		device: DeviceId,
		new_account: AccountId,
		key_proof: KeyProof,
		wait: Wait,
	) -> Result<Receipt> {
		let call = runtime::tx().device_registry().rotate_key(device, new_account, key_proof);
		self.submit(&call, wait).await
	}

	/// The organisation the signer acts for: the one whose devices it registers.
	pub async fn signer_organisation(&self) -> Result<OrgId> {
		let account = self.signer_account()?;
		self.organisation_of(&account).await?.ok_or_else(|| {
			Error::invalid("signer", format!("{account} is no organisation's admin or member"))
		})
	}

	/// This chain's genesis hash, which every key proof names.
	pub fn genesis(&self) -> [u8; 32] {
		self.api().genesis_hash().0
	}

	/// Suspends a device; its organisation can resume it.
	pub async fn suspend_device(&self, device: DeviceId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().suspend_device(device), wait).await
	}

	/// Resumes a suspended device.
	pub async fn resume_device(&self, device: DeviceId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().resume_device(device), wait).await
	}

	/// Revokes a device for good.
	pub async fn revoke_device(&self, device: DeviceId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().revoke_device(device), wait).await
	}

	/// Assigns (or, with `None`, clears) the gateway that relays a device's traffic.
	pub async fn assign_gateway(
		&self,
		device: DeviceId,
		gateway: Option<DeviceId>,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().assign_gateway(device, gateway), wait)
			.await
	}

	/// Replaces the hash of a device's off-chain metadata document.
	pub async fn update_device_metadata(
		&self,
		device: DeviceId,
		metadata_hash: [u8; 32],
		wait: Wait,
	) -> Result<Receipt> {
		let call = runtime::tx().device_registry().update_metadata(device, metadata_hash);
		self.submit(&call, wait).await
	}

	/// Offers a device to another organisation, which must accept it.
	pub async fn offer_transfer(&self, device: DeviceId, to: OrgId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().offer_transfer(device, to), wait)
			.await
	}

	/// Withdraws a pending transfer offer.
	pub async fn cancel_transfer(&self, device: DeviceId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().cancel_transfer(device), wait)
			.await
	}

	/// Accepts a device offered to the signer's organisation, putting in `new_key` (its proof
	/// made for the signer's organisation, see [`device_key_proof`]) as part of the transfer.
	/// With `None` the device keeps the key its previous owner provisioned, which that owner
	/// may still hold: `DeviceTransferred` then says `key_rotated: false`.
	pub async fn accept_transfer(
		&self,
		device: DeviceId,
		new_key: Option<ProvenKeyOf>,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().device_registry().accept_transfer(device, new_key), wait)
			.await
	}

	/// A device or gateway by id.
	pub async fn device(&self, device: DeviceId) -> Result<Option<DeviceOf>> {
		self.registry().await?.device(device).await
	}

	/// The device that signs with `account`.
	pub async fn device_by_account(
		&self,
		account: AccountId,
	) -> Result<Option<(DeviceId, DeviceOf)>> {
		self.registry().await?.device_by_account(account).await
	}

	/// Up to `limit` devices of an organisation, in storage order, after `after`.
	pub async fn devices_of_org(
		&self,
		org: OrgId,
		after: Option<DeviceId>,
		limit: u32,
	) -> Result<Vec<(DeviceId, DeviceOf)>> {
		self.registry().await?.devices_of_org(org, after, limit).await
	}

	/// The registry as the latest finalised block left it.
	pub async fn registry(&self) -> Result<RegistryAt> {
		Ok(RegistryAt { at: self.api().at_current_block().await? })
	}

	/// The registry as `block` left it (the node must still hold its state).
	pub async fn registry_at(&self, block: BlockAt) -> Result<RegistryAt> {
		Ok(RegistryAt { at: self.api().at_block_hash_and_number(block.hash, block.number).await? })
	}
}

/// The registry as one block left it. Every read through it is of that block, so a reader
/// that pages through an organisation's devices sees one state whatever the chain does
/// meanwhile (the gateway's snapshot).
pub struct RegistryAt {
	at: subxt::OnlineClientAtBlock<ChainConfig>,
}

impl RegistryAt {
	/// The block read.
	pub fn block(&self) -> BlockAt {
		BlockAt { number: self.at.block_number(), hash: self.at.block_hash() }
	}

	/// The organisation with this id.
	pub async fn organisation(&self, org: OrgId) -> Result<Option<OrganisationOf>> {
		let address = runtime::storage().device_registry().organisations();
		match self.at.storage().try_fetch(address, (org,)).await? {
			Some(value) => Ok(Some(value.decode()?)),
			None => Ok(None),
		}
	}

	/// A device or gateway by id.
	pub async fn device(&self, device: DeviceId) -> Result<Option<DeviceOf>> {
		let call = runtime::runtime_apis().device_registry_api().device(device);
		Ok(self.at.runtime_apis().call(call).await?)
	}

	/// The device that signs with `account`.
	pub async fn device_by_account(
		&self,
		account: AccountId,
	) -> Result<Option<(DeviceId, DeviceOf)>> {
		let call = runtime::runtime_apis().device_registry_api().device_by_account(account);
		Ok(self.at.runtime_apis().call(call).await?)
	}

	/// Up to `limit` devices of an organisation (the runtime gives 1,000 at most), in storage
	/// order, after `after` (the last id of the previous page).
	pub async fn devices_of_org(
		&self,
		org: OrgId,
		after: Option<DeviceId>,
		limit: u32,
	) -> Result<Vec<(DeviceId, DeviceOf)>> {
		let call = runtime::runtime_apis().device_registry_api().devices_of_org(org, after, limit);
		Ok(self.at.runtime_apis().call(call).await?)
	}
}

impl OrgRoles {
	/// The roles named in `names` (`manufacturer`, `operator`, `certifier`).
	pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self> {
		let mut roles = OrgRoles { manufacturer: false, operator: false, certifier: false };
		for name in names {
			match name.trim() {
				"manufacturer" => roles.manufacturer = true,
				"operator" => roles.operator = true,
				"certifier" => roles.certifier = true,
				other => {
					return Err(crate::Error::malformed(
						"role",
						other,
						"expected manufacturer, operator or certifier",
					))
				},
			}
		}
		Ok(roles)
	}

	/// The roles' names.
	pub fn names(&self) -> Vec<&'static str> {
		[
			(self.manufacturer, "manufacturer"),
			(self.operator, "operator"),
			(self.certifier, "certifier"),
		]
		.into_iter()
		.filter_map(|(has, name)| has.then_some(name))
		.collect()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use subxt_signer::sr25519::{verify, Signature};

	#[test]
	fn proofs_sign_the_payloads_the_chain_checks() {
		let key = crate::signer_from_suri("//proofs").unwrap();
		let (account, proof) = device_key_proof(&key, &[1; 32], 3, &DeviceKind::Gateway, &[2; 32]);
		assert_eq!(account.0, key.public_key().0);
		let payload = |kind| {
			iotchain_possession_proofs::device_key_payload(&[1; 32], 3, kind, &[2; 32], &account.0)
		};
		assert!(verify(&Signature(proof), payload(KeyKind::Gateway), &key.public_key()));
		assert!(!verify(&Signature(proof), payload(KeyKind::Device), &key.public_key()));

		let (account, consent) = org_account_consent(&key, &[1; 32], 3, OrgRole::Member, 90);
		let payload = |role, valid_until| {
			iotchain_possession_proofs::org_account_payload(
				&[1; 32],
				3,
				role,
				valid_until,
				&account.0,
			)
		};
		assert!(verify(&Signature(consent), payload(OrgRole::Member, 90), &key.public_key()));
		assert!(!verify(&Signature(consent), payload(OrgRole::Admin, 90), &key.public_key()));
		assert!(!verify(&Signature(consent), payload(OrgRole::Member, 91), &key.public_key()));
		let parsed = parse_account_consent(90, &crate::to_hex(&consent)).unwrap();
		assert_eq!(
			parsed,
			AccountConsent { valid_until: 90, signature: KeyProof::Sr25519(consent) }
		);
	}
}
