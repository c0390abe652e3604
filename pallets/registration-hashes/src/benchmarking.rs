//! Benchmarks of every call, each in its most expensive case.

use super::*;
use crate::Pallet as Registrations;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use iotchain_certification_scheme::Combination;
use pallet_access_grants::{AccessRightsBenchmarking, Subject};
use pallet_device_registry::{DeviceId, DeviceRegistryBenchmarking, OrgId, OrgRoles};

// Distinct from the ids the unit tests' mock registers at genesis.
const DEVICE: DeviceId = [0xbe; 32];
const USER_DEVICE: UserDeviceId = [2; 32];

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(
		<T as frame_system::Config>::RuntimeEvent::from(event).into(),
	);
}

/// A certifier organisation whose admin acts, and an active device of another organisation
/// that granted the certifier `register` on it; returns the admin and how its registrations
/// are recorded.
fn certifier_and_device<T: Config>() -> (T::AccountId, Recorder)
where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
	T::Access: AccessRightsBenchmarking<T::AccountId>,
{
	let certifier: T::AccountId = account("certifier", 0, 0);
	let owner: T::AccountId = account("owner", 0, 0);
	let org = T::Registry::org_for_benchmark(
		&certifier,
		OrgRoles { certifier: true, ..Default::default() },
	);
	T::Registry::org_for_benchmark(&owner, OrgRoles { manufacturer: true, ..Default::default() });
	T::Registry::device_for_benchmark(&owner, DEVICE, &account("device", 0, 0));
	grant_register::<T>(org, &DEVICE);
	(certifier, Recorder::Certifier(org))
}

/// The costliest grants for the register check to read: the certifier's organisation's grant
/// the last one the check reads.
fn grant_register<T: Config>(org: OrgId, device: &DeviceId)
where
	T::Access: AccessRightsBenchmarking<T::AccountId>,
{
	T::Access::grant_for_benchmark(Subject::Organisation(org), device, true);
}

fn hash_credential() -> Credential {
	let combination = Combination::from_bits(0b111).expect("all three hashes are valid");
	Credential::Hash { registration_hash: [3; 32], combination }
}

#[benchmarks(where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
	T::Access: AccessRightsBenchmarking<T::AccountId>,
)]
mod benchmarks {
	use super::*;

	/// A certifier (the longer authorisation path) registers a new pair, the last its device
	/// may have: a new pair also reads and writes the device's pair count, which costs more
	/// than reading the standing version a re-registration checks.
	#[benchmark]
	fn register() {
		let (certifier, _) = certifier_and_device::<T>();
		// The other pairs themselves are never read: only their count.
		PairCount::<T>::insert(DEVICE, T::MaxPairsPerDevice::get().saturating_sub(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(certifier.clone()), DEVICE, USER_DEVICE, hash_credential(), [4; 32]);

		assert_eq!(LatestVersion::<T>::get(DEVICE, USER_DEVICE), Some(1));
		assert_eq!(PairCount::<T>::get(DEVICE), T::MaxPairsPerDevice::get());
	}

	/// A certifier registers `n` new pairs, each the last its device may have, as `register`.
	#[benchmark]
	fn register_pairs(n: Linear<1, { T::MaxBatchSize::get() }>) {
		let (certifier, recorder) = certifier_and_device::<T>();
		let Recorder::Certifier(org) = recorder else { unreachable!("a certifier records") };
		let owner: T::AccountId = account("owner", 0, 0);
		let pairs: Vec<_> = (0..n)
			.map(|i| {
				let mut device = DEVICE;
				device[..4].copy_from_slice(&i.to_le_bytes());
				if device != DEVICE {
					T::Registry::device_for_benchmark(
						&owner,
						device,
						&account("pair-device", i, 0),
					);
					grant_register::<T>(org, &device);
				}
				PairCount::<T>::insert(device, T::MaxPairsPerDevice::get().saturating_sub(1));
				PairRegistration {
					device,
					user_device: USER_DEVICE,
					credential: hash_credential(),
					app_integrity_key: [4; 32],
				}
			})
			.collect();
		let last = pairs.last().expect("n is at least 1").device;
		let pairs = frame_support::BoundedVec::<_, T::MaxBatchSize>::truncate_from(pairs);

		#[extrinsic_call]
		_(RawOrigin::Signed(certifier), pairs);

		assert_eq!(LatestVersion::<T>::get(last, USER_DEVICE), Some(1));
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
