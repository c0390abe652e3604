//! Login records: challenges, certifier-checked (hash mode) and chain-checked (signature mode)
//! logins, the audit trail, and unlocking a locked pair.

use crate::{
	runtime::{self, runtime_types::bounded_collections::bounded_vec::BoundedVec},
	AccountId, Client, DeviceId, Error, LoginOutcome, LoginRecord, PairState, Receipt, Result,
	SignedLogin, UserDeviceId, UserDeviceSignature, Wait,
};
use iotchain_certification_scheme as scheme;

/// A login attempt as the chain stores it.
pub type LoginRecordOf = LoginRecord<AccountId, u32>;

/// A challenge an IoT device issues: a fresh random nonce and the block it was issued at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Challenge {
	#[serde(serialize_with = "crate::input::serialize_hex")]
	pub nonce: [u8; 32],
	pub block: u32,
}

impl Client {
	/// A new challenge: 32 random bytes from the operating system and the best block's number
	/// (the chain accepts answers for `ChallengeLifetime` blocks after it).
	pub async fn challenge(&self) -> Result<Challenge> {
		let mut nonce = [0u8; 32];
		getrandom::fill(&mut nonce)
			.map_err(|error| Error::Node(format!("no randomness for a nonce: {error}")))?;
		let header = self
			.rpc()
			.chain_get_header(None)
			.await?
			.ok_or_else(|| Error::Node("the node has no best block".into()))?;
		let block = u32::try_from(header.number)
			.map_err(|_| Error::Node("block number beyond u32".into()))?;
		Ok(Challenge { nonce, block })
	}

	/// Records a hash-mode login a certifier checked: `secret` is the pair's registration
	/// secret from the certifier's database, `certification_hash` what the user device
	/// answered. The outcome is decided here against the chain's registration, and recorded
	/// whichever it is. A certifier organisation's account only.
	pub async fn record_hash_login(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
		challenge: Challenge,
		secret: [u8; 32],
		certification_hash: [u8; 32],
		wait: Wait,
	) -> Result<(LoginOutcome, Receipt)> {
		let outcome = self
			.judge_hash_login(device, user_device, &challenge.nonce, &secret, &certification_hash)
			.await?;
		let call = runtime::tx().login_records().report_login(
			device,
			user_device,
			challenge.nonce,
			challenge.block,
			outcome.clone(),
			certification_hash,
		);
		Ok((outcome, self.submit(&call, wait).await?))
	}

	/// What a certifier concludes of a hash-mode answer, given the chain's latest registration.
	async fn judge_hash_login(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
		nonce: &[u8; 32],
		secret: &[u8; 32],
		presented: &[u8; 32],
	) -> Result<LoginOutcome> {
		use crate::{Credential, FailureReason};
		let Some((_, registration)) = self.latest_registration(device, user_device).await? else {
			return Ok(LoginOutcome::Failure(FailureReason::UnknownRegistration));
		};
		if registration.revoked.is_some() {
			return Ok(LoginOutcome::Failure(FailureReason::RegistrationRevoked));
		}
		// A locked pair cannot succeed; the attempt is still recorded, as a failure.
		if self.pair_state(device, user_device).await?.locked_since.is_some() {
			return Ok(LoginOutcome::Failure(FailureReason::Locked));
		}
		let Credential::Hash { registration_hash, .. } = registration.credential else {
			return Err(Error::invalid(
				"login",
				"the pair registered a key: it logs in with a signature (login verify-signature)",
			));
		};
		Ok(
			match scheme::verify_certification(
				&registration_hash,
				&device,
				&user_device,
				secret,
				nonce,
				presented,
			) {
				Ok(()) => LoginOutcome::Success,
				Err(_) => LoginOutcome::Failure(FailureReason::BadCertificationHash),
			},
		)
	}

	/// Signs the login payload of a challenge with the user device's sr25519 key, as a user
	/// device does in signature mode.
	pub fn sign_login(
		&self,
		user_key: &crate::Signer,
		device: DeviceId,
		user_device: UserDeviceId,
		challenge: Challenge,
	) -> UserDeviceSignature {
		let payload = scheme::login_payload(
			&self.api().genesis_hash().0,
			&device,
			&user_device,
			&challenge.nonce,
			challenge.block,
		);
		UserDeviceSignature::Sr25519(user_key.sign(&payload).0)
	}

	/// Submits a signature-mode login for the chain to verify and record. The IoT device itself
	/// (feeless) or a certifier organisation's account.
	pub async fn submit_signed_login(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
		challenge: Challenge,
		signature: UserDeviceSignature,
		wait: Wait,
	) -> Result<Receipt> {
		let call = runtime::tx().login_records().submit_signed_login(
			device,
			user_device,
			challenge.nonce,
			challenge.block,
			signature,
		);
		self.submit(&call, wait).await
	}

	/// Submits many signature-mode logins, up to `per_extrinsic` in each `submit_signed_logins`
	/// call, all pipelined: a gateway relaying its devices' logins (feeless when every login in
	/// a call is of a device assigned to it). Each login is verified and recorded on its own; a
	/// refused one leaves a `BatchItemFailed` event with its index. Returns, per extrinsic, the
	/// logins it carried and its outcome.
	pub async fn submit_signed_logins(
		&self,
		logins: Vec<SignedLogin<u32>>,
		per_extrinsic: usize,
		wait: Wait,
		progress: impl Fn(usize),
	) -> Result<Vec<(Vec<SignedLogin<u32>>, Result<Receipt>)>> {
		// The runtime bounds a batch by its `MaxBatchSize`: a larger one does not decode.
		let submit = |batch| runtime::tx().login_records().submit_signed_logins(BoundedVec(batch));
		self.submit_in_batches(logins, per_extrinsic, submit, wait, progress).await
	}

	/// Unlocks a locked pair and clears its failures. An account of the device's organisation.
	pub async fn unlock_pair(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().login_records().unlock(device, user_device), wait)
			.await
	}

	/// The device's most recent login attempts, newest first.
	pub async fn recent_logins(&self, device: DeviceId, limit: u32) -> Result<Vec<LoginRecordOf>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().login_records_api().recent_logins(device, limit);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// The pair's consecutive failures and lock.
	pub async fn pair_state(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
	) -> Result<PairState<u32>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().login_records_api().pair_state(device, user_device);
		Ok(at.runtime_apis().call(call).await?)
	}
}
