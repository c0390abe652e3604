//! Throughput of the device transaction path, side by side in one run, on a `--dev` node and on
//! the three validators of the `local` chain (loopback, this machine's cores shared by all):
//!
//! - (a) `balances.transferKeepAlive`, signed by funded devices;
//! - (b) device-signed records, one `registrationHashes.register` per extrinsic (each honest
//!   device registers 8 pairs in signature mode);
//! - (c) gateway-batched records: `loginRecords.submitSignedLogins` of 64 logins, each signed by
//!   the user device of a pair (b) registered and verified on chain (run (b) first);
//! - (d) a hostile mix: 200 compromised devices flood while 1,000 honest devices each submit one
//!   record, spread over about ten blocks.
//!
//! Every transaction is signed before the clock starts, then handed to the pool by many senders
//! at once. A sender whose transaction the pool refuses for its quota window (admission code 2)
//! tries again shortly after, as a device would; compromised devices keep trying every 250 ms.
//! For each scenario it prints records finalised per second, transactions per block, how full
//! the blocks' normal-class weight was, finality latency (block seen as best → seen finalised,
//! and transaction submitted → seen finalised) at p50/p95, how far into its slot the slowest
//! validator had imported each block, and for (d) how many blocks honest records waited.
//!
//!   cargo bench --workspace --bench throughput
//!
//! `IOTCHAIN_BENCH_CHAINS` (`dev,local`) and `IOTCHAIN_BENCH_SCENARIOS` (`a,b,c,d`) choose what
//! runs; `IOTCHAIN_BENCH_DEVICES` (1,000) sets the honest fleet.

use iotchain_client::{
	device_key_proof, parse_rights, runtime, runtime::runtime_types, signer_from_suri, ChainConfig,
	Client, Combination, Credential, DeviceId, DeviceKind, DeviceRegistration, FirmwareVersion,
	Governance, GrantTerms, Hash, KeyProof, Object, OrgRoles, PairRegistration, ProvenRegistration,
	ProvenRegistrationOf, SignedLogin, Signer, Subject, UserDeviceKey, UserDeviceSignature, Wait,
};
use iotchain_testing::{DevNode, Network, SLOT};
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicBool, AtomicU64, Ordering},
		Arc, Mutex,
	},
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use subxt::{config::DefaultExtrinsicParamsBuilder, transactions::Payload};

/// Compromised devices in the hostile mix, and how many records each has signed to push.
const HOSTILE_DEVICES: usize = 200;
const HOSTILE_BACKLOG: usize = 100;
/// Transactions each device signs ahead in (a) and (b): its whole pool window.
const PER_DEVICE: usize = 8;
/// Gateways in (c), the devices split among them, and logins per `submitSignedLogins` call.
const GATEWAYS: usize = 4;
const BATCH: usize = 64;
/// Batches each gateway sends in (c): under its pool window of 64, over its quota of 32 a block.
const BATCHES_PER_GATEWAY: usize = 40;
/// Submissions awaiting the node's answer at once, across all senders.
const CONCURRENT_SUBMISSIONS: usize = 64;
/// How long a scenario may take before what is left counts as lost.
const SCENARIO_DEADLINE: Duration = Duration::from_secs(240);

fn main() {
	let chains = env_list("IOTCHAIN_BENCH_CHAINS", "dev,local");
	let scenarios = env_list("IOTCHAIN_BENCH_SCENARIOS", "a,b,c,d");
	let devices: usize = std::env::var("IOTCHAIN_BENCH_DEVICES")
		.ok()
		.and_then(|count| count.parse().ok())
		.unwrap_or(1_000);
	let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
	let mut lost = 0;
	for chain in &chains {
		let network = match chain.as_str() {
			"dev" => Chain::Dev(DevNode::start()),
			"local" => Chain::Local(Network::local_testnet("throughput")),
			other => panic!("IOTCHAIN_BENCH_CHAINS: unknown chain {other} (dev, local)"),
		};
		println!("\n== {chain}: {} validator(s)", network.urls().len());
		lost += runtime.block_on(run_chain(&network, &scenarios, devices));
	}
	// Figures are for reading; this alone is a failure: the pool accepted a transaction and
	// no block ever included it.
	if lost > 0 {
		eprintln!("{lost} accepted transactions were never finalised");
		std::process::exit(1);
	}
}

