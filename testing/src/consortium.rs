//! What the tests of a four-organisation consortium share: the chain `new-consortium.sh` makes,
//! run as real validator processes; the organisations' accounts signing extrinsics for it; and
//! council motions passed by three of the four.

use crate::{at_least, bytes_of, hex_of, node_binary, wait_until, Network, Node};
use codec::{Decode, Encode};
use frame_support::dispatch::GetDispatchInfo;
use iotchain_runtime::{AccountId, RuntimeCall, SignedPayload, UncheckedExtrinsic};
use serde_json::{json, Value};
use sp_core::{sr25519, Pair, H256};
use sp_io::hashing::twox_128;
use sp_runtime::{
	traits::{BlakeTwo256, Hash, IdentifyAccount},
	MultiSigner,
};
use std::{collections::BTreeMap, fs, path::Path, process::Command, time::Duration};

/// The organisations `new-consortium.sh` creates; all validate from genesis.
pub const ORGANISATIONS: usize = 4;

/// An account that signs extrinsics, with the nonce of its next one.
pub struct Signer {
	pub pair: sr25519::Pair,
	pub nonce: u32,
}

impl Signer {
	pub fn new(pair: sr25519::Pair) -> Self {
		Signer { pair, nonce: 0 }
	}

	pub fn account(&self) -> AccountId {
		MultiSigner::from(self.pair.public()).into_account()
	}
}

/// What every extrinsic of the chain commits to: its genesis and runtime versions.
pub struct Chain {
	pub genesis: H256,
	pub spec_version: u32,
	pub transaction_version: u32,
}

impl Chain {
	pub fn of(node: &Node) -> Self {
		let genesis = node.rpc("chain_getBlockHash", json!([0])).expect("genesis hash");
		let version = node.rpc("state_getRuntimeVersion", json!([])).expect("runtime version");
		Chain {
			genesis: H256::from_slice(&bytes_of(genesis.as_str().expect("hex"))),
			spec_version: version["specVersion"].as_u64().expect("spec version") as u32,
			transaction_version: version["transactionVersion"].as_u64().expect("tx version") as u32,
		}
	}

	/// `call` signed by `signer` with its next nonce, immortal, tipping nothing.
	pub fn sign(&self, signer: &mut Signer, call: RuntimeCall) -> UncheckedExtrinsic {
		let extension = iotchain_runtime::immortal_tx_extension(signer.nonce);
		let implicit = (
			(),
			self.spec_version,
			self.transaction_version,
			self.genesis,
			self.genesis,
			(),
			(),
			(),
			None,
			(),
		);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| signer.pair.sign(bytes));
		signer.nonce += 1;
		UncheckedExtrinsic::new_signed(call, signer.account().into(), signature.into(), extension)
	}

	/// Submits `call` from `signer` to `node`'s pool.
	pub fn submit(
		&self,
		node: &Node,
		signer: &mut Signer,
		call: RuntimeCall,
	) -> Result<Value, String> {
		let extrinsic = self.sign(signer, call);
		node.rpc("author_submitExtrinsic", json!([format!("0x{}", hex_of(&extrinsic.encode()))]))
	}

	/// Submits `call` from `signer` and waits until a block includes it.
	pub fn execute(&self, node: &Node, signer: &mut Signer, call: RuntimeCall) {
		self.submit(node, signer, call).expect("the pool accepts the extrinsic");
		wait_for_nonce(node, &signer.account(), signer.nonce);
	}
}

/// Waits until `account`'s nonce in `node`'s best block reaches `nonce`.
pub fn wait_for_nonce(node: &Node, account: &AccountId, nonce: u32) {
	wait_until(Duration::from_secs(60), "the extrinsics are included", || {
		let answer = node.rpc(
			"state_call",
			json!(["AccountNonceApi_account_nonce", format!("0x{}", hex_of(&account.encode()))]),
		)?;
		let on_chain = u32::decode(&mut &bytes_of(answer.as_str().unwrap_or_default())[..])
			.map_err(|e| e.to_string())?;
		if on_chain >= nonce {
			Ok(())
		} else {
			Err(format!("nonce {on_chain} of {nonce}"))
		}
	});
}

/// The consortium's council, one seat per organisation, and how many motions it has made.
pub struct Council {
	pub members: Vec<Signer>,
	pub motions: u32,
}

impl Council {
	/// Passes `call` with three of four seats (two thirds and more): the first proposes, the
	/// first three vote aye, the first closes. Returns when the motion has executed.
	pub fn pass(&mut self, chain: &Chain, node: &Node, call: RuntimeCall) {
		self.pass_with_ayes(chain, node, call, 3);
	}

