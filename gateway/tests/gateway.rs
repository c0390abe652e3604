//! The gateway as devices, operators and auditors meet it: real processes (a dev node,
//! mosquitto, the `iotchain-gateway` binary), real signatures, real transports.

use iotchain_client::{
	device_key_proof, signer_from_suri, DeviceKind, KeyProof, ReadingProof, Wait,
};
use iotchain_gateway_protocol::envelope::{Envelope, Kind};
use iotchain_simulator::{self as simulate, ReceivedAck, SimDevice};
use iotchain_testing::{
	gateway::{connect, setup, Broker, Gateway, GATEWAY_SURI, PREFIX},
	DevNode,
};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The gateway binary cargo built for these tests.
const GATEWAY_BINARY: &str = env!("CARGO_BIN_EXE_iotchain-gateway");

fn all_accepted(what: &str, acks: &[ReceivedAck]) {
	let tally = simulate::tally(acks);
	assert_eq!(tally.keys().collect::<Vec<_>>(), vec!["accepted"], "{what}: {tally:?}");
}

/// Sends one message over HTTP and returns its acknowledgement.
async fn send_one(gateway: &Gateway, wire: Vec<u8>) -> ReceivedAck {
	let (mut acks, _) = simulate::send_http(&gateway.base(), vec![wire], 1, 1)
		.await
		.expect("the gateway answers");
	acks.pop().expect("one acknowledgement")
}

/// A gateway in `dir` of `node` and `broker`, configured by `config` (TOML).
fn start_configured(
	node: &DevNode,
	broker: &Broker,
	dir: &std::path::Path,
	config: &str,
) -> Gateway {
	let path = dir.join("gateway.toml");
	std::fs::write(&path, config).expect("write the gateway's config");
	let arguments = ["--config", path.to_str().expect("a UTF-8 path")];
	Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.join("gw"), &arguments)
}

/// The gateway's chain key, as devices know it from the registry.
fn gateway_key() -> [u8; 32] {
	signer_from_suri(GATEWAY_SURI).unwrap().public_key().0
}

/// Every answer in `acks` passes the device's check: signed by the gateway's key for this
/// chain, over exactly the message of `sent` it names.
fn all_signed_by_the_gateway(genesis: &[u8; 32], acks: &[ReceivedAck], sent: &[Vec<u8>]) {
	let sent: std::collections::HashMap<(String, u64), &Vec<u8>> = sent
		.iter()
		.map(|wire| {
			let envelope = Envelope::decode(wire, u32::MAX).unwrap();
			((iotchain_client::to_hex(&envelope.device), envelope.sequence), wire)
		})
		.collect();
	assert_eq!(acks.len(), sent.len());
	for ack in acks {
		let key = (ack.device.clone().expect("names its device"), ack.sequence.unwrap());
		assert_eq!(ack.check(genesis, &gateway_key(), sent[&key]), Ok(()), "{ack:?}");
	}
}

