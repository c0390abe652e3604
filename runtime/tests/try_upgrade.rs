//! The runtime upgrade's checks against a real chain's state: the state a node serves
//! (`iotctl chain snapshot`, in `IOTCHAIN_SNAPSHOT`) goes into externalities, and this runtime
//! — built with `try-runtime`, and with `upgrade-rehearsal` for the rehearsal's migration —
//! runs its upgrade there as the first block on new code would: every migration with its pre-
//! and post-checks, every pallet's storage version against its code, the whole state decoded,
//! and every pallet's `try_state`. `scripts/try-upgrade.sh` makes the snapshot and runs this.
#![cfg(feature = "try-runtime")]

use frame_support::traits::{GetStorageVersion, PalletInfoAccess, StorageVersion};
use frame_try_runtime::UpgradeCheckSelect;
use iotchain_runtime::Executive;
use std::collections::BTreeMap;

/// The snapshot's main trie as externalities.
fn snapshot_state() -> sp_io::TestExternalities {
	let path = std::env::var("IOTCHAIN_SNAPSHOT")
		.expect("IOTCHAIN_SNAPSHOT names the state to check (scripts/try-upgrade.sh sets it)");
	let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
	let snapshot: serde_json::Value = serde_json::from_str(&text).expect("a JSON snapshot");
	let bytes = |hex: &str| {
		let hex = hex.trim_start_matches("0x");
		(0..hex.len())
			.step_by(2)
			.map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
			.collect::<Vec<u8>>()
	};
	let top: BTreeMap<Vec<u8>, Vec<u8>> = snapshot["top"]
		.as_object()
		.expect("a key → value map")
		.iter()
		.map(|(key, value)| (bytes(key), bytes(value.as_str().expect("a hex value"))))
		.collect();
	assert!(!top.is_empty(), "{path} holds no state");
	println!(
		"{} keys of block #{} (spec version {}) from {path}",
		top.len(),
		snapshot["block_number"],
		snapshot["spec_version"]
	);
	sp_io::TestExternalities::new(sp_runtime::Storage { top, children_default: Default::default() })
}

/// Every pallet whose storage version is checked, by name, on chain and in code.
fn storage_versions() -> Vec<(&'static str, StorageVersion, StorageVersion)> {
	macro_rules! versions {
		($($pallet:ident),* $(,)?) => {
			vec![$((
				<iotchain_runtime::$pallet as PalletInfoAccess>::name(),
				<iotchain_runtime::$pallet as GetStorageVersion>::on_chain_storage_version(),
				<iotchain_runtime::$pallet as GetStorageVersion>::in_code_storage_version(),
			)),*]
		};
	}
	versions![
		ChainGovernance,
		Admission,
		DeviceRegistry,
		RegistrationHashes,
		LoginRecords,
		FirmwareReleases,
		TelemetryAnchors,
		PeerAllowlist,
		ValidatorSet,
	]
}

#[test]
fn the_upgrade_migrates_the_live_state_and_every_invariant_holds() {
	snapshot_state().execute_with(|| {
		let weight = Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.unwrap_or_else(|error| panic!("the upgrade's checks failed: {error:?}"));
		println!("the upgrade's migrations weigh {weight}");
		for (pallet, on_chain, in_code) in storage_versions() {
			assert_eq!(on_chain, in_code, "{pallet}: storage version on chain vs in code");
		}
		// A second upgrade carrying the same migrations changes nothing.
		let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All)
			.unwrap_or_else(|error| panic!("the second run's checks failed: {error:?}"));
		assert_eq!(
			sp_io::storage::root(sp_runtime::StateVersion::V1),
			root,
			"migrations ran twice"
		);
	});
}
