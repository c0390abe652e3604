//! The durable store: what the gateway acknowledged, the batches it closed, and how far the
//! chain has anchored them.
//!
//! An embedded redb database (pure Rust, copy-on-write B-trees, ACID): a write transaction's
//! commit returns only after its pages and the new root are fsynced, so a message is
//! acknowledged only once it survives `kill -9` and power loss. One transaction stores a whole
//! group of messages, so the fsync is paid per group, not per message.
//!
//! - `log`: accepted readings in acceptance order, by index: the leaves of the batches.
//! - `by_device`: (device, sequence) → log index, to find a reading's proof and to recognise a
//!   retried message.
//! - `last_sequence`: the last sequence number accepted from each device.
//! - `batches`: each closed batch: its log range, root, leaf count, time range, and the block
//!   that finalised its anchor once known. `batch_starts` maps a batch's first index to it.
//! - `set_aside`: readings that can no longer be anchored as they stand (their device moved to
//!   another organisation, say), by log index, with the reason: kept in the log, served with
//!   that reason, left out of every batch.
//! - `relay`: accepted logins and update reports, in acceptance order, until the chain's
//!   outcome for each is recorded in `outcomes` ((device, sequence) → the outcome's JSON).
//! - `meta`: the next log index, the end of the last closed batch, the next batch's number,
//!   the next relay index and how far relay outcomes are recorded.

use iotchain_gateway_protocol::{
	envelope::{DeviceId, Envelope},
	merkle, Hash,
};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use std::{
	collections::{BTreeMap, HashMap},
	path::Path,
};

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
const BY_DEVICE: TableDefinition<&[u8], u64> = TableDefinition::new("by_device");
const LAST_SEQUENCE: TableDefinition<&[u8], u64> = TableDefinition::new("last_sequence");
const BATCHES: TableDefinition<u64, &[u8]> = TableDefinition::new("batches");
const BATCH_STARTS: TableDefinition<u64, u64> = TableDefinition::new("batch_starts");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const RELAY: TableDefinition<u64, &[u8]> = TableDefinition::new("relay");
const OUTCOMES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("outcomes");
const SET_ASIDE: TableDefinition<u64, &str> = TableDefinition::new("set_aside");

/// Marks a `by_device` entry as an index into `relay` rather than `log`.
const RELAY_FLAG: u64 = 1 << 63;

const NEXT_INDEX: &str = "next_index";
const CLOSED_UPTO: &str = "closed_upto";
const NEXT_BATCH: &str = "next_batch";
const FINALISED_BATCHES: &str = "finalised_batches";
const RELAY_NEXT: &str = "relay_next";
const RELAY_DONE: &str = "relay_done";
const SET_ASIDE_COUNT: &str = "set_aside";

/// A store failure: the disk, or a database the gateway did not write.
#[derive(Debug, thiserror::Error)]
#[error("the gateway's store: {0}")]
pub struct StoreError(String);

macro_rules! impl_from_redb {
	($($error:ty),*) => {$(
		impl From<$error> for StoreError {
			fn from(error: $error) -> Self {
				StoreError(error.to_string())
			}
		}
	)*};
}
impl_from_redb!(
	redb::DatabaseError,
	redb::TransactionError,
	redb::TableError,
	redb::StorageError,
	redb::CommitError
);

pub type Result<T> = std::result::Result<T, StoreError>;

/// A message that passed every check, about to be stored.
pub struct Accepted {
	pub device: DeviceId,
	pub sequence: u64,
	pub wire: Vec<u8>,
	/// A login or update report, relayed to the chain rather than anchored.
	pub relayed: bool,
}

/// Where an [`Store::append`] put its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
	/// The log index of the first reading; readings took the indices that follow.
	pub first_log: u64,
	pub readings: u64,
	pub relayed: u64,
}

/// One device's sequence numbers in a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
	pub device: DeviceId,
	pub first: u64,
	pub last: u64,
}

/// A closed batch: log indices `first..end` (less those set aside), and what is anchored of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRecord {
	pub sequence: u64,
	pub first: u64,
	pub end: u64,
	/// Its leaves: the readings of `first..end` not set aside.
	pub leaves: u32,
	pub root: Hash,
	pub first_timestamp_ms: u64,
	pub last_timestamp_ms: u64,
	/// The block whose finality anchored it, once the gateway saw it.
	pub finalised_in: Option<u32>,
}

impl BatchRecord {
	pub fn leaf_count(&self) -> u32 {
		self.leaves
	}

