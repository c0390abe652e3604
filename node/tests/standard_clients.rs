//! Transactions built by a second, independent client are accepted: the runtime's transaction
//! extensions stand where the standard clients (Polkadot.js, substrate-interface, subxt) expect
//! them, so an auditor or integrator is not bound to this project's own client.

use iotchain_testing::*;
use std::{path::PathBuf, process::Command};

/// The Python with substrate-interface that `scripts/setup.sh` installs.
fn python_with_substrate_interface() -> PathBuf {
	let python = PathBuf::from(std::env::var("HOME").expect("HOME is set"))
		.join(".cache/iotchain/python/bin/python3");
	assert!(
		python.exists(),
		"{} is missing: scripts/setup.sh installs substrate-interface there",
		python.display()
	);
	python
}

/// The attack on interoperability the trust-model review found: with the nonce before the era,
/// substrate-interface's first transaction went in and its second was refused
/// (`wasm trap: unreachable … TaggedTransactionQueue_validate_transaction`).
#[test]
fn substrate_interface_signs_transaction_after_transaction() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let node = DevNode::start();
	let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/standard_clients/sign_in_a_row.py");
	let output = Command::new(python_with_substrate_interface())
		.arg(script)
		.arg(node.ws_url())
		.output()
		.expect("python runs");
	let stdout = String::from_utf8_lossy(&output.stdout);
	assert!(
		output.status.success(),
		"substrate-interface's transactions were refused:\n{stdout}\n{}",
		String::from_utf8_lossy(&output.stderr)
	);
	assert_eq!(stdout.matches("included in").count(), 3, "{stdout}");
}
