//! `iotctl`: the command line; everything it does is in the library (`iotctl::run`).

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
	let cli = iotctl::Cli::parse();
	let mut stdout = std::io::stdout().lock();
	match iotctl::run(cli, &mut stdout).await {
		Ok(()) => ExitCode::SUCCESS,
		Err(error) => {
			// One line an operator can act on; the chain of causes is already in the message.
			eprintln!("iotctl: {error}");
			ExitCode::FAILURE
		},
	}
}