fn reason(ack: &ReceivedAck) -> &str {
	ack.reason.as_deref().unwrap_or(&ack.status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_devices_send_over_http_websocket_and_mqtt_and_every_reading_proves() {
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "fleet", 1_000).await;
	broker.admit(&setup.devices);
	let dir = tempfile::tempdir().unwrap();
	let gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	let genesis = setup.genesis;

	// Sequence 1 over HTTP, 2 over WebSocket, 3 over MQTT, for every device. Every answer is
	// checked as a device checks it: signed by its gateway's chain key, over exactly what it sent.
	let http: Vec<_> = setup.devices.iter_mut().map(|d| d.reading(&genesis)).collect();
	let (acks, statuses) =
		simulate::send_http(&gateway.base(), http.clone(), 100, 4).await.unwrap();
	all_accepted("HTTP", &acks);
	all_signed_by_the_gateway(&genesis, &acks, &http);
	assert_eq!(statuses.keys().collect::<Vec<_>>(), vec![&200]);
	let websocket: Vec<_> = setup.devices.iter_mut().map(|d| d.reading(&genesis)).collect();
	let ws_base = gateway.base().replacen("http", "ws", 1);
	let acks = simulate::send_websocket(&ws_base, websocket.clone()).await.unwrap();
	all_accepted("WebSocket", &acks);
	all_signed_by_the_gateway(&genesis, &acks, &websocket);
	let mqtt: Vec<_> = setup.devices.iter_mut().map(|d| (d.id, d.reading(&genesis))).collect();
	let acks = simulate::send_mqtt("127.0.0.1", broker.port, PREFIX, mqtt.clone())
		.await
		.unwrap();
	all_accepted("MQTT", &acks);
	let mqtt: Vec<_> = mqtt.into_iter().map(|(_, wire)| wire).collect();
	all_signed_by_the_gateway(&genesis, &acks, &mqtt);

	gateway.wait_anchored(Duration::from_secs(120)).await;
	let metrics = gateway.metrics().await;
	for transport in ["http", "websocket", "mqtt"] {
		let line = format!(
			"gateway_messages_accepted_total{{kind=\"telemetry\",transport=\"{transport}\"}} 1000"
		);
		assert!(metrics.contains(&line), "{line} in\n{metrics}");
	}

	// On chain, every device's readings are anchored up to sequence 3.
	for device in &setup.devices {
		let anchor = setup.bob.device_anchor(device.id).await.unwrap().expect("anchored");
		assert_eq!(anchor.last_sequence, 3);
	}

	// Proofs verify against the finalised anchors, for a sample of devices and every transport.
	for device in setup.devices.iter().step_by(97) {
		for sequence in 1..=3 {
			let (status, body) = gateway.proof(&setup.bob, &device.id, sequence).await;
			assert_eq!(status, 200, "{body}");
			assert_eq!(body["status"], "finalised");
			let proof: ReadingProof = serde_json::from_value(body).unwrap();
			let verified = setup.bob.verify_reading(&proof).await.expect("the reading verifies");
			assert_eq!((verified.sequence, verified.signed_by.as_str()), (sequence, "current"));
		}
	}

	// `iotctl telemetry verify` reads the proof from a file.
	let (_, body) = gateway.proof(&setup.bob, &setup.devices[0].id, 2).await;
	let proof_file = dir.path().join("proof.json");
	std::fs::write(&proof_file, body.to_string()).unwrap();
	let url = node.ws_url();
	let args =
		["iotctl", "--url", &url, "--json", "telemetry", "verify", proof_file.to_str().unwrap()];
	let mut out = Vec::new();
	iotctl::run(<iotctl::Cli as clap::Parser>::parse_from(args), &mut out)
		.await
		.expect("iotctl verifies");
	let verified: Value = serde_json::from_slice(&out).unwrap();
	assert_eq!(verified["sequence"], 2);
	assert_eq!(verified["device"], iotchain_client::to_hex(&setup.devices[0].id));

	// A reading altered, moved or dropped after acceptance no longer proves.
	let original: ReadingProof = serde_json::from_value(body).unwrap();
	let mut altered = original.clone();
	let envelope = altered.envelope.as_mut().expect("served in full");
	let last = envelope.len() - 200;
	let flipped = if &envelope[last..last + 1] == "0" { "1" } else { "0" };
	envelope.replace_range(last..last + 1, flipped);
	// Without the leaf hash the proof names, the audit path itself must catch it.
	let altered_unnamed = ReadingProof { leaf: None, ..altered.clone() };
	let mut moved = original.clone();
	moved.leaf_index = (moved.leaf_index + 1) % u64::from(moved.leaf_count);
	let mut dropped = original.clone();
	dropped.leaf_count -= 1;
	for (what, tampered) in [
		("altered", altered),
		("altered, leaf unnamed", altered_unnamed),
		("moved", moved),
		("dropped", dropped),
	] {
		let error = setup.bob.verify_reading(&tampered).await.expect_err(what);
		assert!(
			matches!(error, iotchain_client::Error::Invalid { what: "reading", .. }),
			"{what}: {error}"
		);
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_message_is_refused_with_its_reason_and_a_key_rotation_takes_effect() {
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "refusals", 3).await;
	broker.admit(&setup.devices);
	let dir = tempfile::tempdir().unwrap();
	let gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	let genesis = setup.genesis;

	let first = setup.devices[0].reading(&genesis);
	assert!(send_one(&gateway, first.clone()).await.accepted());
	// A retry of the same message: accepted again, stored once.
	let retry = send_one(&gateway, first.clone()).await;
	assert!(retry.accepted() && retry.duplicate, "{retry:?}");
	// Another message under a used sequence number: a replay.
	setup.devices[0].next_sequence = 1;
	let replay = setup.devices[0].reading(&genesis);
	assert_eq!(reason(&send_one(&gateway, replay).await), "replayed-sequence");

	// A forged signature.
	let mut forged = setup.devices[1].reading(&genesis);
	let at = forged.len() - 10;
	forged[at] ^= 1;
	assert_eq!(reason(&send_one(&gateway, forged).await), "bad-signature");
	// Signed for another chain.
	let other_chain = setup.devices[1].reading(&[9; 32]);
	assert_eq!(reason(&send_one(&gateway, other_chain).await), "bad-signature");
	// An unknown device, a device of another organisation, a gateway posing as a device.
	let mut stranger = SimDevice::new("stranger", 0);
	assert_eq!(reason(&send_one(&gateway, stranger.reading(&genesis)).await), "unknown-device");
	let rival = setup.rival_device.reading(&genesis);
	assert_eq!(reason(&send_one(&gateway, rival).await), "other-organisation");
	let posing = SimDevice::new("gateway", 0).reading(&genesis);
	assert_eq!(reason(&send_one(&gateway, posing).await), "not-a-device");
	// Oversized, malformed, and a kind this gateway does not relay.
	let oversized = setup.devices[1]
		.sign(&genesis, Kind::Telemetry, vec![7; 16 * 1024 + 1])
		.encode();
	assert_eq!(reason(&send_one(&gateway, oversized).await), "too-large");
	assert_eq!(reason(&send_one(&gateway, b"not an envelope".to_vec()).await), "malformed");
	let login = setup.devices[1].sign(&genesis, Kind::Login, vec![1]).encode();
	assert_eq!(reason(&send_one(&gateway, login).await), "bad-payload");
	// Over MQTT, a message on another device's topic.
	let wire = setup.devices[1].reading(&genesis);
	let acks =
		simulate::send_mqtt("127.0.0.1", broker.port, PREFIX, vec![(setup.devices[2].id, wire)])
			.await
			.unwrap();
	assert_eq!(reason(&acks[0]), "wrong-topic");
	// The same refusal codes over WebSocket.
	let ws_base = gateway.base().replacen("http", "ws", 1);
	let acks = simulate::send_websocket(&ws_base, vec![stranger.reading(&genesis)])
		.await
		.unwrap();
	assert_eq!(reason(&acks[0]), "unknown-device");

	// The device's key is rotated: once finalised, the old key's messages are forged ones.
	let new_key = signer_from_suri("//iotchain-sim//refusals//rotated").unwrap();
	let org = setup.bob.signer_organisation().await.unwrap();
	let (account, proof) =
		device_key_proof(&new_key, &genesis, org, &DeviceKind::Device, &setup.devices[0].id);
	setup
		.bob
		.rotate_device_key(setup.devices[0].id, account, KeyProof::Sr25519(proof), Wait::Finalised)
		.await
		.expect("rotate the key");
	let refused = wait_for_reason(&gateway, &mut setup.devices[0], &genesis, "bad-signature").await;
	assert!(refused, "the old key is refused after the rotation");
	setup.devices[0].key = new_key;
	assert!(send_one(&gateway, setup.devices[0].reading(&genesis)).await.accepted());

	// A revoked device is refused once the revocation is final.
	setup
		.bob
		.revoke_device(setup.devices[1].id, Wait::Finalised)
		.await
		.expect("revoke");
	let refused =
		wait_for_reason(&gateway, &mut setup.devices[1], &genesis, "device-not-active").await;
	assert!(refused, "the revoked device is refused");

	let metrics = gateway.metrics().await;
	assert!(metrics.contains("reason=\"bad-signature\",transport=\"http\""), "{metrics}");

	// A gateway started with the same key on an empty store would reuse the batch numbers the
	// chain already holds: it refuses to start.
	gateway.wait_anchored(Duration::from_secs(60)).await;
	let url = node.ws_url();
	let fresh = dir.path().join("empty-store");
	let stray = std::process::Command::new(env!("CARGO_BIN_EXE_iotchain-gateway"))
		.args(["serve", "--node-url", &url, "--suri", GATEWAY_SURI, "--no-mqtt"])
		.args(["--http-listen", "127.0.0.1:0", "--data-dir", fresh.to_str().unwrap()])
		.output()
		.expect("the gateway runs");
	assert!(!stray.status.success());
	let stderr = String::from_utf8_lossy(&stray.stderr);
	assert!(stderr.contains("not the store those batches came from"), "{stderr}");
}

/// Sends fresh readings of `device` until one is refused with `expected` (the gateway follows
/// finalised blocks, so a registry change reaches it a block or two after it is final).
async fn wait_for_reason(
	gateway: &Gateway,
	device: &mut SimDevice,
	genesis: &[u8; 32],
	expected: &str,
) -> bool {
	let deadline = Instant::now() + Duration::from_secs(30);
	while Instant::now() < deadline {
		let ack = send_one(gateway, device.reading(genesis)).await;
		if reason(&ack) == expected {
			return true;
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	false
}

/// Sends `rounds` readings per device over HTTP, each request retried (same bytes) until it is
/// answered without a transient refusal; returns the acknowledgements.
async fn stream_with_retries(
	base: String,
	mut devices: Vec<SimDevice>,
	genesis: [u8; 32],
	rounds: usize,
) -> Vec<ReceivedAck> {
	let mut acks = Vec::new();
	for _ in 0..rounds {
		let round: Vec<_> = devices.iter_mut().map(|d| d.reading(&genesis)).collect();
		for chunk in round.chunks(50) {
			loop {
				match simulate::send_http(&base, chunk.to_vec(), 50, 1).await {
					Ok((answers, _))
						if !answers.iter().any(|a| {
							matches!(a.reason.as_deref(), Some("overloaded" | "chain-unavailable"))
						}) =>
					{
						acks.extend(answers);
						break;
					},
					_ => tokio::time::sleep(Duration::from_millis(200)).await,
				}
			}
		}
	}
	acks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_killed_mid_stream_loses_nothing_and_anchors_nothing_twice() {
	let node = DevNode::start();
	let broker = Broker::start();
	let setup = setup(&node, "crash", 100).await;
	let dir = tempfile::tempdir().unwrap();
	let mut gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	let (ids, rounds) = (setup.devices.iter().map(|d| d.id).collect::<Vec<_>>(), 30);
	let sender =
		tokio::spawn(stream_with_retries(gateway.base(), setup.devices, setup.genesis, rounds));
	tokio::time::sleep(Duration::from_secs(3)).await;
	gateway.kill_and_restart();
	tokio::time::sleep(Duration::from_secs(3)).await;
	gateway.kill_and_restart();
	let acks = sender.await.unwrap();
	all_accepted("the stream", &acks);
	assert_eq!(acks.len(), ids.len() * rounds);
	gateway.wait_anchored(Duration::from_secs(120)).await;

	// Every acknowledged reading is anchored, each exactly once: the anchored batches hold
	// exactly as many leaves as distinct readings were acknowledged.
	let gw = SimDevice::new("gateway", 0).id;
	let batches = setup.bob.next_anchor_batch(gw).await.unwrap();
	let mut leaves = 0u64;
	for sequence in 0..batches {
		let batch = setup.bob.anchored_batch(gw, sequence).await.unwrap().expect("gap-free");
		leaves += u64::from(batch.leaf_count);
	}
	assert_eq!(leaves, (ids.len() * rounds) as u64, "anchored leaves = acknowledged readings");
	for id in &ids {
		let anchor = setup.bob.device_anchor(*id).await.unwrap().expect("anchored");
		assert_eq!(anchor.last_sequence, rounds as u64);
	}
	for (id, sequence) in [(ids[0], 1), (ids[50], 15), (ids[99], rounds as u64)] {
		let (_, body) = gateway.proof(&setup.bob, &id, sequence).await;
		let proof: ReadingProof = serde_json::from_value(body).unwrap();
		setup.bob.verify_reading(&proof).await.expect("verifies after the crashes");
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_holds_its_limits_and_rides_out_a_node_outage() {
	let chain_dir = tempfile::tempdir().unwrap();
	let node = DevNode::start_at(chain_dir.path());
	let url = node.ws_url();
	let broker = Broker::start();
	let mut setup = setup(&node, "outage", 50).await;
	let dir = tempfile::tempdir().unwrap();
	let gateway = start_configured(
		&node,
		&broker,
		dir.path(),
		"[limits]\nmax_unanchored = 300\ndevice_rate_per_second = 2.0\ndevice_burst = 20.0\n\
		 max_websocket_connections = 1\n",
	);
	let genesis = setup.genesis;
	// Every device is known to the gateway before the node goes away.
	let first: Vec<_> = setup.devices.iter_mut().map(|d| d.reading(&genesis)).collect();
	all_accepted("before", &simulate::send_http(&gateway.base(), first, 50, 1).await.unwrap().0);
	gateway.wait_anchored(Duration::from_secs(60)).await;

	let restarting = {
		let path = chain_dir.path().to_owned();
		tokio::task::spawn_blocking(move || node.restart(&path, Duration::from_secs(15)))
	};
	tokio::time::sleep(Duration::from_secs(2)).await;
	// Store and forward: 300 readings are accepted while the node is down...
	let mut down: Vec<Vec<u8>> = Vec::new();
	for _ in 0..8 {
		down.extend(setup.devices.iter_mut().map(|d| d.reading(&genesis)));
	}
	let (acks, statuses) =
		simulate::send_http(&gateway.base(), down[..300].to_vec(), 50, 1).await.unwrap();
	all_accepted("while the node is down", &acks);
	assert_eq!(statuses.keys().collect::<Vec<_>>(), vec![&200]);
	// ...and beyond the bound the gateway pushes back with 503 and Retry-After.
	let response = reqwest::Client::new()
		.post(format!("{}/v1/messages", gateway.base()))
		.body(down[300..].concat())
		.send()
		.await
		.unwrap();
	assert_eq!(response.status().as_u16(), 503);
	assert_eq!(response.headers()["retry-after"], "1");
	let body: Value = response.json().await.unwrap();
	let results = body["results"].as_array().unwrap();
	assert_eq!(results.len(), 100);
	assert!(results.iter().all(|r| r["reason"] == "overloaded"), "{body}");
	// Without its node the gateway cannot see a revocation, so it serves no reads: the safe
	// side (docs/gateway-protocol.md, "Reads").
	let target = format!("/v1/proofs/0x{}/1", hex::encode(setup.devices[0].id));
	let deadline = Instant::now() + Duration::from_secs(8);
	loop {
		let (status, body) = gateway.read(&setup.bob, &target).await;
		if (status, body["error"].as_str()) == (503, Some("chain-unavailable")) {
			break;
		}
		assert!(Instant::now() < deadline, "a read served without the node: {status} {body}");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}

	let _node = restarting.await.unwrap();
	gateway.wait_anchored(Duration::from_secs(120)).await;
	assert_eq!(gateway.read(&setup.bob, &target).await.0, 200, "reads resume with the node");
	// Caught up: the pushed-back readings go in now.
	let (acks, _) =
		simulate::send_http(&gateway.base(), down[300..].to_vec(), 50, 1).await.unwrap();
	all_accepted("after the node returned", &acks);
	gateway.wait_anchored(Duration::from_secs(60)).await;
	let bob = connect(&url, "//Bob").await;
	for device in &setup.devices {
		let anchor = bob.device_anchor(device.id).await.unwrap().expect("anchored");
		assert_eq!(anchor.last_sequence, 9);
	}

	// A device bursting past its rate: the burst of 20 goes in, the rest is told to retry.
	let burst: Vec<_> = (0..25).map(|_| setup.devices[0].reading(&genesis)).collect();
	let (acks, statuses) = simulate::send_http(&gateway.base(), burst, 25, 1).await.unwrap();
	let tally = simulate::tally(&acks);
	assert!(tally["accepted"] >= 20 && tally["rate-limited"] >= 4, "{tally:?}");
	assert_eq!(statuses.keys().collect::<Vec<_>>(), vec![&503]);
	// One WebSocket at a time: a second is refused while the first is open.
	let ws = format!("ws://127.0.0.1:{}/v1/stream", gateway.http_port);
	let (_first, _) = tokio_tungstenite::connect_async(&ws).await.expect("the first stream");
	let second = tokio_tungstenite::connect_async(&ws).await.expect_err("no second stream");
	assert!(second.to_string().contains("503"), "{second}");
}

/// Reads text frames from a WebSocket until one satisfies `wanted`.
async fn next_frame<S>(source: &mut S, wanted: impl Fn(&Value) -> bool) -> Value
where
	S: futures::Stream<
			Item = Result<
				tokio_tungstenite::tungstenite::Message,
				tokio_tungstenite::tungstenite::Error,
			>,
		> + Unpin,
{
	use futures::StreamExt;
	let deadline = Duration::from_secs(60);
	loop {
		let frame = tokio::time::timeout(deadline, source.next())
			.await
			.expect("a frame in time")
			.expect("the stream is open")
			.expect("a frame");
		if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
			let value: Value = serde_json::from_str(&text).expect("JSON");
			if wanted(&value) {
				return value;
			}
		}
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_and_update_reports_are_relayed_and_each_device_gets_its_outcome() {
	use codec::Encode;
	use futures::SinkExt;
	use iotchain_client::{
		Client, Credential, PairRegistration, SignedLogin, UpdateOutcome, UpdateReport,
		UserDeviceKey,
	};
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "relay", 2).await;
	let dir = tempfile::tempdir().unwrap();
	let gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	let genesis = setup.genesis;
	let gateway_id = SimDevice::new("gateway", 0).id;
	let (lock, unassigned) = (setup.devices[0].id, setup.devices[1].id);
	setup
		.bob
		.assign_gateway(lock, Some(gateway_id), Wait::Finalised)
		.await
		.expect("assign");

	// A phone registers with the lock in signature mode; the lock records the pair itself.
	let phone_key = signer_from_suri("//relay-phone").unwrap();
	let phone = iotchain_certification_scheme::user_device_id(b"relay-phone");
	let lock_client = Client::connect(&node.ws_url())
		.await
		.unwrap()
		.with_signer(setup.devices[0].key.clone());
	let pair = PairRegistration {
		device: lock,
		user_device: phone,
		credential: Credential::Key(UserDeviceKey::Sr25519(phone_key.public_key().0)),
		app_integrity_key: [7; 32],
	};
	let outcomes = lock_client
		.register_pairs(vec![pair], 1, Wait::Finalised, |_| {})
		.await
		.unwrap();
	assert!(outcomes.iter().all(|(_, outcome)| outcome.is_ok()), "{outcomes:?}");
	// The lock's owner lets the phone in, for a day.
	let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
	let now = now.as_millis() as u64;
	let stay = iotchain_client::GrantTerms {
		subject: iotchain_client::Subject::UserDevice(phone),
		object: iotchain_client::Object::Device(lock),
		rights: iotchain_client::parse_rights("login").unwrap(),
		valid_from: now,
		valid_until: now + 86_400_000,
		delegable: false,
	};
	setup.bob.issue_grant(stay, Wait::Finalised).await.expect("grant");

	// The phone answers a challenge; the lock sends the signed login to its gateway over
	// WebSocket: acknowledged at once, then the chain's outcome on the same socket.
	let challenge = lock_client.challenge().await.unwrap();
	let signature = lock_client.sign_login(&phone_key, lock, phone, challenge.clone());
	let login = SignedLogin {
		device: lock,
		user_device: phone,
		nonce: challenge.nonce,
		challenge_block: challenge.block,
		signature,
	};
	let envelope = setup.devices[0].sign(&genesis, Kind::Login, login.encode());
	let ws = format!("ws://127.0.0.1:{}/v1/stream", gateway.http_port);
	let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
	socket
		.send(tokio_tungstenite::tungstenite::Message::Binary(envelope.encode().into()))
		.await
		.unwrap();
	let ack =
		next_frame(&mut socket, |v| v.get("reason").is_some() || v["status"] == "accepted").await;
	assert_eq!(ack["status"], "accepted", "{ack}");
	let outcome = next_frame(&mut socket, |v| v.get("kind").is_some()).await;
	assert_eq!(outcome["kind"], "login");
	assert_eq!(outcome["status"], "recorded", "{outcome}");
	assert!(outcome["event"]["outcome"].to_string().contains("Success"), "{outcome}");
	// The lock acts on the outcome only once it is its gateway's word about its own message,
	// and reads the chain's event from the bytes the signature covers.
	let wire = envelope.encode();
	let detail = simulate::check_outcome(&outcome, &genesis, &gateway_key(), &wire)
		.expect("the gateway signed the outcome");
	let recorded =
		<iotchain_client::runtime::login_records::events::LoginRecorded as codec::Decode>::decode(
			&mut &detail[..],
		)
		.expect("the signed detail is the chain's LoginRecorded");
	assert_eq!((recorded.device, recorded.user_device), (lock, phone));
	assert!(format!("{:?}", recorded.outcome).contains("Success"), "{recorded:?}");
	let mut forged = outcome.clone();
	forged["status"] = "refused".into();
	forged["reason"] = "LoginRecords::PairLocked".into();
	assert_eq!(
		simulate::check_outcome(&forged, &genesis, &gateway_key(), &wire),
		Err(simulate::AnswerFault::BadSignature)
	);
	let mut unsigned = outcome.clone();
	unsigned.as_object_mut().unwrap().remove("signature");
	assert_eq!(
		simulate::check_outcome(&unsigned, &genesis, &gateway_key(), &wire),
		Err(simulate::AnswerFault::Unsigned)
	);
	let records = setup.bob.recent_logins(lock, 1).await.unwrap();
	assert_eq!(records.len(), 1, "the login is on chain");

	// The same outcome over HTTP, read by the lock itself.
	let target = format!("/v1/outcomes/{}/{}", hex::encode(lock), envelope.sequence);
	let (status, polled) = gateway.read(&lock_client, &target).await;
	assert_eq!((status, &polled), (200, &outcome));

	// An update report naming no release: relayed, and refused by the chain for that item.
	let report = UpdateReport {
		device: lock,
		release: 999,
		outcome: UpdateOutcome::Installed,
		measured_sha256: [0; 32],
	};
	let envelope = setup.devices[0].sign(&genesis, Kind::UpdateReport, report.encode());
	assert!(send_one(&gateway, envelope.encode()).await.accepted());
	let target = format!("/v1/outcomes/{}/{}", hex::encode(lock), envelope.sequence);
	let deadline = Instant::now() + Duration::from_secs(60);
	let refused = loop {
		let (status, body) = gateway.read(&lock_client, &target).await;
		if status == 200 {
			break body;
		}
		assert!(Instant::now() < deadline, "no outcome for the update report");
		tokio::time::sleep(Duration::from_millis(500)).await;
	};
	assert_eq!(
		(refused["kind"].as_str(), refused["status"].as_str()),
		(Some("update-report"), Some("refused"))
	);
	assert_eq!(refused["error_name"], "FirmwareReleases::ReleaseNotFound", "{refused}");
	let vouched = simulate::check_outcome(&refused, &genesis, &gateway_key(), &envelope.encode())
		.expect("a refusal is signed too");
	assert_eq!(vouched, b"FirmwareReleases::ReleaseNotFound");
	// A genuine outcome offered for another message proves nothing about it.
	assert_eq!(
		simulate::check_outcome(&refused, &genesis, &gateway_key(), &wire),
		Err(simulate::AnswerFault::OtherMessage)
	);

	// A device not assigned to this gateway cannot have it relay; a payload about another
	// device is refused before anything else.
	let login_of_other = setup.devices[1].sign(&genesis, Kind::Login, login.encode());
	assert_eq!(reason(&send_one(&gateway, login_of_other.encode()).await), "bad-payload");
	let own = SignedLogin { device: unassigned, ..login };
	let login_unassigned = setup.devices[1].sign(&genesis, Kind::Login, own.encode());
	assert_eq!(reason(&send_one(&gateway, login_unassigned.encode()).await), "not-assigned");
	// A relayed message has no proof: it is not a reading.
	let (status, _) = gateway.proof(&lock_client, &lock, envelope.sequence).await;
	assert_eq!(status, 404);
}

/// Runs iotctl in process with `args` after `iotctl --url URL --json`; its JSON output.
async fn iotctl_json(url: &str, args: &[&str]) -> anyhow::Result<Value> {
	let mut line = vec!["iotctl", "--url", url, "--json"];
	line.extend_from_slice(args);
	let mut out = Vec::new();
	iotctl::run(<iotctl::Cli as clap::Parser>::parse_from(line), &mut out).await?;
	Ok(serde_json::from_slice(&out)?)
}

/// Reads are served only to signed read requests of the device's readers — the device, its
/// owner's staff, holders of a `read` grant (as an account or through their organisation) at
/// their level — and a revocation takes effect at the gateway with the next finalised block.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_are_served_only_to_the_devices_readers_at_their_level() {
	use iotchain_client::{
		parse_rights, runtime::access_grants::events::GrantIssued, Client, GrantTerms, Object,
		ReadRequest, Subject,
	};
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "readers", 1).await;
	let dir = tempfile::tempdir().unwrap();
	// The fleet's model lists one subset: a fitness app's "basics" is the temperature only.
	let subsets = "[reads.subsets.SIM-1]\nbasics = [\"temperature_mc\"]\n";
	let gateway = start_configured(&node, &broker, dir.path(), subsets);
	let genesis = setup.genesis;
	let reading = br#"{"temperature_mc": 21000, "heart_rate": 61}"#.to_vec();
	let envelope = setup.devices[0].sign(&genesis, Kind::Telemetry, reading);
	assert!(send_one(&gateway, envelope.encode()).await.accepted());
	gateway.wait_anchored(Duration::from_secs(60)).await;
	let id = setup.devices[0].id;
	let target = format!("/v1/proofs/0x{}/{}", hex::encode(id), envelope.sequence);
	let url = node.ws_url();
	let as_key = |suri: &'static str| {
		let url = url.clone();
		async move { connect(&url, suri).await }
	};
	let refusal =
		|answer: (u16, Value)| (answer.0, answer.1["error"].as_str().unwrap_or("").to_owned());

	// Without a signed read request, nothing.
	assert_eq!(refusal(gateway.read_with(None, &target).await), (401, "unsigned".into()));
	let bearer = Some("Bearer secret".to_owned());
	assert_eq!(
		refusal(gateway.read_with(bearer, &target).await),
		(401, "malformed-authorization".into())
	);

	// The owner's admin and the device itself read in full.
	let (status, body) = gateway.read(&setup.bob, &target).await;
	assert_eq!(status, 200, "{body}");
	assert_eq!(body["envelope"], iotchain_client::to_hex(&envelope.encode()));
	let device_itself = Client::connect(&node.ws_url())
		.await
		.unwrap()
		.with_signer(setup.devices[0].key.clone());
	assert_eq!(gateway.read(&device_itself, &target).await.0, 200);

	// A stranger, and the admin of another organisation, are refused.
	let stranger = as_key("//reads-stranger").await;
	assert_eq!(refusal(gateway.read(&stranger, &target).await), (403, "not-granted".into()));
	let charlie = as_key("//Charlie").await;
	assert_eq!(refusal(gateway.read(&charlie, &target).await), (403, "not-granted".into()));

	// A request is taken once, only for what it signed, and only near the gateway's clock.
	let signed = setup.bob.sign_read_request("GET", &target).unwrap();
	assert_eq!(gateway.read_with(Some(signed.header()), &target).await.0, 200);
	assert_eq!(
		refusal(gateway.read_with(Some(signed.header()), &target).await),
		(401, "replayed-request".into())
	);
	let other = setup.bob.sign_read_request("GET", &format!("{target}?payload=omit")).unwrap();
	assert_eq!(
		refusal(gateway.read_with(Some(other.header()), &target).await),
		(401, "bad-signature".into())
	);
	let bob_key = signer_from_suri("//Bob").unwrap();
	let mut stale = ReadRequest { time_ms: signed.time_ms - 120_000, ..signed.clone() };
	stale.nonce = [9; 16];
	stale.signature = bob_key.sign(&stale.signing_payload(&genesis, "GET", &target)).0;
	assert_eq!(
		refusal(gateway.read_with(Some(stale.header()), &target).await),
		(401, "stale-request".into())
	);

	// The owner grants an auditor full reads, a fitness app the "basics" subset, another app
	// a subset the gateway does not know, and the rival organisation full reads.
	let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
	let now = now.as_millis() as u64;
	let (auditor, fitness, unknown_level) =
		(as_key("//auditor").await, as_key("//fitness").await, as_key("//other-app").await);
	let terms = |subject, rights: &str| GrantTerms {
		subject,
		object: Object::Device(id),
		rights: parse_rights(rights).unwrap(),
		valid_from: now - 1_000,
		valid_until: now + 3_600_000,
		delegable: false,
	};
	let account = |client: &Client| Subject::Account(client.signer_account().unwrap());
	let rival = charlie.signer_organisation().await.expect("Charlie is the rival's admin");
	let grants = vec![
		terms(account(&auditor), "read"),
		terms(account(&fitness), "read=basics"),
		terms(account(&unknown_level), "read=everything"),
		terms(Subject::Organisation(rival), "read"),
	];
	let receipts = setup.bob.issue_grants(grants, Wait::Finalised, |_| {}).await.unwrap();
	let auditor_grant = receipts[0]
		.as_ref()
		.expect("issued")
		.find_first::<GrantIssued>()
		.unwrap()
		.expect("a read grant needs one admin")
		.grant;
	for receipt in &receipts {
		assert!(receipt.is_ok(), "{receipt:?}");
	}

	// The auditor reads in full; without the payload on request; through iotctl too.
	let (status, full) = gateway.read(&auditor, &target).await;
	assert_eq!(status, 200, "{full}");
	let proof: ReadingProof = serde_json::from_value(full.clone()).unwrap();
	setup.bob.verify_reading(&proof).await.expect("the auditor's reading verifies");
	let (status, bare) = gateway.read(&auditor, &format!("{target}?payload=omit")).await;
	assert_eq!(status, 200, "{bare}");
	assert!(bare.get("envelope").is_none(), "{bare}");
	let mut bare: ReadingProof = serde_json::from_value(bare).unwrap();
	assert!(setup.bob.verify_reading(&bare).await.is_err(), "nothing to verify without it");
	bare.envelope = proof.envelope.clone();
	setup
		.bob
		.verify_reading(&bare)
		.await
		.expect("verifies with the reading the auditor holds");
	let mut wrong = bare.clone();
	wrong.envelope = Some(iotchain_client::to_hex(b"another reading"));
	assert!(setup.bob.verify_reading(&wrong).await.is_err(), "another reading does not prove");
	let (device_hex, sequence) = (iotchain_client::to_hex(&id), envelope.sequence.to_string());
	let iotctl_read = [
		"--suri",
		"//auditor",
		"telemetry",
		"read",
		"--gateway",
		&gateway.base(),
		&device_hex,
		&sequence,
	];
	let by_iotctl = iotctl_json(&node.ws_url(), &iotctl_read)
		.await
		.expect("iotctl reads as the auditor");
	assert_eq!(by_iotctl["envelope"], full["envelope"]);

	// The rival organisation reads through its grant; its admin proves it with its own key.
	assert_eq!(gateway.read(&charlie, &target).await.0, 200);

	// The fitness app sees the basics and no more: no envelope, only the listed field.
	let (status, basics) = gateway.read(&fitness, &target).await;
	assert_eq!(status, 200, "{basics}");
	assert!(basics.get("envelope").is_none(), "{basics}");
	assert_eq!(basics["subset"]["level"], "basics");
	assert_eq!(basics["subset"]["fields"], serde_json::json!({"temperature_mc": 21000}));
	// Outcomes are not readings a subset names: the fitness app sees none.
	let outcomes = format!("/v1/outcomes/0x{}/{}", hex::encode(id), envelope.sequence);
	assert_eq!(refusal(gateway.read(&fitness, &outcomes).await), (403, "level-not-served".into()));
	// A subset the gateway has no list for is served nothing.
	assert_eq!(
		refusal(gateway.read(&unknown_level, &target).await),
		(403, "level-not-served".into())
	);

	// The owner revokes the auditor's grant: refused from the next finalised block on.
	setup.bob.revoke_grant(auditor_grant, Wait::Finalised).await.expect("revoke");
	let deadline = Instant::now() + Duration::from_secs(20);
	loop {
		let answer = refusal(gateway.read(&auditor, &target).await);
		if answer == (403, "not-granted".to_owned()) {
			break;
		}
		assert_eq!(answer.0, 200, "{answer:?}");
		assert!(Instant::now() < deadline, "the revocation never reached the gateway");
		tokio::time::sleep(Duration::from_millis(250)).await;
	}
	let refused = iotctl_json(&node.ws_url(), &iotctl_read)
		.await
		.expect_err("iotctl names the refusal");
	assert!(refused.to_string().contains("not-granted"), "{refused}");

	let metrics = gateway.metrics().await;
	for line in [
		"gateway_reads_refused_total{reason=\"not-granted\"}",
		"gateway_reads_refused_total{reason=\"replayed-request\"} 1",
		"gateway_reads_total{reader=\"grantee-subset\"} 1",
		"gateway_reads_refused_total{reason=\"level-not-served\"} 2",
	] {
		assert!(metrics.contains(line), "{line} in\n{metrics}");
	}
}

/// A device moves to another organisation while its readings wait to be anchored: the chain
/// would refuse any batch naming it, so the gateway sets those readings aside (kept, each
/// answered with its reason), anchors everyone else's, and goes on anchoring.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_transferred_mid_stream_never_wedges_the_gateway() {
	use iotchain_client::Client;
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "transfer", 5).await;
	let dir = tempfile::tempdir().unwrap();
	let gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	let genesis = setup.genesis;
	let rounds = |devices: &mut [SimDevice], count: usize| -> Vec<Vec<u8>> {
		let mut wires = Vec::new();
		for _ in 0..count {
			wires.extend(devices.iter_mut().map(|device| device.reading(&genesis)));
		}
		wires
	};
	// Readings 1–3 of every device are anchored.
	let first = rounds(&mut setup.devices, 3);
	all_accepted("1–3", &simulate::send_http(&gateway.base(), first, 15, 1).await.unwrap().0);
	gateway.wait_anchored(Duration::from_secs(60)).await;

	// Readings 4–6 are stored; the gateway is frozen before it anchors them, and the first
	// device moves to the rival organisation meanwhile.
	let second = rounds(&mut setup.devices, 3);
	all_accepted("4–6", &simulate::send_http(&gateway.base(), second, 15, 1).await.unwrap().0);
	gateway.pause();
	let moved = setup.devices[0].id;
	let charlie = connect(&node.ws_url(), "//Charlie").await;
	let rival = charlie.signer_organisation().await.unwrap();
	setup.bob.offer_transfer(moved, rival, Wait::Finalised).await.expect("offer");
	charlie.accept_transfer(moved, None, Wait::Finalised).await.expect("accept");
	gateway.resume();
	gateway.wait_anchored(Duration::from_secs(90)).await;

	// Everyone else's readings 4–6 are anchored.
	for device in &setup.devices[1..] {
		let anchor = setup.bob.device_anchor(device.id).await.unwrap().expect("anchored");
		assert_eq!(anchor.last_sequence, 6);
	}
	// Each of the moved device's is either anchored (when its batch beat the transfer) or set
	// aside, and served with its reason to the device's readers.
	let anchored = setup.bob.device_anchor(moved).await.unwrap().expect("anchored").last_sequence;
	let health = gateway.health().await;
	let device_itself = Client::connect(&node.ws_url())
		.await
		.unwrap()
		.with_signer(setup.devices[0].key.clone());
	if anchored == 6 {
		assert_eq!(health["unanchorable"], 0, "{health}");
	} else {
		assert_eq!(anchored, 3, "the moved device's later readings were anchored in part");
		assert_eq!(health["unanchorable"], 3, "{health}");
		for sequence in 4..=6 {
			let (status, body) = gateway.proof(&device_itself, &moved, sequence).await;
			assert_eq!((status, body["error"].as_str()), (410, Some("unanchorable")), "{body}");
			assert!(body["detail"].as_str().unwrap().contains("moved to organisation"), "{body}");
		}
		let metrics = gateway.metrics().await;
		assert!(metrics.contains("gateway_unanchorable_readings_total 3"), "{metrics}");
	}

	// The gateway goes on anchoring; the moved device is now another organisation's.
	let third = rounds(&mut setup.devices[1..], 1);
	all_accepted("7", &simulate::send_http(&gateway.base(), third, 15, 1).await.unwrap().0);
	let foreign = setup.devices[0].reading(&genesis);
	assert_eq!(reason(&send_one(&gateway, foreign).await), "other-organisation");
	gateway.wait_anchored(Duration::from_secs(60)).await;
	for device in &setup.devices[1..] {
		let anchor = setup.bob.device_anchor(device.id).await.unwrap().expect("anchored");
		assert_eq!(anchor.last_sequence, 7);
	}
	for (device, sequence) in [(setup.devices[1].id, 5), (setup.devices[4].id, 7)] {
		let (status, body) = gateway.proof(&setup.bob, &device, sequence).await;
		assert_eq!(status, 200, "{body}");
		let proof: ReadingProof = serde_json::from_value(body).unwrap();
		setup
			.bob
			.verify_reading(&proof)
			.await
			.expect("a reading of a re-formed batch verifies");
	}
}

/// One publish over the gateway's size limit on a device's topic is read, refused `too-large`
/// and acknowledged: it does not break the gateway's MQTT connection (and so come back from the
/// broker on every reconnection), and other devices' messages keep flowing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_mqtt_publish_is_refused_and_intake_goes_on() {
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "poison", 5).await;
	broker.admit(&setup.devices);
	let dir = tempfile::tempdir().unwrap();
	let gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	let genesis = setup.genesis;
	let within = Duration::from_secs(60);
	// The gateway subscribes to the broker once it runs: until then a publish reaches nobody.
	// A reading goes through over MQTT before anything else is sent.
	let deadline = Instant::now() + within;
	loop {
		let first = vec![(setup.devices[1].id, setup.devices[1].reading(&genesis))];
		let sent = simulate::send_mqtt("127.0.0.1", broker.port, PREFIX, first);
		if let Ok(acks) = tokio::time::timeout(Duration::from_secs(3), sent).await {
			all_accepted("the first reading", &acks.unwrap());
			break;
		}
		assert!(Instant::now() < deadline, "the gateway never took MQTT messages");
	}
	// 20,000 bytes of payload: over the gateway's 16 KiB, under the broker's 64 KiB.
	let poison = setup.devices[0].sign(&genesis, Kind::Telemetry, vec![7; 20_000]).encode();
	let poisoned = vec![(setup.devices[0].id, poison)];
	let acks = tokio::time::timeout(
		within,
		simulate::send_mqtt("127.0.0.1", broker.port, PREFIX, poisoned),
	)
	.await
	.expect("the oversized publish is answered")
	.unwrap();
	assert_eq!(reason(&acks[0]), "too-large");
	// Four honest devices' readings are acknowledged at once after it.
	let honest: Vec<_> = setup.devices[1..]
		.iter_mut()
		.map(|device| (device.id, device.reading(&genesis)))
		.collect();
	let acks =
		tokio::time::timeout(within, simulate::send_mqtt("127.0.0.1", broker.port, PREFIX, honest))
			.await
			.expect("honest devices are answered in time")
			.unwrap();
	all_accepted("after the oversized publish", &acks);
	let log = gateway.log_tail();
	assert!(!log.contains("reconnecting"), "the MQTT connection broke:\n{log}");
}

