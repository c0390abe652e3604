//! Prometheus metrics, served at `/metrics`.

use prometheus::{
	Encoder, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
	TextEncoder,
};

/// Everything the gateway counts.
pub struct Metrics {
	registry: Registry,
	/// Every metric family's name, histograms' included (their series add `_bucket`, `_sum`
	/// and `_count`).
	names: Vec<String>,
	/// Accepted messages, by transport and kind.
	pub accepted: IntCounterVec,
	/// Refused messages, by transport and reason code.
	pub refused: IntCounterVec,
	/// Accepted readings not yet in a finalised anchor.
	pub queue_depth: IntGauge,
	/// Batches closed and not yet known finalised.
	pub pending_batches: IntGauge,
	/// Seconds from a batch's closing to its anchor's finality.
	pub batch_latency: Histogram,
	/// Seconds from a reading's acceptance to its anchor's finality.
	pub anchor_latency: Histogram,
	/// Readings per anchoring transaction.
	pub batch_size: Histogram,
	/// Whether the node is reachable (1) or not (0).
	pub node_connected: IntGauge,
	/// Readings set aside because the chain would refuse to anchor them.
	pub unanchorable: IntCounter,
	/// Reads served, by who read (device, staff, grantee-full, grantee-subset).
	pub reads: IntCounterVec,
	/// Reads refused, by reason.
	pub reads_refused: IntCounterVec,
	/// Devices and gateways of the gateway's organisation it knows, from its registry snapshot.
	pub registry_devices: IntGauge,
	/// The finalised block the gateway's registry view is of.
	pub registry_block: IntGauge,
	/// Seconds the last registry snapshot took.
	pub registry_snapshot_seconds: prometheus::Gauge,
	/// Ids outside the organisation looked up at the node to name their refusal.
	pub outside_lookups: IntCounter,
	/// Connections refused at once, by reason (`too-many-connections`, `too-many-from-peer`).
	pub connections_refused: IntCounterVec,
	/// Connections and streams cut off, by reason (`header-timeout`, `body-timeout`,
	/// `write-timeout`, `websocket-idle`).
	pub connections_cut: IntCounterVec,
	/// Bytes free for the store on its file system, and the mark below which readings are
	/// refused (`disk-full`).
	pub disk_free: IntGauge,
	pub disk_min_free: IntGauge,
}