fn env_list(name: &str, default: &str) -> Vec<String> {
	std::env::var(name)
		.unwrap_or_else(|_| default.into())
		.split(',')
		.map(|item| item.trim().to_owned())
		.filter(|item| !item.is_empty())
		.collect()
}

enum Chain {
	Dev(DevNode),
	Local(Network),
}

impl Chain {
	fn urls(&self) -> Vec<String> {
		match self {
			Chain::Dev(node) => vec![node.ws_url()],
			Chain::Local(network) => network
				.nodes
				.iter()
				.map(|node| format!("ws://127.0.0.1:{}", node.rpc_port))
				.collect(),
		}
	}

	fn governance(&self) -> Governance {
		match self {
			Chain::Dev(_) => Governance::Sudo,
			Chain::Local(_) => Governance::Council,
		}
	}
}

/// A device's or gateway's id and key, and the next nonce it signs with.
struct Member {
	id: DeviceId,
	key: Signer,
	next_nonce: u64,
}

/// Runs the scenarios on `chain`; returns how many transactions the pool accepted that no
/// finalised block included.
async fn run_chain(chain: &Chain, scenarios: &[String], devices: usize) -> usize {
	let urls = chain.urls();
	let alice = connect(&urls[0], "//Alice").await;
	let admin = connect(&urls[0], "//Bob").await;
	let setup = Instant::now();
	let org = create_org(&alice, chain, &urls[0]).await;
	let mut honest = enroll(&admin, org, "honest", devices, DeviceKind::Device).await;
	let mut hostile = enroll(&admin, org, "hostile", HOSTILE_DEVICES, DeviceKind::Device).await;
	let mut gateways = enroll(&admin, org, "gateway", GATEWAYS, DeviceKind::Gateway).await;
	let assignments: Vec<_> = honest
		.iter()
		.enumerate()
		.map(|(index, device)| {
			let gateway = gateways[index % GATEWAYS].id;
			runtime::tx().device_registry().assign_gateway(device.id, Some(gateway))
		})
		.collect();
	expect_all_ok("assign gateways", admin.submit_all(&assignments, Wait::Finalised, |_| {}).await);
	fund(&alice, &honest).await;
	grant_phones_login(&admin, org).await;
	println!(
		"setup (organisation, {} devices, funds, login grants): {:.1} s",
		devices,
		setup.elapsed().as_secs_f64()
	);

	let observer = Observer::start(&urls).await;
	let run = |name: &str| scenarios.iter().any(|scenario| scenario == name);
	let mut lost = 0;
	println!(
		"scenario                      records  finalised/s  tx/block  fill   finality p50/p95 (block)  \
		 submit→final p50/p95  slot import p95"
	);
	if run("a") {
		let to = alice.signer_account().expect("signer");
		let load = sign_each(&alice, &mut honest, PER_DEVICE, |_, _| {
			runtime::tx().balances().transfer_keep_alive(to.clone().into(), 1_000_000_000)
		})
		.await;
		lost += observer.measure("(a) transfer_keep_alive", vec![load]).await.print();
	}
	if run("b") {
		let load = sign_each(&alice, &mut honest, PER_DEVICE, |device, index| {
			register(pair_with_key(device, index % PER_DEVICE))
		})
		.await;
		lost += observer.measure("(b) device records, single", vec![load]).await.print();
	}
	if run("c") {
		assert!(run("b"), "(c) logs in to the pairs (b) registers: run (b) too");
		// Gateway g relays for the devices assigned to it: those whose index is g modulo G.
		let challenge_block = alice.challenge().await.expect("challenge").block;
		let genesis = alice.genesis();
		let per_gateway: Vec<Vec<SignedLogin<u32>>> = (0..GATEWAYS)
			.map(|gateway| {
				let own: Vec<DeviceId> =
					honest.iter().skip(gateway).step_by(GATEWAYS).map(|device| device.id).collect();
				(0..BATCHES_PER_GATEWAY * BATCH)
					.map(|index| {
						let device = own[index % own.len()];
						// Spread over the device's pairs: a pair takes 32 logins per lifetime.
						let pair = pair_with_key(device, (index / own.len()) % PER_DEVICE);
						signed_login(&genesis, &pair, (gateway, index), challenge_block)
					})
					.collect()
			})
			.collect();
		let load = sign_per_gateway(&alice, &mut gateways, per_gateway).await;
		lost += observer.measure("(c) gateway login batches", vec![load]).await.print();
	}
	if run("d") {
		let hostile_load = sign_each(&alice, &mut hostile, HOSTILE_BACKLOG, |device, index| {
			register(pair(device, &format!("d-hostile-{index}")))
		})
		.await
		.hostile();
		let honest_load =
			sign_each(&alice, &mut honest, 1, |device, _| register(pair(device, "d-honest")))
				.await
				.spread_over(Duration::from_secs(20));
		lost += observer
			.measure("(d) hostile mix", vec![honest_load, hostile_load])
			.await
			.print();
	}
	lost
}

