//! The connection to a node and the signing account: the node's URL, its JSON-RPC clients, the
//! subxt API and the signer. How transactions get to the chain is the `submit` module's.

use crate::{AccountId, ChainConfig, Error, Result, Signer};
use subxt::{
	config::RpcConfigFor,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	OnlineClient,
};

/// A connection to an iotchain node, optionally with an account to sign with.
pub struct Client {
	url: String,
	raw_rpc: RpcClient,
	api: OnlineClient<ChainConfig>,
	rpc: LegacyRpcMethods<RpcConfigFor<ChainConfig>>,
	signer: Option<Signer>,
	/// The signer's nonces, counted locally; a new signer starts from the node's count.
	nonces: crate::submit::nonces::NonceCounter,
}

impl Client {
	/// Connects to the node at `url` (`ws://`, `wss://`, `http://` or `https://`).
	pub async fn connect(url: &str) -> Result<Self> {
		let unreachable = |reason: String| Error::Unreachable { url: url.to_owned(), reason };
		let rpc = RpcClient::from_insecure_url(url)
			.await
			.map_err(|error| unreachable(error.to_string()))?;
		let api = OnlineClient::<ChainConfig>::from_rpc_client(rpc.clone())
			.await
			.map_err(|error| unreachable(error.to_string()))?;
		Ok(Client {
			url: url.to_owned(),
			raw_rpc: rpc.clone(),
			api,
			rpc: LegacyRpcMethods::new(rpc),
			signer: None,
			nonces: Default::default(),
		})
	}

	/// The same connection, signing with `signer`.
	pub fn with_signer(mut self, signer: Signer) -> Self {
		self.signer = Some(signer);
		self.nonces = Default::default();
		self
	}

	/// The URL this client is connected to.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// The subxt client, for anything this crate does not wrap.
	pub fn api(&self) -> &OnlineClient<ChainConfig> {
		&self.api
	}

	/// The node's legacy JSON-RPC methods (system, chain, author).
	pub fn rpc(&self) -> &LegacyRpcMethods<RpcConfigFor<ChainConfig>> {
		&self.rpc
	}

	/// The node's JSON-RPC interface, for methods without a typed wrapper.
	pub fn raw_rpc(&self) -> &RpcClient {
		&self.raw_rpc
	}

	/// The signing account.
	pub fn signer_account(&self) -> Result<AccountId> {
		Ok(self.signer()?.public_key().to_account_id())
	}

	pub(crate) fn signer(&self) -> Result<&Signer> {
		self.signer.as_ref().ok_or(Error::NoSigner)
	}

	/// The signer's nonce counter.
	pub(crate) fn nonces(&self) -> &crate::submit::nonces::NonceCounter {
		&self.nonces
	}
}
