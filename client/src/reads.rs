//! Reading from a gateway: the signed read request (`Authorization: IotchainRead …`) that
//! readings, proofs and outcomes are served for (docs/gateway-protocol.md).

use crate::{Client, Result, Signer};
use iotchain_gateway_protocol::{envelope::KeyType, read_request::ReadRequest};

/// A read request signed by `signer` (an sr25519 account: a device's, a staff member's or a
/// grantee's) for `method` and `target` (the path and query, exactly as sent) on the chain
/// whose genesis hash is `genesis`, at the current time with a fresh random nonce. Its
/// [`ReadRequest::header`] is the `Authorization` header's value; a gateway takes it once.
pub fn sign_read_request(
	signer: &Signer,
	genesis: &[u8; 32],
	method: &str,
	target: &str,
) -> Result<ReadRequest> {
	let time_ms = crate::now_ms();
	let mut nonce = [0u8; 16];
	getrandom::fill(&mut nonce)
		.map_err(|error| crate::Error::invalid("nonce", format!("no randomness: {error}")))?;
	let key = signer.public_key().0;
	let mut request =
		ReadRequest { key_type: KeyType::Sr25519, key, time_ms, nonce, signature: [0; 64] };
	request.signature = signer.sign(&request.signing_payload(genesis, method, target)).0;
	Ok(request)
}

impl Client {
	/// A read request signed by this client's signer for `method` and `target` on this chain
	/// ([`sign_read_request`]).
	pub fn sign_read_request(&self, method: &str, target: &str) -> Result<ReadRequest> {
		sign_read_request(self.signer()?, &self.genesis(), method, target)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotchain_gateway_protocol::verify::verify_read_request;

	#[test]
	fn a_signed_read_request_verifies_for_its_own_target_only_and_never_repeats_a_nonce() {
		let signer = crate::signer_from_suri("//Alice").unwrap();
		let genesis = [7; 32];
		let first = sign_read_request(&signer, &genesis, "GET", "/v1/proofs/0x11/3").unwrap();
		let parsed = ReadRequest::parse(&first.header()).unwrap();
		assert!(verify_read_request(&parsed, &genesis, "GET", "/v1/proofs/0x11/3"));
		assert!(!verify_read_request(&parsed, &genesis, "GET", "/v1/proofs/0x11/4"));
		assert!(!verify_read_request(&parsed, &[8; 32], "GET", "/v1/proofs/0x11/3"));
		let second = sign_read_request(&signer, &genesis, "GET", "/v1/proofs/0x11/3").unwrap();
		assert_ne!(first.nonce, second.nonce);
	}
}
