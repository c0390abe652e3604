//! Read access for gateways, clients and auditors: may a subject do something now, and the
//! grants of an object or a subject, paged.

use crate::{GrantId, Right};
use alloc::vec::Vec;
use codec::Codec;
use pallet_device_registry::DeviceId;

sp_api::decl_runtime_apis! {
	/// Queries of the access grants. `Subject`, `Object` and `Grant` are the runtime's types.
	pub trait AccessGrantsApi<Subject, Object, Grant>
	where
		Subject: Codec,
		Object: Codec,
		Grant: Codec,
	{
		/// Whether `subject` may exercise `right` on the active device `device` now.
		fn may(subject: Subject, right: Right, device: DeviceId) -> bool;

		/// The grants in force now that give `subject` rights on the active device `device`
		/// (a gateway reads the read level from them).
		fn grants_in_force(subject: Subject, device: DeviceId) -> Vec<(GrantId, Grant)>;

		/// The grants on `object` (exactly that object), by number, after `start_after`, at
		/// most `limit`.
		fn grants_of_object(object: Object, start_after: Option<GrantId>, limit: u32)
			-> Vec<(GrantId, Grant)>;

		/// The grants `subject` holds, by number, after `start_after`, at most `limit`.
		fn grants_of_subject(subject: Subject, start_after: Option<GrantId>, limit: u32)
			-> Vec<(GrantId, Grant)>;
	}
}
