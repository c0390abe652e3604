//! Chain values in a form people and programs read: events and dynamically decoded values as
//! JSON, with byte strings as `0x` hex and accounts in SS58.

use crate::{AccountId, Result};
use scale_info::{form::PortableForm, PortableRegistry, TypeDef, TypeDefPrimitive};
use serde::Serialize;
use subxt::ext::scale_value::{Composite, Primitive, Value, ValueDef};

/// One event as JSON, decoded with the metadata of its block: how events are printed (see
/// [`crate::ChainEvent`] for how they are read).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRecord {
	pub pallet: String,
	pub name: String,
	pub fields: serde_json::Value,
}

impl EventRecord {
	/// Decodes an event's field `bytes`, laid out as its `variant` in its block's `metadata`
	/// says, with that metadata's types, so accounts render as SS58 and only byte strings as hex.
	pub(crate) fn decode(
		pallet: &str,
		variant: &scale_info::Variant<PortableForm>,
		bytes: &[u8],
		metadata: &subxt::Metadata,
	) -> Result<Self> {
		use subxt::ext::{scale_decode::Field, scale_value::scale::decode_as_fields};
		let mut fields = variant
			.fields
			.iter()
			.map(|field| Field::new(field.ty.id, field.name.as_deref()));
		let mut input = bytes;
		let fields = decode_as_fields(&mut input, &mut fields, metadata.types())
			.map_err(|error| crate::Error::Node(error.to_string()))?;
		Ok(EventRecord {
			pallet: pallet.to_owned(),
			name: variant.name.clone(),
			fields: composite_to_json(&fields, &Typed(metadata.types())),
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
///
/// Without type information, any sequence of two or more numbers below 256 reads as bytes.
pub fn value_to_json<T>(value: &Value<T>) -> serde_json::Value {
	render(value, &Untyped)
}

/// How values of particular types render, before the generic rules apply.
trait Special<T> {
	fn render(&self, value: &Value<T>) -> Option<serde_json::Value>;
}

/// No type information: byte strings are recognised by their contents.
struct Untyped;

impl<T> Special<T> for Untyped {
	fn render(&self, value: &Value<T>) -> Option<serde_json::Value> {
		match &value.value {
			ValueDef::Composite(Composite::Unnamed(values)) => {
				as_bytes(values).map(|bytes| crate::input::to_hex(&bytes).into())
			},
			_ => None,
		}
	}
}

/// Values decoded with their type ids: accounts and byte strings are recognised by type.
struct Typed<'a>(&'a PortableRegistry);

impl Special<u32> for Typed<'_> {
	fn render(&self, value: &Value<u32>) -> Option<serde_json::Value> {
		let ty = self.0.resolve(value.context)?;
		if ty.path.segments.last().is_some_and(|name| name == "AccountId32") {
			let bytes = <[u8; 32]>::try_from(leaf_bytes(value)?.as_slice()).ok()?;
			return Some(AccountId::from(bytes).to_string().into());
		}
		let element = match &ty.type_def {
			TypeDef::Sequence(sequence) => sequence.type_param.id,
			TypeDef::Array(array) => array.type_param.id,
			_ => return None,
		};
		let is_u8 = |id| {
			matches!(
				self.0.resolve(id).map(|ty| &ty.type_def),
				Some(TypeDef::<PortableForm>::Primitive(TypeDefPrimitive::U8))
			)
		};
		is_u8(element)
			.then(|| leaf_bytes(value).map(|bytes| crate::input::to_hex(&bytes).into()))?
	}
}

/// The bytes of a value that is (or wraps, through single-field composites) a list of `u8`.
fn leaf_bytes<T>(value: &Value<T>) -> Option<Vec<u8>> {
	match &value.value {
		ValueDef::Composite(Composite::Unnamed(values)) => match values.as_slice() {
			[single] if !matches!(single.value, ValueDef::Primitive(_)) => leaf_bytes(single),
			values => values
				.iter()
				.map(|value| match &value.value {
					ValueDef::Primitive(Primitive::U128(number)) => u8::try_from(*number).ok(),
					_ => None,
				})
				.collect(),
		},
		_ => None,
	}
}

fn render<T, S: Special<T>>(value: &Value<T>, special: &S) -> serde_json::Value {
	if let Some(rendered) = special.render(value) {
		return rendered;
	}
	match &value.value {
		ValueDef::Composite(composite) => composite_to_json(composite, special),
		ValueDef::Variant(variant) => match &variant.values {
			Composite::Unnamed(values) if values.is_empty() => variant.name.clone().into(),
			fields => {
				serde_json::json!({ variant.name.clone(): composite_to_json(fields, special) })
			},
		},
		ValueDef::BitSequence(bits) => {
			bits.iter().map(|bit| if bit { '1' } else { '0' }).collect::<String>().into()
		},
		ValueDef::Primitive(primitive) => primitive_to_json(primitive),
	}
}

fn composite_to_json<T, S: Special<T>>(composite: &Composite<T>, special: &S) -> serde_json::Value {
	match composite {
		Composite::Named(fields) => fields
			.iter()
			.map(|(name, value)| (name.clone(), render(value, special)))
			.collect::<serde_json::Map<_, _>>()
			.into(),
		Composite::Unnamed(values) => match values.as_slice() {
			// Newtypes (`BoundedVec`, ids) read as what they wrap.
			[single] => render(single, special),
			_ => values.iter().map(|value| render(value, special)).collect::<Vec<_>>().into(),
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

	/// Types as the runtime's metadata describes them: an account, a byte string and a list of
	/// small numbers that is not bytes.
	#[test]
	fn typed_values_render_accounts_as_ss58_and_only_byte_strings_as_hex() {
		use scale_info::{meta_type, Registry, TypeInfo};
		#[derive(TypeInfo)]
		struct Fields {
			_by: sp_core_account::AccountId32,
			_hash: [u8; 2],
			_ids: Vec<u32>,
		}
		mod sp_core_account {
			// Only its type information is used, as the runtime's metadata describes it.
			#[allow(dead_code)]
			#[derive(scale_info::TypeInfo)]
			pub struct AccountId32(pub [u8; 32]);
		}
		let mut registry = Registry::new();
		let id = registry.register_type(&meta_type::<Fields>()).id;
		let types: PortableRegistry = registry.into();
		let field_ty = |index: usize| match &types.resolve(id).unwrap().type_def {
			TypeDef::Composite(composite) => composite.fields[index].ty.id,
			_ => unreachable!("a struct"),
		};
		let alice = crate::signer_from_suri("//Alice").unwrap().public_key().0;
		// Each test value carries its field's type id (decoding gives every nested value its
		// own; the outermost is what these rules look at first).
		let account = Value::unnamed_composite([Value::unnamed_composite(
			alice.iter().map(|byte| Value::u128(*byte as u128)),
		)])
		.map_context(|_| field_ty(0));
		let hash = Value::unnamed_composite([Value::u128(0xab), Value::u128(0x01)])
			.map_context(|_| field_ty(1));
		let ids =
			Value::unnamed_composite([Value::u128(3), Value::u128(4)]).map_context(|_| field_ty(2));
		let typed = Typed(&types);
		assert_eq!(render(&account, &typed), serde_json::json!(AccountId::from(alice).to_string()));
		assert_eq!(render(&hash, &typed), serde_json::json!("0xab01"));
		assert_eq!(render(&ids, &typed), serde_json::json!([3, 4]));
	}

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
