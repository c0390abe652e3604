//! Benchmarks of every call, each in its most expensive case.

use super::*;
use crate::Pallet as Registrations;
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use iotchain_certification_scheme::Combination;
use pallet_device_registry::{DeviceId, DeviceRegistry, OrgRoles};

// Distinct from the ids the unit tests' mock registers at genesis.
const DEVICE: DeviceId = [0xbe; 32];
const USER_DEVICE: UserDeviceId = [2; 32];

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(
		<T as frame_system::Config>::RuntimeEvent::from(event).into(),
	);
}

/// A certifier organisation whose admin acts, and an active device of another organisation;
/// returns the admin and how its registrations are recorded.
fn certifier_and_device<T: Config>() -> (T::AccountId, Recorder) {
	let certifier: T::AccountId = account("certifier", 0, 0);
	let owner: T::AccountId = account("owner", 0, 0);
	let org = T::Registry::org_for_benchmark(
		&certifier,
		OrgRoles { certifier: true, ..Default::default() },
	);
	T::Registry::org_for_benchmark(&owner, OrgRoles { manufacturer: true, ..Default::default() });
	T::Registry::device_for_benchmark(&owner, DEVICE, &account("device", 0, 0));
	(certifier, Recorder::Certifier(org))
}

fn hash_credential() -> Credential {
	let combination = Combination::from_bits(0b111).expect("all three hashes are valid");
	Credential::Hash { registration_hash: [3; 32], combination }
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A certifier (the longer authorisation path) adds the last version a pair may have.
	#[benchmark]
	fn register() {
		let (certifier, recorder) = certifier_and_device::<T>();
		for _ in 1..T::MaxVersions::get() {
			Registrations::<T>::register_for_benchmark(
				&certifier,
				&DEVICE,
				&USER_DEVICE,
				hash_credential(),
				recorder,
			);
		}
		let version = T::MaxVersions::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(certifier.clone()), DEVICE, USER_DEVICE, hash_credential(), [4; 32]);

		assert_eq!(LatestVersion::<T>::get(DEVICE, USER_DEVICE), Some(version));
	}

	/// The device's owner (checked after the recorder) revokes.
	#[benchmark]
	fn revoke() {
		let (certifier, recorder) = certifier_and_device::<T>();
		Registrations::<T>::register_for_benchmark(
			&certifier,
			&DEVICE,
			&USER_DEVICE,
			hash_credential(),
			recorder,
		);
		let owner: T::AccountId = account("owner", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner.clone()), DEVICE, USER_DEVICE, 1);

		assert_last_event::<T>(Event::Revoked {
			device: DEVICE,
			user_device: USER_DEVICE,
			version: 1,
			by: owner,
		});
	}

	impl_benchmark_test_suite!(Registrations, crate::mock::new_test_ext(), crate::mock::Test);
}
