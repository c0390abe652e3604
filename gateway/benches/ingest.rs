//! How fast the gateway verifies and durably stores signed messages, and how long a reading
//! takes to reach a finalised anchor, with a dev node, mosquitto and the gateway all on this
//! machine's cores. Prints figures; asserts only that every message was accepted.
//!
//!   cargo bench --workspace --bench ingest
//!
//! IOTCHAIN_BENCH_DEVICES (default 1,000) devices each send IOTCHAIN_BENCH_MESSAGES (default 20)
//! readings over HTTP (256 per request, 8 requests in flight), then as many over MQTT (each
//! device on a connection of its own, under its own broker account, connected and subscribed
//! before the clock starts), after one untimed reading per device (the gateway's first lookup
//! of each). Every answer is signed by the gateway; the sends do not check them.
//! The gateway closes a batch every second, as in the tests.

use iotchain_simulator as simulate;
use iotchain_testing::{
	gateway::{setup, Broker, Gateway, PREFIX},
	DevNode,
};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
	std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The `q` quantile of a Prometheus histogram in `metrics`, interpolated within its bucket.
fn quantile(metrics: &str, name: &str, q: f64) -> Option<f64> {
	let mut buckets: Vec<(f64, f64)> = Vec::new();
	for line in metrics.lines().filter(|l| l.starts_with(&format!("{name}_bucket"))) {
		let le = line.split("le=\"").nth(1)?.split('"').next()?;
		let count: f64 = line.rsplit(' ').next()?.parse().ok()?;
		let bound = if le == "+Inf" { f64::INFINITY } else { le.parse().ok()? };
		buckets.push((bound, count));
	}
	let total = buckets.last()?.1;
	if total == 0.0 {
		return None;
	}
	let target = q * total;
	let (mut lower, mut below) = (0.0, 0.0);
	for (bound, count) in buckets {
		if count >= target {
			if bound.is_infinite() {
				return Some(lower);
			}
			let share = if count > below { (target - below) / (count - below) } else { 1.0 };
			return Some(lower + share * (bound - lower));
		}
		(lower, below) = (bound, count);
	}
	None
}

fn metric(metrics: &str, name: &str) -> f64 {
	metrics
		.lines()
		.find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
		.and_then(|l| l.rsplit(' ').next())
		.and_then(|v| v.parse().ok())
		.unwrap_or(0.0)
}

#[tokio::main]
async fn main() {
	let devices = env_usize("IOTCHAIN_BENCH_DEVICES", 1_000);
	let messages = env_usize("IOTCHAIN_BENCH_MESSAGES", 20);
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "bench", devices).await;
	broker.admit(&setup.devices);
	let dir = tempfile::tempdir().expect("a temporary directory");
	let config = dir.path().join("gateway.toml");
	// The benchmark measures the gateway, not the per-device rate limit.
	std::fs::write(&config, "[limits]\ndevice_rate_per_second = 1000.0\ndevice_burst = 1000.0\n")
		.expect("write the config");
	let gateway = Gateway::start(
		env!("CARGO_BIN_EXE_iotchain-gateway"),
		&node.ws_url(),
		broker.port,
		&dir.path().join("gw"),
		&["--config", config.to_str().expect("a UTF-8 path")],
	);
	let genesis = setup.genesis;
	println!("gateway ingest: {devices} devices × {messages} readings per transport");

	// The gateway meets each device once first (one registry lookup each), untimed: the
	// figures below are the steady state.
	let warm_up: Vec<_> = setup.devices.iter_mut().map(|d| d.reading(&genesis)).collect();
	let started = Instant::now();
	let (acks, _) = simulate::send_http(&gateway.base(), warm_up, 256, 8).await.expect("HTTP");
	assert_eq!(
		simulate::tally(&acks).get("accepted"),
		Some(&devices),
		"{:?}",
		simulate::tally(&acks)
	);
	println!("  first contact with {devices} devices: {:.2} s", started.elapsed().as_secs_f64());

	let mut http = Vec::with_capacity(devices * messages);
	for _ in 0..messages {
		http.extend(setup.devices.iter_mut().map(|d| d.reading(&genesis)));
	}
	let count = http.len();
	let started = Instant::now();
	let (acks, _) = simulate::send_http(&gateway.base(), http, 256, 8).await.expect("HTTP");
	let elapsed = started.elapsed().as_secs_f64();
	assert_eq!(
		simulate::tally(&acks).get("accepted"),
		Some(&count),
		"{:?}\n{}",
		simulate::tally(&acks),
		gateway.log_tail()
	);
	println!(
		"  HTTP: {count} messages verified and stored in {elapsed:.2} s: {:.0}/s",
		count as f64 / elapsed
	);

	let mut mqtt = Vec::with_capacity(devices * messages);
	for _ in 0..messages {
		mqtt.extend(setup.devices.iter_mut().map(|d| (d.id, d.reading(&genesis))));
	}
	// Devices keep their broker connections: connecting and subscribing is not timed.
	let ids: Vec<_> = setup.devices.iter().map(|d| d.id).collect();
	let mut connected = simulate::MqttDevices::connect("127.0.0.1", broker.port, PREFIX, &ids)
		.await
		.expect("connect");
	let started = Instant::now();
	let acks = connected.send(mqtt).await.expect("MQTT");
	let elapsed = started.elapsed().as_secs_f64();
	assert_eq!(
		simulate::tally(&acks).get("accepted"),
		Some(&count),
		"{:?}",
		simulate::tally(&acks)
	);
	println!(
		"  MQTT: {count} messages verified and stored in {elapsed:.2} s: {:.0}/s",
		count as f64 / elapsed
	);

	gateway.wait_anchored(Duration::from_secs(300)).await;
	let metrics = gateway.metrics().await;
	let latency = |q| quantile(&metrics, "gateway_anchor_latency_seconds", q).unwrap_or(f64::NAN);
	println!(
		"  accepted → finalised anchor: p50 {:.2} s, p95 {:.2} s (histogram buckets, interpolated)",
		latency(0.5),
		latency(0.95)
	);
	let (batches, readings) = (
		metric(&metrics, "gateway_batch_readings_count"),
		metric(&metrics, "gateway_batch_readings_sum"),
	);
	println!(
		"  anchor transactions: {batches:.0}, readings per transaction: {:.0} on average",
		readings / batches.max(1.0)
	);
}
