//! `iotctl device`: devices and gateways.

use super::Output;
use clap::{Args, Subcommand};
use iotchain_client::{
	device_key_proof, parse_account, parse_firmware_version, parse_hash32, parse_key_proof,
	signer_from_key_file, to_hex, AccountId, Client, DeviceId, DeviceKind, DeviceOf,
	DeviceRegistration, DeviceStatus, Error, KeyProof, OrgId, ProvenKey, ProvenRegistration,
	ProvenRegistrationOf, Wait,
};
use std::{collections::HashSet, io::Write, path::PathBuf};

/// Devices fetched per runtime-API call when listing.
const PAGE: u32 = 500;

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Register one device or gateway for the signer's organisation.
	Register {
		/// Its id: 0x and 64 hex digits (e.g. the hash of its serial number).
		#[arg(long)]
		id: String,
		#[arg(long, value_enum, default_value = "device")]
		kind: Kind,
		/// The manufacturer's model identifier.
		#[arg(long)]
		model: String,
		#[command(flatten)]
		key: DeviceKeyArgs,
		/// Hash of its off-chain metadata document (0x, 32 bytes).
		#[arg(long)]
		metadata_hash: Option<String>,
		/// The firmware it runs, MAJOR.MINOR.PATCH.
		#[arg(long, default_value = "0.0.0")]
		firmware: String,
	},
	/// Register the devices of a CSV file (header
	/// `id,kind,model,account,key_proof,metadata_hash,firmware`; `key_proof` as `prove-key`
	/// prints it for the line's kind), pipelined, with a progress bar. Every line is checked
	/// before anything is submitted.
	RegisterBatch {
		file: PathBuf,
		/// Devices per extrinsic (`register_devices`, at most 256); 1 sends one
		/// `register_device` each.
		#[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
		per_extrinsic: u16,
	},
	/// Rotate a device's key; the old one can never sign for it again.
	RotateKey {
		id: String,
		#[command(flatten)]
		key: DeviceKeyArgs,
	},
	/// Make a device key's proof of consent to being device `--device`, a `--kind`, of
	/// organisation `--org` (what `register` sends), e.g. at the factory; prints the account and
	/// the proof. Offline when `--genesis` names the chain.
	ProveKey(ProveKey),
	/// Suspend a device.
	Suspend { id: String },
	/// Resume a suspended device.
	Resume { id: String },
	/// Revoke a device for good.
	Revoke { id: String },
	/// Offer a device to another organisation.
	Transfer {
		id: String,
		#[arg(long)]
		to: OrgId,
	},
	/// Withdraw a transfer offer.
	CancelTransfer { id: String },
	/// Accept a device offered to the signer's organisation. Without a new key the device keeps
	/// the one its previous owner provisioned, which that owner may still hold.
	AcceptTransfer {
		id: String,
		/// The device's new key (a file as for --key-file): it signs its consent here and
		/// replaces the old key as the device changes hands.
		#[arg(long)]
		new_device_key_file: Option<PathBuf>,
	},
	/// Assign the gateway relaying a device's traffic (none clears it).
	AssignGateway { id: String, gateway: Option<String> },
	/// Replace the hash of a device's metadata document.
	SetMetadata { id: String, metadata_hash: String },
	/// Show a device by id (0x…), or the device that signs with an account (SS58).
	Show { id_or_account: String },
	/// List an organisation's devices in id order.
	List {
		#[arg(long)]
		org: OrgId,
		/// Start after this device id.
		#[arg(long)]
		after: Option<String>,
		/// At most this many (all when absent).
		#[arg(long)]
		limit: Option<u32>,
	},
}

#[derive(Debug, Args)]
pub struct ProveKey {
	/// The device's key: a file as for --key-file.
	#[arg(long)]
	device_key_file: PathBuf,
	/// The device's id (0x, 32 bytes).
	#[arg(long)]
	device: String,
	/// What it will be registered as: the key consents to one kind only.
	#[arg(long, value_enum, default_value = "device")]
	kind: Kind,
	/// The organisation that will register it.
	#[arg(long)]
	org: OrgId,
	/// The chain's genesis hash (0x, 32 bytes); asked of the node when absent.
	#[arg(long)]
	pub genesis: Option<String>,
}

