//! The signer's nonces, kept locally so one signer can pipeline thousands of extrinsics.

use crate::{AccountId, ChainConfig, Result};
use subxt::{config::RpcConfigFor, rpcs::methods::LegacyRpcMethods};

/// The next nonce the signer uses; fetched from the node (which counts what its pool holds) on
/// first use, then counted here so pipelined transactions never collide.
#[derive(Default)]
pub(crate) struct NonceCounter {
	next: tokio::sync::Mutex<Option<u64>>,
}

impl NonceCounter {
	/// Reserves `count` consecutive nonces of `account` and returns the first.
	pub(crate) async fn reserve(
		&self,
		rpc: &LegacyRpcMethods<RpcConfigFor<ChainConfig>>,
		account: &AccountId,
		count: usize,
	) -> Result<u64> {
		let mut next = self.next.lock().await;
		let first = match *next {
			Some(nonce) => nonce,
			None => rpc.system_account_next_index(account).await?,
		};
		*next = Some(first + count as u64);
		Ok(first)
	}

	/// Forgets the local nonce, so the next transaction asks the node again: after a refusal
	/// the reserved nonces beyond it are never used.
	pub(crate) async fn forget(&self) {
		*self.next.lock().await = None;
	}
}
