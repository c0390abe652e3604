//! Benchmarks of every call, each in its most expensive case.

use super::*;
use crate::Pallet as Logins;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{traits::Get, BoundedVec};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use iotchain_certification_scheme::{login_payload, Combination};
use pallet_access_grants::{AccessRightsBenchmarking, Subject};
use pallet_device_registry::{DeviceId, DeviceRegistryBenchmarking, OrgRoles};
use pallet_registration_hashes::{
	Credential, Recorder, RegistrationLookup, UserDeviceId, UserDeviceKey,
};
use sp_core::crypto::KeyTypeId;
use sp_runtime::traits::{One, Saturating, UniqueSaturatedInto};

// Distinct from the ids the unit tests' mock registers at genesis.
const DEVICE: DeviceId = [0xbe; 32];
const USER_DEVICE: UserDeviceId = [2; 32];
const BENCHMARK_KEYS: KeyTypeId = KeyTypeId(*b"bnch");

/// A certifier organisation's admin, an active device of another organisation and that
/// organisation's admin, which granted the certifier `register` and the user device `login` on
/// the device; returns (certifier, how the certifier records, device account, owner).
fn accounts<T: Config>() -> (T::AccountId, Recorder, T::AccountId, T::AccountId)
where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
	T::Access: AccessRightsBenchmarking<T::AccountId>,
{
	let certifier: T::AccountId = account("certifier", 0, 0);
	let owner: T::AccountId = account("owner", 0, 0);
	let device: T::AccountId = account("device", 0, 0);
	let certifier_org = T::Registry::org_for_benchmark(
		&certifier,
		OrgRoles { certifier: true, ..Default::default() },
	);
	T::Registry::org_for_benchmark(&owner, OrgRoles { manufacturer: true, ..Default::default() });
	T::Registry::device_for_benchmark(&owner, DEVICE, &device);
	// The costliest to check: the certifier's organisation's grant and the user device's each
	// the last one its check reads.
	T::Access::grant_for_benchmark(Subject::Organisation(certifier_org), &DEVICE, true);
	T::Access::grant_for_benchmark(Subject::UserDevice(USER_DEVICE), &DEVICE, true);
	(certifier, Recorder::Certifier(certifier_org), device, owner)
}

/// The worst state an attempt meets: the pair's spent-nonce list one short of full (every
/// entry scanned, none expired), a ring that has wrapped, and the pair one failure from locking.
fn worst_case_history<T: Config>() {
	worst_case_history_of::<T>(DEVICE, USER_DEVICE);
}

/// [`worst_case_history`] for the pair (`device`, `user_device`).
fn worst_case_history_of<T: Config>(device: DeviceId, user_device: UserDeviceId) {
	let far = frame_system::Pallet::<T>::block_number().saturating_add(T::ChallengeLifetime::get());
	let spent: Vec<_> = (1..T::MaxLoginsPerChallengeLifetime::get())
		.map(|i| {
			let mut nonce = [0xee; 32];
			nonce[..4].copy_from_slice(&i.to_le_bytes());
			(nonce, far)
		})
		.collect();
	SpentNonces::<T>::insert(device, user_device, BoundedVec::truncate_from(spent));
	AttemptCount::<T>::insert(device, u64::from(T::MaxRecentLogins::get()) * 3);
	PairStates::<T>::insert(
		device,
		user_device,
		PairState {
			consecutive_failures: T::MaxFailures::get().saturating_sub(1),
			locked_since: None,
		},
	);
}

fn hash_credential() -> Credential {
	let combination = Combination::from_bits(0b111).expect("all three hashes are valid");
	Credential::Hash { registration_hash: [3; 32], combination }
}

fn now<T: Config>() -> BlockNumberFor<T> {
	frame_system::Pallet::<T>::block_number()
}

#[benchmarks(where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
	T::Access: AccessRightsBenchmarking<T::AccountId>,
)]
mod benchmarks {
	use super::*;

	/// A certifier reports a failure that locks the pair.
	#[benchmark]
	fn report_login() {
		let (certifier, recorder, _, _) = accounts::<T>();
		T::Registrations::register_for_benchmark(
			&certifier,
			&DEVICE,
			&USER_DEVICE,
			hash_credential(),
			recorder,
		);
		worst_case_history::<T>();
		let outcome = LoginOutcome::Failure(FailureReason::BadCertificationHash);

		#[extrinsic_call]
		_(RawOrigin::Signed(certifier), DEVICE, USER_DEVICE, [7; 32], now::<T>(), outcome, [8; 32]);

		assert!(Logins::<T>::pair_state(&DEVICE, &USER_DEVICE).locked_since.is_some());
	}

