//! What signing its answers costs the gateway, on one core: an acknowledgement signed on its
//! own (each WebSocket and MQTT answer), a relay outcome, and an HTTP response's 256 answers
//! under one signature. Prints figures.
//!
//!   cargo bench --workspace --bench answers

use iotchain_gateway::{
	answers::AnswerKey,
	refusal::{Ack, Outcome},
};
use std::time::Instant;

fn main() {
	let key = AnswerKey::new([7; 32], iotchain_client::signer_from_suri("//bench").unwrap());
	let acks: Vec<Ack> = (0..256u64)
		.map(|sequence| {
			Outcome::Accepted { duplicate: false }.ack(Some(([1; 32], sequence)), [2; 32])
		})
		.collect();
	let rounds = 10_000;
	let started = Instant::now();
	for ack in acks.iter().cycle().take(rounds) {
		std::hint::black_box(key.signed_ack_text(ack));
	}
	let single = started.elapsed().as_secs_f64() / rounds as f64;
	let started = Instant::now();
	for _ in 0..rounds / 100 {
		std::hint::black_box(key.sign_acks(&acks));
	}
	let response = started.elapsed().as_secs_f64() / (rounds / 100) as f64;
	let started = Instant::now();
	for sequence in 0..rounds as u64 {
		let mut outcome =
			serde_json::json!({"status": "recorded", "block": 9, "event_bytes": "0x0102"});
		key.sign_outcome([1; 32], sequence, &[3; 32], &mut outcome);
		std::hint::black_box(outcome);
	}
	let outcome = started.elapsed().as_secs_f64() / rounds as f64;
	println!("gateway answers, signed with an sr25519 chain key (one core):");
	println!(
		"  one acknowledgement (WebSocket, MQTT): {:.1} µs ({:.0}/s)",
		single * 1e6,
		1.0 / single
	);
	println!(
		"  an HTTP response of 256 answers: {:.1} µs ({:.2} µs per answer)",
		response * 1e6,
		response * 1e6 / 256.0
	);
	println!("  one relay outcome: {:.1} µs", outcome * 1e6);
}
