//! `iotchain-gateway`: `serve` runs the gateway until SIGTERM or SIGINT. (The device simulator
//! is `iotchain-simulator`, in `simulator/`.)

use clap::{Parser, Subcommand};
use iotchain_gateway::config::Config;
use std::{future::Future, path::PathBuf};

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
	/// TLS on HTTP and WebSocket: the certificate chain (PEM).
	#[arg(long, requires = "tls_key")]
	tls_cert: Option<PathBuf>,
	/// TLS on HTTP and WebSocket: the certificate's private key (PEM, mode 600).
	#[arg(long, requires = "tls_cert")]
	tls_key: Option<PathBuf>,
	/// The MQTT broker (host:port).
	#[arg(long)]
	mqtt: Option<String>,
	/// The gateway's account on the MQTT broker.
	#[arg(long)]
	mqtt_username: Option<String>,
	/// A file (mode 600) holding the broker account's password.
	#[arg(long)]
	mqtt_password_file: Option<PathBuf>,
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

#[tokio::main]
async fn main() {
	let cli = Cli::parse();
	let result = match cli.command {
		Command::Serve(args) => serve(args).await,
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
	if args.tls_cert.is_some() {
		config.tls.cert_file = args.tls_cert;
		config.tls.key_file = args.tls_key;
	}
	if let Some(broker) = args.mqtt {
		let (host, port) = split_host_port(&broker)?;
		config.mqtt.host = host;
		config.mqtt.port = port;
	}
	if args.mqtt_username.is_some() {
		config.mqtt.username = args.mqtt_username;
	}
	if args.mqtt_password_file.is_some() {
		config.mqtt.password_file = args.mqtt_password_file;
	}
	if args.no_mqtt {
		config.mqtt.enabled = false;
	}
	if let Some(interval) = args.batch_interval_ms {
		config.anchoring.batch_interval_ms = interval;
	}
	let socket = iotchain_gateway::bind(config.http_listen)?;
	iotchain_gateway::serve(config, socket, stop_signal()?).await?;
	Ok(())
}

/// Completes on the first SIGTERM or SIGINT. The handlers are installed here, before the gateway
/// starts, so that such a signal stops it gracefully whenever it comes (see
/// `iotchain_gateway::serve`); they replace the default of ending the process on the spot.
fn stop_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
	use tokio::signal::unix::{signal, SignalKind};
	let mut terminate = signal(SignalKind::terminate())?;
	let mut interrupt = signal(SignalKind::interrupt())?;
	Ok(async move {
		tokio::select! {
			_ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
			_ = interrupt.recv() => tracing::info!("SIGINT: stopping"),
		}
	})
}

fn split_host_port(address: &str) -> anyhow::Result<(String, u16)> {
	let (host, port) = address
		.rsplit_once(':')
		.ok_or_else(|| anyhow::anyhow!("expected host:port, got {address}"))?;
	Ok((host.to_owned(), port.parse().map_err(|_| anyhow::anyhow!("bad port in {address}"))?))
}
