//! The gateway's view of the chain: the connection (re-established when the node comes back),
//! the gateway's own registration, and devices as of the latest finalised block.
//!
//! Devices are looked up once and kept. A finalised block's `DeviceRegistry` events (a
//! registration, key rotation, suspension, revocation, transfer, an organisation's suspension)
//! have the devices they concern looked up again, so the next message of such a device is
//! checked against the registry as that block left it; devices they do not concern stay known,
//! and the gateway keeps serving them while the node is away. Unknown ids are remembered too
//! (up to a bound), so a flood of made-up ids costs the node one lookup each.
//!
//! A finalised block with any registry or access grants event, and a reconnection, count one
//! more access generation: decisions on who may read a device (`readers`) made under an
//! older one no longer hold.

use crate::{error::Error, metrics::Metrics};
use iotchain_client::{ChainEvent, Client, DeviceKind, DeviceStatus, OrgStatus, Signer};
use iotchain_gateway_protocol::envelope::DeviceId;
use std::{
	collections::{HashMap, HashSet},
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc, Mutex, RwLock,
	},
	time::{Duration, Instant},
};
use tokio::sync::watch;

/// Most unknown ids remembered before the memory of them is cleared.
const MAX_REMEMBERED_UNKNOWN: usize = 100_000;
/// How long to wait before dialling the node again.
const RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// A device as the gateway checks messages against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceView {
	/// The public key the device signs with.
	pub key: [u8; 32],
	pub org: u32,
	pub is_gateway: bool,
	/// The device is active and so is its organisation.
	pub active: bool,
	pub gateway: Option<DeviceId>,
	/// The model, as registered: what names the subsets a `read` grant can be limited to.
	pub model: Vec<u8>,
}

/// The gateway's own registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
	pub id: DeviceId,
	pub org: u32,
	pub active: bool,
}

/// Why a device could not be looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
	Found,
	Unknown,
	Unavailable,
}

/// The connection to the chain and what the gateway knows from it.
pub struct Chain {
	url: String,
	signer: Signer,
	client: RwLock<Option<Arc<Client>>>,
	genesis: [u8; 32],
	identity: RwLock<Identity>,
	devices: Mutex<HashMap<DeviceId, Option<DeviceView>>>,
	org_active: Mutex<HashMap<u32, bool>>,
	/// The latest finalised block number the gateway has seen.
	finalised: watch::Sender<u32>,
	/// When the gateway saw it (or connected, before the first).
	finalised_at: Mutex<Instant>,
	/// Counts the finalised blocks (and reconnections) that may have changed who may read a
	/// device: any registry or access grants event. Decisions made under an older count no
	/// longer hold.
	access_generation: AtomicU64,
	metrics: Arc<Metrics>,
}

impl Chain {
	/// Connects to the node (waiting for it, however long) and reads the gateway's own
	/// registration; fails if the signer is not a registered gateway.
	pub async fn connect(url: &str, signer: Signer, metrics: Arc<Metrics>) -> Result<Self, Error> {
		let client = loop {
			match Client::connect(url).await {
				Ok(client) => break client.with_signer(signer.clone()),
				Err(error) => {
					tracing::warn!(%url, %error, "the node is unreachable; retrying");
					tokio::time::sleep(RECONNECT_DELAY).await;
				},
			}
		};
		let genesis = client.genesis();
		let identity = read_identity(&client).await?;
		tracing::info!(
			gateway = %hex::encode(identity.id),
			org = identity.org,
			active = identity.active,
			"connected to the chain"
		);
		metrics.node_connected.set(1);
		Ok(Chain {
			url: url.to_owned(),
			signer,
			client: RwLock::new(Some(Arc::new(client))),
			genesis,
			identity: RwLock::new(identity),
			devices: Mutex::new(HashMap::new()),
			org_active: Mutex::new(HashMap::new()),
			finalised: watch::channel(0).0,
			finalised_at: Mutex::new(Instant::now()),
			access_generation: AtomicU64::new(0),
			metrics,
		})
	}

	pub fn genesis(&self) -> [u8; 32] {
		self.genesis
	}

	pub fn identity(&self) -> Identity {
		*self.identity.read().expect("not poisoned")
	}

	/// The connection, if the node is reachable.
	pub fn client(&self) -> Option<Arc<Client>> {
		self.client.read().expect("not poisoned").clone()
	}

	/// Follows finalised blocks as they come.
	pub fn finalised(&self) -> watch::Receiver<u32> {
		self.finalised.subscribe()
	}

	/// How long since the gateway last saw a block finalised (or connected); counted from now
	/// when the node is away.
	pub fn finality_lag(&self) -> Duration {
		if self.client().is_none() {
			return Duration::MAX;
		}
		self.finalised_at.lock().expect("not poisoned").elapsed()
	}

	/// The count of finalised blocks that may have changed who may read a device.
	pub fn access_generation(&self) -> u64 {
		self.access_generation.load(Ordering::Acquire)
	}

