//! Events as their block recorded them: the bytes of their fields and the metadata of their
//! block, found and decoded by type ([`ChainEvent::as_event`], [`crate::Receipt::find`]) and
//! rendered as JSON ([`EventRecord`]) only where they are printed. Behaviour never hangs on an
//! event's name as text: renaming an event in the runtime breaks the build of whatever reads
//! it, instead of silently changing what it does.

use crate::{render::EventRecord, runtime, ChainConfig, Error, Result};
use scale_info::{form::PortableForm, Variant};
use subxt::{
	events::DecodeAsEvent,
	ext::scale_decode::{DecodeAsFields, DecodeAsType, Field},
	ArcMetadata, Metadata,
};

/// One event: its pallet's and variant's names and indices, the bytes of its fields, and the
/// metadata of its block to decode them with.
#[derive(Clone)]
pub struct ChainEvent {
	pallet: String,
	name: String,
	pallet_index: u8,
	variant_index: u8,
	fields: Vec<u8>,
	/// Shared, not copied: subxt keeps a block's metadata behind an `Arc`.
	metadata: ArcMetadata,
}

impl ChainEvent {
	/// Keeps `event`, read from a block whose metadata is `metadata`.
	pub(crate) fn from_subxt(
		event: &subxt::events::Event<'_, ChainConfig>,
		metadata: &ArcMetadata,
	) -> Self {
		ChainEvent {
			pallet: event.pallet_name().to_owned(),
			name: event.event_name().to_owned(),
			pallet_index: event.pallet_index(),
			variant_index: event.event_index(),
			fields: event.field_bytes().to_vec(),
			metadata: metadata.clone(),
		}
	}

	/// The name of the pallet that emitted it, as its block's metadata gives it: for display,
	/// and for what operators filter by; code decides by type ([`ChainEvent::is`]).
	pub fn pallet(&self) -> &str {
		&self.pallet
	}

	/// The event's name (its variant), as its block's metadata gives it: for display.
	pub fn name(&self) -> &str {
		&self.name
	}

	/// Whether this is an `E` (the pallet and the event both match), without decoding it.
	pub fn is<E: DecodeAsEvent>(&self) -> bool {
		E::is_event(&self.pallet, &self.name)
	}

	/// This event decoded as an `E` (one of `crate::runtime::<pallet>::events`), or `None` if it
	/// is another event; an error if it is an `E` whose fields do not decode as one.
	pub fn as_event<E: DecodeAsEvent>(&self) -> Option<Result<E>> {
		self.is::<E>().then(|| self.decode_fields())
	}

	/// This event as the runtime's outer event enum (`runtime::Event`): every pallet's events
	/// in one type, so a caller can match on all of one pallet's events at once.
	pub fn as_runtime_event(&self) -> Result<runtime::Event> {
		let mut bytes = Vec::with_capacity(self.fields.len() + 2);
		bytes.extend_from_slice(&[self.pallet_index, self.variant_index]);
		bytes.extend_from_slice(&self.fields);
		<runtime::Event as DecodeAsType>::decode_as_type(
			&mut &bytes[..],
			self.metadata.outer_enums().event_enum_ty(),
			self.metadata.types(),
		)
		.map_err(|error| self.undecodable(error))
	}

	/// The SCALE encoding of the event's fields, exactly as its block holds them: what a
	/// gateway's signed outcome commits to, so a device decodes the chain's own record.
	pub fn field_bytes(&self) -> &[u8] {
		&self.fields
	}

	/// The event as JSON, decoded with the types of its block's metadata: accounts as SS58,
	/// byte strings as hex.
	pub fn record(&self) -> Result<EventRecord> {
		EventRecord::decode(&self.pallet, self.variant()?, &self.fields, &self.metadata)
	}

	/// The metadata of the event's block: what names the errors its fields carry.
	pub(crate) fn metadata(&self) -> &Metadata {
		&self.metadata
	}

	/// The rendering for output, which cannot fail: an event whose fields do not decode (never
	/// seen: subxt has already walked them with the same types) says so in its fields.
	fn rendered(&self) -> EventRecord {
		self.record().unwrap_or_else(|error| EventRecord {
			pallet: self.pallet.clone(),
			name: self.name.clone(),
			fields: serde_json::json!({ "undecodable": error.to_string() }),
		})
	}

	/// The event's variant in its block's metadata: its fields' names and types.
	fn variant(&self) -> Result<&Variant<PortableForm>> {
		self.metadata
			.pallet_by_event_index(self.pallet_index)
			.and_then(|pallet| pallet.event_variant_by_index(self.variant_index))
			.ok_or_else(|| {
				Error::Node(format!("{}.{} is not in the metadata", self.pallet, self.name))
			})
	}

	/// Decodes the fields as `E`, as subxt's own `Event::decode_fields_unchecked_as` does: the
	/// caller has checked that this event is an `E`.
	fn decode_fields<E: DecodeAsFields>(&self) -> Result<E> {
		let variant = self.variant()?;
		let mut fields = variant
			.fields
			.iter()
			.map(|field| Field::new(field.ty.id, field.name.as_deref()));
		E::decode_as_fields(&mut &self.fields[..], &mut fields, self.metadata.types())
			.map_err(|error| self.undecodable(error))
	}

	fn undecodable(&self, error: impl std::fmt::Display) -> Error {
		Error::Node(format!("cannot decode the event {}.{}: {error}", self.pallet, self.name))
	}
}

/// Serialised as its JSON rendering, [`EventRecord`]: `{"pallet", "name", "fields"}`.
impl serde::Serialize for ChainEvent {
	fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
		serde::Serialize::serialize(&self.rendered(), serializer)
	}
}

/// `Pallet.Name {fields as JSON}`, as [`EventRecord`] prints.
impl std::fmt::Display for ChainEvent {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		std::fmt::Display::fmt(&self.rendered(), f)
	}
}

/// Without the metadata, which is the whole runtime's; the fields as their JSON rendering.
impl std::fmt::Debug for ChainEvent {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let record = self.rendered();
		f.debug_struct("ChainEvent")
			.field("pallet", &record.pallet)
			.field("name", &record.name)
			.field("fields", &format_args!("{}", record.fields))
			.finish()
	}
}

/// The same event: the same pallet, variant and field bytes (the metadata is not compared).
impl PartialEq for ChainEvent {
	fn eq(&self, other: &Self) -> bool {
		self.pallet_index == other.pallet_index
			&& self.variant_index == other.variant_index
			&& self.fields == other.fields
			&& self.pallet == other.pallet
			&& self.name == other.name
	}
}
