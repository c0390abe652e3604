//! `iotctl upgrade`: replace the chain's runtime — hash the code, have the council authorise
//! it, apply it, and check what the chain runs.

use super::{Output, Via};
use clap::Subcommand;
use iotchain_client::{code_hash, Client, Error, Wait};
use std::{io::Write, path::PathBuf};

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Print the hash a runtime's code is authorised by (BLAKE2b-256, as `b2sum -l 256`).
	Hash {
		/// The runtime's code: `…/wbuild/iotchain-runtime/iotchain_runtime.compact.compressed.wasm`.
		code: PathBuf,
	},
	/// The runtime the chain runs and the upgrade authorised for it, if any.
	Status,
	/// Propose that the council authorise this code as the next runtime (two thirds of all
	/// seats must vote aye), or authorise it with the sudo key.
	Authorize {
		code: PathBuf,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Submit the authorised code: the chain runs it from the next block.
	Apply { code: PathBuf },
}

/// Reads a runtime's code from `path`.
fn read_code(path: &PathBuf) -> Result<Vec<u8>, Error> {
	std::fs::read(path).map_err(|source| Error::File { path: path.clone(), source })
}

/// `iotctl upgrade hash`: offline, no node needed.
pub fn hash(path: &PathBuf, output: &mut Output<'_, impl Write>) -> anyhow::Result<()> {
	let hash = code_hash(&read_code(path)?);
	let value = serde_json::json!({ "code": path, "code_hash": hash });
	output.emit(&value, |out| writeln!(out, "{hash:?}  {}", path.display()))
}

pub async fn run(
	command: Command,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Hash { code } => hash(&code, output),
		Command::Status => {
			let status = client.upgrade_status().await?;
			output.emit(&status, |out| {
				writeln!(
					out,
					"runtime     {} spec version {}",
					status.spec_name, status.spec_version
				)?;
				match status.authorized_code_hash {
					Some(hash) => writeln!(out, "authorised  {hash:?} (not yet applied)"),
					None => writeln!(out, "authorised  nothing"),
				}
			})
		},
		Command::Authorize { code, via } => {
			let code = read_code(&code)?;
			let hash = code_hash(&code);
			let receipt = client.authorize_upgrade(&code, via.into(), wait).await?;
			let what = match via {
				Via::Council => {
					format!("authorisation of runtime {hash:?} proposed to the council")
				},
				Via::Sudo => format!("runtime {hash:?} authorised"),
			};
			output.receipt(&what, &receipt)
		},
		Command::Apply { code } => {
			let receipt = client.apply_upgrade(read_code(&code)?, wait).await?;
			output.receipt("runtime code applied: the chain runs it from the next block", &receipt)
		},
	}
}