async fn connect(url: &str, suri: &str) -> Client {
	Client::connect(url)
		.await
		.unwrap_or_else(|error| panic!("{url}: {error}"))
		.with_signer(signer_from_suri(suri).expect("dev key"))
}

/// The benchmark's organisation, Bob its admin: by sudo on the dev chain, by a council motion
/// Alice proposes and Bob seconds on the local chain.
async fn create_org(alice: &Client, chain: &Chain, url: &str) -> u32 {
	let bob = connect(url, "//Bob").await;
	let roles = OrgRoles { manufacturer: false, operator: true, certifier: false };
	let admin = bob.signer_account().expect("signer");
	alice
		.create_org(b"Throughput".to_vec(), roles, admin, chain.governance(), Wait::Finalised)
		.await
		.expect("create the organisation");
	if chain.governance() == Governance::Council {
		let motion = alice.motions().await.expect("motions").pop().expect("the motion");
		for member in [alice, &bob] {
			member
				.vote(motion.hash, motion.index, true, Wait::Finalised)
				.await
				.expect("vote");
		}
		bob.close_motion(motion.hash, motion.index, Wait::Finalised)
			.await
			.expect("close");
	}
	bob.signer_organisation().await.expect("Bob's organisation")
}

async fn enroll(
	admin: &Client,
	org: u32,
	label: &str,
	count: usize,
	kind: DeviceKind,
) -> Vec<Member> {
	let genesis = admin.genesis();
	let members: Vec<Member> = (0..count)
		.map(|index| {
			let key = signer_from_suri(&format!("//throughput//{label}//{index}")).expect("key");
			let id = iotchain_certification_scheme::user_device_id(
				format!("throughput-{label}-{index}").as_bytes(),
			);
			Member { id, key, next_nonce: 0 }
		})
		.collect();
	let registrations: Vec<ProvenRegistrationOf> = members
		.iter()
		.map(|member| {
			let (account, proof) = device_key_proof(&member.key, &genesis, org, &kind, &member.id);
			ProvenRegistration {
				registration: DeviceRegistration {
					id: member.id,
					kind: kind.clone(),
					model: b"BENCH-1".to_vec(),
					account,
					metadata_hash: [0; 32],
					firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
				},
				key_proof: KeyProof::Sr25519(proof),
			}
		})
		.collect();
	let outcomes = admin
		.register_devices(registrations, 256, Wait::Finalised, |_| {})
		.await
		.expect("register devices");
	expect_all_ok(label, Ok(outcomes.into_iter().map(|(_, outcome)| outcome).collect()));
	members
}

/// Grants each phone of [`pair_with_key`] `login` on all of the organisation's devices, for a
/// day: the logins of (c) then take the access check's full path and succeed.
async fn grant_phones_login(admin: &Client, org: u32) {
	let now = now_ms() as u64;
	let grants = (0..PER_DEVICE)
		.map(|k| GrantTerms {
			subject: Subject::UserDevice(pair_with_key([0; 32], k).user_device),
			object: Object::Organisation(org),
			rights: parse_rights("login").expect("a right"),
			valid_from: now,
			valid_until: now + 86_400_000,
			delegable: false,
		})
		.collect();
	expect_all_ok("login grants", admin.issue_grants(grants, Wait::Finalised, |_| {}).await);
}

