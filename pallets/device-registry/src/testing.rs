//! Scaffolding for this and other pallets' tests: not part of the runtime's logic. Built with
//! `std` only, as other crates' tests reach it through their ordinary dependency on this one.

use crate::{
	Config, DeviceId, DeviceKind, DeviceRegistration, FirmwareVersion, OrgOfAccount, Pallet,
	ProvenRegistration,
};

/// Registers device or gateway `id` of `model`, signing with `account` and leaving the
/// factory on firmware 1.0.0, for the organisation `registrant` acts for, with its key's
/// test proof: how other pallets' tests enrol devices.
pub fn register_for_tests<T>(
	registrant: u64,
	id: DeviceId,
	kind: DeviceKind,
	model: &[u8],
	account: u64,
) -> frame_support::dispatch::DispatchResult
where
	T: Config<AccountId = u64, DeviceKeySignature = sp_runtime::testing::TestSignature>,
{
	let org = OrgOfAccount::<T>::get(registrant).unwrap_or_default();
	let key_proof = sp_runtime::testing::TestSignature(
		account,
		Pallet::<T>::key_proof_payload(org, &id, &account),
	);
	let registration = DeviceRegistration {
		id,
		kind,
		model: model.to_vec(),
		account,
		metadata_hash: [0; 32],
		firmware: FirmwareVersion { major: 1, minor: 0, patch: 0 },
	};
	Pallet::<T>::register_device(
		frame_system::RawOrigin::Signed(registrant).into(),
		ProvenRegistration { registration, key_proof },
	)
}
