//! The gateway's view of the chain: the connection (re-established when the node comes back),
//! the gateway's own registration, and the registry as of the latest finalised block.
//!
//! At start (and after the node was away) the gateway reads every device and gateway of its
//! organisation, page by page, at one finalised block: its registry snapshot. From then on
//! each finalised block's `DeviceRegistry` events are applied to it in memory, off the ingest
//! path: the devices an event names are read again as that block left them, and an
//! organisation's suspension or resumption, or a gateway's devices being unassigned, changes
//! what is known without reading any device. So checking a message of one of the
//! organisation's devices never costs a node round trip, and the gateway keeps serving its
//! devices while the node is away.
//!
//! Ids outside the organisation are never accepted; which refusal names them (another
//! organisation's device, a gateway, or nobody's) is looked up once, off the ingest task, and
//! remembered up to a bound.
//!
//! A finalised block with any registry or access grants event, and a reconnection, count one
//! more access generation: decisions on who may read a device (`readers`) made under an
//! older one no longer hold.

use crate::{error::Error, metrics::Metrics};
use futures::StreamExt;
use iotchain_client::{
	BlockAt, BlockEvents, ChainEvent, Client, DeviceKind, DeviceOf, DeviceStatus, OrgStatus,
	RegistryAt, Signer,
};
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

/// Most ids outside the organisation remembered before the memory of them is cleared.
const MAX_REMEMBERED_OUTSIDE: usize = 100_000;
/// How long to wait before dialling the node again.
const RECONNECT_DELAY: Duration = Duration::from_secs(2);
/// Devices per page of the registry snapshot: the runtime's most.
const SNAPSHOT_PAGE: u32 = 1_000;
/// Devices read again at once when a finalised block names many.
const CONCURRENT_READS: usize = 16;
/// How long a lookup of an id outside the organisation may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// A device as the gateway checks messages against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceView {
	/// The public key the device signs with.
	pub key: [u8; 32],
	pub org: u32,
	pub is_gateway: bool,
	/// The device is active and so is its organisation (for a device outside the gateway's
	/// organisation: the device is active).
	pub active: bool,
	pub gateway: Option<DeviceId>,
	/// The model, as registered: what names the subsets a `read` grant can be limited to.
	pub model: Vec<u8>,
}

impl DeviceView {
	/// The view of `device` as stored, with its own status only.
	fn of(device: DeviceOf) -> Self {
		DeviceView {
			key: device.account.0,
			org: device.org,
			is_gateway: matches!(device.kind, DeviceKind::Gateway),
			active: matches!(device.status, DeviceStatus::Active),
			gateway: device.gateway,
			model: device.model.0,
		}
	}
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

/// What the gateway knows of an id without asking the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Known {
	/// A device or gateway of the gateway's organisation.
	Own(DeviceView),
	/// An id outside the organisation, looked up before: its record, or `None` when nobody
	/// registered it.
	Outside(Option<DeviceView>),
	/// An id outside the organisation not looked up yet.
	Unresolved,
}

/// The registry as one finalised block left it, as far as the gateway needs it.
struct Registry {
	/// The block.
	block: BlockAt,
	/// Every device and gateway of the gateway's organisation, each with its own status.
	own: HashMap<DeviceId, DeviceView>,
	/// Whether the gateway's organisation is active.
	org_active: bool,
	/// Ids outside the organisation looked up since (`None`: nobody registered it).
	outside: HashMap<DeviceId, Option<DeviceView>>,
}

impl Registry {
	fn known(&self, id: &DeviceId) -> Known {
		if let Some(view) = self.own.get(id) {
			let mut view = view.clone();
			view.active &= self.org_active;
			return Known::Own(view);
		}
		match self.outside.get(id) {
			Some(view) => Known::Outside(view.clone()),
			None => Known::Unresolved,
		}
	}

	/// Records `id` as read at the registry's block or later: in `own` when it is of
	/// `org`, else outside.
	fn record(&mut self, org: u32, id: DeviceId, view: Option<DeviceView>) {
		match view {
			Some(view) if view.org == org => {
				self.outside.remove(&id);
				self.own.insert(id, view);
			},
			view => {
				self.own.remove(&id);
				self.remember_outside(id, view);
			},
		}
	}

	fn remember_outside(&mut self, id: DeviceId, view: Option<DeviceView>) {
		if self.outside.len() >= MAX_REMEMBERED_OUTSIDE {
			self.outside.clear();
		}
		self.outside.insert(id, view);
	}
}