/// Gives each device 10 UNIT for fees, 200 transfers to a `utility.batchAll`.
async fn fund(alice: &Client, devices: &[Member]) {
	use runtime_types::{iotchain_runtime::RuntimeCall, pallet_balances::pallet::Call};
	let calls: Vec<_> = devices
		.chunks(200)
		.map(|chunk| {
			let transfers = chunk
				.iter()
				.map(|device| {
					RuntimeCall::Balances(Call::transfer_keep_alive {
						dest: device.key.public_key().to_account_id().into(),
						value: 10 * 1_000_000_000_000,
					})
				})
				.collect();
			runtime::tx().utility().batch_all(transfers)
		})
		.collect();
	expect_all_ok("fund devices", alice.submit_all(&calls, Wait::Finalised, |_| {}).await);
}

fn expect_all_ok<T, E: std::fmt::Display>(
	what: &str,
	outcomes: Result<Vec<Result<T, E>>, iotchain_client::Error>,
) {
	for outcome in outcomes.unwrap_or_else(|error| panic!("{what}: {error}")) {
		if let Err(error) = outcome {
			panic!("{what}: {error}");
		}
	}
}

fn pair(device: DeviceId, user: &str) -> PairRegistration {
	PairRegistration {
		device,
		user_device: iotchain_certification_scheme::user_device_id(user.as_bytes()),
		credential: Credential::Hash {
			registration_hash: iotchain_certification_scheme::user_device_id(b"bench"),
			combination: Combination(0b101),
		},
		app_integrity_key: [7; 32],
	}
}

/// The user device key of every benchmark pair.
static USER_KEY: std::sync::LazyLock<Signer> =
	std::sync::LazyLock::new(|| signer_from_suri("//throughput//user-device").expect("dev key"));

/// Pair `k` of `device`, in signature mode with [`USER_KEY`].
fn pair_with_key(device: DeviceId, k: usize) -> PairRegistration {
	PairRegistration {
		device,
		user_device: iotchain_certification_scheme::user_device_id(format!("phone-{k}").as_bytes()),
		credential: Credential::Key(UserDeviceKey::Sr25519(USER_KEY.public_key().0)),
		app_integrity_key: [7; 32],
	}
}

/// A login to `pair` the user device signed, with a nonce unique to `(gateway, index)`.
fn signed_login(
	genesis: &[u8; 32],
	pair: &PairRegistration,
	(gateway, index): (usize, usize),
	challenge_block: u32,
) -> SignedLogin<u32> {
	let mut nonce = [0u8; 32];
	nonce[..8].copy_from_slice(&(gateway as u64).to_le_bytes());
	nonce[8..16].copy_from_slice(&(index as u64).to_le_bytes());
	let payload = iotchain_certification_scheme::login_payload(
		genesis,
		&pair.device,
		&pair.user_device,
		&nonce,
		challenge_block,
	);
	SignedLogin {
		device: pair.device,
		user_device: pair.user_device,
		nonce,
		challenge_block,
		signature: UserDeviceSignature::Sr25519(USER_KEY.sign(&payload).0),
	}
}

fn register(pair: PairRegistration) -> impl Payload {
	runtime::tx().registration_hashes().register(
		pair.device,
		pair.user_device,
		pair.credential,
		pair.app_integrity_key,
	)
}

/// One signed transaction and the records it carries.
struct Transaction {
	hash: Hash,
	encoded: Vec<u8>,
	records: u64,
}

/// Signed transactions per sender, in nonce order, and how the senders behave.
struct Load {
	senders: Vec<Vec<Transaction>>,
	hostile: bool,
	/// Honest senders start one after another over this span instead of all at once.
	spread: Duration,
}

impl Load {
	fn hostile(mut self) -> Self {
		self.hostile = true;
		self
	}

	fn spread_over(mut self, spread: Duration) -> Self {
		self.spread = spread;
		self
	}
}

