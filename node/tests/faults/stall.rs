//! The drill of README "Recovering a stalled finality" on a live four-organisation consortium
//! (`new-consortium.sh`, real validator processes). Two of the four validators are lost for good
//! (their organisations still hold their council seats), so GRANDPA, which needs three of four
//! votes, stops finalising while the two survivors keep authoring. The council removes the lost
//! validators, waits for the session boundary that plans the smaller set, and signals the stall;
//! GRANDPA forces the change and the survivors finalise again, the stalled blocks with them.

use codec::Decode;
use iotchain_runtime::{AccountId, RuntimeCall};
use iotchain_testing::{consortium::*, *};
use serde_json::json;
use std::time::{Duration, Instant};

/// Blocks between the session change that carries the forced change and its enactment.
const FORCED_CHANGE_DELAY: u32 = 5;

/// The validators the last session boundary planned (`ValidatorSet::PlannedValidators`).
fn planned_validators(node: &Node) -> Result<Vec<AccountId>, String> {
	let value =
		node.rpc("state_getStorage", json!([storage_key("ValidatorSet", "PlannedValidators")]))?;
	let bytes = bytes_of(value.as_str().ok_or("no planned validators")?);
	Vec::<AccountId>::decode(&mut &bytes[..]).map_err(|e| e.to_string())
}

/// GRANDPA's current authority set at `node`'s best block: its id and its size.
fn grandpa_set(node: &Node) -> (u64, usize) {
	let call = |method: &str| {
		let answer = node.rpc("state_call", json!([method, "0x"])).expect(method);
		bytes_of(answer.as_str().expect("hex"))
	};
	let set_id = u64::decode(&mut &call("GrandpaApi_current_set_id")[..]).expect("a set id");
	let authorities =
		Vec::<([u8; 32], u64)>::decode(&mut &call("GrandpaApi_grandpa_authorities")[..])
			.expect("the authorities");
	(set_id, authorities.len())
}

#[test]
fn the_council_restarts_finality_after_two_of_four_validators_are_lost() {
	use_node_binary(env!("CARGO_BIN_EXE_iotchain-node"));
	let (mut network, members) = finalising_consortium("stall");
	let chain = Chain::of(&network.nodes[0]);
	let mut council = Council { members, motions: 0 };
	let (set_before, authorities_before) = grandpa_set(&network.nodes[0]);
	assert_eq!(authorities_before, ORGANISATIONS);

	// Two organisations lose their validators for good; the other two keep authoring in
	// their own slots, but two votes of four finalise nothing.
	network.nodes[2].kill();
	network.nodes[3].kill();
	let lost_at = Instant::now();
	let survivors = [0, 1];
	let best = network.nodes[0].best_number().expect("best");
	wait_until(Duration::from_secs(120), "the survivors author five blocks", || {
		at_least(network.nodes[0].best_number(), best + 5)
	});
	let stalled_at = network.nodes[0].finalized_number().expect("finalised");
	let best = network.nodes[0].best_number().expect("best");
	wait_until(Duration::from_secs(120), "the survivors author ten more blocks", || {
		at_least(network.nodes[0].best_number(), best + 10)
	});
	for index in survivors {
		assert_eq!(
			network.nodes[index].finalized_number(),
			Ok(stalled_at),
			"{}: nothing is finalised with two of four validators",
			network.nodes[index].name
		);
	}
	println!("finality stalled at #{stalled_at}; best #{}", best + 10);

	// The council (three of four seats: the lost validators' organisations still vote) lowers
	// the minimum and removes the lost validators, in one motion.
	let lost: Vec<AccountId> = council.members[2..].iter().map(Signer::account).collect();
	let survivor_accounts: Vec<AccountId> =
		council.members[..2].iter().map(Signer::account).collect();
	let mut calls =
		vec![RuntimeCall::ValidatorSet(pallet_validator_set::Call::set_min_validators {
			min_validators: survivors.len() as u32,
		})];
	calls.extend(lost.iter().map(|validator| {
		RuntimeCall::ValidatorSet(pallet_validator_set::Call::remove_validator {
			validator: validator.clone(),
		})
	}));
	council.pass(
		&chain,
		&network.nodes[0],
		RuntimeCall::Utility(pallet_utility::Call::batch_all { calls }),
	);
	// The stall is signalled only once a session boundary has planned the smaller set: the
	// forced change takes the set that becomes active at the next boundary.
	wait_until(Duration::from_secs(240), "a session boundary plans the survivors", || {
		let planned = planned_validators(&network.nodes[0])?;
		if planned == survivor_accounts {
			Ok(())
		} else {
			Err(format!("{} validators planned", planned.len()))
		}
	});
	// What the operators check before signalling (README step 3): at the best block, iotctl
	// shows the survivors planned and the lost validators leaving, not planned.
	let (shown, _) = iotctl(&network.nodes[0], &["--json", "chain", "validators", "--best"]);
	let shown: serde_json::Value = serde_json::from_str(&shown).expect("JSON");
	let listed = |field: &str| -> Vec<AccountId> {
		let accounts = shown[field].as_array().expect("a list of accounts");
		accounts
			.iter()
			.map(|a| a.as_str().expect("an address").parse().expect("SS58"))
			.collect()
	};
	assert_eq!(shown["best"], true);
	assert_eq!(listed("planned"), survivor_accounts, "{shown}");
	assert_eq!(listed("approved"), survivor_accounts, "{shown}");
	assert!(lost.iter().all(|account| listed("active").contains(account)), "{shown}");
	let note_stalled = RuntimeCall::ChainGovernance(pallet_chain_governance::Call::note_stalled {
		delay: FORCED_CHANGE_DELAY,
		best_finalized_block_number: stalled_at as u32,
	});
	council.pass(&chain, &network.nodes[0], note_stalled);
	let noted_at = network.nodes[0].best_number().expect("best");
	println!("stall noted at #{noted_at}, {} s after the loss", lost_at.elapsed().as_secs());

	// The next boundary forces the change; once enacted, the survivors finalise alone, every
	// block authored during the stall with them.
	for index in survivors {
		wait_until(Duration::from_secs(300), "finality resumes", || {
			at_least(network.nodes[index].finalized_number(), noted_at)
		});
	}
	let (set_after, authorities_after) = grandpa_set(&network.nodes[0]);
	assert_eq!(authorities_after, survivors.len(), "GRANDPA's set is the survivors");
	assert!(set_after > set_before, "the forced change started a new set");
	let finalized = network.nodes[0].finalized_number().expect("finalised");
	for number in [stalled_at + 1, noted_at] {
		assert_eq!(
			network.nodes[0].header_at(number),
			network.nodes[1].header_at(number),
			"both survivors finalised the same block #{number}"
		);
	}
	println!(
		"finality resumed {} s after the loss: #{finalized} finalised by set {set_after}",
		lost_at.elapsed().as_secs()
	);

	// A lost organisation rebuilds its node on the old database: no longer a validator, it
	// syncs across the forced change and follows the survivors' finality.
	network.start(2);
	wait_until(Duration::from_secs(120), "the rebuilt node follows finality", || {
		at_least(network.nodes[2].finalized_number(), finalized)
	});
	assert_eq!(network.nodes[2].header_at(finalized), network.nodes[0].header_at(finalized));
}