impl Metrics {
	pub fn new() -> Self {
		let registry = Registry::new();
		let accepted = IntCounterVec::new(
			Opts::new("gateway_messages_accepted_total", "Messages stored, by transport and kind"),
			&["transport", "kind"],
		)
		.expect("valid metric");
		let refused = IntCounterVec::new(
			Opts::new(
				"gateway_messages_refused_total",
				"Messages refused, by transport and reason",
			),
			&["transport", "reason"],
		)
		.expect("valid metric");
		let queue_depth =
			IntGauge::new("gateway_queue_depth", "Accepted readings not yet in a finalised anchor")
				.expect("valid metric");
		let pending_batches =
			IntGauge::new("gateway_pending_batches", "Batches closed and not yet finalised")
				.expect("valid metric");
		let latency_buckets = vec![0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 60.0];
		let batch_latency = Histogram::with_opts(
			HistogramOpts::new(
				"gateway_batch_latency_seconds",
				"From a batch's closing to its anchor's finality",
			)
			.buckets(latency_buckets.clone()),
		)
		.expect("valid metric");
		let anchor_latency = Histogram::with_opts(
			HistogramOpts::new(
				"gateway_anchor_latency_seconds",
				"From a reading's acceptance to its anchor's finality",
			)
			.buckets(latency_buckets),
		)
		.expect("valid metric");
		let batch_size = Histogram::with_opts(
			HistogramOpts::new("gateway_batch_readings", "Readings per anchoring transaction")
				.buckets(prometheus::exponential_buckets(1.0, 4.0, 9).expect("valid buckets")),
		)
		.expect("valid metric");
		let node_connected =
			IntGauge::new("gateway_node_connected", "Whether the node is reachable")
				.expect("valid metric");
		let unanchorable = IntCounter::new(
			"gateway_unanchorable_readings_total",
			"Readings set aside because the chain would refuse to anchor them",
		)
		.expect("valid metric");
		let reads = IntCounterVec::new(
			Opts::new("gateway_reads_total", "Reads served, by who read"),
			&["reader"],
		)
		.expect("valid metric");
		let reads_refused = IntCounterVec::new(
			Opts::new("gateway_reads_refused_total", "Reads refused, by reason"),
			&["reason"],
		)
		.expect("valid metric");
		let registry_devices = IntGauge::new(
			"gateway_registry_devices",
			"Devices and gateways of the gateway's organisation it knows",
		)
		.expect("valid metric");
		let registry_block =
			IntGauge::new("gateway_registry_block", "The finalised block the registry view is of")
				.expect("valid metric");
		let registry_snapshot_seconds = prometheus::Gauge::new(
			"gateway_registry_snapshot_seconds",
			"Seconds the last registry snapshot took",
		)
		.expect("valid metric");
		let outside_lookups = IntCounter::new(
			"gateway_outside_lookups_total",
			"Ids outside the organisation looked up at the node to name their refusal",
		)
		.expect("valid metric");
		let connections_refused = IntCounterVec::new(
			Opts::new(
				"gateway_connections_refused_total",
				"HTTP and WebSocket connections refused at once, by reason",
			),
			&["reason"],
		)
		.expect("valid metric");
		let connections_cut = IntCounterVec::new(
			Opts::new(
				"gateway_connections_cut_total",
				"HTTP connections and WebSocket streams cut off, by reason",
			),
			&["reason"],
		)
		.expect("valid metric");
		let disk_free = IntGauge::new(
			"gateway_disk_free_bytes",
			"Bytes free (to the gateway's user) on the file system of the data directory",
		)
		.expect("valid metric");
		let disk_min_free = IntGauge::new(
			"gateway_disk_min_free_bytes",
			"The free space below which new messages are refused disk-full (limits.min_free_disk_bytes)",
		)
		.expect("valid metric");
		let mut names = Vec::new();
		for collector in [
			Box::new(accepted.clone()) as Box<dyn prometheus::core::Collector>,
			Box::new(refused.clone()),
			Box::new(queue_depth.clone()),
			Box::new(pending_batches.clone()),
			Box::new(batch_latency.clone()),
			Box::new(anchor_latency.clone()),
			Box::new(batch_size.clone()),
			Box::new(node_connected.clone()),
			Box::new(unanchorable.clone()),
			Box::new(reads.clone()),
			Box::new(reads_refused.clone()),
			Box::new(registry_devices.clone()),
			Box::new(registry_block.clone()),
			Box::new(registry_snapshot_seconds.clone()),
			Box::new(outside_lookups.clone()),
			Box::new(connections_refused.clone()),
			Box::new(connections_cut.clone()),
			Box::new(disk_free.clone()),
			Box::new(disk_min_free.clone()),
		] {
			names.extend(collector.desc().iter().map(|desc| desc.fq_name.clone()));
			registry.register(collector).expect("each metric registered once");
		}
		Metrics {
			registry,
			names,
			accepted,
			refused,
			queue_depth,
			pending_batches,
			batch_latency,
			anchor_latency,
			batch_size,
			node_connected,
			unanchorable,
			reads,
			reads_refused,
			registry_devices,
			registry_block,
			registry_snapshot_seconds,
			outside_lookups,
			connections_refused,
			connections_cut,
			disk_free,
			disk_min_free,
		}
	}

	/// The name of every metric family the gateway exports, whether or not it has a sample
	/// yet: what alert rules and dashboards may name.
	pub fn names(&self) -> &[String] {
		&self.names
	}

	/// The text exposition format.
	pub fn render(&self) -> String {
		let mut buffer = Vec::new();
		TextEncoder::new()
			.encode(&self.registry.gather(), &mut buffer)
			.expect("encoding to memory cannot fail");
		String::from_utf8(buffer).expect("the text format is UTF-8")
	}
}

impl Default for Metrics {
	fn default() -> Self {
		Self::new()
	}
}
