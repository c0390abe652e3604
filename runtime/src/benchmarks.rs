//! The pallets `benchmark pallet` can measure in this runtime.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_timestamp, Timestamp]
	[pallet_utility, Utility]
	[pallet_sudo, Sudo]
	[pallet_collective, Council]
	[pallet_membership, CouncilMembership]
	[pallet_validator_set, ValidatorSet]
	[pallet_peer_allowlist, PeerAllowlist]
	[pallet_admission, Admission]
	[pallet_device_registry, DeviceRegistry]
	[pallet_access_grants, AccessGrants]
	[pallet_registration_hashes, RegistrationHashes]
	[pallet_login_records, LoginRecords]
	[pallet_telemetry_anchors, TelemetryAnchors]
	[pallet_firmware_releases, FirmwareReleases]
	[pallet_chain_governance, ChainGovernance]
);

// Fees go to no one (`FungibleAdapter<Balances, ()>`): nothing to set up before a benchmark.
impl pallet_transaction_payment::BenchmarkConfig for crate::Runtime {}