	/// Passes `call` with the ayes of the first `ayes` members, who are also the threshold:
	/// the motion is approved and executes with `ayes` of all seats as its origin. Its cost
	/// is then released.
	pub fn pass_with_ayes(&mut self, chain: &Chain, node: &Node, call: RuntimeCall, ayes: usize) {
		let length = call.encoded_size() as u32;
		let weight = call.get_dispatch_info().call_weight;
		let hash = BlakeTwo256::hash_of(&call);
		let index = self.motions;
		self.motions += 1;
		let propose = RuntimeCall::Council(pallet_collective::Call::propose {
			threshold: ayes as u32,
			proposal: Box::new(call),
			length_bound: length,
		});
		chain.execute(node, &mut self.members[0], propose);
		// The voters are different accounts: their votes go into the pool together.
		for voter in 0..ayes {
			let vote = RuntimeCall::Council(pallet_collective::Call::vote {
				proposal: hash,
				index,
				approve: true,
			});
			chain
				.submit(node, &mut self.members[voter], vote)
				.expect("the pool accepts the vote");
		}
		for voter in &self.members[..ayes] {
			wait_for_nonce(node, &voter.account(), voter.nonce);
		}
		let close = RuntimeCall::Council(pallet_collective::Call::close {
			proposal_hash: hash,
			index,
			proposal_weight_bound: weight,
			length_bound: length,
		});
		chain.execute(node, &mut self.members[0], close);
		// The proposer's deposit and slot come back (a seat holds at most three motions).
		let release = RuntimeCall::Council(pallet_collective::Call::release_proposal_cost {
			proposal_hash: hash,
		});
		chain.execute(node, &mut self.members[0], release);
	}
}

pub fn storage_key(pallet: &str, item: &str) -> String {
	format!("0x{}{}", hex_of(&twox_128(pallet.as_bytes())), hex_of(&twox_128(item.as_bytes())))
}

pub fn pair_of_account_file(path: &Path) -> sr25519::Pair {
	let key: Value = serde_json::from_str(&fs::read_to_string(path).expect("account file"))
		.expect("account file is JSON");
	sr25519::Pair::from_phrase(key["secretPhrase"].as_str().expect("secret phrase"), None)
		.expect("a valid secret phrase")
		.0
}

/// Runs the `iotctl` this workspace built against `node`, with `args`; returns its stdout and
/// stderr, failing the test if it fails.
pub fn iotctl(node: &Node, args: &[&str]) -> (String, String) {
	let iotctl = node_binary().parent().expect("a target directory").join("iotctl");
	assert!(iotctl.exists(), "no iotctl at {}: cargo test --workspace builds it", iotctl.display());
	let output = Command::new(&iotctl)
		.args(["--url", &format!("ws://127.0.0.1:{}", node.rpc_port)])
		.args(args)
		.output()
		.expect("iotctl runs");
	let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
	let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
	assert!(output.status.success(), "iotctl {args:?}: {stdout}\n{stderr}");
	(stdout, stderr)
}

pub fn new_consortium_script() -> std::path::PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/new-consortium.sh")
}

/// A fresh network named after `test_name` running the four organisations' validators, once
/// GRANDPA has finalised block 3: where every consortium test starts.
pub fn finalising_consortium(test_name: &str) -> (Network, Vec<Signer>) {
	let mut network = Network::new(test_name);
	let members = four_organisations(&mut network);
	wait_until(Duration::from_secs(120), "GRANDPA finalises block 3", || {
		at_least(network.nodes[0].finalized_number(), 3)
	});
	(network, members)
}

/// Runs `scripts/new-consortium.sh` into the network's directory and adds one node per
/// organisation, started.
pub fn four_organisations(network: &mut Network) -> Vec<Signer> {
	four_organisations_placed(network, |_, node| node)
}

/// As [`four_organisations`], with each organisation's node placed by `place` (given its
/// index), e.g. into a network namespace, before it starts.
pub fn four_organisations_placed(
	network: &mut Network,
	place: impl Fn(usize, Node) -> Node,
) -> Vec<Signer> {
	let consortium = network.dir.join("consortium");
	let status = Command::new("bash")
		.arg(new_consortium_script())
		.arg(ORGANISATIONS.to_string())
		.arg(&consortium)
		.env("IOTCHAIN_NODE", node_binary())
		.status()
		.expect("new-consortium.sh runs");
	assert!(status.success(), "new-consortium.sh failed");
	network.chain_spec = consortium.join("chain-spec.json");
	let mut signers = Vec::new();
	for i in 1..=ORGANISATIONS {
		let name = format!("org{i}");
		let org = consortium.join(&name);
		let node = Node::new(&network.dir, &name, org.join("data"), org.join("node-key"));
		let mut node = place(i - 1, node);
		// The flags new-consortium.sh wrote for the organisation's validator, as
		// docker-compose.yml and local-testnet.sh run it.
		node.flags = Some(node_args(&consortium, &name, &node));
		network.nodes.push(node);
		signers.push(Signer::new(pair_of_account_file(&org.join("account.json"))));
	}
	for index in 0..ORGANISATIONS {
		network.start(index);
	}
	signers
}