/// Each member signs `count` calls `call(member id, index)` with its next nonces.
async fn sign_each<Call: Payload>(
	client: &Client,
	members: &mut [Member],
	count: usize,
	call: impl Fn(DeviceId, usize) -> Call,
) -> Load {
	let at = client.api().at_current_block().await.expect("best block");
	let mut index = 0;
	let senders = members
		.iter_mut()
		.map(|member| {
			(0..count)
				.map(|_| {
					index += 1;
					sign(&at, member, &call(member.id, index), 1)
				})
				.collect()
		})
		.collect();
	Load { senders, hostile: false, spread: Duration::ZERO }
}

async fn sign_per_gateway(
	client: &Client,
	gateways: &mut [Member],
	logins: Vec<Vec<SignedLogin<u32>>>,
) -> Load {
	let at = client.api().at_current_block().await.expect("best block");
	let senders = gateways
		.iter_mut()
		.zip(logins)
		.map(|(gateway, logins)| {
			logins
				.chunks(BATCH)
				.map(|batch| {
					let logins =
						runtime_types::bounded_collections::bounded_vec::BoundedVec(batch.to_vec());
					let call = runtime::tx().login_records().submit_signed_logins(logins);
					sign(&at, gateway, &call, batch.len() as u64)
				})
				.collect()
		})
		.collect();
	Load { senders, hostile: false, spread: Duration::ZERO }
}

type BlockClient =
	subxt::client::ClientAtBlock<ChainConfig, subxt::client::OnlineClientAtBlockImpl<ChainConfig>>;

fn sign<Call: Payload>(
	at: &BlockClient,
	member: &mut Member,
	call: &Call,
	records: u64,
) -> Transaction {
	let params = DefaultExtrinsicParamsBuilder::<ChainConfig>::new()
		.nonce(member.next_nonce)
		.immortal()
		.build();
	member.next_nonce += 1;
	let signed = at
		.tx()
		.create_signable_offline(call, params)
		.expect("signable")
		.sign(&member.key)
		.expect("signed");
	Transaction { hash: signed.hash(), encoded: signed.encoded().to_vec(), records }
}

/// Milliseconds since the Unix epoch, the unit of the chain's timestamps.
fn now_ms() -> f64 {
	SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64() * 1e3
}

/// One benchmark transaction's fate.
#[derive(Clone, Default)]
struct Fate {
	records: u64,
	honest: bool,
	/// When the pool accepted it, and node 0's best block then.
	submitted: Option<(f64, u64)>,
	/// The finalised block that includes it, and when it was seen finalised.
	finalised: Option<(u64, f64)>,
}

/// A finalised block as the benchmark saw it.
struct FinalisedBlock {
	seen_ms: f64,
	timestamp_ms: f64,
	normal_ref_time: u64,
	transactions: u64,
	records: u64,
}

/// Follows every validator's best blocks for the whole run, and node 0's finalised blocks for
/// each scenario.
struct Observer {
	nodes: Vec<Arc<Client>>,
	/// Per validator: block number → when it was first seen there as best.
	best_seen: Arc<Mutex<Vec<HashMap<u64, f64>>>>,
	/// Node 0's best block number.
	best_number: Arc<AtomicU64>,
	max_normal_ref_time: u64,
}

impl Observer {
	async fn start(urls: &[String]) -> Self {
		let mut nodes = Vec::new();
		for url in urls {
			nodes.push(Arc::new(Client::connect(url).await.expect("connect")));
		}
		let best_seen = Arc::new(Mutex::new(vec![HashMap::new(); urls.len()]));
		let best_number = Arc::new(AtomicU64::new(0));
		for (index, node) in nodes.iter().enumerate() {
			let mut blocks = node.api().stream_best_blocks().await.expect("best blocks");
			let (best_seen, best_number) = (best_seen.clone(), best_number.clone());
			tokio::spawn(async move {
				while let Some(Ok(block)) = blocks.next().await {
					let seen = now_ms();
					lock(&best_seen)[index].entry(block.number()).or_insert(seen);
					if index == 0 {
						best_number.store(block.number(), Ordering::SeqCst);
					}
				}
			});
		}
		let at = nodes[0].api().at_current_block().await.expect("best block");
		let weights = at
			.constants()
			.entry(runtime::constants().system().block_weights())
			.expect("block weights");
		let max_normal_ref_time =
			weights.per_class.normal.max_total.map_or(u64::MAX, |max| max.ref_time);
		Observer { nodes, best_seen, best_number, max_normal_ref_time }
	}