	fn encode(&self) -> Vec<u8> {
		let mut bytes = Vec::with_capacity(8 * 4 + 32 + 4 + 4);
		for field in [self.first, self.end, self.first_timestamp_ms, self.last_timestamp_ms] {
			bytes.extend_from_slice(&field.to_le_bytes());
		}
		bytes.extend_from_slice(&self.root);
		bytes.extend_from_slice(&self.finalised_in.map_or(u32::MAX, |b| b).to_le_bytes());
		bytes.extend_from_slice(&self.leaves.to_le_bytes());
		bytes
	}

	/// Reads a record; one written before readings could be set aside has no leaf count, and
	/// every reading of its range is a leaf.
	fn decode(sequence: u64, bytes: &[u8]) -> Result<Self> {
		const BEFORE_SET_ASIDE: usize = 8 * 4 + 32 + 4;
		if bytes.len() != BEFORE_SET_ASIDE && bytes.len() != BEFORE_SET_ASIDE + 4 {
			return Err(StoreError(format!("batch {sequence}'s record is corrupt")));
		}
		let u64_at = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap());
		let block = u32::from_le_bytes(bytes[64..68].try_into().unwrap());
		let (first, end) = (u64_at(0), u64_at(1));
		let leaves = match bytes.get(BEFORE_SET_ASIDE..) {
			Some(count) if count.len() == 4 => u32::from_le_bytes(count.try_into().unwrap()),
			// Batches are bounded far below u32::MAX leaves.
			_ => (end - first) as u32,
		};
		Ok(BatchRecord {
			sequence,
			first,
			end,
			leaves,
			first_timestamp_ms: u64_at(2),
			last_timestamp_ms: u64_at(3),
			root: bytes[32..64].try_into().unwrap(),
			finalised_in: (block != u32::MAX).then_some(block),
		})
	}
}

/// What the anchor needs to know of a batch's readings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchContents {
	pub leaves: Vec<Hash>,
	/// The log index of each leaf.
	pub indices: Vec<u64>,
	pub ranges: Vec<Range>,
	pub first_timestamp_ms: u64,
	pub last_timestamp_ms: u64,
}

/// Where the store stands, read at start.
#[derive(Clone, Debug, Default)]
pub struct Position {
	/// The next log index: how many readings were ever accepted.
	pub next_index: u64,
	/// Readings below this index are in closed batches.
	pub closed_upto: u64,
	/// The next batch's number: how many batches were closed.
	pub next_batch: u64,
	/// Batches below this number are known anchored in finalised blocks.
	pub finalised_batches: u64,
	/// The next relay index: how many logins and update reports were ever accepted.
	pub relay_next: u64,
	/// Relayed messages below this index have their outcome recorded.
	pub relay_done: u64,
	/// Readings set aside: they can no longer be anchored as they stand.
	pub set_aside: u64,
}

/// Readings of one device set aside by [`Store::set_aside`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetAside {
	pub device: DeviceId,
	pub first: u64,
	pub last: u64,
	pub count: u64,
	pub reason: String,
}

/// Readings of `device` that cannot be anchored any more, for `reason`: all of them, or those
/// numbered up to `up_to`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unanchorable {
	pub device: DeviceId,
	pub up_to: Option<u64>,
	pub reason: String,
}

/// A reading with what places it in its batch, for a proof.
pub struct Located {
	/// A login or update report: relayed, not anchored, so it has no proof.
	pub relayed: bool,
	pub wire: Vec<u8>,
	pub index: u64,
	/// Why the reading cannot be anchored, if it was set aside.
	pub set_aside: Option<String>,
	/// Its batch, the batch's leaves and its own position among them, once the batch is
	/// closed.
	pub batch: Option<(BatchRecord, Vec<Hash>, usize)>,
}

fn device_key(device: &DeviceId, sequence: u64) -> [u8; 40] {
	let mut key = [0u8; 40];
	key[..32].copy_from_slice(device);
	key[32..].copy_from_slice(&sequence.to_be_bytes());
	key
}

/// The durable store.
pub struct Store {
	db: Database,
}