	/// Reports the connection as broken; [`Chain::follow`] dials again.
	pub fn lost(&self) {
		if self.client.write().expect("not poisoned").take().is_some() {
			tracing::warn!(url = %self.url, "lost the node");
			self.metrics.node_connected.set(0);
		}
	}

	/// The device `id`, from what the gateway knows or from the registry.
	pub async fn device(&self, id: &DeviceId) -> (Lookup, Option<DeviceView>) {
		if let Some(known) = self.devices.lock().expect("not poisoned").get(id) {
			return match known {
				Some(view) => (Lookup::Found, Some(view.clone())),
				None => (Lookup::Unknown, None),
			};
		}
		let Some(client) = self.client() else { return (Lookup::Unavailable, None) };
		let device = match client.device(*id).await {
			Ok(device) => device,
			Err(error) => {
				tracing::warn!(%error, "device lookup failed");
				self.lost();
				return (Lookup::Unavailable, None);
			},
		};
		let view = match device {
			Some(device) => {
				let Some(org_active) = self.org_active(&client, device.org).await else {
					return (Lookup::Unavailable, None);
				};
				Some(DeviceView {
					key: device.account.0,
					org: device.org,
					is_gateway: matches!(device.kind, DeviceKind::Gateway),
					active: org_active && matches!(device.status, DeviceStatus::Active),
					gateway: device.gateway,
					model: device.model.0,
				})
			},
			None => None,
		};
		let mut devices = self.devices.lock().expect("not poisoned");
		if view.is_none() && devices.len() >= MAX_REMEMBERED_UNKNOWN {
			devices.retain(|_, known| known.is_some());
		}
		devices.insert(*id, view.clone());
		(if view.is_some() { Lookup::Found } else { Lookup::Unknown }, view)
	}

	async fn org_active(&self, client: &Client, org: u32) -> Option<bool> {
		if let Some(active) = self.org_active.lock().expect("not poisoned").get(&org) {
			return Some(*active);
		}
		let active = match client.organisation(org).await {
			Ok(organisation) => organisation.is_some_and(|o| matches!(o.status, OrgStatus::Active)),
			Err(_) => {
				self.lost();
				return None;
			},
		};
		self.org_active.lock().expect("not poisoned").insert(org, active);
		Some(active)
	}

	/// Brings what the gateway knows up to date with a finalised block's registry `changes`:
	/// every device an event names is looked up again (forgotten, if the node cannot answer),
	/// and an organisation's suspension or resumption, or a gateway's devices being
	/// unassigned, has every known device looked up again. Devices the events do not touch stay
	/// known, so the gateway keeps serving them while the node is away.
	async fn registry_changed(&self, client: &Client, changes: RegistryChanges) {
		let RegistryChanges { everything, named } = changes;
		if everything {
			self.org_active.lock().expect("not poisoned").clear();
		}
		let targets: Vec<DeviceId> = {
			let devices = self.devices.lock().expect("not poisoned");
			if everything {
				devices.keys().copied().collect()
			} else {
				named.into_iter().filter(|id| devices.contains_key(id)).collect()
			}
		};
		self.look_up_again(targets).await;
		self.reread_identity(client).await;
	}

	/// Forgets `ids` and looks the ones that were registered up again.
	async fn look_up_again(&self, ids: Vec<DeviceId>) {
		for id in ids {
			let known = self.devices.lock().expect("not poisoned").remove(&id);
			if matches!(known, Some(Some(_))) {
				self.device(&id).await;
			}
		}
	}

	async fn reread_identity(&self, client: &Client) {
		match read_identity(client).await {
			Ok(identity) => *self.identity.write().expect("not poisoned") = identity,
			Err(error) => tracing::error!(%error, "the gateway's own registration is gone"),
		}
	}

	/// After the node was away, blocks were missed: every known device and organisation is
	/// looked up again.
	async fn reconnected(&self, client: &Client) {
		self.org_active.lock().expect("not poisoned").clear();
		let known: Vec<DeviceId> =
			self.devices.lock().expect("not poisoned").keys().copied().collect();
		self.look_up_again(known).await;
		self.reread_identity(client).await;
	}

