//! Scaffolding for this and other pallets' tests: not part of the runtime's logic. Built with
//! `std` only, as other crates' tests reach it through their ordinary dependency on this one.

use crate::{
	AccountConsent, Config, DeviceId, DeviceKind, DeviceRegistration, FirmwareVersion, OrgId,
	OrgOfAccount, OrgRoles, Pallet, ProvenRegistration,
};
use core::marker::PhantomData;
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

/// The organisations and devices a pallet's tests start from, so each mock lists them instead
/// of repeating the calls that create them. [`Fixture::build`] creates the organisations
/// first, in the order given (the first gets `OrgId` 0), then registers the devices, in the
/// order given: the same list always yields the same ids, state and events.
#[must_use = "nothing is created until `build` is called"]
pub struct Fixture<T> {
	orgs: Vec<OrgSpec>,
	devices: Vec<DeviceSpec>,
	_runtime: PhantomData<T>,
}

/// An organisation for [`Fixture`] to create.
struct OrgSpec {
	name: Vec<u8>,
	roles: OrgRoles,
	admin: u64,
}

/// A device or gateway for [`Fixture`] to register, as [`register_for_tests`] takes it.
struct DeviceSpec {
	registrant: u64,
	id: DeviceId,
	kind: DeviceKind,
	model: Vec<u8>,
	account: u64,
}

// By hand: deriving would require `T: Default`, which test runtimes are not.
impl<T> Default for Fixture<T> {
	fn default() -> Self {
		Self { orgs: Vec::new(), devices: Vec::new(), _runtime: PhantomData }
	}
}

impl<T> Fixture<T>
where
	T: Config<AccountId = u64, ConsentSignature = TestSignature>,
{
	/// No organisations and no devices yet.
	pub fn new() -> Self {
		Self::default()
	}

	/// Adds an organisation called `name`, playing `roles`, with `admin` as its first admin.
	pub fn org(mut self, name: &[u8], roles: OrgRoles, admin: u64) -> Self {
		self.orgs.push(OrgSpec { name: name.to_vec(), roles, admin });
		self
	}

	/// Adds device or gateway `id` of `model`, signing with `account`, for the organisation
	/// `registrant` acts for (see [`register_for_tests`]).
	pub fn device(
		mut self,
		registrant: u64,
		id: DeviceId,
		kind: DeviceKind,
		model: &[u8],
		account: u64,
	) -> Self {
		let model = model.to_vec();
		self.devices.push(DeviceSpec { registrant, id, kind, model, account });
		self
	}

	/// Creates the organisations through governance (the root origin, which the mock's
	/// `GovernanceOrigin` must accept), then registers the devices. Panics, naming the step,
	/// if one fails: no test means anything on a half-built fixture. A mock whose own steps
	/// must come between the organisations and the devices builds two fixtures.
	pub fn build(self) {
		for org in self.orgs {
			org.create::<T>();
		}
		for device in self.devices {
			device.register::<T>();
		}
	}
}

impl OrgSpec {
	fn create<T: Config<AccountId = u64>>(self) {
		let Self { name, roles, admin } = self;
		let shown = String::from_utf8_lossy(&name).into_owned();
		if let Err(error) =
			Pallet::<T>::create_org(frame_system::RawOrigin::Root.into(), name, roles, admin)
		{
			panic!("creating organisation {shown:?} (admin {admin}) failed: {error:?}");
		}
	}
}

impl DeviceSpec {
	fn register<T>(self)
	where
		T: Config<AccountId = u64, ConsentSignature = TestSignature>,
	{
		let Self { registrant, id, kind, model, account } = self;
		if let Err(error) = register_for_tests::<T>(registrant, id, kind, &model, account) {
			panic!(
				"registering {kind:?} {id:?} (account {account}) by {registrant} failed: {error:?}"
			);
		}
	}
}