impl Store {
	/// Opens (or creates) the store in `dir`.
	pub fn open(dir: &Path) -> Result<Self> {
		std::fs::create_dir_all(dir)
			.map_err(|error| StoreError(format!("{}: {error}", dir.display())))?;
		let db = Database::create(dir.join("gateway.redb"))?;
		let tx = db.begin_write()?;
		{
			tx.open_table(LOG)?;
			tx.open_table(BY_DEVICE)?;
			tx.open_table(LAST_SEQUENCE)?;
			tx.open_table(BATCHES)?;
			tx.open_table(BATCH_STARTS)?;
			tx.open_table(META)?;
			tx.open_table(RELAY)?;
			tx.open_table(OUTCOMES)?;
			tx.open_table(SET_ASIDE)?;
		}
		tx.commit()?;
		Ok(Store { db })
	}

	/// Where the store stands: its positions, read from one small table.
	pub fn position(&self) -> Result<Position> {
		let tx = self.db.begin_read()?;
		let meta = tx.open_table(META)?;
		let get = |key: &str| -> Result<u64> { Ok(meta.get(key)?.map_or(0, |v| v.value())) };
		let position = Position {
			next_index: get(NEXT_INDEX)?,
			closed_upto: get(CLOSED_UPTO)?,
			next_batch: get(NEXT_BATCH)?,
			finalised_batches: get(FINALISED_BATCHES)?,
			relay_next: get(RELAY_NEXT)?,
			relay_done: get(RELAY_DONE)?,
			set_aside: get(SET_ASIDE_COUNT)?,
		};
		Ok(position)
	}

	/// The last sequence number accepted from every device (read once, at start: it walks
	/// every device the gateway ever heard from).
	pub fn last_sequences(&self) -> Result<HashMap<DeviceId, u64>> {
		let tx = self.db.begin_read()?;
		let mut last = HashMap::new();
		for entry in tx.open_table(LAST_SEQUENCE)?.iter()? {
			let (device, sequence) = entry?;
			if let Ok(device) = <DeviceId>::try_from(device.value()) {
				last.insert(device, sequence.value());
			}
		}
		Ok(last)
	}

	/// Stores `accepted` in one durable transaction: readings go to the log, logins and
	/// update reports to the relay queue.
	pub fn append(&self, accepted: &[Accepted]) -> Result<Appended> {
		let tx = self.db.begin_write()?;
		let appended;
		{
			let mut meta = tx.open_table(META)?;
			let mut log = tx.open_table(LOG)?;
			let mut relay = tx.open_table(RELAY)?;
			let mut by_device = tx.open_table(BY_DEVICE)?;
			let mut last = tx.open_table(LAST_SEQUENCE)?;
			let first_log = meta.get(NEXT_INDEX)?.map_or(0, |v| v.value());
			let first_relay = meta.get(RELAY_NEXT)?.map_or(0, |v| v.value());
			let (mut next_log, mut next_relay) = (first_log, first_relay);
			for message in accepted {
				let at = if message.relayed {
					relay.insert(next_relay, message.wire.as_slice())?;
					next_relay += 1;
					(next_relay - 1) | RELAY_FLAG
				} else {
					log.insert(next_log, message.wire.as_slice())?;
					next_log += 1;
					next_log - 1
				};
				by_device.insert(device_key(&message.device, message.sequence).as_slice(), at)?;
				last.insert(message.device.as_slice(), message.sequence)?;
			}
			meta.insert(NEXT_INDEX, next_log)?;
			meta.insert(RELAY_NEXT, next_relay)?;
			appended = Appended {
				first_log,
				readings: next_log - first_log,
				relayed: next_relay - first_relay,
			};
		}
		tx.commit()?;
		Ok(appended)
	}

	/// The wire form of the reading `device` sent as `sequence`, if the gateway stored it.
	pub fn stored(&self, device: &DeviceId, sequence: u64) -> Result<Option<Vec<u8>>> {
		let tx = self.db.begin_read()?;
		let Some(at) = tx.open_table(BY_DEVICE)?.get(device_key(device, sequence).as_slice())?
		else {
			return Ok(None);
		};
		let at = at.value();
		let wire = if at & RELAY_FLAG != 0 {
			tx.open_table(RELAY)?.get(at & !RELAY_FLAG)?.map(|v| v.value().to_vec())
		} else {
			tx.open_table(LOG)?.get(at)?.map(|v| v.value().to_vec())
		};
		Ok(wire)
	}