/// Prints a device key's account and proof for `genesis` (the chain's genesis hash).
pub fn prove_key(
	args: &ProveKey,
	genesis: [u8; 32],
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	let key = signer_from_key_file(&args.device_key_file)?;
	let device = parse_hash32("device id", &args.device)?;
	let kind = DeviceKind::from(args.kind);
	let (account, signature) = device_key_proof(&key, &genesis, args.org, &kind, &device);
	let value = serde_json::json!({
		"device": to_hex(&device),
		"kind": args.kind,
		"org": args.org,
		"account": account.to_string(),
		"key_proof": to_hex(&signature),
	});
	output.emit(&value, |out| {
		writeln!(out, "account   {account}")?;
		writeln!(out, "key_proof {}", to_hex(&signature))?;
		Ok(())
	})
}

/// The device key, to consent here, or its account and the proof it made elsewhere.
#[derive(Debug, Args)]
pub struct DeviceKeyArgs {
	/// The device's key (a file as for --key-file): its account is registered and it signs
	/// its consent here.
	#[arg(long, conflicts_with_all = ["account", "key_proof"], required_unless_present = "account")]
	device_key_file: Option<PathBuf>,
	/// The account the device signs with, when its key is elsewhere (with --key-proof).
	#[arg(long, requires = "key_proof")]
	account: Option<String>,
	/// The device key's proof for this device, its kind and organisation (`prove-key`), 0x
	/// and 64 bytes of sr25519 signature.
	#[arg(long, requires = "account")]
	key_proof: Option<String>,
}

impl DeviceKeyArgs {
	/// The account and proof for device `device`, of kind `kind`, of the signer's organisation.
	async fn prove(
		&self,
		client: &Client,
		kind: &DeviceKind,
		device: &DeviceId,
	) -> iotchain_client::Result<(AccountId, KeyProof)> {
		match (&self.device_key_file, &self.account, &self.key_proof) {
			(Some(path), _, _) => prove_with_key_file(client, path, kind, device).await,
			(None, Some(account), Some(proof)) => {
				Ok((parse_account(account)?, parse_key_proof(proof)?))
			},
			_ => Err(Error::invalid(
				"device key",
				"give --device-key-file, or --account with --key-proof",
			)),
		}
	}
}

/// The account of the key in the file at `path` and its proof for device `device`, of kind
/// `kind`, of the signer's organisation on this chain.
async fn prove_with_key_file(
	client: &Client,
	path: &std::path::Path,
	kind: &DeviceKind,
	device: &DeviceId,
) -> iotchain_client::Result<(AccountId, KeyProof)> {
	let key = signer_from_key_file(path)?;
	let org = client.signer_organisation().await?;
	let (account, signature) = device_key_proof(&key, &client.genesis(), org, kind, device);
	Ok((account, KeyProof::Sr25519(signature)))
}

/// The kind of a registered device: a new key for it consents to that kind.
async fn registered_kind(client: &Client, device: DeviceId) -> iotchain_client::Result<DeviceKind> {
	let record = client.device(device).await?;
	let record = record.ok_or_else(|| Error::NotFound { what: "device", id: to_hex(&device) })?;
	Ok(record.kind)
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
	Device,
	Gateway,
}

impl From<Kind> for DeviceKind {
	fn from(kind: Kind) -> Self {
		match kind {
			Kind::Device => DeviceKind::Device,
			Kind::Gateway => DeviceKind::Gateway,
		}
	}
}