	/// Submits `loads` together and follows them until every accepted transaction is finalised.
	async fn measure(&self, name: &str, loads: Vec<Load>) -> Report {
		let fates: Arc<Mutex<HashMap<Hash, Fate>>> = Arc::new(Mutex::new(HashMap::new()));
		for load in &loads {
			for transaction in load.senders.iter().flatten() {
				let fate =
					Fate { records: transaction.records, honest: !load.hostile, ..Fate::default() };
				lock(&fates).insert(transaction.hash, fate);
			}
		}
		let blocks = Arc::new(Mutex::new(std::collections::BTreeMap::<u64, FinalisedBlock>::new()));
		let submitting = Arc::new(AtomicBool::new(true));
		let follower = tokio::spawn(follow_finalised(
			self.nodes[0].clone(),
			fates.clone(),
			blocks.clone(),
			submitting.clone(),
		));
		let hostile_refusals = Arc::new(AtomicU64::new(0));
		let honest_retries = Arc::new(AtomicU64::new(0));
		let stop_hostile = Arc::new(AtomicBool::new(false));
		let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_SUBMISSIONS));
		let mut honest_tasks = Vec::new();
		let mut hostile_tasks = Vec::new();
		let mut sender_index = 0usize;
		for load in loads {
			let senders = load.senders.len().max(1);
			for (index, transactions) in load.senders.into_iter().enumerate() {
				let node = self.nodes[sender_index % self.nodes.len()].clone();
				sender_index += 1;
				let delay = load.spread.mul_f64(index as f64 / senders as f64);
				let sender = Sender {
					node,
					fates: fates.clone(),
					best_number: self.best_number.clone(),
					permits: permits.clone(),
					refusals: if load.hostile {
						hostile_refusals.clone()
					} else {
						honest_retries.clone()
					},
					stop: stop_hostile.clone(),
					hostile: load.hostile,
				};
				let task = tokio::spawn(async move {
					tokio::time::sleep(delay).await;
					sender.send(transactions).await
				});
				if load.hostile {
					hostile_tasks.push(task);
				} else {
					honest_tasks.push(task);
				}
			}
		}
		let started = Instant::now();
		for task in honest_tasks {
			task.await.expect("sender");
		}
		stop_hostile.store(true, Ordering::SeqCst);
		for task in hostile_tasks {
			task.await.expect("sender");
		}
		submitting.store(false, Ordering::SeqCst);
		let remaining = SCENARIO_DEADLINE.saturating_sub(started.elapsed());
		let _ = tokio::time::timeout(remaining, follower).await;

		let fates = lock(&fates).clone();
		let blocks = std::mem::take(&mut *lock(&blocks));
		let best_seen = lock(&self.best_seen).clone();
		Report::new(
			name,
			&fates,
			&blocks,
			&best_seen,
			self.max_normal_ref_time,
			hostile_refusals.load(Ordering::SeqCst),
			honest_retries.load(Ordering::SeqCst),
		)
	}
}

/// Reads node 0's finalised blocks in order, from now until nothing submitted is left to find.
async fn follow_finalised(
	node: Arc<Client>,
	fates: Arc<Mutex<HashMap<Hash, Fate>>>,
	blocks: Arc<Mutex<std::collections::BTreeMap<u64, FinalisedBlock>>>,
	submitting: Arc<AtomicBool>,
) {
	let mut finalised = node.api().stream_blocks().await.expect("finalised blocks");
	let mut next = None;
	while let Some(Ok(block)) = finalised.next().await {
		let seen_ms = now_ms();
		for number in next.unwrap_or(block.number())..=block.number() {
			let at = node.api().at_block(number).await.expect("finalised block");
			let storage = at.storage();
			let timestamp_ms = storage
				.fetch(runtime::storage().timestamp().now(), ())
				.await
				.expect("timestamp")
				.decode()
				.expect("timestamp") as f64;
			let normal_ref_time = storage
				.fetch(runtime::storage().system().block_weight(), ())
				.await
				.expect("block weight")
				.decode()
				.expect("block weight")
				.normal
				.ref_time;
			let (mut transactions, mut records) = (0, 0);
			let extrinsics = at.extrinsics().fetch().await.expect("extrinsics");
			let mut fates = lock(&fates);
			for extrinsic in extrinsics.iter() {
				let Ok(extrinsic) = extrinsic else { continue };
				if let Some(fate) = fates.get_mut(&extrinsic.hash()) {
					fate.finalised = Some((number, seen_ms));
					transactions += 1;
					records += fate.records;
				}
			}
			drop(fates);
			let block =
				FinalisedBlock { seen_ms, timestamp_ms, normal_ref_time, transactions, records };
			lock(&blocks).insert(number, block);
		}
		next = Some(block.number() + 1);
		let outstanding = lock(&fates)
			.values()
			.any(|fate| fate.submitted.is_some() && fate.finalised.is_none());
		if !submitting.load(Ordering::SeqCst) && !outstanding {
			break;
		}
	}
}