	/// Closes the next batch: the readings after the last closed batch, up to `max_leaves`
	/// readings of at most `max_devices` devices, less those set aside. Stored before it is
	/// submitted, so after a restart the same batch is submitted again, never another one
	/// under its number. Readings that are all set aside close no batch: they are passed over.
	pub fn close_batch(&self, max_leaves: u32, max_devices: u32) -> Result<Option<BatchRecord>> {
		let tx = self.db.begin_write()?;
		let mut record = None;
		{
			let mut meta = tx.open_table(META)?;
			let (closed_upto, next_index, sequence) = (
				meta_value(&meta, CLOSED_UPTO)?,
				meta_value(&meta, NEXT_INDEX)?,
				meta_value(&meta, NEXT_BATCH)?,
			);
			if closed_upto == next_index {
				return Ok(None);
			}
			let log = tx.open_table(LOG)?;
			let aside = set_aside_in(&tx.open_table(SET_ASIDE)?, closed_upto, next_index)?;
			let mut devices = std::collections::HashSet::new();
			let (mut end, mut leaves) = (closed_upto, 0u32);
			for entry in log.range(closed_upto..next_index)? {
				let (index, wire) = entry?;
				let index = index.value();
				if aside.contains(&index) {
					end = index + 1;
					continue;
				}
				let device = device_of(wire.value())?;
				if leaves == max_leaves
					|| (!devices.contains(&device) && devices.len() == max_devices as usize)
				{
					break;
				}
				devices.insert(device);
				(end, leaves) = (index + 1, leaves + 1);
			}
			if leaves > 0 {
				let contents = contents(&log, &aside, closed_upto, end)?;
				let closed = BatchRecord {
					sequence,
					first: closed_upto,
					end,
					leaves,
					root: merkle::root(&contents.leaves),
					first_timestamp_ms: contents.first_timestamp_ms,
					last_timestamp_ms: contents.last_timestamp_ms,
					finalised_in: None,
				};
				tx.open_table(BATCHES)?.insert(sequence, closed.encode().as_slice())?;
				tx.open_table(BATCH_STARTS)?.insert(closed_upto, sequence)?;
				meta.insert(NEXT_BATCH, sequence + 1)?;
				record = Some(closed);
			}
			meta.insert(CLOSED_UPTO, end)?;
		}
		tx.commit()?;
		Ok(record)
	}

	/// Sets aside every reading from batch `from` on (closed or not) that `unanchorable`
	/// names, and reopens the batches from `from` on, which were never anchored: the next
	/// [`Store::close_batch`] closes them again without those readings, under the same
	/// numbers. Refused for a batch known anchored. Returns what was set aside, per device.
	pub fn set_aside(&self, from: u64, unanchorable: &[Unanchorable]) -> Result<Vec<SetAside>> {
		let tx = self.db.begin_write()?;
		let mut summary: BTreeMap<DeviceId, SetAside> = BTreeMap::new();
		{
			let mut meta = tx.open_table(META)?;
			if from < meta_value(&meta, FINALISED_BATCHES)? {
				return Err(StoreError(format!("batch {from} is anchored: it cannot change")));
			}
			let mut batches = tx.open_table(BATCHES)?;
			let Some(record) = batches.get(from)?.map(|v| v.value().to_vec()) else {
				return Err(StoreError(format!("batch {from} is not closed")));
			};
			let first = BatchRecord::decode(from, &record)?.first;
			let (next_index, next_batch) =
				(meta_value(&meta, NEXT_INDEX)?, meta_value(&meta, NEXT_BATCH)?);
			let log = tx.open_table(LOG)?;
			let mut aside = tx.open_table(SET_ASIDE)?;
			let already = set_aside_in(&aside, first, next_index)?;
			for entry in log.range(first..next_index)? {
				let (index, wire) = entry?;
				let index = index.value();
				if already.contains(&index) {
					continue;
				}
				let (device, sequence) = (device_of(wire.value())?, sequence_of(wire.value())?);
				let Some(rule) = unanchorable.iter().find(|rule| {
					rule.device == device && rule.up_to.is_none_or(|up_to| sequence <= up_to)
				}) else {
					continue;
				};
				aside.insert(index, rule.reason.as_str())?;
				let entry = summary.entry(device).or_insert_with(|| SetAside {
					device,
					first: sequence,
					last: sequence,
					count: 0,
					reason: rule.reason.clone(),
				});
				(entry.first, entry.last) = (entry.first.min(sequence), entry.last.max(sequence));
				entry.count += 1;
			}
			let mut starts = tx.open_table(BATCH_STARTS)?;
			for sequence in from..next_batch {
				if let Some(record) = batches.remove(sequence)? {
					starts.remove(BatchRecord::decode(sequence, record.value())?.first)?;
				}
			}
			let count: u64 = summary.values().map(|set| set.count).sum();
			let total = meta_value(&meta, SET_ASIDE_COUNT)? + count;
			meta.insert(SET_ASIDE_COUNT, total)?;
			meta.insert(CLOSED_UPTO, first)?;
			meta.insert(NEXT_BATCH, from)?;
		}
		tx.commit()?;
		Ok(summary.into_values().collect())
	}

