//! `iotchain-gateway`: `serve` runs the gateway; `simulate` signs and sends as many devices
//! would.

use clap::{Parser, Subcommand, ValueEnum};
use iotchain_gateway::{config::Config, simulate};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
	name = "iotchain-gateway",
	version,
	about = "Devices speak HTTP, WebSocket and MQTT; every message is verified, kept, and anchored on chain."
)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Run the gateway.
	Serve(ServeArgs),
	/// Sign and send readings as many devices would (registering them first if asked).
	Simulate(SimulateArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
	/// A TOML configuration file; flags override it.
	#[arg(long)]
	config: Option<PathBuf>,
	/// The node's RPC URL.
	#[arg(long, env = "IOTCHAIN_URL")]
	node_url: Option<String>,
	/// The gateway's key as a secret URI, `@FILE` or `-` (stdin).
	#[arg(long, env = "IOTCHAIN_GATEWAY_SURI")]
	suri: Option<String>,
	/// The gateway's key file (mode 600).
	#[arg(long)]
	key_file: Option<PathBuf>,
	/// Where the durable store lives.
	#[arg(long)]
	data_dir: Option<PathBuf>,
	/// Where HTTP and WebSocket listen (host:port).
	#[arg(long)]
	http_listen: Option<std::net::SocketAddr>,
	/// The MQTT broker (host:port).
	#[arg(long)]
	mqtt: Option<String>,
	/// Do not connect to an MQTT broker.
	#[arg(long)]
	no_mqtt: bool,
	/// Close a batch this often (milliseconds).
	#[arg(long)]
	batch_interval_ms: Option<u64>,
	/// Log as JSON lines.
	#[arg(long)]
	json_logs: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Transport {
	Http,
	Websocket,
	Mqtt,
}

#[derive(clap::Args)]
struct SimulateArgs {
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
}

#[tokio::main]
async fn main() {
	let cli = Cli::parse();
	let result = match cli.command {
		Command::Serve(args) => serve(args).await,
		Command::Simulate(args) => run_simulation(args).await,
	};
	if let Err(error) = result {
		eprintln!("error: {error:#}");
		std::process::exit(1);
	}
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
	let filter = tracing_subscriber::EnvFilter::try_from_default_env()
		.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
	if args.json_logs {
		tracing_subscriber::fmt().with_env_filter(filter).json().init();
	} else {
		tracing_subscriber::fmt().with_env_filter(filter).init();
	}
	let mut config = match &args.config {
		Some(path) => Config::from_file(path)?,
		None => Config::default(),
	};
	if let Some(url) = args.node_url {
		config.node_url = url;
	}
	if args.suri.is_some() {
		config.suri = args.suri;
	}
	if args.key_file.is_some() {
		config.key_file = args.key_file;
	}
	if let Some(dir) = args.data_dir {
		config.data_dir = dir;
	}
	if let Some(listen) = args.http_listen {
		config.http_listen = listen;
	}
	if let Some(broker) = args.mqtt {
		let (host, port) = split_host_port(&broker)?;
		config.mqtt.host = host;
		config.mqtt.port = port;
	}
	if args.no_mqtt {
		config.mqtt.enabled = false;
	}
	if let Some(interval) = args.batch_interval_ms {
		config.anchoring.batch_interval_ms = interval;
	}
	iotchain_gateway::serve(config).await
}

fn split_host_port(address: &str) -> anyhow::Result<(String, u16)> {
	let (host, port) = address
		.rsplit_once(':')
		.ok_or_else(|| anyhow::anyhow!("expected host:port, got {address}"))?;
	Ok((host.to_owned(), port.parse().map_err(|_| anyhow::anyhow!("bad port in {address}"))?))
}

async fn run_simulation(args: SimulateArgs) -> anyhow::Result<()> {
	let mut devices = simulate::fleet(&args.label, args.devices);
	for device in &mut devices {
		device.next_sequence = args.first_sequence;
	}
	let client = iotchain_client::Client::connect(&args.node_url).await?;
	let genesis = client.genesis();
	if let Some(suri) = &args.register_as {
		let admin = client
			.with_signer(iotchain_client::signer_from_suri(&iotchain_client::read_secret(suri)?)?);
		simulate::register(&admin, &devices, iotchain_client::DeviceKind::Device).await?;
		println!("registered {} devices", devices.len());
	}
	if let Some(path) = &args.ids_file {
		let ids: Vec<String> = devices.iter().map(|d| iotchain_client::to_hex(&d.id)).collect();
		std::fs::write(path, ids.join("\n") + "\n")?;
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
			simulate::send_http(
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
			simulate::send_websocket(&base, messages.into_iter().map(|(_, m)| m).collect()).await?
		},
		Transport::Mqtt => {
			let (host, port) = split_host_port(&args.mqtt)?;
			simulate::send_mqtt(&host, port, "iotchain/v1/devices", messages, 8).await?
		},
	};
	let elapsed = started.elapsed().as_secs_f64();
	println!(
		"{count} messages in {elapsed:.2} s ({:.0}/s): {:?}",
		count as f64 / elapsed,
		simulate::tally(&acks)
	);
	Ok(())
}