/// One device or gateway handing its signed transactions to a node, in nonce order.
struct Sender {
	node: Arc<Client>,
	fates: Arc<Mutex<HashMap<Hash, Fate>>>,
	best_number: Arc<AtomicU64>,
	permits: Arc<tokio::sync::Semaphore>,
	/// Refusals for the quota window: attempts a compromised device wasted, or an honest
	/// sender's retries.
	refusals: Arc<AtomicU64>,
	stop: Arc<AtomicBool>,
	hostile: bool,
}

impl Sender {
	async fn send(self, transactions: Vec<Transaction>) {
		for transaction in transactions {
			loop {
				if self.hostile && self.stop.load(Ordering::SeqCst) {
					return;
				}
				let answer = {
					let _permit = self.permits.acquire().await.expect("permits");
					let best = self.best_number.load(Ordering::SeqCst);
					let answer =
						self.node.rpc().author_submit_extrinsic(&transaction.encoded).await;
					if answer.is_ok() {
						if let Some(fate) = lock(&self.fates).get_mut(&transaction.hash) {
							fate.submitted = Some((now_ms(), best));
						}
					}
					answer
				};
				match answer {
					Ok(_) => break,
					// Admission code 2: beyond the quota's window. Try again shortly. A
					// compromised device keeps trying whatever the answer (the pool also bans
					// a refused transaction's hash for a while: code 1012).
					Err(error)
						if self.hostile || format!("{error:?}").contains("Custom error: 2") =>
					{
						self.refusals.fetch_add(1, Ordering::SeqCst);
						let pause = if self.hostile { 250 } else { 500 };
						tokio::time::sleep(Duration::from_millis(pause)).await;
					},
					Err(error) => {
						eprintln!("refused: {error:?}");
						return;
					},
				}
			}
		}
	}
}

/// What one scenario measured.
struct Report {
	name: String,
	records: u64,
	records_per_second: f64,
	transactions_per_block: f64,
	fill: f64,
	block_finality_ms: (f64, f64),
	transaction_finality_ms: (f64, f64),
	slot_import_ms: f64,
	lost: usize,
	/// (d): blocks an honest record waited, p50/p95/max; and the compromised devices' accepted
	/// transactions and refused attempts.
	honest_wait: Option<(f64, f64, f64)>,
	hostile: Option<(usize, u64)>,
	honest_retries: u64,
}

