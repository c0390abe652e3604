//! Where a command's results go: text for people, JSON (one document per result) for programs.

use iotchain_client::Receipt;
use serde::Serialize;
use std::io::Write;

/// A command's output stream and format.
pub struct Output<'a, W: Write> {
	out: &'a mut W,
	json: bool,
}

impl<'a, W: Write> Output<'a, W> {
	pub fn new(out: &'a mut W, json: bool) -> Self {
		Output { out, json }
	}

	/// The raw stream, for output that has one form only.
	pub fn writer(&mut self) -> &mut W {
		self.out
	}

	/// Whether JSON was asked for.
	pub fn is_json(&self) -> bool {
		self.json
	}

	/// Writes a result: as JSON, or as text through `text`.
	pub fn emit<T: Serialize>(
		&mut self,
		value: &T,
		text: impl FnOnce(&mut W) -> std::io::Result<()>,
	) -> anyhow::Result<()> {
		if self.json {
			serde_json::to_writer(&mut *self.out, value)?;
			writeln!(self.out)?;
		} else {
			text(self.out)?;
		}
		Ok(())
	}

	/// Writes a JSON record: as itself, or as `key: value` lines.
	pub fn record(&mut self, record: &serde_json::Value) -> anyhow::Result<()> {
		self.emit(record, |out| write_fields(out, record, 0))
	}

	/// Writes a transaction's receipt under a one-line summary.
	pub fn receipt(&mut self, summary: &str, receipt: &Receipt) -> anyhow::Result<()> {
		let value = serde_json::json!({ "summary": summary, "receipt": receipt });
		self.emit(&value, |out| {
			match &receipt.block {
				Some(block) => writeln!(
					out,
					"{summary} (extrinsic {:?}, finalised in block #{} {:?})",
					receipt.extrinsic, block.number, block.hash
				)?,
				None => writeln!(out, "{summary} (extrinsic {:?}, submitted)", receipt.extrinsic)?,
			}
			for event in receipt.events() {
				writeln!(out, "  {event}")?;
			}
			Ok(())
		})
	}
}

/// An object as indented `key: value` lines; nested objects indent further, scalars and lists
/// print as JSON.
fn write_fields(
	out: &mut impl Write,
	value: &serde_json::Value,
	depth: usize,
) -> std::io::Result<()> {
	let indent = "  ".repeat(depth);
	match value {
		serde_json::Value::Object(fields) => {
			for (key, field) in fields {
				if field.is_object() {
					writeln!(out, "{indent}{key}:")?;
					write_fields(out, field, depth + 1)?;
				} else {
					writeln!(out, "{indent}{key}: {}", scalar(field))?;
				}
			}
		},
		other => writeln!(out, "{indent}{}", scalar(other))?,
	}
	Ok(())
}

/// Strings without their quotes; everything else as JSON.
fn scalar(value: &serde_json::Value) -> String {
	match value {
		serde_json::Value::String(text) => text.clone(),
		serde_json::Value::Null => "-".into(),
		other => other.to_string(),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn records_print_as_fields_or_json() {
		let record = serde_json::json!({"id": "0x01", "org": 3, "firmware": {"version": "1.0.0"}, "gateway": null});
		let mut text = Vec::new();
		Output::new(&mut text, false).record(&record).unwrap();
		assert_eq!(
			String::from_utf8(text).unwrap(),
			"firmware:\n  version: 1.0.0\ngateway: -\nid: 0x01\norg: 3\n"
		);
		let mut json = Vec::new();
		Output::new(&mut json, true).record(&record).unwrap();
		assert_eq!(serde_json::from_slice::<serde_json::Value>(&json).unwrap(), record);
	}
}
