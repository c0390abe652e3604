//! `iotctl`: the command line of operators, manufacturers, certification centres and
//! gateways, on the typed client `iotchain-client`. Subcommands mirror the pallets; each
//! module's `run` writes to any `impl Write`, so tests read exactly what a terminal would show.

mod chain;
mod device;
mod firmware;
mod governance;
mod grant;
mod hash;
mod login;
mod org;
mod output;
mod telemetry;
mod upgrade;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use iotchain_client::{
	parse_hash32, read_secret, signer_from_key_file, signer_from_suri, Client, Governance, Wait,
};
use std::{io::Write, path::PathBuf};

pub use output::Output;

/// iotchain's command line: enroll devices, record registrations and logins, publish and track
/// firmware, and watch the chain.
#[derive(Debug, Parser)]
#[command(name = "iotctl", version, about, propagate_version = true)]
pub struct Cli {
	#[command(flatten)]
	pub global: GlobalOpts,
	#[command(subcommand)]
	pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct GlobalOpts {
	/// The node to talk to.
	#[arg(long, global = true, env = "IOTCHAIN_URL", default_value = "ws://127.0.0.1:9944")]
	pub url: String,
	/// The signing key as a secret URI (phrase, 0x seed, `//Alice`…), or @FILE, or - for
	/// standard input. Prefer those, the environment variable or --key-file: command lines are
	/// visible to other users.
	#[arg(
		long,
		global = true,
		env = "IOTCHAIN_SURI",
		hide_env_values = true,
		conflicts_with = "key_file"
	)]
	pub suri: Option<String>,
	/// A file holding the signing key: JSON with `secretPhrase`/`secretSeed` (as
	/// `iotchain-node key generate --output-type json` writes) or a secret URI.
	#[arg(long, global = true)]
	pub key_file: Option<PathBuf>,
	/// Print machine-readable JSON instead of text.
	#[arg(long, global = true)]
	pub json: bool,
	/// Return once the node's pool accepts a transaction instead of waiting until it is
	/// finalised (its outcome is then not checked).
	#[arg(long, global = true)]
	pub no_wait: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Member organisations: creation, standing and admin recovery (governance); admins and
	/// members, each joining with its consent.
	#[command(subcommand)]
	Org(org::Command),
	/// Devices and gateways: enrollment, keys, lifecycle, transfers.
	#[command(subcommand)]
	Device(device::Command),
	/// Access rights: who may register, log in to, read, command and update which devices,
	/// for how long.
	#[command(subcommand)]
	Grant(grant::Command),
	/// Registration hashes between user devices and IoT devices.
	#[command(subcommand)]
	Hash(hash::Command),
	/// Login challenges, records and the audit trail.
	#[command(subcommand)]
	Login(login::Command),
	/// Firmware releases, approvals, update reports and fleet status.
	#[command(subcommand)]
	Firmware(firmware::Command),
	/// Telemetry anchored by gateways: verify a reading, a device's or a gateway's anchors.
	#[command(subcommand)]
	Telemetry(telemetry::Command),
	/// The chain: identity, validators, events as they finalise, state and metadata.
	#[command(subcommand)]
	Chain(chain::Command),
	/// The validator set (governance) and a validator's session keys.
	#[command(subcommand)]
	Validator(governance::ValidatorCommand),
	/// The peer allow-list: which nodes may join the network.
	#[command(subcommand)]
	Node(governance::NodeCommand),
	/// The consortium council: members, motions, votes.
	#[command(subcommand)]
	Council(governance::CouncilCommand),
	/// Runtime upgrades: hash the code, authorise it (council, two thirds), apply it, status.
	#[command(subcommand)]
	Upgrade(upgrade::Command),
	/// Print a shell completion script.
	Completions {
		#[arg(value_enum)]
		shell: clap_complete::Shell,
	},
}

/// How a governance decision is submitted.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Via {
	/// Propose it to the council (passes with more than half of all seats; two thirds for
	/// runtime upgrades and finality stalls).
	Council,
	/// Dispatch it with the sudo key (development chains).
	Sudo,
}

impl From<Via> for Governance {
	fn from(via: Via) -> Self {
		match via {
			Via::Council => Governance::Council,
			Via::Sudo => Governance::Sudo,
		}
	}
}