	/// Batch `sequence`, if closed.
	pub fn batch(&self, sequence: u64) -> Result<Option<BatchRecord>> {
		let tx = self.db.begin_read()?;
		let batches = tx.open_table(BATCHES)?;
		let record = batches.get(sequence)?;
		record.map(|bytes| BatchRecord::decode(sequence, bytes.value())).transpose()
	}

	/// The readings of a closed batch: leaf hashes, device ranges, time range.
	pub fn batch_contents(&self, record: &BatchRecord) -> Result<BatchContents> {
		let tx = self.db.begin_read()?;
		let aside = set_aside_in(&tx.open_table(SET_ASIDE)?, record.first, record.end)?;
		contents(&tx.open_table(LOG)?, &aside, record.first, record.end)
	}

	/// Records that batches below `upto` are anchored in finalised blocks, the ones not yet
	/// known so in `block`.
	pub fn mark_finalised(&self, upto: u64, block: u32) -> Result<()> {
		let tx = self.db.begin_write()?;
		{
			let mut meta = tx.open_table(META)?;
			let from = meta.get(FINALISED_BATCHES)?.map_or(0, |v| v.value());
			if upto <= from {
				return Ok(());
			}
			let mut batches = tx.open_table(BATCHES)?;
			for sequence in from..upto {
				let Some(bytes) = batches.get(sequence)?.map(|v| v.value().to_vec()) else {
					break;
				};
				let mut record = BatchRecord::decode(sequence, &bytes)?;
				record.finalised_in = Some(block);
				batches.insert(sequence, record.encode().as_slice())?;
			}
			meta.insert(FINALISED_BATCHES, upto)?;
		}
		tx.commit()?;
		Ok(())
	}

	/// The reading `device` sent as `sequence`, with its batch's leaves once it is batched.
	pub fn locate(&self, device: &DeviceId, sequence: u64) -> Result<Option<Located>> {
		let tx = self.db.begin_read()?;
		let Some(index) = tx.open_table(BY_DEVICE)?.get(device_key(device, sequence).as_slice())?
		else {
			return Ok(None);
		};
		let index = index.value();
		if index & RELAY_FLAG != 0 {
			let wire = tx.open_table(RELAY)?.get(index & !RELAY_FLAG)?.map(|v| v.value().to_vec());
			return Ok(wire.map(|wire| Located {
				relayed: true,
				wire,
				index,
				set_aside: None,
				batch: None,
			}));
		}
		let log = tx.open_table(LOG)?;
		let Some(wire) = log.get(index)?.map(|v| v.value().to_vec()) else {
			return Err(StoreError(format!("log entry {index} is missing")));
		};
		let starts = tx.open_table(BATCH_STARTS)?;
		let batch_number = starts.range(..=index)?.next_back().transpose()?.map(|(_, b)| b.value());
		let batches = tx.open_table(BATCHES)?;
		let batch = match batch_number {
			Some(number) => match batches.get(number)? {
				Some(bytes) => {
					let record = BatchRecord::decode(number, bytes.value())?;
					(index < record.end).then_some(record)
				},
				None => None,
			},
			None => None,
		};
		let aside_table = tx.open_table(SET_ASIDE)?;
		if let Some(reason) = aside_table.get(index)? {
			let set_aside = Some(reason.value().to_owned());
			return Ok(Some(Located { relayed: false, wire, index, set_aside, batch: None }));
		}
		let batch = match batch {
			Some(record) => {
				let aside = set_aside_in(&aside_table, record.first, record.end)?;
				let contents = contents(&log, &aside, record.first, record.end)?;
				let position = contents.indices.binary_search(&index).map_err(|_| {
					StoreError(format!("log entry {index} is missing from its batch"))
				})?;
				Some((record, contents.leaves, position))
			},
			None => None,
		};
		Ok(Some(Located { relayed: false, wire, index, set_aside: None, batch }))
	}

