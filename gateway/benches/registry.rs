//! How long a gateway takes to serve again after a restart when its organisation has a fleet
//! registered, and what first contact with a device costs. Prints figures; asserts only that
//! every device is known and every reading accepted.
//!
//!   cargo bench --workspace --bench registry
//!
//! IOTCHAIN_BENCH_FLEET (default 100,000) devices are registered in bulk (256 per extrinsic,
//! pipelined, in rounds of 10,240) on a dev node. The gateway is started, then killed with SIGKILL and started
//! again: each time, the figure is from the process's start to its listening, which it does
//! once its registry snapshot is in. Then IOTCHAIN_BENCH_FIRST_CONTACT (default 1,000) devices
//! it has never heard from each send one reading over HTTP, then one more.

use iotchain_client::DeviceKind;
use iotchain_simulator as simulate;
use iotchain_testing::{
	gateway::{setup, Broker, Gateway},
	DevNode,
};
use serde_json::Value;
use std::time::Instant;

/// Devices registered per round: 40 extrinsics of 256.
const REGISTRATION_ROUND: usize = 10_240;

fn env_usize(name: &str, default: usize) -> usize {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
	let fleet = env_usize("IOTCHAIN_BENCH_FLEET", 100_000);
	let first_contact = env_usize("IOTCHAIN_BENCH_FIRST_CONTACT", 1_000).min(fleet);
	let node = DevNode::start();
	let broker = Broker::start();
	println!("gateway registry: a fleet of {fleet} devices");

	let mut setup = setup(&node, "fleet", 0).await;
	setup.devices = simulate::fleet("fleet", fleet);
	let started = Instant::now();
	// In rounds the chain takes in well within a transaction's lifetime.
	for round in setup.devices.chunks(REGISTRATION_ROUND) {
		simulate::register(&setup.bob, round, DeviceKind::Device)
			.await
			.expect("register the fleet");
	}
	let took = started.elapsed().as_secs_f64();
	println!(
		"  registered {fleet} devices (256 per extrinsic, finalised) in {took:.1} s: {:.0}/s",
		fleet as f64 / took
	);

	let dir = tempfile::tempdir().expect("a temporary directory");
	let started = Instant::now();
	let mut gateway = Gateway::start(
		env!("CARGO_BIN_EXE_iotchain-gateway"),
		&node.ws_url(),
		broker.port,
		&dir.path().join("gw"),
		&[],
	);
	let cold = started.elapsed().as_secs_f64();
	let known = |health: &Value| health["registry"]["devices"].as_u64().unwrap_or(0);
	// The fleet and the gateway itself.
	assert_eq!(known(&gateway.health().await), fleet as u64 + 1, "{}", gateway.log_tail());
	println!("  start to serving: {cold:.2} s");

	let started = Instant::now();
	gateway.kill_and_restart();
	let restart = started.elapsed().as_secs_f64();
	assert_eq!(known(&gateway.health().await), fleet as u64 + 1, "{}", gateway.log_tail());
	let metrics = gateway.metrics().await;
	let snapshot = metrics
		.lines()
		.find_map(|line| line.strip_prefix("gateway_registry_snapshot_seconds "))
		.and_then(|value| value.parse::<f64>().ok())
		.unwrap_or(f64::NAN);
	println!(
		"  kill -9, restart to serving: {restart:.2} s (of which the registry snapshot: {snapshot:.2} s)"
	);

	let genesis = setup.genesis;
	let devices = &mut setup.devices[..first_contact];
	for round in ["first contact", "second reading"] {
		let readings: Vec<_> = devices.iter_mut().map(|d| d.reading(&genesis)).collect();
		let started = Instant::now();
		let (acks, _) = simulate::send_http(&gateway.base(), readings, 1, 8).await.expect("HTTP");
		let took = started.elapsed().as_secs_f64();
		assert_eq!(
			simulate::tally(&acks).get("accepted"),
			Some(&first_contact),
			"{:?}\n{}",
			simulate::tally(&acks),
			gateway.log_tail()
		);
		println!(
			"  {round}: {first_contact} devices, one reading each (one per request, 8 in flight): {took:.2} s, {:.2} ms per device",
			took * 1000.0 / first_contact as f64
		);
	}
}