/// Organisation `org`'s validator flags as `new-consortium.sh` wrote them
/// (`<consortium>/<org>/node.args`: one flag a line, `#` comments), with their placeholders
/// filled in for `node`: `{CONSORTIUM}` the consortium's directory, `{P2P_HOST}` and
/// `{P2P_PORT}` where it listens for peers, `{RPC_PORT}` its JSON-RPC port. docker-compose.yml
/// and local-testnet.sh fill them in through `scripts/consortium-node.sh`.
pub fn node_args(consortium: &Path, org: &str, node: &Node) -> Vec<String> {
	let file = consortium.join(org).join("node.args");
	let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
	let values = [
		("{CONSORTIUM}", consortium.to_str().expect("a UTF-8 path").to_owned()),
		("{P2P_HOST}", node.host.clone()),
		("{P2P_PORT}", node.p2p_port.to_string()),
		("{RPC_PORT}", node.rpc_port.to_string()),
	];
	text.lines()
		.filter(|line| !line.is_empty() && !line.starts_with('#'))
		.map(|line| {
			let flag = values.iter().fold(line.to_owned(), |flag, (placeholder, value)| {
				flag.replace(placeholder, value)
			});
			assert!(!flag.contains('{'), "{}: a placeholder left in {flag}", file.display());
			flag
		})
		.collect()
}

/// `admin` registers a new device with id `device_id` in organisation `org`, proving the
/// device's fresh key consents; returns the device's signer.
pub fn register_device(
	chain: &Chain,
	node: &Node,
	admin: &mut Signer,
	org: u32,
	device_id: [u8; 32],
) -> Signer {
	let (device, register) = device_registration(chain, org, device_id);
	chain.execute(node, admin, register);
	device
}

/// A new device's signer, and the call that registers it with id `device_id` in organisation
/// `org`, its fresh key consenting.
pub fn device_registration(chain: &Chain, org: u32, device_id: [u8; 32]) -> (Signer, RuntimeCall) {
	use iotchain_possession_proofs::KeyKind;
	use pallet_device_registry::{DeviceKind, DeviceRegistration, FirmwareVersion};
	let device = Signer::new(sr25519::Pair::generate().0);
	let payload = iotchain_possession_proofs::device_key_payload(
		chain.genesis.as_fixed_bytes(),
		org,
		KeyKind::Device,
		&device_id,
		&device.account().encode(),
	);
	let register = RuntimeCall::DeviceRegistry(pallet_device_registry::Call::register_device {
		registration: pallet_device_registry::ProvenRegistration {
			registration: DeviceRegistration {
				id: device_id,
				kind: DeviceKind::Device,
				model: b"TH100".to_vec(),
				account: device.account(),
				metadata_hash: [0; 32],
				firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
			},
			key_proof: device.pair.sign(&payload).into(),
		},
	});
	(device, register)
}

/// The device `device_id` registering user device `[n; 32]` (its sr25519 key `[n; 32]`): a
/// record it writes itself, feeless.
pub fn pair_registration(device_id: [u8; 32], n: u8) -> RuntimeCall {
	RuntimeCall::RegistrationHashes(pallet_registration_hashes::Call::register {
		device: device_id,
		user_device: [n; 32],
		credential: pallet_registration_hashes::Credential::Key(
			pallet_registration_hashes::UserDeviceKey::Sr25519([n; 32]),
		),
		app_integrity_key: [0; 32],
	})
}

/// Every key and value under storage prefix `prefix` (hex) at block `at`.
pub fn storage_under(
	node: &Node,
	prefix: &str,
	at: &Value,
) -> Result<BTreeMap<String, String>, String> {
	let mut storage = BTreeMap::new();
	for key in storage_keys_under(node, prefix, at)? {
		let value = node.rpc("state_getStorage", json!([key, at]))?;
		storage.insert(key, value.as_str().ok_or("a hex value")?.to_owned());
	}
	Ok(storage)
}

/// Every key under storage prefix `prefix` (hex) at block `at`, a page of 1,000 at a time.
pub fn storage_keys_under(node: &Node, prefix: &str, at: &Value) -> Result<Vec<String>, String> {
	let mut keys: Vec<String> = Vec::new();
	loop {
		let page: Vec<String> = serde_json::from_value(
			node.rpc("state_getKeysPaged", json!([prefix, 1000, keys.last(), at]))?,
		)
		.map_err(|e| e.to_string())?;
		let last_page = page.len() < 1000;
		keys.extend(page);
		if last_page {
			return Ok(keys);
		}
	}
}