/// A device unassigned between acceptance and relay would make the relay's batch call lose its
/// feeless standing, and the pool refuse it whole: the gateway sets that device's report apart
/// (`not-assigned`), and the others are relayed and recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_unassigned_before_relay_is_set_apart_and_the_others_relayed() {
	use codec::Encode;
	use iotchain_client::{UpdateOutcome, UpdateReport};
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "split", 5).await;
	let dir = tempfile::tempdir().unwrap();
	let gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	let genesis = setup.genesis;
	let gateway_id = SimDevice::new("gateway", 0).id;
	let last = setup.devices.len() - 1;
	for (index, device) in setup.devices.iter().enumerate() {
		let wait = if index == last { Wait::Finalised } else { Wait::InPool };
		setup
			.bob
			.assign_gateway(device.id, Some(gateway_id), wait)
			.await
			.expect("assign");
	}
	// Each device reports an install of a release the chain does not know: relayed, and
	// refused by the chain for that item alone (`ReleaseNotFound`).
	let report = |device| {
		UpdateReport {
			device,
			release: 999,
			outcome: UpdateOutcome::Installed,
			measured_sha256: [0; 32],
		}
		.encode()
	};
	// Until the gateway has seen every assignment, a forged report is refused `not-assigned`;
	// after, `bad-signature`.
	let deadline = Instant::now() + Duration::from_secs(30);
	for device in setup.devices.iter_mut() {
		loop {
			let mut forged = device.sign(&genesis, Kind::UpdateReport, report(device.id));
			forged.signature[0] ^= 1;
			if reason(&send_one(&gateway, forged.encode()).await) == "bad-signature" {
				break;
			}
			assert!(Instant::now() < deadline, "the gateway never saw the assignment");
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}
	let reports: Vec<_> = setup
		.devices
		.iter_mut()
		.map(|device| device.sign(&genesis, Kind::UpdateReport, report(device.id)))
		.collect();
	let wires = reports.iter().map(|envelope| envelope.encode()).collect();
	let (acks, _) = simulate::send_http(&gateway.base(), wires, 1, 1).await.unwrap();
	all_accepted("the reports", &acks);
	// Frozen before it relays them, the gateway loses the first device meanwhile.
	gateway.pause();
	setup
		.bob
		.assign_gateway(setup.devices[0].id, None, Wait::Finalised)
		.await
		.expect("unassign");
	gateway.resume();

	let mut outcomes = Vec::new();
	for envelope in &reports {
		let target =
			format!("/v1/outcomes/0x{}/{}", hex::encode(envelope.device), envelope.sequence);
		let deadline = Instant::now() + Duration::from_secs(60);
		outcomes.push(loop {
			let (status, body) = gateway.read(&setup.bob, &target).await;
			if status == 200 {
				break body;
			}
			assert!(
				Instant::now() < deadline,
				"no outcome for {target}: {status} {body}\n{}",
				gateway.log_tail()
			);
			tokio::time::sleep(Duration::from_millis(500)).await;
		});
	}
	assert_eq!(
		(outcomes[0]["status"].as_str(), outcomes[0]["error"].as_str()),
		(Some("refused"), Some("not-assigned")),
		"{}",
		outcomes[0]
	);
	for outcome in &outcomes[1..] {
		assert_eq!(outcome["error_name"], "FirmwareReleases::ReleaseNotFound", "{outcome}");
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_made_up_ids_does_not_hold_up_the_organisations_devices() {
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "flooded", 5).await;
	let dir = tempfile::tempdir().unwrap();
	let gateway = start_configured(
		&node,
		&broker,
		dir.path(),
		"[limits]\ndevice_rate_per_second = 1000.0\ndevice_burst = 1000.0\n",
	);
	let genesis = setup.genesis;
	// The registry snapshot holds the organisation's devices (and the gateway) from the start.
	assert_eq!(gateway.health().await["registry"]["devices"], 6);

	// 4,096 messages, each of an id nobody registered, signed by its own key.
	const MADE_UP: usize = 4_096;
	let flood: Vec<Vec<u8>> =
		(0..MADE_UP).map(|i| SimDevice::new("made-up", i).reading(&genesis)).collect();
	let base = gateway.base();
	let flooding =
		tokio::spawn(async move { simulate::send_http(&base, flood, 256, 4).await.unwrap().0 });
	// Meanwhile the organisation's devices send one reading at a time, each answered within
	// a bound far below what a node lookup per made-up id would cost them.
	let mut slowest = Duration::ZERO;
	while !flooding.is_finished() {
		for device in &mut setup.devices {
			let started = Instant::now();
			let ack = send_one(&gateway, device.reading(&genesis)).await;
			slowest = slowest.max(started.elapsed());
			assert!(ack.accepted(), "{ack:?}");
		}
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	let acks = flooding.await.unwrap();
	// Each refused: named after a lookup, or told to retry while lookups are full.
	let tally = simulate::tally(&acks);
	let refused = tally.get("unknown-device").unwrap_or(&0) + tally.get("overloaded").unwrap_or(&0);
	assert_eq!(refused, MADE_UP, "{tally:?}");
	assert!(slowest < Duration::from_secs(2), "an honest device waited {slowest:?}");

	// The node was asked about a bounded share of them, off the ingest task.
	let metrics = gateway.metrics().await;
	let lookups: usize = metrics
		.lines()
		.find_map(|line| line.strip_prefix("gateway_outside_lookups_total "))
		.and_then(|value| value.parse().ok())
		.expect("the lookups are counted");
	assert!(lookups < MADE_UP / 2, "{lookups} lookups for {MADE_UP} made-up ids");

	// A device registered after the gateway started is in its view once the block is final.
	let mut late = SimDevice::new("flooded-late", 0);
	simulate::register(&setup.bob, std::slice::from_ref(&late), DeviceKind::Device)
		.await
		.unwrap();
	let deadline = Instant::now() + Duration::from_secs(30);
	loop {
		let ack = send_one(&gateway, late.reading(&genesis)).await;
		if ack.accepted() {
			break;
		}
		assert!(Instant::now() < deadline, "the late device is never served: {ack:?}");
		tokio::time::sleep(Duration::from_millis(300)).await;
	}
	assert_eq!(gateway.health().await["registry"]["devices"], 7);
}

/// Reads what the gateway sends on `stream` until it closes it, for `within` at most.
async fn read_until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> String {
	use tokio::io::AsyncReadExt;
	let mut received = Vec::new();
	tokio::time::timeout(within, async {
		let mut buffer = [0u8; 4096];
		while let Ok(read @ 1..) = stream.read(&mut buffer).await {
			received.extend_from_slice(&buffer[..read]);
		}
	})
	.await
	.expect("the gateway closes the connection in time");
	String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_greedy_peers_are_cut_off_and_other_peers_are_served() {
	use futures::StreamExt;
	use tokio::{io::AsyncWriteExt, net::TcpStream};
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "greedy", 2).await;
	let dir = tempfile::tempdir().unwrap();
	let gateway = start_configured(
		&node,
		&broker,
		dir.path(),
		"[limits]\nmax_connections_per_peer = 20\nmax_websocket_connections_per_peer = 3\n\
		 header_timeout_ms = 2000\nbody_timeout_ms = 3000\nwebsocket_idle_timeout_ms = 3000\n",
	);
	let genesis = setup.genesis;
	let address = format!("127.0.0.1:{}", gateway.http_port);
	let other_peer: std::net::IpAddr = "127.0.0.2".parse().unwrap();
	let other = reqwest::Client::builder().local_address(other_peer).build().unwrap();

	// Slow-loris: 30 connections from one address each send part of a request head, then
	// nothing. The first 20 are held; the rest are told 503 and closed at once.
	let mut slow = Vec::new();
	for _ in 0..30 {
		let mut stream = TcpStream::connect(&address).await.unwrap();
		stream
			.write_all(
				b"POST /v1/messages HTTP/1.1\r\nHost: gateway\r\nContent-Length: 16000000\r\n",
			)
			.await
			.unwrap();
		slow.push(stream);
	}
	for stream in &mut slow[20..] {
		let answer = read_until_closed(stream, Duration::from_secs(5)).await;
		assert!(
			answer.starts_with("HTTP/1.1 503") && answer.contains("too-many-connections"),
			"{answer}"
		);
	}
	// Another address is served meanwhile.
	let response = other
		.post(format!("{}/v1/messages", gateway.base()))
		.body(setup.devices[0].reading(&genesis))
		.send()
		.await
		.unwrap();
	assert_eq!(response.status(), 200);
	let body: Value = response.json().await.unwrap();
	assert_eq!(body["results"][0]["status"], "accepted", "{body}");
	// The header timeout closes every slow connection, and the address is served again.
	for stream in &mut slow[..20] {
		read_until_closed(stream, Duration::from_secs(10)).await;
	}
	drop(slow);
	assert!(send_one(&gateway, setup.devices[0].reading(&genesis)).await.accepted());

	// A body that stalls after one whole message: 408 once the body timeout passes, with the
	// outcome of the message read, and the connection closed.
	let reading = setup.devices[1].reading(&genesis);
	let mut stalled = TcpStream::connect(&address).await.unwrap();
	let head = format!(
		"POST /v1/messages HTTP/1.1\r\nHost: gateway\r\nContent-Length: {}\r\n\r\n",
		reading.len() + 10_000
	);
	stalled.write_all(head.as_bytes()).await.unwrap();
	stalled.write_all(&reading).await.unwrap();
	let answer = read_until_closed(&mut stalled, Duration::from_secs(10)).await;
	assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
	assert!(answer.contains("\"error\":\"body-timeout\""), "{answer}");
	assert!(answer.contains("\"status\":\"accepted\""), "the message read is answered: {answer}");
	// A body declared longer than any request may be: 413 before a byte of it is read.
	let mut oversized = TcpStream::connect(&address).await.unwrap();
	oversized
		.write_all(
			b"POST /v1/messages HTTP/1.1\r\nHost: gateway\r\nContent-Length: 999999999\r\n\r\n",
		)
		.await
		.unwrap();
	let answer = read_until_closed(&mut oversized, Duration::from_secs(10)).await;
	assert!(answer.starts_with("HTTP/1.1 413") && answer.contains("too-large"), "{answer}");

	// WebSocket: one address holds 3 streams at most; another address still gets one.
	let ws = format!("ws://{address}/v1/stream");
	let mut held = Vec::new();
	for _ in 0..3 {
		held.push(tokio_tungstenite::connect_async(&ws).await.expect("a stream").0);
	}
	let fourth = tokio_tungstenite::connect_async(&ws).await.expect_err("no fourth stream");
	assert!(fourth.to_string().contains("503"), "{fourth}");
	let socket = tokio::net::TcpSocket::new_v4().unwrap();
	socket.bind((other_peer, 0).into()).unwrap();
	let stream = socket.connect(address.parse().unwrap()).await.unwrap();
	let (elsewhere, _) = tokio_tungstenite::client_async(&ws, stream)
		.await
		.expect("another peer's stream");
	// Streams that send nothing are closed after the idle timeout, and their slots come back.
	let closed = |mut stream: Box<dyn futures::Stream<Item = _> + Unpin + Send>| async move {
		let ended = async {
			while let Some(Ok::<_, tokio_tungstenite::tungstenite::Error>(_)) = stream.next().await
			{
			}
		};
		tokio::time::timeout(Duration::from_secs(10), ended)
			.await
			.expect("an idle stream is closed");
	};
	for stream in held {
		closed(Box::new(stream)).await;
	}
	closed(Box::new(elsewhere)).await;
	let (_again, _) = tokio_tungstenite::connect_async(&ws).await.expect("a slot came back");

	let metrics = gateway.metrics().await;
	let count = |series: &str| -> u64 {
		metrics
			.lines()
			.find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
			.unwrap_or(0)
	};
	for (series, at_least) in [
		("gateway_connections_refused_total{reason=\"too-many-from-peer\"}", 10),
		("gateway_connections_cut_total{reason=\"header-timeout\"}", 20),
		("gateway_connections_cut_total{reason=\"body-timeout\"}", 1),
		("gateway_connections_cut_total{reason=\"websocket-idle\"}", 4),
	] {
		assert!(count(series) >= at_least, "{series} {} < {at_least}\n{metrics}", count(series));
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_refuses_a_key_anybody_may_hold_on_a_live_chain_and_a_key_others_may_read() {
	use std::os::unix::fs::PermissionsExt;
	let dir = tempfile::tempdir().unwrap();
	let live = DevNode::start_live(dir.path());
	let url = live.ws_url();
	let data = dir.path().join("gw");
	let refused = |args: &[&str]| {
		let output = std::process::Command::new(GATEWAY_BINARY)
			.args(["serve", "--node-url", &url, "--no-mqtt", "--http-listen", "127.0.0.1:0"])
			.args(["--data-dir", data.to_str().unwrap()])
			.args(args)
			.output()
			.expect("the gateway runs");
		assert!(!output.status.success(), "{args:?} started");
		String::from_utf8_lossy(&output.stderr).into_owned()
	};
	let file = |name: &str, text: &str, mode: u32| {
		let path = dir.path().join(name);
		std::fs::write(&path, text).unwrap();
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
		path.to_str().unwrap().to_owned()
	};
	// Keys anybody may hold: a development account, a path of the development phrase (as the
	// examples use), a development account's seed in a key file.
	let alice_seed = "0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a";
	let seed_file = file("alice.json", &format!("{{\"secretSeed\": \"{alice_seed}\"}}"), 0o600);
	for args in [
		vec!["--suri", "//Alice"],
		vec!["--suri", GATEWAY_SURI],
		vec!["--key-file", seed_file.as_str()],
	] {
		let stderr = refused(&args);
		assert!(stderr.contains("public development phrase"), "{args:?}: {stderr}");
	}
	// A key of its own gets past that check, to the next: it is no gateway on this chain.
	let own = "0x0101010101010101010101010101010101010101010101010101010101010101";
	let stderr = refused(&["--suri", own]);
	assert!(stderr.contains("is not a registered device or gateway"), "{stderr}");
	// A key file others may read, and a configuration file holding the key that others may
	// read, are refused before the node is asked anything.
	let exposed = file("exposed.key", own, 0o644);
	let stderr = refused(&["--key-file", &exposed]);
	assert!(stderr.contains("readable by group or others"), "{stderr}");
	let config = file("gateway.toml", &format!("suri = \"{own}\"\n"), 0o644);
	let stderr = refused(&["--config", &config]);
	assert!(
		stderr.contains("holds the gateway's key (suri) and is readable by others"),
		"{stderr}"
	);
	// The same file, its owner's alone, is taken.
	std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
	let stderr = refused(&["--config", &config]);
	assert!(stderr.contains("is not a registered device or gateway"), "{stderr}");
}

/// With the shipped broker configuration (`gateway/mosquitto.conf`, `gateway/mosquitto.acl`):
/// a client without an account, or with a guessed password, is refused; a client with a
/// device's account reads nothing of other devices, cannot post for them or answer them, and
/// cannot take over the gateway's session by naming its client id. And an answer that did not
/// come from the gateway fails the device's own check: forged, unsigned, or a genuine answer
/// offered for another message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_on_the_broker_cannot_read_post_or_answer_for_devices_and_forged_answers_fail() {
	use iotchain_testing::gateway::mqtt_connect;
	use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
	use std::sync::{Arc, Mutex};
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "broker", 2).await;
	broker.admit(&setup.devices);
	let dir = tempfile::tempdir().unwrap();
	let gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	let genesis = setup.genesis;
	let (victim, intruder) = (setup.devices[0].id, setup.devices[1].id);
	let victim_account = hex::encode(victim);

	// No account, or a device's account with a guessed password: refused at CONNECT (4 bad user
	// name or password, 5 not authorised), before any topic.
	assert!(matches!(mqtt_connect(broker.port, "anyone", None), 4 | 5));
	let guessed = mqtt_connect(broker.port, &victim_account, Some((&victim_account, "guessed")));
	assert!(matches!(guessed, 4 | 5), "a guessed password: CONNACK {guessed}");
	let as_gateway = mqtt_connect(broker.port, "x", Some(("iotchain-gateway", "guessed")));
	assert!(matches!(as_gateway, 4 | 5), "the gateway's account, guessed: CONNACK {as_gateway}");

	// The victim's first reading goes through, answered by the gateway.
	let first = setup.devices[0].reading(&genesis);
	let deadline = Instant::now() + Duration::from_secs(60);
	let first_ack = loop {
		let sent =
			simulate::send_mqtt("127.0.0.1", broker.port, PREFIX, vec![(victim, first.clone())]);
		if let Ok(acks) = tokio::time::timeout(Duration::from_secs(3), sent).await {
			break acks.unwrap().remove(0);
		}
		assert!(Instant::now() < deadline, "the gateway never took MQTT messages");
	};
	assert!(first_ack.accepted(), "{first_ack:?}");
	assert_eq!(first_ack.check(&genesis, &gateway_key(), &first), Ok(()));

	// The intruder: a device's own account, connecting under the gateway's client id, and
	// subscribing to every device's messages and to the victim's answers.
	let gateway_client_id =
		std::fs::read_to_string(dir.path().join("gw").join("mqtt-client-id")).unwrap();
	let mut options = MqttOptions::new(gateway_client_id.trim(), "127.0.0.1", broker.port);
	options
		.set_credentials(hex::encode(intruder), simulate::mqtt_password(&intruder))
		.set_clean_session(false);
	let (intruder_client, mut intruder_events) = AsyncClient::new(options, 64);
	let seen: Arc<Mutex<Vec<String>>> = Arc::default();
	let (connected_tx, connected) = tokio::sync::oneshot::channel();
	// The broker's PUBACKs to the intruder: it has taken (and routed, or dropped) each publish.
	let (published_tx, mut published) = tokio::sync::mpsc::unbounded_channel();
	let intruding = tokio::spawn({
		let (client, seen) = (intruder_client.clone(), seen.clone());
		let victim_account = victim_account.clone();
		async move {
			let mut connected_tx = Some(connected_tx);
			while let Ok(event) = intruder_events.poll().await {
				match event {
					Event::Incoming(Packet::ConnAck(_)) => {
						for topic in [
							format!("{PREFIX}/+/messages"),
							format!("{PREFIX}/{victim_account}/acks"),
							format!("{PREFIX}/{victim_account}/outcomes"),
							"#".to_owned(),
						] {
							client.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
						}
					},
					Event::Incoming(Packet::SubAck(_)) => {
						if let Some(tx) = connected_tx.take() {
							let _ = tx.send(());
						}
					},
					Event::Incoming(Packet::Publish(publish)) => {
						seen.lock().unwrap().push(publish.topic.clone())
					},
					Event::Incoming(Packet::PubAck(_)) => {
						let _ = published_tx.send(());
					},
					_ => {},
				}
			}
		}
	});
	tokio::time::timeout(Duration::from_secs(10), connected)
		.await
		.expect("the intruder's own account connects")
		.unwrap();

	// The victim listens on its own answers while the intruder posts a forged `accepted`
	// there: the broker drops it.
	let mut listener_options = simulate::mqtt_options("127.0.0.1", broker.port, &victim);
	listener_options.set_clean_session(true);
	let (listener, mut listener_events) = AsyncClient::new(listener_options, 64);
	let (listening_tx, listening) = tokio::sync::oneshot::channel();
	let heard: Arc<Mutex<Vec<String>>> = Arc::default();
	let listening_task = tokio::spawn({
		let (listener, heard) = (listener.clone(), heard.clone());
		let victim_account = victim_account.clone();
		async move {
			let mut listening_tx = Some(listening_tx);
			while let Ok(event) = listener_events.poll().await {
				match event {
					Event::Incoming(Packet::ConnAck(_)) => {
						let topic = format!("{PREFIX}/{victim_account}/acks");
						listener.subscribe(topic, QoS::AtLeastOnce).await.unwrap();
					},
					Event::Incoming(Packet::SubAck(_)) => {
						if let Some(tx) = listening_tx.take() {
							let _ = tx.send(());
						}
					},
					Event::Incoming(Packet::Publish(publish)) => heard
						.lock()
						.unwrap()
						.push(String::from_utf8_lossy(&publish.payload).into_owned()),
					_ => {},
				}
			}
		}
	});
	tokio::time::timeout(Duration::from_secs(10), listening).await.unwrap().unwrap();
	let next = setup.devices[0].reading(&genesis);
	let next_sequence = setup.devices[0].next_sequence - 1;
	let forged = serde_json::json!({
		"device": iotchain_client::to_hex(&victim), "sequence": next_sequence,
		"message": iotchain_client::to_hex(&iotchain_gateway_protocol::merkle::leaf_hash(&next)),
		"status": "accepted",
	});
	let victim_acks = format!("{PREFIX}/{victim_account}/acks");
	intruder_client
		.publish(&victim_acks, QoS::AtLeastOnce, false, forged.to_string())
		.await
		.unwrap();
	// And the victim's next reading, posted on the victim's topic under the intruder's account:
	// the broker drops it, so the gateway never sees it.
	let victim_messages = format!("{PREFIX}/{victim_account}/messages");
	intruder_client
		.publish(&victim_messages, QoS::AtLeastOnce, false, next.clone())
		.await
		.unwrap();
	for _ in 0..2 {
		tokio::time::timeout(Duration::from_secs(10), published.recv())
			.await
			.expect("the broker acknowledges the intruder's publishes")
			.unwrap();
	}
	// Whatever the broker routed it had sent before its PUBACK; a second for the sockets.
	tokio::time::sleep(Duration::from_secs(1)).await;
	assert_eq!(heard.lock().unwrap().clone(), Vec::<String>::new(), "the forged answer arrived");
	listening_task.abort();

	// The gateway never lost its session, and the reading posted under the wrong account never
	// reached it: the victim's own copy is new to it, not a duplicate.
	let acks = simulate::send_mqtt("127.0.0.1", broker.port, PREFIX, vec![(victim, next.clone())])
		.await
		.unwrap();
	assert!(acks[0].accepted() && !acks[0].duplicate, "{:?}", acks[0]);
	assert_eq!(acks[0].check(&genesis, &gateway_key(), &next), Ok(()));
	assert_eq!(
		seen.lock().unwrap().clone(),
		Vec::<String>::new(),
		"the intruder read others' topics"
	);
	intruding.abort();
	let log = gateway.log();
	assert!(!log.contains("the MQTT connection failed"), "the gateway lost its session:\n{log}");

	// Had a forged answer arrived, the device's check refuses it: unsigned; signed by another
	// key; naming the gateway's key with another's signature; a genuine answer offered for
	// another message.
	use simulate::{AnswerFault, ReceivedAck};
	let unsigned: ReceivedAck = serde_json::from_value(forged.clone()).unwrap();
	assert_eq!(unsigned.check(&genesis, &gateway_key(), &next), Err(AnswerFault::Unsigned));
	let impostor = signer_from_suri("//impostor").unwrap();
	let signed_by = |key: [u8; 32], signer: &iotchain_client::Signer| {
		let ack: ReceivedAck = serde_json::from_value(forged.clone()).unwrap();
		let form = iotchain_gateway_protocol::answer::Ack {
			device: victim,
			sequence: next_sequence,
			message: iotchain_gateway_protocol::merkle::leaf_hash(&next),
			status: iotchain_gateway_protocol::answer::AckStatus::Accepted,
			reason: "",
		};
		let digest = iotchain_gateway_protocol::answer::acks_digest(&[form]).unwrap();
		let payload = iotchain_gateway_protocol::answer::ack_signing_payload(
			&genesis,
			iotchain_gateway_protocol::envelope::KeyType::Sr25519,
			&key,
			&digest,
		);
		ReceivedAck {
			gateway: Some(format!("sr25519:{}", iotchain_client::to_hex(&key))),
			signature: Some(iotchain_client::to_hex(&signer.sign(&payload).0)),
			..ack
		}
	};
	let own_key = impostor.public_key().0;
	assert_eq!(
		signed_by(own_key, &impostor).check(&genesis, &gateway_key(), &next),
		Err(AnswerFault::OtherGateway)
	);
	assert_eq!(
		signed_by(gateway_key(), &impostor).check(&genesis, &gateway_key(), &next),
		Err(AnswerFault::BadSignature)
	);
	assert_eq!(first_ack.check(&genesis, &gateway_key(), &next), Err(AnswerFault::OtherMessage));
}

/// A TLS client of the gateway at `port` that trusts `certificate` (DER) for `localhost`.
async fn tls_connect(
	certificate: &[u8],
	port: u16,
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
	use std::sync::Arc;
	let mut roots = rustls::RootCertStore::empty();
	roots
		.add(rustls::pki_types::CertificateDer::from(certificate.to_vec()))
		.unwrap();
	let provider = Arc::new(rustls::crypto::ring::default_provider());
	let config = rustls::ClientConfig::builder_with_provider(provider)
		.with_safe_default_protocol_versions()
		.unwrap()
		.with_root_certificates(roots)
		.with_no_client_auth();
	let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
	let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
	tokio_rustls::TlsConnector::from(Arc::new(config))
		.connect(name, tcp)
		.await
		.unwrap()
}

/// One HTTP/1.1 request over `stream`, closed after it: the status code and the body.
async fn request_over<S>(mut stream: S, head: &str, body: &[u8]) -> (u16, String)
where
	S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let head = format!(
		"{head}\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	);
	stream.write_all(head.as_bytes()).await.unwrap();
	stream.write_all(body).await.unwrap();
	let mut response = Vec::new();
	// The gateway closes after answering; a close without TLS's close_notify still ends it.
	let _ = stream.read_to_end(&mut response).await;
	let text = String::from_utf8_lossy(&response).into_owned();
	let status = text.get(9..12).and_then(|code| code.parse().ok()).unwrap_or(0);
	let body = text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
	(status, body)
}

/// With a certificate and key the gateway speaks HTTPS and WSS only: a device's messages are
/// answered (and signed) over both; plain HTTP on the port gets no answer and is counted as a
/// failed handshake; a key file others may read stops the gateway before it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_certificate_the_gateway_serves_https_and_wss_only() {
	use futures::{SinkExt, StreamExt};
	use std::os::unix::fs::PermissionsExt;
	use tokio::io::AsyncWriteExt;
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "tls", 1).await;
	let genesis = setup.genesis;
	let dir = tempfile::tempdir().unwrap();
	let certificate = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
	let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
	std::fs::write(&cert, certificate.serialize_pem().unwrap()).unwrap();
	std::fs::write(&key, certificate.serialize_private_key_pem()).unwrap();
	let der = certificate.serialize_der().unwrap();
	let tls_args = ["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()];

	// A key file others may read: refused before the gateway does anything else.
	std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
	let refused = std::process::Command::new(GATEWAY_BINARY)
		.args(["serve", "--node-url", &node.ws_url(), "--suri", GATEWAY_SURI, "--no-mqtt"])
		.args(["--http-listen", "127.0.0.1:0", "--data-dir"])
		.arg(dir.path().join("refused"))
		.args(tls_args)
		.output()
		.unwrap();
	let stderr = String::from_utf8_lossy(&refused.stderr);
	assert!(!refused.status.success() && stderr.contains("chmod 600"), "{stderr}");
	std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();

	let gateway = Gateway::start(
		GATEWAY_BINARY,
		&node.ws_url(),
		broker.port,
		&dir.path().join("gw"),
		&tls_args,
	);
	let port = gateway.http_port;

	// HTTPS: a reading accepted, the answer signed by the gateway.
	let reading = setup.devices[0].reading(&genesis);
	let head = "POST /v1/messages HTTP/1.1\r\nContent-Type: application/octet-stream";
	let (status, body) = request_over(tls_connect(&der, port).await, head, &reading).await;
	assert_eq!(status, 200, "{body}");
	let results: simulate::HttpResults = serde_json::from_str(&body).unwrap();
	let mut ack = results.results[0].clone();
	ack.answered_with = Some(std::sync::Arc::new(results.clone()));
	assert!(ack.accepted(), "{ack:?}");
	assert_eq!(ack.check(&genesis, &gateway_key(), &reading), Ok(()));

	// WSS: the same over a WebSocket on a TLS connection.
	let (mut socket, _) =
		tokio_tungstenite::client_async("wss://localhost/v1/stream", tls_connect(&der, port).await)
			.await
			.unwrap();
	let second = setup.devices[0].reading(&genesis);
	socket
		.send(tokio_tungstenite::tungstenite::Message::Binary(second.clone().into()))
		.await
		.unwrap();
	let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
		.await
		.expect("an answer over WSS")
		.unwrap()
		.unwrap();
	let ack: ReceivedAck = serde_json::from_str(frame.to_text().unwrap()).unwrap();
	assert!(ack.accepted(), "{ack:?}");
	assert_eq!(ack.check(&genesis, &gateway_key(), &second), Ok(()));

	// Plain HTTP on the TLS port: closed, no HTTP answer, counted (as was the probe that
	// waited for the port to open).
	let handshakes_cut = || async {
		let (status, metrics) =
			request_over(tls_connect(&der, port).await, "GET /metrics HTTP/1.1", b"").await;
		assert_eq!(status, 200);
		let line = "gateway_connections_cut_total{reason=\"tls-handshake\"} ";
		metrics
			.lines()
			.find_map(|l| l.strip_prefix(line))
			.map_or(0, |count| count.trim().parse::<u64>().unwrap())
	};
	let before = handshakes_cut().await;
	let mut plain = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
	plain
		.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
		.await
		.unwrap();
	let answer = read_until_closed(&mut plain, Duration::from_secs(15)).await;
	assert!(!answer.contains("HTTP/1.1"), "plain HTTP was answered: {answer}");
	// Counted as the gateway closes the connection: poll, the close may be seen first.
	let deadline = Instant::now() + Duration::from_secs(10);
	while handshakes_cut().await != before + 1 {
		assert!(Instant::now() < deadline, "the failed handshake was never counted");
		tokio::time::sleep(Duration::from_millis(200)).await;
	}
}

/// A gateway whose disk is below its free-space mark refuses new messages by name
/// (`disk-full`, a 503 with Retry-After, signed as every answer), shows its free space and mark
/// in its metrics and health, and takes the same message once there is room (here: restarted
/// with a mark the disk is above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_short_of_disk_refuses_by_name_and_takes_the_message_once_there_is_room() {
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "disk", 1).await;
	let genesis = setup.genesis;
	let dir = tempfile::tempdir().unwrap();
	// A mark above any disk's free space.
	let short = "[limits]\nmin_free_disk_bytes = 9223372036854775807\n";
	let gateway = start_configured(&node, &broker, dir.path(), short);
	let reading = setup.devices[0].reading(&genesis);
	let (acks, statuses) =
		simulate::send_http(&gateway.base(), vec![reading.clone()], 1, 1).await.unwrap();
	assert_eq!(reason(&acks[0]), "disk-full");
	assert_eq!(statuses.keys().collect::<Vec<_>>(), vec![&503]);
	assert_eq!(acks[0].check(&genesis, &gateway_key(), &reading), Ok(()));
	let health = gateway.health().await;
	assert!(health["disk_free_bytes"].as_u64().is_some_and(|free| free > 0), "{health}");
	let metrics = gateway.metrics().await;
	// (Prometheus renders values as floats: 2^63 - 1 is 9223372036854776000.)
	for line in [
		"gateway_messages_refused_total{reason=\"disk-full\",transport=\"http\"} 1",
		"gateway_disk_min_free_bytes 9223372036854776000",
	] {
		assert!(metrics.contains(line), "{line} in\n{metrics}");
	}
	drop(gateway);

	// A mark the disk is above: the same message is taken.
	let gateway =
		start_configured(&node, &broker, dir.path(), "[limits]\nmin_free_disk_bytes = 0\n");
	let ack = send_one(&gateway, reading.clone()).await;
	assert!(ack.accepted() && !ack.duplicate, "{ack:?}");
	let metrics = gateway.metrics().await;
	assert!(metrics.contains("gateway_disk_min_free_bytes 0"), "{metrics}");
}

