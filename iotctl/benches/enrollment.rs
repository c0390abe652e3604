//! Bulk enrollment through `iotctl device register-batch` on a fresh `--dev` node: wall time,
//! extrinsics/s and devices/s for 10,000 devices (`IOTCHAIN_BENCH_DEVICES` to change), one
//! device per extrinsic and batched. Each run waits until every extrinsic is finalised.
//!
//!   cargo bench -p iotctl --bench enrollment

use clap::Parser;
use iotchain_client::{signer_from_suri, to_hex};
use iotchain_testing::DevNode;

async fn iotctl(node: &DevNode, args: &[&str]) -> serde_json::Value {
	let mut argv = vec!["iotctl", "--json", "--suri", "//Bob"];
	let url = node.ws_url();
	argv.extend(["--url", &url]);
	argv.extend(args);
	let mut out = Vec::new();
	iotctl::run(iotctl::Cli::try_parse_from(&argv).unwrap(), &mut out)
		.await
		.unwrap_or_else(|error| panic!("iotctl {args:?}: {error}"));
	serde_json::from_slice(&out).unwrap()
}

fn main() {
	let devices: usize = std::env::var("IOTCHAIN_BENCH_DEVICES")
		.ok()
		.and_then(|count| count.parse().ok())
		.unwrap_or(10_000);
	let mut csv = String::from("id,kind,model,account,metadata_hash,firmware\n");
	for index in 0..devices {
		let key = signer_from_suri(&format!("//bench//{index}")).unwrap().public_key();
		let id = iotchain_certification_scheme::user_device_id(format!("bench-{index}").as_bytes());
		csv += &format!("{},device,BENCH-1,{},,1.0.0\n", to_hex(&id), key.to_account_id());
	}
	let file = std::env::temp_dir().join(format!("iotctl-bench-{}.csv", std::process::id()));
	std::fs::write(&file, csv).unwrap();

	let runtime = tokio::runtime::Runtime::new().unwrap();
	println!("devices  per extrinsic  extrinsics  wall s  extrinsics/s  devices/s");
	for per_extrinsic in [1, 100, 256] {
		let node = DevNode::start();
		let summary = runtime.block_on(async {
			let bob = signer_from_suri("//Bob").unwrap().public_key().to_account_id().to_string();
			let argv = [
				"iotctl",
				"--suri",
				"//Alice",
				"--url",
				&node.ws_url(),
				"org",
				"create",
				"--name",
				"Bench",
				"--roles",
				"operator",
				"--admin",
				&bob,
				"--via",
				"sudo",
			];
			iotctl::run(iotctl::Cli::try_parse_from(argv).unwrap(), &mut Vec::new())
				.await
				.unwrap();
			let per = per_extrinsic.to_string();
			iotctl(
				&node,
				&["device", "register-batch", file.to_str().unwrap(), "--per-extrinsic", &per],
			)
			.await
		});
		assert_eq!(summary["registered"], devices, "{summary}");
		let seconds = summary["seconds"].as_f64().unwrap();
		let extrinsics = summary["extrinsics"].as_u64().unwrap();
		println!(
			"{devices:>7}  {per_extrinsic:>13}  {extrinsics:>10}  {seconds:>6.1}  {:>12.1}  {:>9.1}",
			extrinsics as f64 / seconds,
			devices as f64 / seconds
		);
	}
	std::fs::remove_file(&file).ok();
}