	/// The pair's certifier (the longest authorisation path) relays an sr25519 signature that
	/// verifies in full but over another nonce, so it fails and locks the pair.
	#[benchmark]
	fn submit_signed_login() {
		let (certifier, recorder, _, _) = accounts::<T>();
		let public = sp_io::crypto::sr25519_generate(BENCHMARK_KEYS, None);
		T::Registrations::register_for_benchmark(
			&certifier,
			&DEVICE,
			&USER_DEVICE,
			Credential::Key(UserDeviceKey::Sr25519(public.0)),
			recorder,
		);
		worst_case_history::<T>();
		let challenge_block = now::<T>();
		let other_nonce = login_payload(
			&Logins::<T>::genesis_hash(),
			&DEVICE,
			&USER_DEVICE,
			&[6; 32],
			challenge_block.unique_saturated_into(),
		);
		let signature = sp_io::crypto::sr25519_sign(BENCHMARK_KEYS, &public, &other_nonce)
			.expect("the key was just generated in the keystore");

		#[extrinsic_call]
		_(
			RawOrigin::Signed(certifier),
			DEVICE,
			USER_DEVICE,
			[7; 32],
			challenge_block,
			UserDeviceSignature::Sr25519(signature),
		);

		let state = Logins::<T>::pair_state(&DEVICE, &USER_DEVICE);
		assert!(state.locked_since.is_some());
	}

	/// A gateway relays `n` logins, each for another device it serves, each in the worst state
	/// `submit_signed_login` meets: a full sr25519 verification that fails and locks the pair.
	#[benchmark]
	fn submit_signed_logins(n: Linear<1, { T::MaxBatchSize::get() }>) {
		let operator: T::AccountId = account("operator", 0, 0);
		T::Registry::org_for_benchmark(
			&operator,
			OrgRoles { operator: true, ..Default::default() },
		);
		let certifier: T::AccountId = account("certifier", 0, 0);
		let certifier_org = T::Registry::org_for_benchmark(
			&certifier,
			OrgRoles { certifier: true, ..Default::default() },
		);
		let gateway: T::AccountId = account("gateway", 0, 0);
		let public = sp_io::crypto::sr25519_generate(BENCHMARK_KEYS, None);
		let challenge_block = now::<T>();
		let mut logins = Vec::new();
		for i in 0..n {
			let mut device = DEVICE;
			device[..4].copy_from_slice(&i.to_le_bytes());
			T::Registry::device_for_benchmark(&operator, device, &account("device", i, 0));
			if i == 0 {
				T::Registry::gateway_for_benchmark(&operator, device, [0x9a; 32], &gateway);
			} else {
				T::Registry::assign_for_benchmark(&operator, device, [0x9a; 32]);
			}
			T::Access::grant_for_benchmark(Subject::UserDevice(USER_DEVICE), &device, true);
			T::Registrations::register_for_benchmark(
				&certifier,
				&device,
				&USER_DEVICE,
				Credential::Key(UserDeviceKey::Sr25519(public.0)),
				Recorder::Certifier(certifier_org),
			);
			worst_case_history_of::<T>(device, USER_DEVICE);
			let other_nonce = login_payload(
				&Logins::<T>::genesis_hash(),
				&device,
				&USER_DEVICE,
				&[6; 32],
				challenge_block.unique_saturated_into(),
			);
			let signature = sp_io::crypto::sr25519_sign(BENCHMARK_KEYS, &public, &other_nonce)
				.expect("the key was just generated in the keystore");
			logins.push(SignedLogin {
				device,
				user_device: USER_DEVICE,
				nonce: [7; 32],
				challenge_block,
				signature: UserDeviceSignature::Sr25519(signature),
			});
		}
		let last = logins.last().expect("n is at least 1").device;
		let logins = BoundedVec::<_, T::MaxBatchSize>::truncate_from(logins);

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), logins);

		assert!(Logins::<T>::pair_state(&last, &USER_DEVICE).locked_since.is_some());
	}

	#[benchmark]
	fn unlock() {
		let (_, _, _, owner) = accounts::<T>();
		PairStates::<T>::insert(
			DEVICE,
			USER_DEVICE,
			PairState {
				consecutive_failures: T::MaxFailures::get(),
				locked_since: Some(BlockNumberFor::<T>::one()),
			},
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), DEVICE, USER_DEVICE);

		assert_eq!(PairStates::<T>::get(DEVICE, USER_DEVICE), None);
	}

	impl_benchmark_test_suite!(Logins, crate::mock::new_test_ext(), crate::mock::Test);
}
