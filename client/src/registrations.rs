//! Registration hashes: the write-once, versioned record of what each (IoT device, user device)
//! pair registered, and the certification values computed from it off chain.

use crate::{
	runtime::{self, runtime_types::bounded_collections::bounded_vec::BoundedVec},
	AccountId, Client, Combination, Credential, DeviceId, PairRegistration, Receipt, Registration,
	Result, UserDeviceId, Wait,
};
use iotchain_certification_scheme as scheme;

/// A registration as the chain stores it.
pub type RegistrationOf = Registration<AccountId, u32>;

/// What a user device presents to register in hash mode, and what follows from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashRegistration {
	/// The registration secret `k` the certifier keeps; never sent to the chain.
	pub secret: [u8; 32],
	/// The user device's random salt mixed into `k`; kept with it, never sent to the chain.
	pub salt: scheme::Salt,
	/// The registration hash `R` the chain records.
	pub registration_hash: [u8; 32],
	/// Which of the user's hashes `k` mixes.
	pub combination: Combination,
	/// The app integrity key (third hash), recorded with the registration.
	pub app_integrity_key: [u8; 32],
}

impl HashRegistration {
	/// Derives the secret and the registration hash of the pair from the user's inputs and the
	/// user device's salt, as the certification scheme defines them. The user's identity or
	/// the user device's information must be given: the app's version and checksum form the
	/// third hash, which the chain records in clear.
	pub fn derive(
		device: &DeviceId,
		user_device: &UserDeviceId,
		user_identity: Option<&[u8]>,
		user_device_info: Option<&[u8]>,
		app: (&[u8], &[u8]),
		salt: scheme::Salt,
	) -> Result<Self> {
		let app_integrity_key = scheme::app_integrity_key(app.0, app.1);
		let hashes = scheme::UserHashes {
			first: user_identity.map(scheme::first_hash),
			second: user_device_info.map(scheme::second_hash),
			third: Some(app_integrity_key),
		};
		let (combination, secret) = scheme::registration_secret(&hashes, &salt)
			.ok_or_else(|| crate::Error::invalid("registration", "no hash to mix"))?;
		if !combination.mixes_private_input() {
			return Err(crate::Error::invalid(
				"registration",
				"give the user identity or the user device information: the app integrity key \
				 alone is public on chain",
			));
		}
		Ok(HashRegistration {
			secret,
			salt,
			registration_hash: scheme::registration_hash(device, user_device, &secret),
			combination: Combination(combination.bits()),
			app_integrity_key,
		})
	}
}

/// A fresh salt from the operating system's secure random generator, for a user device that
/// registers through `iotctl` without one of its own.
pub fn fresh_salt() -> Result<scheme::Salt> {
	let mut salt = [0u8; 32];
	getrandom::fill(&mut salt)
		.map_err(|error| crate::Error::invalid("salt", format!("no secure randomness: {error}")))?;
	Ok(salt)
}

impl Client {
	/// Records the next registration of a pair. A certifier organisation's account, or the
	/// active device itself (feeless).
	pub async fn register_pair(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
		credential: Credential,
		app_integrity_key: [u8; 32],
		wait: Wait,
	) -> Result<Receipt> {
		let call = runtime::tx().registration_hashes().register(
			device,
			user_device,
			credential,
			app_integrity_key,
		);
		self.submit(&call, wait).await
	}

	/// Records many pairs' registrations, up to `per_extrinsic` in each `register_pairs` call,
	/// all pipelined: a gateway's path for the devices assigned to it (feeless when every pair
	/// in a call is of such a device). Each pair is recorded or refused on its own; a refused
	/// one leaves a `BatchItemFailed` event with its index in the receipt. Returns, per
	/// extrinsic, the pairs it carried and its outcome.
	pub async fn register_pairs(
		&self,
		pairs: Vec<PairRegistration>,
		per_extrinsic: usize,
		wait: Wait,
		progress: impl Fn(usize),
	) -> Result<Vec<(Vec<PairRegistration>, Result<Receipt>)>> {
		// The runtime bounds a batch by its `MaxBatchSize`: a larger one does not decode.
		let register =
			|batch| runtime::tx().registration_hashes().register_pairs(BoundedVec(batch));
		self.submit_in_batches(pairs, per_extrinsic, register, wait, progress).await
	}

	/// Revokes one version of a pair's registration.
	pub async fn revoke_pair(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
		version: u32,
		wait: Wait,
	) -> Result<Receipt> {
		let call = runtime::tx().registration_hashes().revoke(device, user_device, version);
		self.submit(&call, wait).await
	}

	/// The pair's newest registration and its version.
	pub async fn latest_registration(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
	) -> Result<Option<(u32, RegistrationOf)>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis()
			.registration_hashes_api()
			.latest_registration(device, user_device);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// Every registration of the pair, oldest first.
	pub async fn registration_history(
		&self,
		device: DeviceId,
		user_device: UserDeviceId,
	) -> Result<Vec<(u32, RegistrationOf)>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis()
			.registration_hashes_api()
			.registration_history(device, user_device);
		Ok(at.runtime_apis().call(call).await?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn derivation_matches_the_scheme_and_records_the_combination() {
		let device = [1u8; 32];
		let user_device = scheme::user_device_id(b"phone-42");
		let derived = HashRegistration::derive(
			&device,
			&user_device,
			Some(b"alice@example.org"),
			None,
			(b"2.1.0", b"sha256:abc"),
			[0x42; 32],
		)
		.unwrap();
		assert_eq!(derived.combination.0, scheme::Combination::FIRST | scheme::Combination::THIRD);
		assert_eq!(
			derived.registration_hash,
			scheme::registration_hash(&device, &user_device, &derived.secret)
		);
		let nonce = [9u8; 32];
		let answer = scheme::certification_hash(&derived.secret, &nonce);
		assert_eq!(
			scheme::verify_certification(
				&derived.registration_hash,
				&device,
				&user_device,
				&derived.secret,
				&nonce,
				&answer
			),
			Ok(())
		);
	}

	#[test]
	fn the_app_integrity_key_alone_is_refused_and_fresh_salts_differ() {
		let refused = HashRegistration::derive(
			&[1; 32],
			&[2; 32],
			None,
			None,
			(b"2.1.0", b"sha256:abc"),
			[0x42; 32],
		);
		assert!(
			matches!(refused, Err(crate::Error::Invalid { what: "registration", .. })),
			"{refused:?}"
		);
		assert_ne!(fresh_salt().unwrap(), fresh_salt().unwrap());
	}
}
