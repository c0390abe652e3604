//! The alert rules and the dashboard operators are given (`monitoring/`) parse, and name only
//! metrics the gateway and the node export: the gateway's every metric family, and what a
//! running dev node serves on its Prometheus port.

use iotchain_gateway::metrics::Metrics;
use iotchain_testing::DevNode;
use serde::Deserialize;
use std::{collections::BTreeSet, path::Path};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
	groups: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
	name: String,
	rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
	alert: String,
	expr: String,
	#[serde(rename = "for")]
	pending: Option<String>,
	labels: std::collections::BTreeMap<String, String>,
	annotations: std::collections::BTreeMap<String, String>,
}

fn monitoring(file: &str) -> String {
	let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../monitoring").join(file);
	std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The metric names an expression uses: identifiers of the node's or the gateway's
/// namespace, outside quoted label values.
fn metric_names(expr: &str) -> Vec<String> {
	let mut names = Vec::new();
	let mut word = String::new();
	let mut quoted = false;
	for c in expr.chars().chain([' ']) {
		if c == '"' {
			quoted = !quoted;
		}
		if !quoted && (c.is_ascii_alphanumeric() || c == '_' || c == ':') {
			word.push(c);
			continue;
		}
		if word.starts_with("gateway_") || word.starts_with("substrate_") {
			names.push(word.clone());
		}
		word.clear();
	}
	names
}

/// Whether brackets of every kind open and close in order, outside quotes.
fn balanced(expr: &str) -> bool {
	let mut open = Vec::new();
	let mut quoted = false;
	for c in expr.chars() {
		match c {
			'"' => quoted = !quoted,
			_ if quoted => {},
			'(' | '{' | '[' => open.push(c),
			')' | '}' | ']' => {
				let expected = match c {
					')' => '(',
					'}' => '{',
					_ => '[',
				};
				if open.pop() != Some(expected) {
					return false;
				}
			},
			_ => {},
		}
	}
	open.is_empty() && !quoted
}

#[test]
fn alert_rules_and_the_dashboard_name_only_metrics_the_node_and_the_gateway_export() {
	let rules: RuleFile =
		serde_yaml::from_str(&monitoring("alerts.yml")).expect("alerts.yml parses");
	let dashboard: serde_json::Value =
		serde_json::from_str(&monitoring("grafana-dashboard.json")).expect("the dashboard is JSON");

	let mut exprs = Vec::new();
	let mut alerts = BTreeSet::new();
	for group in &rules.groups {
		assert!(!group.rules.is_empty(), "group {} has no rules", group.name);
		for rule in &group.rules {
			assert!(alerts.insert(rule.alert.clone()), "{} twice", rule.alert);
			assert!(
				["critical", "warning"]
					.contains(&rule.labels.get("severity").map(String::as_str).unwrap_or("")),
				"{}: severity",
				rule.alert
			);
			assert!(rule.annotations.contains_key("summary"), "{}: summary", rule.alert);
			if let Some(pending) = &rule.pending {
				let (number, unit) = pending.split_at(pending.len() - 1);
				assert!(
					number.parse::<u32>().is_ok() && ["s", "m", "h"].contains(&unit),
					"{}: for {pending}",
					rule.alert
				);
			}
			exprs.push((rule.alert.clone(), rule.expr.clone()));
		}
	}
	let panels = dashboard["panels"].as_array().expect("panels");
	assert!(!panels.is_empty());
	for panel in panels {
		for target in panel["targets"].as_array().expect("targets") {
			let expr = target["expr"].as_str().expect("an expression").to_owned();
			exprs.push((panel["title"].as_str().unwrap_or("a panel").to_owned(), expr));
		}
	}

	let gateway: BTreeSet<String> = Metrics::new().names().iter().cloned().collect();
	let node = DevNode::start_with_metrics();
	let port = node.prometheus_port.expect("the node serves metrics");
	let exported = iotchain_testing::wait_until(
		std::time::Duration::from_secs(60),
		"the node's metrics include block heights",
		|| {
			let text = http_get(port, "/metrics")?;
			text.contains("substrate_block_height")
				.then_some(text)
				.ok_or_else(|| "not yet".to_owned())
		},
	);
	let node_names: BTreeSet<String> = exported
		.lines()
		.filter(|line| !line.starts_with('#'))
		.filter_map(|line| line.split(['{', ' ']).next())
		.map(str::to_owned)
		.collect();

	let mut named = 0;
	for (what, expr) in &exprs {
		assert!(balanced(expr), "{what}: brackets or quotes do not close in {expr}");
		let names = metric_names(expr);
		assert!(!names.is_empty(), "{what}: names no metric: {expr}");
		for name in names {
			let family = ["_bucket", "_sum", "_count"]
				.iter()
				.find_map(|suffix| name.strip_suffix(suffix).filter(|base| gateway.contains(*base)))
				.unwrap_or(&name);
			let known = if name.starts_with("gateway_") {
				gateway.contains(family)
			} else {
				node_names.contains(&name)
			};
			assert!(known, "{what}: {name} is exported by neither the gateway nor the node");
			named += 1;
		}
	}
	assert!(named >= exprs.len());
	// The names the operator's runbook leans on are all covered.
	for needed in [
		"gateway_queue_depth",
		"gateway_anchor_latency_seconds",
		"gateway_messages_refused_total",
		"gateway_node_connected",
		"gateway_connections_refused_total",
		"gateway_registry_block",
		"substrate_block_height",
		"substrate_sub_libp2p_peers_count",
	] {
		assert!(
			exprs
				.iter()
				.any(|(_, expr)| metric_names(expr).iter().any(|name| name.starts_with(needed))),
			"nothing watches {needed}"
		);
	}
}

/// A plain HTTP GET on loopback: the body, or why not.
fn http_get(port: u16, path: &str) -> Result<String, String> {
	use std::io::{Read, Write};
	let mut stream =
		std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
	write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").map_err(|e| e.to_string())?;
	let mut response = String::new();
	stream.read_to_string(&mut response).map_err(|e| e.to_string())?;
	response
		.split_once("\r\n\r\n")
		.map(|(_, body)| body.to_owned())
		.ok_or("no body".into())
}

#[test]
fn metric_names_are_found_outside_label_values() {
	assert_eq!(
		metric_names(r#"rate(gateway_reads_total{reason="gateway_fake"}[5m]) > substrate_x"#),
		vec!["gateway_reads_total", "substrate_x"]
	);
	assert!(balanced(r#"sum(rate(a{b="(" }[1m]))"#));
	assert!(!balanced("sum(rate(a[1m])"));
}