/// Runs one command line, writing its output to `out`.
pub async fn run(cli: Cli, out: &mut impl Write) -> anyhow::Result<()> {
	let mut output = Output::new(out, cli.global.json);
	let client = match &cli.command {
		Command::Completions { shell } => {
			clap_complete::generate(*shell, &mut Cli::command(), "iotctl", output.writer());
			return Ok(());
		},
		// Offline computations need no node.
		Command::Hash(hash::Command::Certify(certify)) => {
			return hash::certify(certify, &mut output)
		},
		Command::Upgrade(upgrade::Command::Hash { code }) => {
			return upgrade::hash(code, &mut output)
		},
		Command::Node(governance::NodeCommand::Prove(
			args @ governance::NodeProve { genesis: Some(genesis), .. },
		)) => {
			let genesis = parse_hash32("genesis hash", genesis)?;
			return governance::node_prove(args, genesis, &mut output);
		},
		// Any runtime's metadata, this iotctl's or a new one's: no compatibility warning.
		Command::Chain(chain::Command::Metadata { out: file }) => {
			let client = Client::connect(&cli.global.url).await?;
			return chain::metadata(&client, file, &mut output).await;
		},
		Command::Device(device::Command::ProveKey(
			args @ device::ProveKey { genesis: Some(genesis), .. },
		)) => {
			let genesis = parse_hash32("genesis hash", genesis)?;
			return device::prove_key(args, genesis, &mut output);
		},
		_ => connect(&cli.global).await?,
	};
	let wait = if cli.global.no_wait { Wait::InPool } else { Wait::Finalised };
	match cli.command {
		Command::Org(command) => org::run(command, &client, wait, &mut output).await,
		Command::Device(command) => device::run(command, &client, wait, &mut output).await,
		Command::Grant(command) => grant::run(command, &client, wait, &mut output).await,
		Command::Hash(command) => hash::run(command, &client, wait, &mut output).await,
		Command::Login(command) => login::run(command, &client, wait, &mut output).await,
		Command::Firmware(command) => firmware::run(command, &client, wait, &mut output).await,
		Command::Telemetry(command) => telemetry::run(command, &client, &mut output).await,
		Command::Chain(command) => chain::run(command, &client, wait, &mut output).await,
		Command::Validator(command) => {
			governance::run_validator(command, &client, wait, &mut output).await
		},
		Command::Node(command) => governance::run_node(command, &client, wait, &mut output).await,
		Command::Council(command) => {
			governance::run_council(command, &client, wait, &mut output).await
		},
		Command::Upgrade(command) => upgrade::run(command, &client, wait, &mut output).await,
		Command::Completions { .. } => Ok(()),
	}
}

/// Connects, with the signer the options name (if any).
async fn connect(global: &GlobalOpts) -> anyhow::Result<Client> {
	// The key is read first: a bad key is reported without touching the node.
	let signer = match (&global.suri, &global.key_file) {
		(Some(suri), _) => Some(signer_from_suri(&read_secret(suri)?)?),
		(None, Some(path)) => Some(signer_from_key_file(path)?),
		(None, None) => None,
	};
	let client = Client::connect(&global.url).await?;
	// Said on stderr, so scripts reading stdout (or `--json`) are not disturbed.
	if let Some(warning) = client.runtime_compatibility().await?.warning() {
		eprintln!("warning: {warning}");
	}
	Ok(match signer {
		Some(signer) => client.with_signer(signer),
		None => client,
	})
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_command_line_is_consistent() {
		Cli::command().debug_assert();
	}

	#[tokio::test]
	async fn completions_and_offline_certification_need_no_node() {
		let mut out = Vec::new();
		let cli = Cli::try_parse_from(["iotctl", "completions", "bash"]).unwrap();
		run(cli, &mut out).await.unwrap();
		let script = String::from_utf8(out).unwrap();
		assert!(script.contains("register-batch") && script.contains("verify-signature"));

		let secret = format!("0x{}", "11".repeat(32));
		let nonce = format!("0x{}", "22".repeat(32));
		let argv = ["iotctl", "--json", "hash", "certify", "--secret", &secret, "--nonce", &nonce];
		let mut out = Vec::new();
		run(Cli::try_parse_from(argv).unwrap(), &mut out).await.unwrap();
		let answer: serde_json::Value = serde_json::from_slice(&out).unwrap();
		let expected = iotchain_certification_scheme::certification_hash(&[0x11; 32], &[0x22; 32]);
		assert_eq!(answer["certification_hash"], iotchain_client::to_hex(&expected));
	}

	#[test]
	fn the_url_defaults_to_a_local_node_and_keys_exclude_each_other() {
		let cli = Cli::try_parse_from(["iotctl", "chain", "info"]).unwrap();
		if std::env::var_os("IOTCHAIN_URL").is_none() {
			assert_eq!(cli.global.url, "ws://127.0.0.1:9944");
		}
		let both = ["iotctl", "--suri", "//Bob", "--key-file", "k", "chain", "info"];
		assert!(Cli::try_parse_from(both).is_err());
	}
}