/// A gateway transferred to another organisation, keeping its key, follows it without a
/// restart: it takes the new organisation's registry, serves its devices, and refuses its old
/// organisation's (`other-organisation`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_transferred_to_another_organisation_serves_the_new_one_without_a_restart() {
	let node = DevNode::start();
	let broker = Broker::start();
	let mut setup = setup(&node, "moving", 1).await;
	let genesis = setup.genesis;
	let dir = tempfile::tempdir().unwrap();
	let gateway =
		Gateway::start(GATEWAY_BINARY, &node.ws_url(), broker.port, &dir.path().join("gw"), &[]);
	assert!(send_one(&gateway, setup.devices[0].reading(&genesis)).await.accepted());
	let rival_reading = setup.rival_device.reading(&genesis);
	assert_eq!(reason(&send_one(&gateway, rival_reading.clone()).await), "other-organisation");

	let gateway_id = SimDevice::new("gateway", 0).id;
	let charlie = connect(&node.ws_url(), "//Charlie").await;
	let rival = charlie.signer_organisation().await.unwrap();
	setup
		.bob
		.offer_transfer(gateway_id, rival, Wait::Finalised)
		.await
		.expect("offer");
	charlie
		.accept_transfer(gateway_id, None, Wait::Finalised)
		.await
		.expect("accept");

	// The rival's device is served once the gateway has seen the transfer finalised; an id the
	// gateway looked up before is not held against it.
	let deadline = Instant::now() + Duration::from_secs(30);
	loop {
		let ack = send_one(&gateway, rival_reading.clone()).await;
		if ack.accepted() {
			break;
		}
		assert_eq!(reason(&ack), "other-organisation", "{ack:?}");
		assert!(Instant::now() < deadline, "the gateway never followed its transfer");
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	let health = gateway.health().await;
	assert_eq!(health["gateway_active"], true, "{health}");
	let old = setup.devices[0].reading(&genesis);
	assert_eq!(reason(&send_one(&gateway, old).await), "other-organisation");
}