	/// Up to `limit` relayed messages whose outcome is not recorded yet, oldest first, with
	/// their relay index.
	pub fn pending_relay(&self, limit: usize) -> Result<Vec<(u64, Vec<u8>)>> {
		let tx = self.db.begin_read()?;
		let done = tx.open_table(META)?.get(RELAY_DONE)?.map_or(0, |v| v.value());
		let relay = tx.open_table(RELAY)?;
		let mut pending = Vec::new();
		for entry in relay.range(done..)?.take(limit) {
			let (index, wire) = entry?;
			pending.push((index.value(), wire.value().to_vec()));
		}
		Ok(pending)
	}

	/// Records the chain's outcome of each relayed message below `upto`, as JSON by (device,
	/// sequence), and removes them from the queue.
	pub fn record_outcomes(&self, upto: u64, outcomes: &[(DeviceId, u64, Vec<u8>)]) -> Result<()> {
		let tx = self.db.begin_write()?;
		{
			let mut table = tx.open_table(OUTCOMES)?;
			for (device, sequence, outcome) in outcomes {
				table.insert(device_key(device, *sequence).as_slice(), outcome.as_slice())?;
			}
			let mut meta = tx.open_table(META)?;
			let done = meta.get(RELAY_DONE)?.map_or(0, |v| v.value());
			meta.insert(RELAY_DONE, upto.max(done))?;
		}
		tx.commit()?;
		Ok(())
	}

	/// The chain's outcome of the relayed message `device` sent as `sequence`, once recorded.
	pub fn outcome(&self, device: &DeviceId, sequence: u64) -> Result<Option<Vec<u8>>> {
		let tx = self.db.begin_read()?;
		let outcome = tx.open_table(OUTCOMES)?.get(device_key(device, sequence).as_slice())?;
		Ok(outcome.map(|v| v.value().to_vec()))
	}

	/// How many readings the log holds.
	pub fn log_len(&self) -> Result<u64> {
		let tx = self.db.begin_read()?;
		Ok(tx.open_table(LOG)?.len()?)
	}
}

/// A position in `meta`, 0 until first written.
fn meta_value(meta: &impl ReadableTable<&'static str, u64>, key: &str) -> Result<u64> {
	Ok(meta.get(key)?.map_or(0, |v| v.value()))
}

fn device_of(wire: &[u8]) -> Result<DeviceId> {
	wire.get(2..34)
		.and_then(|bytes| bytes.try_into().ok())
		.ok_or_else(|| StoreError("a stored envelope is corrupt".into()))
}

/// The sequence number in a stored envelope's header.
fn sequence_of(wire: &[u8]) -> Result<u64> {
	wire.get(34..42)
		.and_then(|bytes| bytes.try_into().ok())
		.map(u64::from_le_bytes)
		.ok_or_else(|| StoreError("a stored envelope is corrupt".into()))
}

/// The log indices in `first..end` that are set aside.
fn set_aside_in(
	table: &impl ReadableTable<u64, &'static str>,
	first: u64,
	end: u64,
) -> Result<std::collections::HashSet<u64>> {
	let mut indices = std::collections::HashSet::new();
	for entry in table.range(first..end)? {
		indices.insert(entry?.0.value());
	}
	Ok(indices)
}

