//! Every validator of a four-organisation consortium (`new-consortium.sh`, real processes) killed
//! with SIGKILL at once while an operator floods the chain with device registrations — a power
//! cut across every data centre — then restarted on the same databases.

use iotchain_runtime::RuntimeCall;
use iotchain_testing::{consortium::*, *};
use serde_json::{json, Value};
use sp_io::hashing::twox_128;
use std::{
	collections::BTreeMap,
	sync::{
		atomic::{AtomicBool, AtomicU32, Ordering},
		Arc,
	},
	time::Duration,
};

/// The storage prefix of the device records (`DeviceRegistry::Devices`).
fn devices_prefix() -> String {
	format!("0x{}{}", hex_of(&twox_128(b"DeviceRegistry")), hex_of(&twox_128(b"Devices")))
}

/// Every device record at block `at`, key to value.
fn device_records(node: &Node, at: &Value) -> BTreeMap<String, String> {
	storage_under(node, &devices_prefix(), at).expect("the device records")
}

#[test]
fn every_validator_killed_mid_flood_restarts_with_every_finalised_record() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let (mut network, members) = finalising_consortium("crash");
	let chain = Arc::new(Chain::of(&network.nodes[0]));
	let mut council = Council { members, motions: 0 };
	let create_org = RuntimeCall::DeviceRegistry(pallet_device_registry::Call::create_org {
		name: b"fleet operator".to_vec(),
		roles: pallet_device_registry::OrgRoles { operator: true, ..Default::default() },
		admin: council.members[2].account(),
	});
	council.pass(&chain, &network.nodes[0], create_org);

	// The flood: the operator registers devices as fast as the pool takes them, one
	// transaction each, until the power cut. (Through one node: the pool gossips only
	// transactions that are ready, so nonces split across nodes would wait on each other.)
	let mut operator = council.members.remove(2);
	let port = network.nodes[0].rpc_port;
	let flooding = Arc::new(AtomicBool::new(true));
	let submitted = Arc::new(AtomicU32::new(0));
	let flood = {
		let (chain, flooding, submitted) = (chain.clone(), flooding.clone(), submitted.clone());
		std::thread::spawn(move || {
			let mut n = 0u32;
			while flooding.load(Ordering::Relaxed) {
				let mut id = [0xf0; 32];
				id[..4].copy_from_slice(&n.to_le_bytes());
				let (_, register) = device_registration(&chain, 0, id);
				let extrinsic = chain.sign(&mut operator, register);
				let hex = format!("0x{}", hex_of(&codec::Encode::encode(&extrinsic)));
				if rpc(port, "author_submitExtrinsic", json!([hex])).is_ok() {
					submitted.fetch_add(1, Ordering::Relaxed);
				}
				n += 1;
			}
		})
	};
	// Cut the power once a good part of the flood is finalised and more is in flight.
	let (finalized_number, finalized_hash) =
		wait_until(Duration::from_secs(120), "a hundred registrations are finalised", || {
			let head = network.nodes[0].rpc("chain_getFinalizedHead", json!([]))?;
			let header = network.nodes[0].rpc("chain_getHeader", json!([head]))?;
			let count = storage_keys_under(&network.nodes[0], &devices_prefix(), &head)?.len();
			if count >= 100 {
				Ok((hex_u64(&header["number"]), head))
			} else {
				Err(format!("{count} devices finalised"))
			}
		});
	let finalised_records = device_records(&network.nodes[0], &finalized_hash);
	for node in &mut network.nodes {
		node.kill();
	}
	flooding.store(false, Ordering::Relaxed);
	flood.join().expect("the flood thread ends");
	println!(
		"killed all four validators with {} registrations submitted, {} finalised at #{finalized_number}",
		submitted.load(Ordering::Relaxed),
		finalised_records.len()
	);

	for index in 0..network.nodes.len() {
		network.start(index);
	}
	// The chain produces and finalises again, on every node.
	for node in &network.nodes {
		wait_until(Duration::from_secs(120), "finality resumes after the restart", || {
			at_least(node.finalized_number(), finalized_number + 3)
		});
	}
	// What was finalised before the cut is still the chain, on every node, with every record.
	for node in &network.nodes {
		let canonical = node.rpc("chain_getBlockHash", json!([finalized_number])).expect("hash");
		assert_eq!(
			canonical, finalized_hash,
			"{}: the finalised block is still canonical",
			node.name
		);
		assert_eq!(
			device_records(node, &finalized_hash),
			finalised_records,
			"{}: the finalised records at the cut",
			node.name
		);
		let head = node.rpc("chain_getFinalizedHead", json!([])).expect("head");
		let now = device_records(node, &head);
		for (key, value) in &finalised_records {
			assert_eq!(
				now.get(key),
				Some(value),
				"{}: a finalised device is still there",
				node.name
			);
		}
	}
}
