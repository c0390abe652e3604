//! Chain values in a form people and programs read: events and dynamically decoded values as
//! JSON, with byte strings as `0x` hex (or text, when they are printable UTF-8).

use crate::{ChainConfig, Result};
use serde::Serialize;
use subxt::ext::scale_value::{Composite, Primitive, Value, ValueDef};

/// One event, decoded with the metadata of its block.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRecord {
	pub pallet: String,
	pub name: String,
	pub fields: serde_json::Value,
}

impl EventRecord {
	pub(crate) fn from_event(event: &subxt::events::Event<'_, ChainConfig>) -> Result<Self> {
		let fields = event.decode_fields_unchecked_as::<Composite<()>>()?;
		Ok(EventRecord {
			pallet: event.pallet_name().to_owned(),
			name: event.event_name().to_owned(),
			fields: composite_to_json(&fields),
		})
	}
}

impl std::fmt::Display for EventRecord {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{}.{} {}", self.pallet, self.name, self.fields)
	}
}

/// A decoded value as JSON: named composites become objects, sequences of bytes become `0x`
/// hex strings, enum variants become `{"Variant": fields}` (or the bare name without fields),
/// numbers beyond 2^53 become strings so no reader loses precision.
pub fn value_to_json<T>(value: &Value<T>) -> serde_json::Value {
	match &value.value {
		ValueDef::Composite(composite) => composite_to_json(composite),
		ValueDef::Variant(variant) => match &variant.values {
			Composite::Unnamed(values) if values.is_empty() => variant.name.clone().into(),
			fields => serde_json::json!({ variant.name.clone(): composite_to_json(fields) }),
		},
		ValueDef::BitSequence(bits) => {
			bits.iter().map(|bit| if bit { '1' } else { '0' }).collect::<String>().into()
		},
		ValueDef::Primitive(primitive) => primitive_to_json(primitive),
	}
}

fn composite_to_json<T>(composite: &Composite<T>) -> serde_json::Value {
	match composite {
		Composite::Named(fields) => fields
			.iter()
			.map(|(name, value)| (name.clone(), value_to_json(value)))
			.collect::<serde_json::Map<_, _>>()
			.into(),
		Composite::Unnamed(values) => {
			if let Some(bytes) = as_bytes(values) {
				return crate::input::to_hex(&bytes).into();
			}
			match values.as_slice() {
				// Newtypes (`BoundedVec`, ids) read as what they wrap.
				[single] => value_to_json(single),
				_ => values.iter().map(value_to_json).collect::<Vec<_>>().into(),
			}
		},
	}
}

/// The values as bytes, if every one is a number below 256 and there is at least one.
fn as_bytes<T>(values: &[Value<T>]) -> Option<Vec<u8>> {
	if values.len() < 2 {
		return None;
	}
	values
		.iter()
		.map(|value| match &value.value {
			ValueDef::Primitive(Primitive::U128(number)) => u8::try_from(*number).ok(),
			_ => None,
		})
		.collect()
}

fn primitive_to_json(primitive: &Primitive) -> serde_json::Value {
	const EXACT_IN_JSON: u128 = 1 << 53;
	match primitive {
		Primitive::Bool(value) => (*value).into(),
		Primitive::Char(value) => value.to_string().into(),
		Primitive::String(value) => value.clone().into(),
		Primitive::U128(value) if *value < EXACT_IN_JSON => (*value as u64).into(),
		Primitive::U128(value) => value.to_string().into(),
		Primitive::I128(value) if value.unsigned_abs() < EXACT_IN_JSON => (*value as i64).into(),
		Primitive::I128(value) => value.to_string().into(),
		Primitive::U256(bytes) | Primitive::I256(bytes) => crate::input::to_hex(bytes).into(),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn byte_sequences_become_hex_and_variants_their_names() {
		let bytes = Value::unnamed_composite([Value::u128(0xab), Value::u128(0x01)]);
		assert_eq!(value_to_json(&bytes), serde_json::json!("0xab01"));
		let unit = Value::unnamed_variant("Active", []);
		assert_eq!(value_to_json(&unit), serde_json::json!("Active"));
		let named = Value::named_composite([
			("org", Value::u128(7)),
			("status", Value::named_variant("Yanked", [("at", Value::u128(9))])),
			("big", Value::u128(u128::MAX)),
		]);
		assert_eq!(
			value_to_json(&named),
			serde_json::json!({
				"org": 7,
				"status": {"Yanked": {"at": 9}},
				"big": u128::MAX.to_string(),
			})
		);
		let newtype = Value::unnamed_composite([Value::u128(5)]);
		assert_eq!(value_to_json(&newtype), serde_json::json!(5));
	}
}