/// The leaves of log indices `first..end` but those `aside`, with their device ranges and
/// time range.
fn contents(
	log: &impl ReadableTable<u64, &'static [u8]>,
	aside: &std::collections::HashSet<u64>,
	first: u64,
	end: u64,
) -> Result<BatchContents> {
	let mut leaves = Vec::with_capacity((end - first) as usize);
	let mut indices = Vec::with_capacity((end - first) as usize);
	let mut ranges: BTreeMap<DeviceId, (u64, u64)> = BTreeMap::new();
	let (mut earliest, mut latest) = (u64::MAX, 0);
	for entry in log.range(first..end)? {
		let (index, wire) = entry?;
		if aside.contains(&index.value()) {
			continue;
		}
		indices.push(index.value());
		let wire = wire.value();
		let envelope = Envelope::decode(wire, u32::MAX)
			.map_err(|error| StoreError(format!("a stored envelope does not decode: {error}")))?;
		leaves.push(merkle::leaf_hash(wire));
		let range = ranges.entry(envelope.device).or_insert((envelope.sequence, envelope.sequence));
		range.0 = range.0.min(envelope.sequence);
		range.1 = range.1.max(envelope.sequence);
		earliest = earliest.min(envelope.timestamp_ms);
		latest = latest.max(envelope.timestamp_ms);
	}
	Ok(BatchContents {
		leaves,
		indices,
		ranges: ranges
			.into_iter()
			.map(|(device, (first, last))| Range { device, first, last })
			.collect(),
		first_timestamp_ms: earliest.min(latest),
		last_timestamp_ms: latest,
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotchain_gateway_protocol::envelope::{KeyType, Kind};

	fn reading(device: u8, sequence: u64) -> Accepted {
		let envelope = Envelope {
			kind: Kind::Telemetry,
			device: [device; 32],
			sequence,
			timestamp_ms: 1_000 + sequence,
			payload: vec![device],
			key_type: KeyType::Ed25519,
			signature: [0; 64],
		};
		Accepted { device: [device; 32], sequence, wire: envelope.encode(), relayed: false }
	}

	#[test]
	fn batches_close_over_what_was_stored_and_survive_reopening() {
		let dir = tempfile::tempdir().unwrap();
		{
			let store = Store::open(dir.path()).unwrap();
			let appended = store.append(&[reading(1, 1), reading(2, 1), reading(1, 2)]).unwrap();
			assert_eq!(appended, Appended { first_log: 0, readings: 3, relayed: 0 });
			assert_eq!(store.append(&[reading(3, 7)]).unwrap().first_log, 3);
			// Three devices in all, two per batch: the first batch stops before device 3.
			let first = store.close_batch(100, 2).unwrap().unwrap();
			assert_eq!((first.sequence, first.first, first.end), (0, 0, 3));
			let contents = store.batch_contents(&first).unwrap();
			assert_eq!(
				contents.ranges,
				vec![
					Range { device: [1; 32], first: 1, last: 2 },
					Range { device: [2; 32], first: 1, last: 1 }
				]
			);
			assert_eq!((contents.first_timestamp_ms, contents.last_timestamp_ms), (1_001, 1_002));
			assert_eq!(first.root, merkle::root(&contents.leaves));
			store.mark_finalised(1, 42).unwrap();
		}
		let store = Store::open(dir.path()).unwrap();
		let (position, last) = (store.position().unwrap(), store.last_sequences().unwrap());
		assert_eq!(position.next_index, 4);
		assert_eq!(position.closed_upto, 3);
		assert_eq!((position.next_batch, position.finalised_batches), (1, 1));
		assert_eq!(last[&[1; 32]], 2);
		assert_eq!(store.batch(0).unwrap().unwrap().finalised_in, Some(42));
		let second = store.close_batch(100, 2).unwrap().unwrap();
		assert_eq!((second.sequence, second.first, second.end), (1, 3, 4));
		assert_eq!(store.close_batch(100, 2).unwrap(), None);
		// Proofs: a reading knows its batch and the batch's leaves.
		let located = store.locate(&[1; 32], 2).unwrap().unwrap();
		assert_eq!(located.index, 2);
		let (record, leaves, position) = located.batch.unwrap();
		assert_eq!(record.sequence, 0);
		assert_eq!((leaves.len(), position), (3, 2));
		assert_eq!(store.locate(&[1; 32], 3).unwrap().map(|l| l.index), None);
		assert_eq!(store.stored(&[3; 32], 7).unwrap(), Some(reading(3, 7).wire));
	}

	#[test]
	fn relayed_messages_queue_apart_from_readings_until_their_outcome_is_recorded() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(dir.path()).unwrap();
		let mut login = reading(4, 1);
		login.relayed = true;
		let wire = login.wire.clone();
		let appended = store.append(&[reading(1, 1), login]).unwrap();
		assert_eq!(appended, Appended { first_log: 0, readings: 1, relayed: 1 });
		assert_eq!(store.log_len().unwrap(), 1);
		assert_eq!(store.stored(&[4; 32], 1).unwrap(), Some(wire.clone()));
		assert!(store.locate(&[4; 32], 1).unwrap().unwrap().relayed);
		assert_eq!(store.pending_relay(10).unwrap(), vec![(0, wire)]);
		assert_eq!(store.outcome(&[4; 32], 1).unwrap(), None);
		store.record_outcomes(1, &[([4; 32], 1, b"{}".to_vec())]).unwrap();
		assert!(store.pending_relay(10).unwrap().is_empty());
		assert_eq!(store.outcome(&[4; 32], 1).unwrap(), Some(b"{}".to_vec()));
		// Only the reading is a leaf.
		assert_eq!(store.close_batch(10, 10).unwrap().unwrap().leaf_count(), 1);
	}

	#[test]
	fn readings_set_aside_leave_their_batches_which_close_again_under_the_same_numbers() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(dir.path()).unwrap();
		let readings = [reading(1, 1), reading(2, 1), reading(1, 2), reading(2, 2), reading(1, 3)];
		store.append(&readings).unwrap();
		let first = store.close_batch(2, 10).unwrap().unwrap();
		let second = store.close_batch(10, 10).unwrap().unwrap();
		assert_eq!((first.sequence, second.sequence), (0, 1));
		store.append(&[reading(1, 4), reading(2, 3)]).unwrap();

		// Device 1 moved to another organisation: its readings up to 3 cannot be anchored.
		let moved = Unanchorable { device: [1; 32], up_to: Some(3), reason: "moved".into() };
		let summary = store.set_aside(0, &[moved]).unwrap();
		assert_eq!(
			summary,
			vec![SetAside { device: [1; 32], first: 1, last: 3, count: 3, reason: "moved".into() }]
		);
		let position = store.position().unwrap();
		assert_eq!((position.next_batch, position.closed_upto, position.set_aside), (0, 0, 3));
		// Batch 0 closes again over what is left: device 2's, and device 1's fourth.
		let reformed = store.close_batch(100, 10).unwrap().unwrap();
		assert_eq!((reformed.sequence, reformed.leaf_count()), (0, 4));
		let contents = store.batch_contents(&reformed).unwrap();
		assert_eq!(
			contents.ranges,
			vec![
				Range { device: [1; 32], first: 4, last: 4 },
				Range { device: [2; 32], first: 1, last: 3 }
			]
		);
		assert_eq!(reformed.root, merkle::root(&contents.leaves));
		assert_eq!(contents.indices, vec![1, 3, 5, 6]);
		// A reading set aside says why; one left in knows its place among the leaves.
		let aside = store.locate(&[1; 32], 2).unwrap().unwrap();
		assert_eq!((aside.set_aside.as_deref(), aside.batch.is_none()), (Some("moved"), true));
		let kept = store.locate(&[2; 32], 2).unwrap().unwrap();
		let (record, leaves, position) = kept.batch.unwrap();
		assert_eq!((record.sequence, position), (0, 1));
		assert_eq!(leaves[position], merkle::leaf_hash(&reading(2, 2).wire));
		assert_eq!(store.close_batch(100, 10).unwrap(), None);

		// An anchored batch never changes.
		store.mark_finalised(1, 9).unwrap();
		let late = Unanchorable { device: [2; 32], up_to: None, reason: "late".into() };
		assert!(store.set_aside(0, std::slice::from_ref(&late)).is_err());

		// Readings that are all set aside close no batch and are passed over.
		store.append(&[reading(3, 1), reading(3, 2)]).unwrap();
		let lone = store.close_batch(100, 10).unwrap().unwrap();
		let gone = Unanchorable { device: [3; 32], up_to: None, reason: "revoked".into() };
		assert_eq!(store.set_aside(lone.sequence, &[gone]).unwrap()[0].count, 2);
		assert_eq!(store.close_batch(100, 10).unwrap(), None);
		let position = store.position().unwrap();
		assert_eq!((position.closed_upto, position.next_index, position.next_batch), (9, 9, 1));
	}

	#[test]
	fn a_batch_record_written_before_readings_could_be_set_aside_still_reads() {
		let record = BatchRecord {
			sequence: 3,
			first: 10,
			end: 15,
			leaves: 5,
			root: [7; 32],
			first_timestamp_ms: 1,
			last_timestamp_ms: 2,
			finalised_in: Some(4),
		};
		let bytes = record.encode();
		assert_eq!(BatchRecord::decode(3, &bytes).unwrap(), record);
		// The earlier form: the same fields without the leaf count.
		assert_eq!(BatchRecord::decode(3, &bytes[..bytes.len() - 4]).unwrap(), record);
		assert!(BatchRecord::decode(3, &bytes[..10]).is_err());
	}

	#[test]
	fn a_batch_stops_at_its_leaf_limit() {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(dir.path()).unwrap();
		store.append(&(1..=5).map(|s| reading(1, s)).collect::<Vec<_>>()).unwrap();
		let batch = store.close_batch(2, 10).unwrap().unwrap();
		assert_eq!(batch.leaf_count(), 2);
		let located = store.locate(&[1; 32], 5).unwrap().unwrap();
		assert!(located.batch.is_none(), "not batched yet");
	}
}