impl Report {
	fn new(
		name: &str,
		fates: &HashMap<Hash, Fate>,
		blocks: &std::collections::BTreeMap<u64, FinalisedBlock>,
		best_seen: &[HashMap<u64, f64>],
		max_normal_ref_time: u64,
		hostile_refusals: u64,
		honest_retries: u64,
	) -> Self {
		let included: Vec<u64> =
			fates.values().filter_map(|fate| fate.finalised.map(|(n, _)| n)).collect();
		let first = included.iter().copied().min().unwrap_or(0);
		let last = included.iter().copied().max().unwrap_or(0);
		let span: Vec<&FinalisedBlock> =
			blocks.range(first..=last).map(|(_, block)| block).collect();
		let records: u64 = span.iter().map(|block| block.records).sum();
		let seconds = match (span.first(), span.last()) {
			(Some(first), Some(last)) => {
				(last.timestamp_ms - first.timestamp_ms) / 1e3 + SLOT.as_secs_f64()
			},
			_ => f64::NAN,
		};
		let count = span.len().max(1) as f64;
		let transactions_per_block =
			span.iter().map(|block| block.transactions).sum::<u64>() as f64 / count;
		let fill = span.iter().map(|block| block.normal_ref_time as f64).sum::<f64>()
			/ count / max_normal_ref_time as f64;
		let mut block_finality = Vec::new();
		let mut slot_import = Vec::new();
		for (number, block) in blocks.range(first..=last) {
			if let Some(best) = best_seen[0].get(number) {
				block_finality.push(block.seen_ms - best);
			}
			let slowest = best_seen
				.iter()
				.filter_map(|seen| seen.get(number))
				.fold(f64::NAN, |slowest, seen| slowest.max(seen - block.timestamp_ms));
			slot_import.push(slowest);
		}
		let transaction_finality: Vec<f64> = fates
			.values()
			.filter_map(|fate| Some(fate.finalised?.1 - fate.submitted?.0))
			.collect();
		let lost = fates
			.values()
			.filter(|fate| fate.submitted.is_some() && fate.finalised.is_none())
			.count();
		let any_hostile = fates.values().any(|fate| !fate.honest);
		let (honest_wait, hostile) = if any_hostile {
			let waits: Vec<f64> = fates
				.values()
				.filter(|fate| fate.honest)
				.filter_map(|fate| Some((fate.finalised?.0 - fate.submitted?.1) as f64))
				.collect();
			let accepted =
				fates.values().filter(|fate| !fate.honest && fate.submitted.is_some()).count();
			let max = waits.iter().copied().fold(f64::NAN, f64::max);
			(
				Some((percentile(&waits, 50.0), percentile(&waits, 95.0), max)),
				Some((accepted, hostile_refusals)),
			)
		} else {
			(None, None)
		};
		Report {
			name: name.to_owned(),
			records,
			records_per_second: records as f64 / seconds,
			transactions_per_block,
			fill,
			block_finality_ms: (
				percentile(&block_finality, 50.0),
				percentile(&block_finality, 95.0),
			),
			transaction_finality_ms: (
				percentile(&transaction_finality, 50.0),
				percentile(&transaction_finality, 95.0),
			),
			slot_import_ms: percentile(&slot_import, 95.0),
			lost,
			honest_wait,
			hostile,
			honest_retries,
		}
	}

	/// Prints the scenario's line; returns how many accepted transactions were lost.
	fn print(&self) -> usize {
		println!(
			"{:<28} {:>8} {:>12.1} {:>9.1} {:>5.0}%  {:>10.2} / {:>5.2} s {:>13.2} / {:>5.2} s {:>10.0} ms",
			self.name,
			self.records,
			self.records_per_second,
			self.transactions_per_block,
			self.fill * 100.0,
			self.block_finality_ms.0 / 1e3,
			self.block_finality_ms.1 / 1e3,
			self.transaction_finality_ms.0 / 1e3,
			self.transaction_finality_ms.1 / 1e3,
			self.slot_import_ms,
		);
		if let (Some((p50, p95, max)), Some((accepted, refused))) = (self.honest_wait, self.hostile)
		{
			println!(
				"    honest records waited p50 {p50:.0} / p95 {p95:.0} / max {max:.0} blocks; \
				 compromised devices: {accepted} accepted, {refused} attempts refused"
			);
		}
		if self.honest_retries > 0 || self.lost > 0 {
			println!(
				"    {} honest submissions retried after a window refusal; {} accepted but never finalised",
				self.honest_retries, self.lost
			);
		}
		self.lost
	}
}

/// The `p`th percentile (nearest rank) of `values`; NaN when there are none.
fn percentile(values: &[f64], p: f64) -> f64 {
	let mut sorted: Vec<f64> = values.iter().copied().filter(|value| !value.is_nan()).collect();
	if sorted.is_empty() {
		return f64::NAN;
	}
	sorted.sort_by(f64::total_cmp);
	let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
	sorted[rank.min(sorted.len()) - 1]
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