/// The gateway's signing key, and whether anybody may hold it
/// (`iotchain_client::is_development_key`): refused on a live chain.
pub struct GatewayKey {
	pub signer: Signer,
	pub development: bool,
}

/// The gateway's registration and its organisation's registry, read at one block.
struct Snapshot {
	identity: Identity,
	registry: Registry,
}

/// The connection to the chain and what the gateway knows from it.
pub struct Chain {
	url: String,
	signer: Signer,
	/// The signer's public key: the gateway is active only while its record holds it.
	gateway_key: [u8; 32],
	client: RwLock<Option<Arc<Client>>>,
	genesis: [u8; 32],
	identity: RwLock<Identity>,
	registry: RwLock<Registry>,
	/// The latest finalised block number the gateway has seen.
	finalised: watch::Sender<u32>,
	/// When the gateway saw it (or connected, before the first).
	finalised_at: Mutex<Instant>,
	/// Counts the finalised blocks (and reconnections) that may have changed who may read a
	/// device: any registry or access grants event. Decisions made under an older count no
	/// longer hold.
	access_generation: AtomicU64,
	/// Tells the follower to dial again: another task found the connection broken.
	reconnect: tokio::sync::Notify,
	metrics: Arc<Metrics>,
}

impl Chain {
	/// Connects to the node (waiting for it, however long), reads the gateway's own
	/// registration and takes the registry snapshot; fails if the key is a development key
	/// and the chain a live one, or if the key is not a registered gateway's.
	pub async fn connect(url: &str, key: GatewayKey, metrics: Arc<Metrics>) -> Result<Self, Error> {
		let GatewayKey { signer, development } = key;
		let client = loop {
			match Client::connect(url).await {
				Ok(client) => break client.with_signer(signer.clone()),
				Err(error) => {
					tracing::warn!(%url, %error, "the node is unreachable; retrying");
					tokio::time::sleep(RECONNECT_DELAY).await;
				},
			}
		};
		if development {
			if client.chain_is_live().await? {
				return Err(Error::DevelopmentKeyOnLiveChain);
			}
			tracing::warn!(
				"the gateway's key is a development key: anybody can sign as this gateway; a \
				 live chain refuses it"
			);
		}
		let genesis = client.genesis();
		let account = client.signer_account()?;
		let at = client.registry().await?;
		let identity = read_identity_of(&at, account).await?;
		let Snapshot { identity, registry } =
			snapshot(&at, identity, signer.public_key().0, &metrics).await?;
		tracing::info!(
			gateway = %hex::encode(identity.id),
			org = identity.org,
			active = identity.active,
			"connected to the chain"
		);
		metrics.node_connected.set(1);
		let chain = Chain {
			url: url.to_owned(),
			gateway_key: signer.public_key().0,
			signer,
			client: RwLock::new(Some(Arc::new(client))),
			genesis,
			identity: RwLock::new(identity),
			finalised: watch::channel(registry.block.number as u32).0,
			registry: RwLock::new(registry),
			finalised_at: Mutex::new(Instant::now()),
			access_generation: AtomicU64::new(0),
			reconnect: tokio::sync::Notify::new(),
			metrics,
		};
		chain.publish_registry();
		Ok(chain)
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
		if self.drop_client() {
			// The follower may still hold a subscription on the old connection.
			self.reconnect.notify_one();
		}
	}

	/// Forgets the connection; whether there was one.
	fn drop_client(&self) -> bool {
		let dropped = self.client.write().expect("not poisoned").take().is_some();
		if dropped {
			tracing::warn!(url = %self.url, "lost the node");
			self.metrics.node_connected.set(0);
		}
		dropped
	}

	/// What the gateway knows of `id`, without asking the node: for the ingest path.
	pub fn known(&self, id: &DeviceId) -> Known {
		self.registry.read().expect("not poisoned").known(id)
	}

	/// How many devices and gateways of its organisation the gateway knows, and the finalised
	/// block its view is of.
	pub fn registry_size(&self) -> (usize, u64) {
		let registry = self.registry.read().expect("not poisoned");
		(registry.own.len(), registry.block.number)
	}

