//! `iotchain-node`: a validator or full node of the iotchain consortium chain.

mod chain_spec;
mod cli;
mod client;
mod command;
mod network;
mod peer_gate;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
