//! Runtime upgrades and finality-stall recovery: what only the council's two-thirds majority
//! decides (`chainGovernance`). The motion authorises a runtime by the hash of its code; anyone
//! then submits the code (`system.applyAuthorizedUpgrade`), which the chain checks against the
//! hash, the spec name and a higher spec version.

use crate::{
	governance::Threshold,
	runtime::{
		self,
		runtime_types::{
			iotchain_runtime::RuntimeCall,
			pallet_chain_governance::pallet::Call as ChainGovernanceCall,
		},
	},
	Client, Error, Governance, Hash, Receipt, Result, Wait,
};
use serde::Serialize;

/// The runtime the chain runs and the upgrade authorised for it, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpgradeStatus {
	pub spec_name: String,
	pub spec_version: u32,
	/// The hash of the code the council authorised and nobody has applied yet.
	pub authorized_code_hash: Option<Hash>,
}

/// The hash a runtime upgrade is authorised by: BLAKE2b-256 of the code as submitted (the
/// compressed wasm), as `b2sum -l 256` prints it.
pub fn code_hash(code: &[u8]) -> Hash {
	Hash::from(sp_crypto_hashing::blake2_256(code))
}

impl Client {
	/// Proposes (or, with sudo, makes) the authorisation of `code` as the next runtime. A
	/// council motion needs two thirds of all seats.
	pub async fn authorize_upgrade(
		&self,
		code: &[u8],
		via: Governance,
		wait: Wait,
	) -> Result<Receipt> {
		let call = ChainGovernanceCall::authorize_upgrade { code_hash: code_hash(code) };
		self.govern_with(RuntimeCall::ChainGovernance(call), via, Threshold::TwoThirds, wait)
			.await
	}

	/// Submits `code`, which the council authorised, as the chain's new runtime. Refused here,
	/// before half a megabyte is sent, when nothing or another code is authorised.
	pub async fn apply_upgrade(&self, code: Vec<u8>, wait: Wait) -> Result<Receipt> {
		let hash = code_hash(&code);
		match self.authorized_code_hash().await? {
			Some(authorized) if authorized == hash => {},
			Some(authorized) => {
				return Err(Error::invalid(
					"runtime code",
					format!("its hash {hash:?} is not the authorised {authorized:?}"),
				))
			},
			None => return Err(Error::invalid("runtime code", "no upgrade is authorised")),
		}
		let call = runtime::tx().system().apply_authorized_upgrade(code);
		let receipt = self.submit(&call, wait).await?;
		// The chain refuses a wrong spec name or a spec version that does not rise with an
		// event, not an error: the call itself succeeds.
		let rejected = receipt
			.events()
			.iter()
			.find(|event| event.is::<runtime::system::events::RejectedInvalidAuthorizedUpgrade>());
		if let Some(event) = rejected {
			// Its fields (the code hash and the error) as JSON, as operators read them.
			return Err(Error::invalid(
				"runtime code",
				format!("the chain refused it: {}", event.record()?.fields),
			));
		}
		Ok(receipt)
	}

	/// The runtime the chain runs and the authorised upgrade waiting to be applied.
	pub async fn upgrade_status(&self) -> Result<UpgradeStatus> {
		let info = self.chain_info().await?;
		Ok(UpgradeStatus {
			spec_name: info.spec_name,
			spec_version: info.spec_version,
			authorized_code_hash: self.authorized_code_hash().await?,
		})
	}

	/// The hash of the code the council authorised and nobody has applied yet.
	async fn authorized_code_hash(&self) -> Result<Option<Hash>> {
		let at = self.api().at_current_block().await?;
		let authorized = at
			.storage()
			.try_fetch(runtime::storage().system().authorized_upgrade(), ())
			.await?
			.map(|authorization| authorization.decode())
			.transpose()?;
		Ok(authorized.map(|authorization| authorization.code_hash))
	}

	/// Proposes (or, with sudo, makes) the signal that GRANDPA has stalled: a forced change to
	/// the then-current validators, `delay` blocks after the next session change, counting from
	/// `best_finalized`. A council motion needs two thirds of all seats.
	pub async fn note_stalled(
		&self,
		delay: u32,
		best_finalized: u32,
		via: Governance,
		wait: Wait,
	) -> Result<Receipt> {
		let call = ChainGovernanceCall::note_stalled {
			delay,
			best_finalized_block_number: best_finalized,
		};
		self.govern_with(RuntimeCall::ChainGovernance(call), via, Threshold::TwoThirds, wait)
			.await
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_code_hash_is_blake2b_256() {
		// b2sum -l 256 of the empty input.
		assert_eq!(
			format!("{:?}", code_hash(b"")),
			"0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
		);
	}

	#[test]
	fn two_thirds_of_the_seats_round_up() {
		let needs = |seats| Threshold::TwoThirds.of(seats);
		assert_eq!(
			[needs(1), needs(2), needs(3), needs(4), needs(5), needs(6)],
			[1, 2, 2, 3, 4, 4]
		);
		let majority = |seats| Threshold::Majority.of(seats);
		assert_eq!([majority(3), majority(4), majority(5)], [2, 3, 3]);
	}
}