	/// The device `id`: from what the gateway knows, or else looked up (at the latest
	/// finalised block) and remembered as an id outside the organisation. Not for the ingest
	/// path, which asks [`Chain::known`].
	pub async fn device(&self, id: &DeviceId) -> (Lookup, Option<DeviceView>) {
		match self.known(id) {
			Known::Own(view) | Known::Outside(Some(view)) => return (Lookup::Found, Some(view)),
			Known::Outside(None) => return (Lookup::Unknown, None),
			Known::Unresolved => {},
		}
		let Some(client) = self.client() else { return (Lookup::Unavailable, None) };
		self.metrics.outside_lookups.inc();
		// A failed or slow lookup is this id's answer only: the connection is the follower's
		// to judge (`follow`), so a remote peer's ids cannot make the gateway drop its node.
		let view = match tokio::time::timeout(LOOKUP_TIMEOUT, client.device(*id)).await {
			Ok(Ok(device)) => device.map(DeviceView::of),
			Ok(Err(error)) => {
				tracing::warn!(%error, "device lookup failed");
				return (Lookup::Unavailable, None);
			},
			Err(_) => return (Lookup::Unavailable, None),
		};
		// A device of the organisation the view does not hold yet was registered or moved in
		// after the view's block: the block's events will bring it in. What the events wrote
		// meanwhile is newer than this lookup, and kept.
		if view.as_ref().is_none_or(|view| view.org != self.identity().org) {
			let mut registry = self.registry.write().expect("not poisoned");
			if !registry.own.contains_key(id) && !registry.outside.contains_key(id) {
				registry.remember_outside(*id, view.clone());
			}
		}
		(if view.is_some() { Lookup::Found } else { Lookup::Unknown }, view)
	}

	/// Brings the registry view up to finalised block `block`. The devices its registry events
	/// name are read again as the block left them, if the gateway knows them or they joined its
	/// organisation (another organisation's registrations cost it nothing); the organisation's
	/// status is read again if it was suspended or resumed; gateways whose devices were all
	/// unassigned lose them in memory. Returns whether who may read a device may have changed.
	async fn apply(&self, client: &Client, block: &BlockEvents) -> Result<bool, Error> {
		let grants = grants_changed(&block.events);
		let identity = self.identity();
		let Some(changes) = registry_changes(&block.events, identity.org) else {
			self.registry.write().expect("not poisoned").block = block.block;
			self.publish_registry();
			return Ok(grants);
		};
		let at = client.registry_at(block.block).await?;
		if changes.undecodable {
			// A registry event this gateway's types cannot read: read it all again.
			self.replace(snapshot(&at, identity, self.gateway_key, &self.metrics).await?);
			return Ok(true);
		}
		let named: Vec<DeviceId> = {
			let registry = self.registry.read().expect("not poisoned");
			let concerns = |id: &DeviceId| {
				registry.own.contains_key(id)
					|| registry.outside.contains_key(id)
					|| changes.joined.contains(id)
			};
			changes.named.iter().filter(|id| concerns(id)).copied().collect()
		};
		let read: Vec<(DeviceId, Option<DeviceView>)> = futures::stream::iter(named)
			.map(|id| {
				let at = &at;
				async move { at.device(id).await.map(|device| (id, device.map(DeviceView::of))) }
			})
			.buffer_unordered(CONCURRENT_READS)
			.collect::<Vec<_>>()
			.await
			.into_iter()
			.collect::<Result<_, _>>()?;
		// The gateway itself moved to another organisation (keeping its key): it follows, with
		// that organisation's registry, as a restart would.
		let moved_to = read.iter().find_map(|(id, view)| {
			view.as_ref().filter(|view| *id == identity.id && view.org != identity.org)
		});
		if let Some(view) = moved_to {
			tracing::warn!(
				from = identity.org,
				to = view.org,
				"the gateway moved to another organisation"
			);
			let identity = Identity { org: view.org, ..identity };
			self.replace(snapshot(&at, identity, self.gateway_key, &self.metrics).await?);
			return Ok(true);
		}
		let org_active = if changes.orgs.contains(&identity.org) {
			Some(org_is_active(&at, identity.org).await?)
		} else {
			None
		};
		let mut registry = self.registry.write().expect("not poisoned");
		for gateway in &changes.unassigned_from {
			for view in registry.own.values_mut() {
				if view.gateway == Some(*gateway) {
					view.gateway = None;
				}
			}
		}
		registry
			.outside
			.retain(|_, view| view.as_ref().is_none_or(|view| !changes.orgs.contains(&view.org)));
		if let Some(active) = org_active {
			registry.org_active = active;
		}
		for (id, view) in read {
			registry.record(identity.org, id, view);
		}
		registry.block = block.block;
		let updated = own_identity(&registry, identity, self.gateway_key);
		drop(registry);
		if updated.active != identity.active {
			tracing::warn!(active = updated.active, "the gateway's own standing changed");
		}
		*self.identity.write().expect("not poisoned") = updated;
		self.publish_registry();
		Ok(true)
	}

