//! `iotctl`: see `iotchain_client::cli`.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
	let cli = iotchain_client::cli::Cli::parse();
	let mut stdout = std::io::stdout().lock();
	match iotchain_client::cli::run(cli, &mut stdout).await {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			// One line an operator can act on; the chain of causes is already in the message.
			eprintln!("iotctl: {error}");
			ExitCode::FAILURE
		},
	}
}
