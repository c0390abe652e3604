//! A stranger on the network: a bare libp2p peer with a fresh identity that dials a node and
//! speaks Substrate's request-response protocols itself, as someone outside the consortium
//! would to read the chain without joining its network.

// Each test binary uses its own part of this module.
#![allow(dead_code)]

use futures::StreamExt;
use litep2p::{
	config::ConfigBuilder,
	protocol::request_response::{
		Config as ProtocolConfig, ConfigBuilder as ProtocolConfigBuilder, DialOptions,
		RequestResponseEvent, RequestResponseHandle,
	},
	transport::tcp::config::Config as TcpConfig,
	types::{multiaddr::Multiaddr, protocol::ProtocolName},
	Litep2p, PeerId,
};
use std::time::Duration;

/// How long the stranger waits for a connection or an answer.
const PATIENCE: Duration = Duration::from_secs(30);

/// Request-response protocols a full node serves, named as `sc-network-sync` names them for a
/// chain without a fork id.
pub fn block_protocol(genesis_hex: &str) -> String {
	format!("/{genesis_hex}/sync/2")
}

pub fn state_protocol(genesis_hex: &str) -> String {
	format!("/{genesis_hex}/state/2")
}

pub fn light_client_protocol(genesis_hex: &str) -> String {
	format!("/{genesis_hex}/light/2")
}

/// A `BlockRequest` (`sc-network-sync`'s `api.v1.proto`) for the header of block `number`:
/// field 1 `fields` = HEADER (1 << 24, a varint), field 3 `number` = the SCALE-encoded block
/// number, field 6 `max_blocks` = 1.
pub fn block_request(number: u32) -> Vec<u8> {
	let mut request = vec![0x08, 0x80, 0x80, 0x80, 0x08, 0x1a, 0x04];
	request.extend(number.to_le_bytes());
	request.extend([0x30, 0x01]);
	request
}

/// A `StateRequest` for every key-value pair at block `hash`, without proofs: field 1 `block`,
/// field 3 `no_proof` = true.
pub fn state_request(hash: &[u8; 32]) -> Vec<u8> {
	let mut request = vec![0x0a, 0x20];
	request.extend(hash);
	request.extend([0x18, 0x01]);
	request
}

/// Dials the node at `address` (`/ip4/…/tcp/…/p2p/<PeerId>`) with a fresh identity, sends
/// `request` on `protocol` and returns the response, or how the request failed.
pub fn request(address: &str, protocol: &str, request: Vec<u8>) -> Result<Vec<u8>, String> {
	let runtime = tokio::runtime::Builder::new_current_thread()
		.enable_all()
		.build()
		.expect("a tokio runtime");
	runtime.block_on(async {
		let (config, handle) = ProtocolConfigBuilder::new(ProtocolName::from(protocol.to_owned()))
			.with_max_size(64 * 1024 * 1024)
			.with_timeout(PATIENCE)
			.build();
		tokio::time::timeout(PATIENCE, exchange(address, config, handle, request))
			.await
			.unwrap_or_else(|_| Err("no answer in time".into()))
	})
}

async fn exchange(
	address: &str,
	config: ProtocolConfig,
	mut handle: RequestResponseHandle,
	request: Vec<u8>,
) -> Result<Vec<u8>, String> {
	let mut stranger = Litep2p::new(
		ConfigBuilder::new()
			.with_tcp(TcpConfig {
				listen_addresses: vec!["/ip4/127.0.0.1/tcp/0".parse().expect("a multiaddr")],
				..Default::default()
			})
			.with_request_response_protocol(config)
			.build(),
	)
	.map_err(|error| format!("the stranger cannot start: {error}"))?;
	let peer: PeerId = address
		.rsplit_once("/p2p/")
		.and_then(|(_, peer)| peer.parse().ok())
		.ok_or_else(|| format!("{address} names no PeerId"))?;
	let address: Multiaddr = address.parse().map_err(|error| format!("{address}: {error}"))?;
	stranger.add_known_address(peer, std::iter::once(address));
	handle
		.send_request(peer, request, DialOptions::Dial)
		.await
		.map_err(|error| format!("send: {error}"))?;
	loop {
		tokio::select! {
			event = handle.next() => return match event {
				Some(RequestResponseEvent::ResponseReceived { response, .. }) => Ok(response),
				Some(RequestResponseEvent::RequestFailed { error, .. }) => Err(format!("{error:?}")),
				other => Err(format!("unexpected: {other:?}")),
			},
			// The connection lives only while the stranger's network is driven.
			_ = stranger.next_event() => {},
		}
	}
}
