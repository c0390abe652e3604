//! What can go wrong talking to the chain, each with a message an operator can act on.

use std::path::PathBuf;

/// The result of every client operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an operation did not complete.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The node could not be reached or the connection broke.
	#[error("cannot reach the node at {url}: {reason}")]
	Unreachable { url: String, reason: String },
	/// The node runs a runtime whose calls or types differ from the metadata this client was
	/// built with.
	#[error(
		"the node's runtime does not match this client's metadata ({0}); rebuild the client \
		 against it (scripts/refresh-metadata.sh)"
	)]
	IncompatibleRuntime(String),
	/// The transaction was included but its call failed with a pallet error.
	#[error("{pallet}::{variant}: {doc}")]
	Dispatch { pallet: String, variant: String, doc: String },
	/// The transaction was included but its call failed with a system-level error.
	#[error("dispatch failed: {0}")]
	DispatchOther(String),
	/// The transaction pool refused the signer: the chain admits only accounts it knows.
	#[error(
		"Admission: the chain does not know the signer {0}; only council members, validators, \
		 organisation accounts and active devices or gateways may transact"
	)]
	SignerNotAdmitted(String),
	/// A device or gateway already has its quota of transactions in the block being built.
	#[error(
		"Admission: the signing device or gateway has used its transactions for this block; \
		 submit again in the next block"
	)]
	OverBlockQuota,
	/// The transaction pool refused the transaction for another reason.
	#[error("the transaction pool refused the transaction: {0}")]
	Refused(String),
	/// The transaction left the pool without being included.
	#[error("the transaction was dropped before inclusion: {0}")]
	Dropped(String),
	/// An operation that signs was asked of a client without a key.
	#[error("this needs a signing key: pass --suri or --key-file")]
	NoSigner,
	/// A secret URI or key file does not hold a usable sr25519 key.
	#[error("bad signing key: {0}")]
	BadKey(String),
	/// A key or secret file that other users can read: refused, as ssh refuses such keys.
	#[error("{path} is readable by group or others (mode {mode:o}): run `chmod 600` on it")]
	ExposedSecretFile { path: PathBuf, mode: u32 },
	/// A secret that does not parse; the message never repeats the secret.
	#[error("malformed {what}: {reason}")]
	MalformedSecret { what: &'static str, reason: String },
	/// Input that does not parse as what it should be.
	#[error("malformed {what} '{input}': {reason}")]
	Malformed { what: &'static str, input: String, reason: String },
	/// Input that is well formed but not acceptable.
	#[error("invalid {what}: {reason}")]
	Invalid { what: &'static str, reason: String },
	/// Something asked for does not exist on chain.
	#[error("no {what} {id} on chain")]
	NotFound { what: &'static str, id: String },
	/// A file could not be read or written.
	#[error("cannot read {path}: {source}")]
	File { path: PathBuf, source: std::io::Error },
	/// Anything else the node or subxt reported.
	#[error("{0}")]
	Node(String),
}

impl Error {
	/// [`Error::Malformed`]: `input`, given as `what`, does not parse, for `reason`.
	pub fn malformed(what: &'static str, input: &str, reason: impl ToString) -> Self {
		Error::Malformed { what, input: input.to_owned(), reason: reason.to_string() }
	}

	/// [`Error::Invalid`]: `what` is well formed but not acceptable, for `reason`.
	pub fn invalid(what: &'static str, reason: impl ToString) -> Self {
		Error::Invalid { what, reason: reason.to_string() }
	}

	/// Reads a pool refusal's message: the admission extension's codes become their own errors.
	pub(crate) fn from_pool_message(message: &str, signer: Option<String>) -> Self {
		// The pool reports `InvalidTransaction::Custom(code)` as "Custom error: <code>" (legacy
		// RPC) or "Invalid transaction with custom error: <code>" (transaction watch RPC).
		let lower = message.to_lowercase();
		let code = lower.split_once("custom error: ").and_then(|(_, rest)| {
			let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
			digits.parse::<u8>().ok()
		});
		match code {
			Some(1) => Error::SignerNotAdmitted(signer.unwrap_or_else(|| "(unknown)".into())),
			Some(2) => Error::OverBlockQuota,
			_ => Error::Refused(message.to_owned()),
		}
	}

	/// A dispatch error from a failed extrinsic, with the pallet's error documentation, named
	/// with the `metadata` of the block that includes it.
	pub(crate) fn from_dispatch(
		error: subxt::error::DispatchError,
		metadata: &subxt::Metadata,
	) -> Self {
		match &error {
			subxt::error::DispatchError::Module(module) => {
				DispatchName::of(metadata, module.pallet_index(), module.error_index())
					.map(Error::from)
					// subxt's own text: "Unknown pallet error '[..]' (..)".
					.unwrap_or_else(|| Error::DispatchOther(module.to_string()))
			},
			other => Error::DispatchOther(format!("{other:?}")),
		}
	}

	/// A dispatch error as an event's JSON rendering shows it (a sudo call's or a council
	/// motion's result): [`Error::Dispatch`] when `metadata` names it, else that JSON as text.
	pub(crate) fn from_dispatch_json(
		metadata: &subxt::Metadata,
		error: &serde_json::Value,
	) -> Self {
		DispatchName::from_json(metadata, error)
			.map(Error::from)
			.unwrap_or_else(|| Error::DispatchOther(error.to_string()))
	}
}

/// A pallet's error as the metadata names it: the one way this client and its callers name a
/// `DispatchError::Module`, whether it came as a failed extrinsic's error or inside an event.
/// Displays as `Pallet::Variant`; as an [`Error`] it reads `Pallet::Variant: doc text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DispatchName {
	pub pallet: String,
	pub variant: String,
	/// The variant's documentation, its lines joined.
	pub doc: String,
}

impl DispatchName {
	/// The error `error_index` of the pallet whose error enum is at `pallet_index` in the
	/// runtime's (a `DispatchError::Module`'s `index` and the first byte of its `error`), if
	/// `metadata` has it.
	pub fn of(metadata: &subxt::Metadata, pallet_index: u8, error_index: u8) -> Option<Self> {
		let pallet = metadata.pallet_by_error_index(pallet_index)?;
		let variant = pallet.error_variant_by_index(error_index)?;
		Some(DispatchName {
			pallet: pallet.name().to_owned(),
			variant: variant.name.clone(),
			doc: variant.docs.join(" ").trim().to_owned(),
		})
	}

	/// The same, from a dispatch error as events render it in JSON:
	/// `{"Module": {"index": 9, "error": "0x05000000"}}`. `None` for any other error.
	pub fn from_json(metadata: &subxt::Metadata, error: &serde_json::Value) -> Option<Self> {
		let module = error.get("Module")?;
		let pallet_index = u8::try_from(module.get("index")?.as_u64()?).ok()?;
		let digits = module.get("error")?.as_str()?.trim_start_matches("0x");
		let error_index = *hex::decode(digits).ok()?.first()?;
		Self::of(metadata, pallet_index, error_index)
	}
}

/// `Pallet::Variant`.
impl std::fmt::Display for DispatchName {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{}::{}", self.pallet, self.variant)
	}
}

impl From<DispatchName> for Error {
	fn from(name: DispatchName) -> Self {
		Error::Dispatch { pallet: name.pallet, variant: name.variant, doc: name.doc }
	}
}

/// Subxt's errors, sorted into the ones an operator can act on.
impl From<subxt::Error> for Error {
	fn from(error: subxt::Error) -> Self {
		let text = error.to_string();
		if text.contains("not compatible with the live chain") {
			return Error::IncompatibleRuntime(text);
		}
		if error.is_disconnected_will_reconnect() || text.contains("restart required") {
			return Error::Unreachable { url: String::new(), reason: text };
		}
		if text.to_lowercase().contains("custom error") {
			return Error::from_pool_message(&text, None);
		}
		Error::Node(text)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// A pallet's error as events render it is named from the committed metadata, the way
	/// the governance wrapper and the gateway's outcomes read it; anything else is left as is.
	#[test]
	fn dispatch_errors_are_named_from_the_metadata() {
		static METADATA: &[u8] = include_bytes!("../artifacts/iotchain.scale");
		let metadata = subxt::Metadata::decode_from(METADATA).unwrap();
		let pallet = metadata.pallet_by_name("LoginRecords").unwrap();
		let variant = pallet.error_variant_by_index(0).unwrap();
		let rendered = serde_json::json!({
			"Module": {"index": pallet.error_index(), "error": "0x00000000"},
		});
		let name = DispatchName::from_json(&metadata, &rendered).unwrap();
		assert_eq!(name.to_string(), format!("LoginRecords::{}", variant.name));
		assert_eq!(name, DispatchName::of(&metadata, pallet.error_index(), 0).unwrap());
		assert!(matches!(
			Error::from_dispatch_json(&metadata, &rendered),
			Error::Dispatch { pallet, variant: named, .. }
				if pallet == "LoginRecords" && named == variant.name
		));
		let other = serde_json::json!("BadOrigin");
		assert_eq!(DispatchName::from_json(&metadata, &other), None);
		assert_eq!(
			Error::from_dispatch_json(&metadata, &other).to_string(),
			"dispatch failed: \"BadOrigin\""
		);
	}

	#[test]
	fn admission_refusals_are_named_from_either_rpc_wording() {
		for message in ["Custom error: 1", "Invalid transaction with custom error: 1"] {
			assert!(matches!(
				Error::from_pool_message(message, Some("5Grw".into())),
				Error::SignerNotAdmitted(signer) if signer == "5Grw"
			));
		}
		assert!(matches!(
			Error::from_pool_message("Invalid transaction with custom error: 2", None),
			Error::OverBlockQuota
		));
		assert!(matches!(
			Error::from_pool_message("Invalid transaction with custom error: 12", None),
			Error::Refused(_)
		));
		assert!(matches!(
			Error::from_pool_message("Transaction is outdated", None),
			Error::Refused(_)
		));
	}
}

macro_rules! via_subxt_error {
	($($error:ty),* $(,)?) => {
		$(impl From<$error> for Error {
			fn from(error: $error) -> Self {
				subxt::Error::from(error).into()
			}
		})*
	};
}

via_subxt_error!(
	subxt::error::OnlineClientAtBlockError,
	subxt::error::ExtrinsicError,
	subxt::error::StorageError,
	subxt::error::RuntimeApiError,
	subxt::error::EventsError,
	subxt::error::BlocksError,
	subxt::error::BackendError,
	subxt::error::ConstantError,
	subxt::error::StorageValueError,
	subxt::error::StorageKeyError,
	subxt::error::ExtrinsicDecodeErrorAt,
	subxt::error::TransactionProgressError,
);

impl From<subxt::rpcs::Error> for Error {
	fn from(error: subxt::rpcs::Error) -> Self {
		Error::Node(error.to_string())
	}
}