pub async fn run(
	command: Command,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	let id = |text: &str| parse_hash32("device id", text);
	match command {
		Command::Register { id: device, kind, model, key, metadata_hash, firmware } => {
			let device_id = id(&device)?;
			let metadata_hash = optional_hash(metadata_hash.as_deref())?;
			let firmware = parse_firmware_version(&firmware)?;
			let kind = kind.into();
			let (account, key_proof) = key.prove(client, &kind, &device_id).await?;
			let registration = DeviceRegistration {
				id: device_id,
				kind,
				model: model.into_bytes(),
				account,
				metadata_hash,
				firmware,
			};
			let receipt = client
				.register_device(ProvenRegistration { registration, key_proof }, wait)
				.await?;
			output.receipt(&format!("device {device} registered"), &receipt)
		},
		Command::RegisterBatch { file, per_extrinsic } => {
			register_batch(client, &file, per_extrinsic as usize, wait, output).await
		},
		Command::RotateKey { id: device, key } => {
			let device_id = id(&device)?;
			let kind = registered_kind(client, device_id).await?;
			let (new_account, key_proof) = key.prove(client, &kind, &device_id).await?;
			let receipt = client
				.rotate_device_key(device_id, new_account.clone(), key_proof, wait)
				.await?;
			output.receipt(&format!("device {device} now signs with {new_account}"), &receipt)
		},
		Command::ProveKey(args) => {
			let genesis = match &args.genesis {
				Some(genesis) => parse_hash32("genesis hash", genesis)?,
				None => client.genesis(),
			};
			prove_key(&args, genesis, output)
		},
		Command::Suspend { id: device } => {
			let receipt = client.suspend_device(id(&device)?, wait).await?;
			output.receipt(&format!("device {device} suspended"), &receipt)
		},
		Command::Resume { id: device } => {
			let receipt = client.resume_device(id(&device)?, wait).await?;
			output.receipt(&format!("device {device} resumed"), &receipt)
		},
		Command::Revoke { id: device } => {
			let receipt = client.revoke_device(id(&device)?, wait).await?;
			output.receipt(&format!("device {device} revoked"), &receipt)
		},
		Command::Transfer { id: device, to } => {
			let receipt = client.offer_transfer(id(&device)?, to, wait).await?;
			output.receipt(&format!("device {device} offered to organisation {to}"), &receipt)
		},
		Command::CancelTransfer { id: device } => {
			let receipt = client.cancel_transfer(id(&device)?, wait).await?;
			output.receipt(&format!("transfer of device {device} withdrawn"), &receipt)
		},
		Command::AcceptTransfer { id: device, new_device_key_file } => {
			let device_id = id(&device)?;
			let new_key = match new_device_key_file {
				Some(path) => {
					let kind = registered_kind(client, device_id).await?;
					let (account, key_proof) =
						prove_with_key_file(client, &path, &kind, &device_id).await?;
					Some(ProvenKey { account, key_proof })
				},
				None => None,
			};
			let summary = match &new_key {
				Some(key) => format!("device {device} accepted; it now signs with {}", key.account),
				None => {
					format!("device {device} accepted; its previous owner may still hold its key")
				},
			};
			let receipt = client.accept_transfer(device_id, new_key, wait).await?;
			output.receipt(&summary, &receipt)
		},
		Command::AssignGateway { id: device, gateway } => {
			let gateway = gateway.as_deref().map(id).transpose()?;
			let receipt = client.assign_gateway(id(&device)?, gateway, wait).await?;
			output.receipt(&format!("gateway of device {device} set"), &receipt)
		},
		Command::SetMetadata { id: device, metadata_hash } => {
			let hash = parse_hash32("metadata hash", &metadata_hash)?;
			let receipt = client.update_device_metadata(id(&device)?, hash, wait).await?;
			output.receipt(&format!("metadata of device {device} updated"), &receipt)
		},
		Command::Show { id_or_account } => {
			let (device_id, device) = if id_or_account.starts_with("0x") {
				let device_id = id(&id_or_account)?;
				(device_id, client.device(device_id).await?)
			} else {
				let account = parse_account(&id_or_account)?;
				match client.device_by_account(account).await? {
					Some((device_id, device)) => (device_id, Some(device)),
					None => ([0; 32], None),
				}
			};
			let device = device
				.ok_or_else(|| Error::NotFound { what: "device", id: id_or_account.clone() })?;
			output.record(&device_json(&device_id, &device))
		},
		Command::List { org, after, limit } => {
			let mut after = after.as_deref().map(id).transpose()?;
			let mut devices = Vec::new();
			loop {
				let wanted = limit.map_or(PAGE, |limit| (limit - devices.len() as u32).min(PAGE));
				if wanted == 0 {
					break;
				}
				let page = client.devices_of_org(org, after, wanted).await?;
				after = page.last().map(|(device_id, _)| *device_id);
				let full = page.len() as u32 == wanted;
				devices.extend(page);
				if !full {
					break;
				}
			}
			let records: Vec<_> = devices
				.iter()
				.map(|(device_id, device)| device_json(device_id, device))
				.collect();
			output.emit(&records, |out| {
				for (device_id, device) in &devices {
					writeln!(
						out,
						"{}\t{:?}\t{}\t{:?}\t{}",
						to_hex(device_id),
						device.kind,
						String::from_utf8_lossy(&device.model.0),
						device.status,
						device.firmware
					)?;
				}
				Ok(())
			})
		},
	}
}

/// One line of a registration CSV.
#[derive(Debug, serde::Deserialize)]
struct CsvDevice {
	id: String,
	kind: Kind,
	model: String,
	account: String,
	key_proof: String,
	#[serde(default)]
	metadata_hash: Option<String>,
	firmware: String,
}

