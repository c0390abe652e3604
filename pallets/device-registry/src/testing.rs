//! Scaffolding for this and other pallets' tests: not part of the runtime's logic. Built with
//! `std` only, as other crates' tests reach it through their ordinary dependency on this one.

use crate::{
	AccountConsent, Config, DeviceId, DeviceKind, DeviceRegistration, FirmwareVersion, OrgId,
	OrgOfAccount, Pallet, ProvenRegistration,
};
use frame_system::pallet_prelude::BlockNumberFor;
pub use iotchain_possession_proofs::OrgRole;
use sp_runtime::testing::TestSignature;

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
	T: Config<AccountId = u64, ConsentSignature = sp_runtime::testing::TestSignature>,
{
	let org = OrgOfAccount::<T>::get(registrant).unwrap_or_default();
	let key_proof =
		TestSignature(account, Pallet::<T>::key_proof_payload(org, kind, &id, &account));
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

/// `account`'s test consent to join `org` as `role`, valid until block `valid_until`.
pub fn consent_for_tests<T>(
	org: OrgId,
	role: OrgRole,
	account: u64,
	valid_until: BlockNumberFor<T>,
) -> AccountConsent<BlockNumberFor<T>, TestSignature>
where
	T: Config<AccountId = u64, ConsentSignature = TestSignature>,
{
	let payload = Pallet::<T>::consent_payload(org, role, valid_until, &account);
	AccountConsent { valid_until, signature: TestSignature(account, payload) }
}

/// Adds `account`, consenting, to the organisation `admin` administers as `role`: as a member
/// at once; as an admin, by `admin`'s approval (enough while it is the only admin). How other
/// pallets' tests staff organisations.
pub fn add_account_for_tests<T>(
	admin: u64,
	account: u64,
	role: OrgRole,
) -> frame_support::dispatch::DispatchResult
where
	T: Config<AccountId = u64, ConsentSignature = TestSignature>,
{
	let org = OrgOfAccount::<T>::get(admin).unwrap_or_default();
	let valid_until = frame_system::Pallet::<T>::block_number() + 100u32.into();
	let consent = consent_for_tests::<T>(org, role, account, valid_until);
	let origin = frame_system::RawOrigin::Signed(admin).into();
	match role {
		OrgRole::Admin => Pallet::<T>::add_admin(origin, account, consent),
		OrgRole::Member => Pallet::<T>::add_member(origin, account, consent),
	}
}