	/// Puts a new snapshot in place of what the gateway knew.
	fn replace(&self, Snapshot { identity, registry }: Snapshot) {
		*self.registry.write().expect("not poisoned") = registry;
		*self.identity.write().expect("not poisoned") = identity;
		self.publish_registry();
	}

	fn publish_registry(&self) {
		let (devices, block) = self.registry_size();
		self.metrics.registry_devices.set(devices as i64);
		self.metrics.registry_block.set(block as i64);
	}

	/// Follows finalised blocks for ever: each one's registry changes are applied to the
	/// registry view, and its number is published to [`Chain::finalised`]. Blocks the
	/// subscription skipped are read one by one. When the node goes away it dials again every
	/// few seconds; on return, blocks were missed, so the registry snapshot is taken again.
	pub async fn follow(self: Arc<Self>) {
		loop {
			let client = match self.client() {
				Some(client) => client,
				None => match self.reconnect().await {
					Ok(client) => client,
					Err(error) => {
						tracing::warn!(%error, "reconnecting to the node failed");
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
			loop {
				let block = tokio::select! {
					block = blocks_rx.recv() => block,
					() = self.reconnect.notified() => None,
				};
				let Some(block) = block else { break };
				if let Err(error) = self.follow_to(&client, block).await {
					tracing::warn!(%error, "applying a finalised block failed");
					break;
				}
			}
			watcher.abort();
			self.drop_client();
			tokio::time::sleep(RECONNECT_DELAY).await;
		}
	}

	/// Applies finalised `block`, and any the subscription skipped before it.
	async fn follow_to(&self, client: &Client, block: BlockEvents) -> Result<(), Error> {
		let known = self.registry.read().expect("not poisoned").block.number;
		if block.block.number <= known {
			// Already in the snapshot.
			return Ok(());
		}
		for number in known + 1..block.block.number {
			let skipped = client.finalised_block_events(number).await?;
			self.take_block(client, &skipped).await?;
		}
		self.take_block(client, &block).await
	}

	async fn take_block(&self, client: &Client, block: &BlockEvents) -> Result<(), Error> {
		if self.apply(client, block).await? {
			self.access_generation.fetch_add(1, Ordering::AcqRel);
		}
		*self.finalised_at.lock().expect("not poisoned") = Instant::now();
		// Block numbers fit u32 on this chain; the number never goes back.
		let number = block.block.number as u32;
		self.finalised.send_if_modified(|seen| {
			let newer = number > *seen;
			if newer {
				*seen = number;
			}
			newer
		});
		Ok(())
	}

	/// Dials the node and takes the registry snapshot again; until it is in place the
	/// gateway goes on with what it knew.
	async fn reconnect(&self) -> Result<Arc<Client>, Error> {
		let client = Arc::new(Client::connect(&self.url).await?.with_signer(self.signer.clone()));
		let at = client.registry().await?;
		let known = self.registry.read().expect("not poisoned").block.number;
		if at.block().number >= known {
			let identity = self.identity();
			self.replace(snapshot(&at, identity, self.gateway_key, &self.metrics).await?);
		} else {
			// A node behind the view: the blocks it has yet to finalise bring the view on.
			tracing::warn!(
				node = at.block().number,
				view = known,
				"the node is behind the gateway's registry view"
			);
		}
		// A loss reported on the old connection is no reason to drop this one.
		let _ = futures::FutureExt::now_or_never(self.reconnect.notified());
		*self.client.write().expect("not poisoned") = Some(client.clone());
		self.metrics.node_connected.set(1);
		tracing::info!(url = %self.url, "reconnected to the node");
		Ok(client)
	}
}

/// Reads every device of the organisation of the gateway `identity` (signing with `key`) as
/// `at` holds it, page by page at that one block.
async fn snapshot(
	at: &RegistryAt,
	identity: Identity,
	key: [u8; 32],
	metrics: &Metrics,
) -> Result<Snapshot, Error> {
	let started = Instant::now();
	let org_active = org_is_active(at, identity.org).await?;
	let mut own = HashMap::new();
	let mut after = None;
	loop {
		let page = at.devices_of_org(identity.org, after, SNAPSHOT_PAGE).await?;
		let full = page.len() as u32 == SNAPSHOT_PAGE;
		after = page.last().map(|(id, _)| *id);
		own.extend(page.into_iter().map(|(id, device)| (id, DeviceView::of(device))));
		if !full {
			break;
		}
	}
	let registry = Registry { block: at.block(), own, org_active, outside: HashMap::new() };
	let identity = own_identity(&registry, identity, key);
	let took = started.elapsed();
	metrics.registry_snapshot_seconds.set(took.as_secs_f64());
	tracing::info!(
		devices = registry.own.len(),
		org = identity.org,
		block = registry.block.number,
		took_ms = took.as_millis() as u64,
		"registry snapshot taken"
	);
	Ok(Snapshot { identity, registry })
}

/// The gateway's standing as `registry` says: active while its record is still of the
/// organisation, a gateway, active and signed for by `key` (a rotation or a transfer with a
/// new key leaves this gateway's key behind), and its organisation is active.
fn own_identity(registry: &Registry, identity: Identity, key: [u8; 32]) -> Identity {
	let active = registry.org_active
		&& registry
			.own
			.get(&identity.id)
			.is_some_and(|view| view.is_gateway && view.active && view.key == key);
	Identity { active, ..identity }
}

async fn org_is_active(at: &RegistryAt, org: u32) -> Result<bool, Error> {
	Ok(at
		.organisation(org)
		.await?
		.is_some_and(|organisation| matches!(organisation.status, OrgStatus::Active)))
}

/// Whether a block's `events` include an access grants event (one this gateway cannot decode
/// included): decisions on who may read are made again.
fn grants_changed(events: &[ChainEvent]) -> bool {
	use iotchain_client::runtime::Event;
	events.iter().any(|event| match event.as_runtime_event() {
		Ok(Event::AccessGrants(_)) => true,
		Ok(_) => false,
		Err(_) => event.pallet() == "AccessGrants",
	})
}

/// What a block's registry events change for the gateway.
#[derive(Debug, Default, PartialEq, Eq)]
struct RegistryChanges {
	/// Organisations suspended or resumed.
	orgs: HashSet<u32>,
	/// Gateways whose devices were all unassigned.
	unassigned_from: HashSet<DeviceId>,
	/// The devices (and gateways) the events name: read again as the block left them, if the
	/// gateway knows them or they are in `joined`.
	named: HashSet<DeviceId>,
	/// Devices registered in, or transferred to, the gateway's organisation.
	joined: HashSet<DeviceId>,
	/// A registry event this gateway's types cannot decode (a runtime it was not built for).
	undecodable: bool,
}

/// What a block's `events` change for the gateway of organisation `org`; `None` when none is
/// the registry's. The registry's events are matched by their generated type, every variant
/// named, so a change to them in the runtime fails the build here instead of going unseen. A
/// registry event this gateway's types cannot decode has the snapshot taken again.
fn registry_changes(events: &[ChainEvent], org: u32) -> Option<RegistryChanges> {
	use iotchain_client::runtime::{device_registry::Event as Registry, Event};
	let mut changes: Option<RegistryChanges> = None;
	for event in events {
		let registry = match event.as_runtime_event() {
			Ok(Event::DeviceRegistry(registry)) => registry,
			Ok(_) => continue,
			Err(_) if event.pallet() == "DeviceRegistry" => {
				changes.get_or_insert_with(RegistryChanges::default).undecodable = true;
				continue;
			},
			Err(_) => continue,
		};
		let changes = changes.get_or_insert_with(RegistryChanges::default);
		match registry {
			Registry::OrgSuspended { org } | Registry::OrgResumed { org } => {
				changes.orgs.insert(org);
			},
			Registry::GatewayDevicesUnassigned { gateway, .. } => {
				changes.unassigned_from.insert(gateway);
				changes.named.insert(gateway);
			},
			Registry::DeviceRegistered { device, org: to, .. }
			| Registry::DeviceTransferred { device, to, .. } => {
				changes.named.insert(device);
				if to == org {
					changes.joined.insert(device);
				}
			},
			// A gateway assigned to a device is not read again: its own record is unchanged.
			Registry::KeyRotated { device, .. }
			| Registry::DeviceSuspended { device, .. }
			| Registry::DeviceResumed { device, .. }
			| Registry::DeviceRevoked { device, .. }
			| Registry::GatewayAssigned { device, .. }
			| Registry::MetadataUpdated { device, .. }
			| Registry::FirmwareUpdated { device, .. }
			| Registry::TransferOffered { device, .. }
			| Registry::TransferCancelled { device, .. } => {
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

/// The gateway's registration as `at` holds it: the device `account` signs for, which must be
/// a gateway.
async fn read_identity_of(
	at: &RegistryAt,
	account: iotchain_client::AccountId,
) -> Result<Identity, Error> {
	let (id, device) = at
		.device_by_account(account.clone())
		.await?
		.ok_or_else(|| Error::NotRegistered { account: account.clone() })?;
	if !matches!(device.kind, DeviceKind::Gateway) {
		return Err(Error::NotAGateway { account });
	}
	// Its standing is the registry's to say (`own_identity`).
	Ok(Identity { id, org: device.org, active: matches!(device.status, DeviceStatus::Active) })
}

#[cfg(test)]
mod tests {
	use super::*;

	fn view(org: u32, gateway: Option<DeviceId>) -> DeviceView {
		DeviceView {
			key: [1; 32],
			org,
			is_gateway: false,
			active: true,
			gateway,
			model: b"SIM-1".to_vec(),
		}
	}

	fn registry(own: &[(DeviceId, DeviceView)]) -> Registry {
		Registry {
			block: BlockAt { number: 7, hash: Default::default() },
			own: own.iter().cloned().collect(),
			org_active: true,
			outside: HashMap::new(),
		}
	}

	#[test]
	fn a_device_moves_between_the_organisation_and_outside_as_it_is_read_again() {
		let mut registry = registry(&[([1; 32], view(1, None))]);
		assert_eq!(registry.known(&[1; 32]), Known::Own(view(1, None)));
		assert_eq!(registry.known(&[2; 32]), Known::Unresolved);
		// Transferred away: outside, with its new organisation.
		registry.record(1, [1; 32], Some(view(2, None)));
		assert_eq!(registry.known(&[1; 32]), Known::Outside(Some(view(2, None))));
		// And back: the organisation's again, and no longer outside.
		registry.record(1, [1; 32], Some(view(1, None)));
		assert_eq!(registry.known(&[1; 32]), Known::Own(view(1, None)));
		assert!(registry.outside.is_empty());
		// Nobody's.
		registry.record(1, [3; 32], None);
		assert_eq!(registry.known(&[3; 32]), Known::Outside(None));
	}

	#[test]
	fn the_organisations_suspension_makes_every_device_inactive_without_reading_one() {
		let mut registry = registry(&[([1; 32], view(1, None))]);
		registry.org_active = false;
		let Known::Own(device) = registry.known(&[1; 32]) else { panic!("the organisation's") };
		assert!(!device.active);
	}

	#[test]
	fn the_memory_of_ids_outside_is_bounded() {
		let mut registry = registry(&[]);
		for i in 0..=MAX_REMEMBERED_OUTSIDE as u32 {
			let mut id = [0; 32];
			id[..4].copy_from_slice(&i.to_le_bytes());
			registry.remember_outside(id, None);
		}
		assert!(registry.outside.len() <= MAX_REMEMBERED_OUTSIDE);
	}

	#[test]
	fn the_gateway_is_active_only_while_its_record_holds_its_key_and_it_and_its_organisation_are() {
		let (gateway, key) = ([9; 32], [1; 32]);
		let mut record = view(1, None);
		record.is_gateway = true;
		let identity = Identity { id: gateway, org: 1, active: false };
		let mut registry = registry(&[(gateway, record)]);
		assert!(own_identity(&registry, identity, key).active);
		// Its key rotated away, or put in new by a transfer: this gateway signs for it no more.
		assert!(!own_identity(&registry, identity, [2; 32]).active);
		registry.org_active = false;
		assert!(!own_identity(&registry, identity, key).active);
		registry.org_active = true;
		registry.own.get_mut(&gateway).unwrap().active = false;
		assert!(!own_identity(&registry, identity, key).active);
		// Moved to another organisation.
		registry.own.clear();
		assert!(!own_identity(&registry, identity, key).active);
	}
}