	/// Follows finalised blocks for ever: registry changes clear what the gateway knows, and
	/// each block's number is published to [`Chain::finalised`]. When the node goes away it
	/// dials again every few seconds; what the gateway knew is cleared on return, since
	/// blocks were missed.
	pub async fn follow(self: Arc<Self>) {
		loop {
			let client = match self.client() {
				Some(client) => client,
				None => match Client::connect(&self.url).await {
					Ok(client) => {
						let client = Arc::new(client.with_signer(self.signer.clone()));
						*self.client.write().expect("not poisoned") = Some(client.clone());
						self.reconnected(&client).await;
						self.metrics.node_connected.set(1);
						tracing::info!(url = %self.url, "reconnected to the node");
						client
					},
					Err(_) => {
						tokio::time::sleep(RECONNECT_DELAY).await;
						continue;
					},
				},
			};
			let (blocks_tx, mut blocks_rx) = tokio::sync::mpsc::unbounded_channel();
			let watcher = {
				let client = client.clone();
				tokio::spawn(async move {
					let result =
						client.watch_finalised(|block| Ok(blocks_tx.send(block).is_ok())).await;
					if let Err(error) = result {
						tracing::warn!(%error, "following finalised blocks stopped");
					}
				})
			};
			// Blocks were missed while the node was away.
			self.access_generation.fetch_add(1, Ordering::AcqRel);
			while let Some(block) = blocks_rx.recv().await {
				let mut access_changed = grants_changed(&block.events);
				if let Some(changes) = registry_changes(&block.events) {
					self.registry_changed(&client, changes).await;
					access_changed = true;
				}
				if access_changed {
					self.access_generation.fetch_add(1, Ordering::AcqRel);
				}
				*self.finalised_at.lock().expect("not poisoned") = Instant::now();
				// Block numbers fit u32 on this chain.
				self.finalised.send_replace(block.block.number as u32);
			}
			watcher.abort();
			self.lost();
			tokio::time::sleep(RECONNECT_DELAY).await;
		}
	}
}

/// Whether a block's `events` include an access grants event (or one this gateway cannot
/// decode, which may be one): decisions on who may read are made again.
fn grants_changed(events: &[ChainEvent]) -> bool {
	use iotchain_client::runtime::Event;
	events
		.iter()
		.any(|event| matches!(event.as_runtime_event(), Ok(Event::AccessGrants(_)) | Err(_)))
}

/// What a block's registry events change for the gateway.
#[derive(Debug, Default, PartialEq, Eq)]
struct RegistryChanges {
	/// An organisation was suspended or resumed, or a gateway's devices were unassigned: every
	/// known device is looked up again.
	everything: bool,
	/// The devices (and gateways) the events name.
	named: HashSet<DeviceId>,
}

/// What a block's `events` change for the gateway; `None` when none is the registry's. The
/// registry's events are matched by their generated type, every variant named, so a change to
/// them in the runtime fails the build here instead of going unseen. An event this gateway's
/// types cannot decode (a runtime it was not built for) may be the registry's, so it has
/// every known device looked up again.
fn registry_changes(events: &[ChainEvent]) -> Option<RegistryChanges> {
	use iotchain_client::runtime::{device_registry::Event as Registry, Event};
	let mut changes: Option<RegistryChanges> = None;
	for event in events {
		let registry = match event.as_runtime_event() {
			Ok(Event::DeviceRegistry(registry)) => registry,
			Ok(_) => continue,
			Err(_) => {
				changes.get_or_insert_with(RegistryChanges::default).everything = true;
				continue;
			},
		};
		let changes = changes.get_or_insert_with(RegistryChanges::default);
		match registry {
			Registry::OrgSuspended { .. } | Registry::OrgResumed { .. } => {
				changes.everything = true;
			},
			Registry::GatewayDevicesUnassigned { gateway, .. } => {
				changes.everything = true;
				changes.named.insert(gateway);
			},
			// A gateway assigned to a device is not looked up again: its own record is unchanged.
			Registry::DeviceRegistered { device, .. }
			| Registry::KeyRotated { device, .. }
			| Registry::DeviceSuspended { device, .. }
			| Registry::DeviceResumed { device, .. }
			| Registry::DeviceRevoked { device, .. }
			| Registry::GatewayAssigned { device, .. }
			| Registry::MetadataUpdated { device, .. }
			| Registry::FirmwareUpdated { device, .. }
			| Registry::TransferOffered { device, .. }
			| Registry::TransferCancelled { device, .. }
			| Registry::DeviceTransferred { device, .. } => {
				changes.named.insert(device);
			},
			Registry::OrgCreated { .. }
			| Registry::AdminAdded { .. }
			| Registry::AdminRemoved { .. }
			| Registry::AdminChangeApproved { .. }
			| Registry::AdminsSet { .. }
			| Registry::MemberAdded { .. }
			| Registry::MemberRemoved { .. } => {},
		}
	}
	changes
}

async fn read_identity(client: &Client) -> Result<Identity, Error> {
	let account = client.signer_account()?;
	let (id, device) = client
		.device_by_account(account.clone())
		.await?
		.ok_or_else(|| Error::NotRegistered { account: account.clone() })?;
	if !matches!(device.kind, DeviceKind::Gateway) {
		return Err(Error::NotAGateway { account });
	}
	let org_active = client
		.organisation(device.org)
		.await?
		.is_some_and(|o| matches!(o.status, OrgStatus::Active));
	Ok(Identity {
		id,
		org: device.org,
		active: org_active && matches!(device.status, DeviceStatus::Active),
	})
}
