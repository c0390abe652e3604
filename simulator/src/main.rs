//! `iotchain-simulator`: signs and sends readings as many devices would, to a gateway over HTTP,
//! WebSocket or MQTT (registering the devices first if asked).

use clap::{Parser, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
	name = "iotchain-simulator",
	version,
	about = "Sign and send readings as many devices would (registering them first if asked)."
)]
struct Cli {
	/// The node's RPC URL (for the genesis hash, and to register the devices).
	#[arg(long, env = "IOTCHAIN_URL", default_value = "ws://127.0.0.1:9944")]
	node_url: String,
	/// The gateway's HTTP base URL.
	#[arg(long, default_value = "http://127.0.0.1:8080")]
	gateway: String,
	/// The MQTT broker (host:port).
	#[arg(long, default_value = "127.0.0.1:1883")]
	mqtt: String,
	#[arg(long, value_enum, default_value = "http")]
	transport: Transport,
	/// How many devices.
	#[arg(long, default_value_t = 100)]
	devices: usize,
	/// Readings per device.
	#[arg(long, default_value_t = 10)]
	messages: usize,
	/// Names the fleet: the same label gives the same device ids and keys.
	#[arg(long, default_value = "demo")]
	label: String,
	/// Register the devices first, as the organisation of this admin or member (secret URI).
	#[arg(long)]
	register_as: Option<String>,
	/// Start sequence numbers here (to continue an earlier run of the same fleet).
	#[arg(long, default_value_t = 1)]
	first_sequence: u64,
	/// Write the fleet's device ids, one per line, to this file.
	#[arg(long)]
	ids_file: Option<PathBuf>,
	/// Write the fleet's MQTT accounts (`id:password`, one per line, mode 600) to this file, for
	/// the broker's password file (`mosquitto_passwd -U` hashes it in place).
	#[arg(long)]
	mqtt_accounts_file: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Transport {
	Http,
	Websocket,
	Mqtt,
}

#[tokio::main]
async fn main() {
	if let Err(error) = run(Cli::parse()).await {
		eprintln!("error: {error:#}");
		std::process::exit(1);
	}
}

fn split_host_port(address: &str) -> anyhow::Result<(String, u16)> {
	let (host, port) = address
		.rsplit_once(':')
		.ok_or_else(|| anyhow::anyhow!("expected host:port, got {address}"))?;
	Ok((host.to_owned(), port.parse().map_err(|_| anyhow::anyhow!("bad port in {address}"))?))
}

async fn run(args: Cli) -> anyhow::Result<()> {
	let mut devices = iotchain_simulator::fleet(&args.label, args.devices);
	for device in &mut devices {
		device.next_sequence = args.first_sequence;
	}
	let client = iotchain_client::Client::connect(&args.node_url).await?;
	let genesis = client.genesis();
	if let Some(suri) = &args.register_as {
		let admin = client
			.with_signer(iotchain_client::signer_from_suri(&iotchain_client::read_secret(suri)?)?);
		iotchain_simulator::register(&admin, &devices, iotchain_client::DeviceKind::Device).await?;
		println!("registered {} devices", devices.len());
	}
	if let Some(path) = &args.ids_file {
		let ids: Vec<String> = devices.iter().map(|d| iotchain_client::to_hex(&d.id)).collect();
		std::fs::write(path, ids.join("\n") + "\n")?;
	}
	if let Some(path) = &args.mqtt_accounts_file {
		use std::{io::Write, os::unix::fs::OpenOptionsExt};
		let accounts: String = devices
			.iter()
			.map(|d| {
				format!("{}:{}\n", hex::encode(d.id), iotchain_simulator::mqtt_password(&d.id))
			})
			.collect();
		std::fs::OpenOptions::new()
			.write(true)
			.create(true)
			.truncate(true)
			.mode(0o600)
			.open(path)?
			.write_all(accounts.as_bytes())?;
	}
	let mut messages = Vec::with_capacity(args.devices * args.messages);
	for _ in 0..args.messages {
		for device in &mut devices {
			messages.push((device.id, device.reading(&genesis)));
		}
	}
	let started = std::time::Instant::now();
	let count = messages.len();
	let acks = match args.transport {
		Transport::Http => {
			iotchain_simulator::send_http(
				&args.gateway,
				messages.into_iter().map(|(_, m)| m).collect(),
				256,
				8,
			)
			.await?
			.0
		},
		Transport::Websocket => {
			let base = args.gateway.replacen("http", "ws", 1);
			let messages: Vec<Vec<u8>> = messages.into_iter().map(|(_, m)| m).collect();
			iotchain_simulator::send_websocket(&base, messages).await?
		},
		Transport::Mqtt => {
			let (host, port) = split_host_port(&args.mqtt)?;
			iotchain_simulator::send_mqtt(&host, port, "iotchain/v1/devices", messages).await?
		},
	};
	let elapsed = started.elapsed().as_secs_f64();
	println!(
		"{count} messages in {elapsed:.2} s ({:.0}/s): {:?}",
		count as f64 / elapsed,
		iotchain_simulator::tally(&acks)
	);
	Ok(())
}