/// Reads and checks every line of a registration CSV: ids well formed and unique, accounts,
/// hashes and versions parse. Errors name the line.
pub fn read_registrations(
	file: &std::path::Path,
) -> iotchain_client::Result<Vec<ProvenRegistrationOf>> {
	let mut reader =
		csv::ReaderBuilder::new()
			.trim(csv::Trim::All)
			.from_path(file)
			.map_err(|error| Error::File {
				path: file.to_owned(),
				source: std::io::Error::other(error.to_string()),
			})?;
	let mut seen = HashSet::new();
	let mut registrations = Vec::new();
	for (index, row) in reader.deserialize::<CsvDevice>().enumerate() {
		// Line 1 is the header.
		let line = index + 2;
		let at_line = |error: Error| Error::invalid("CSV", format!("line {line}: {error}"));
		let row = row.map_err(|error| Error::invalid("CSV", format!("line {line}: {error}")))?;
		let id = parse_hash32("device id", &row.id).map_err(at_line)?;
		if !seen.insert(id) {
			return Err(at_line(Error::invalid("device id", format!("{} appears twice", row.id))));
		}
		let registration = DeviceRegistration {
			id,
			kind: row.kind.into(),
			model: row.model.into_bytes(),
			account: parse_account(&row.account).map_err(at_line)?,
			metadata_hash: optional_hash(row.metadata_hash.as_deref()).map_err(at_line)?,
			firmware: parse_firmware_version(&row.firmware).map_err(at_line)?,
		};
		let key_proof = parse_key_proof(&row.key_proof).map_err(at_line)?;
		registrations.push(ProvenRegistration { registration, key_proof });
	}
	if registrations.is_empty() {
		return Err(Error::invalid("CSV", format!("{} lists no devices", file.display())));
	}
	Ok(registrations)
}

async fn register_batch(
	client: &Client,
	file: &std::path::Path,
	per_extrinsic: usize,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	let registrations = read_registrations(file)?;
	let total = registrations.len();
	let bar = indicatif::ProgressBar::new(total as u64);
	bar.set_style(
		indicatif::ProgressStyle::with_template(
			"{bar:40} {pos}/{len} devices  {per_sec}  eta {eta}",
		)
		.map_err(|error| anyhow::anyhow!(error))?,
	);
	let started = std::time::Instant::now();
	let outcomes = client
		.register_devices(registrations, per_extrinsic, wait, |settled| {
			bar.set_position(settled as u64)
		})
		.await?;
	bar.finish_and_clear();
	let elapsed = started.elapsed();

	let mut registered = 0;
	let mut failures = Vec::new();
	for (devices, outcome) in &outcomes {
		match outcome {
			Ok(_) => registered += devices.len(),
			Err(error) => failures.push(serde_json::json!({
				"devices": devices.iter().map(|id| to_hex(id)).collect::<Vec<_>>(),
				"error": error.to_string(),
			})),
		}
	}
	let summary = serde_json::json!({
		"file": file.display().to_string(),
		"devices": total,
		"registered": registered,
		"extrinsics": outcomes.len(),
		"seconds": elapsed.as_secs_f64(),
		"waited_for_finality": wait == Wait::Finalised,
		"failures": failures,
	});
	output.emit(&summary, |out| {
		let verb = if wait == Wait::Finalised { "registered" } else { "submitted" };
		writeln!(
			out,
			"{registered} of {total} devices {verb} in {} extrinsics, {:.1} s",
			outcomes.len(),
			elapsed.as_secs_f64()
		)?;
		for failure in &failures {
			writeln!(out, "  not registered: {} — {}", failure["devices"], failure["error"])?;
		}
		Ok(())
	})?;
	if registered < total {
		anyhow::bail!("{} of {total} devices were not registered", total - registered);
	}
	Ok(())
}

fn optional_hash(text: Option<&str>) -> iotchain_client::Result<[u8; 32]> {
	match text {
		Some(text) if !text.is_empty() => parse_hash32("metadata hash", text),
		_ => Ok([0; 32]),
	}
}

/// A device as JSON.
pub fn device_json(id: &DeviceId, device: &DeviceOf) -> serde_json::Value {
	serde_json::json!({
		"id": to_hex(id),
		"org": device.org,
		"kind": format!("{:?}", device.kind),
		"model": String::from_utf8_lossy(&device.model.0),
		"account": device.account.to_string(),
		"metadata_hash": to_hex(&device.metadata_hash),
		"firmware": device.firmware.to_string(),
		"gateway": device.gateway.map(|gateway| to_hex(&gateway)),
		"status": match device.status {
			DeviceStatus::Active => "Active",
			DeviceStatus::Suspended => "Suspended",
			DeviceStatus::Revoked => "Revoked",
		},
		"created": device.created,
		"updated": device.updated,
	})
}
