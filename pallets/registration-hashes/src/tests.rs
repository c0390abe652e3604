//! One test per behaviour of each call, and per error it can return.

use crate::{mock::*, *};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, traits::Get, BoundedVec};
use iotchain_certification_scheme::{self as scheme, Combination, UserHashes};
use pallet_device_registry::DeviceId;
use sp_runtime::{DispatchError, DispatchResult};

const DEVICE: DeviceId = [1; 32];
const DEVICE_ACCOUNT: u64 = DEVICE_ACCOUNT_BASE + 1;
const USER_DEVICE: UserDeviceId = [7; 32];
const APP_KEY: scheme::Hash = [9; 32];

fn origin(account: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(account)
}

/// A hash-mode credential as a user device computes it, with its secret.
fn hash_credential() -> (Credential, scheme::Hash) {
	let (combination, secret) = scheme::registration_secret(
		&UserHashes {
			first: Some(scheme::first_hash(b"alice")),
			second: Some(scheme::second_hash(b"phone-1")),
			third: Some(APP_KEY),
		},
		&[0x42; 32],
	)
	.expect("three hashes make a secret");
	let registration_hash = scheme::registration_hash(&DEVICE, &USER_DEVICE, &secret);
	(Credential::Hash { registration_hash, combination }, secret)
}

fn key_credential() -> Credential {
	Credential::Key(UserDeviceKey::Ed25519([4; 32]))
}

fn register(caller: u64, credential: Credential) -> DispatchResult {
	RegistrationHashes::register(origin(caller), DEVICE, USER_DEVICE, credential, APP_KEY)
}

/// Devices hold no tokens: their records about themselves are feeless, anything about another
/// device pays fees the device cannot, so the pool refuses it rather than including it free.
mod feeless {
	use super::*;
	use frame_support::dispatch::CheckIfFeeless;

	fn register_call(device: DeviceId) -> Call<Test> {
		Call::register {
			device,
			user_device: USER_DEVICE,
			credential: key_credential(),
			app_integrity_key: APP_KEY,
		}
	}

	fn revoke_call(device: DeviceId) -> Call<Test> {
		Call::revoke { device, user_device: USER_DEVICE, version: 1 }
	}

	#[test]
	fn only_for_the_device_the_call_concerns() {
		run_test(|| {
			let other = register_device(2);
			for call in [register_call(DEVICE), revoke_call(DEVICE)] {
				assert!(call.is_feeless(&origin(DEVICE_ACCOUNT)), "{call:?} by the device");
			}
			for call in [register_call(other), revoke_call(other)] {
				assert!(!call.is_feeless(&origin(DEVICE_ACCOUNT)), "{call:?} about another");
			}
		});
	}

	#[test]
	fn never_for_organisation_accounts_or_a_suspended_device() {
		run_test(|| {
			for caller in [CERTIFIER, OWNER, STRANGER] {
				assert!(!register_call(DEVICE).is_feeless(&origin(caller)));
			}
			assert_ok!(Devices::suspend_device(origin(OWNER), DEVICE));
			assert!(!register_call(DEVICE).is_feeless(&origin(DEVICE_ACCOUNT)));
		});
	}
}

mod register {
	use super::*;

	#[test]
	fn a_certifier_records_the_first_version() {
		run_test(|| {
			let (credential, _) = hash_credential();
			assert_ok!(register(CERTIFIER, credential));
			System::assert_last_event(
				Event::Registered {
					device: DEVICE,
					user_device: USER_DEVICE,
					version: 1,
					credential,
					app_integrity_key: APP_KEY,
					recorder: Recorder::Certifier(CERTIFIER_ORG),
					by: CERTIFIER,
				}
				.into(),
			);
			let stored = pallet::Registrations::<Test>::get((DEVICE, USER_DEVICE, 1)).unwrap();
			assert_eq!(
				stored,
				Registration {
					credential,
					app_integrity_key: APP_KEY,
					recorder: Recorder::Certifier(CERTIFIER_ORG),
					recorded_by: CERTIFIER,
					recorded_at: 1,
					revoked: None,
				}
			);
		});
	}

	#[test]
	fn the_device_itself_may_relay_a_registration() {
		run_test(|| {
			assert_ok!(register(DEVICE_ACCOUNT, key_credential()));
			let (version, stored) =
				RegistrationHashes::latest_registration(&DEVICE, &USER_DEVICE).unwrap();
			assert_eq!(version, 1);
			assert_eq!(stored.recorder, Recorder::Device);
			assert_eq!(stored.recorded_by, DEVICE_ACCOUNT);
		});
	}

	#[test]
	fn registering_again_adds_a_version_and_keeps_the_old_one() {
		run_test(|| {
			let (first, _) = hash_credential();
			assert_ok!(register(CERTIFIER, first));
			System::set_block_number(5);
			assert_ok!(register(CERTIFIER, key_credential()));
			let history = RegistrationHashes::registration_history(&DEVICE, &USER_DEVICE);
			assert_eq!(history.len(), 2);
			assert_eq!((history[0].0, history[0].1.credential), (1, first));
			assert_eq!((history[1].0, history[1].1.credential), (2, key_credential()));
			assert_eq!(history[1].1.recorded_at, 5);
			assert_eq!(
				<RegistrationHashes as RegistrationLookup<u64>>::latest(&DEVICE, &USER_DEVICE),
				Some(LatestRegistration {
					version: 2,
					credential: key_credential(),
					recorder: Recorder::Certifier(CERTIFIER_ORG),
					revoked: false
				})
			);
		});
	}

	/// The attack of a rogue certifier: supersede another certifier's registration, or use up
	/// the pair's versions.
	#[test]
	fn another_certifier_cannot_supersede_a_standing_registration() {
		run_test(|| {
			let (credential, _) = hash_credential();
			assert_ok!(register(CERTIFIER, credential));
			for intruder in [RIVAL_CERTIFIER, DEVICE_ACCOUNT] {
				assert_noop!(
					register(intruder, key_credential()),
					Error::<Test>::PairRecordedByAnother
				);
			}
			// Once its recorder's registration is revoked, the pair is open again.
			assert_ok!(RegistrationHashes::revoke(origin(OWNER), DEVICE, USER_DEVICE, 1));
			assert_ok!(register(RIVAL_CERTIFIER, key_credential()));
			assert_eq!(LatestVersion::<Test>::get(DEVICE, USER_DEVICE), Some(2));
		});
	}

	#[test]
	fn a_pair_the_device_registered_is_not_a_certifiers_to_supersede() {
		run_test(|| {
			assert_ok!(register(DEVICE_ACCOUNT, key_credential()));
			assert_noop!(
				register(CERTIFIER, key_credential()),
				Error::<Test>::PairRecordedByAnother
			);
			assert_ok!(register(DEVICE_ACCOUNT, key_credential()));
		});
	}

	#[test]
	fn every_pair_is_versioned_on_its_own() {
		run_test(|| {
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_ok!(RegistrationHashes::register(
				origin(CERTIFIER),
				DEVICE,
				[8; 32],
				key_credential(),
				APP_KEY
			));
			assert_eq!(LatestVersion::<Test>::get(DEVICE, USER_DEVICE), Some(1));
			assert_eq!(LatestVersion::<Test>::get(DEVICE, [8; 32]), Some(1));
		});
	}

	#[test]
	fn refuses_unsigned_origins() {
		run_test(|| {
			assert_noop!(
				RegistrationHashes::register(
					RuntimeOrigin::root(),
					DEVICE,
					USER_DEVICE,
					key_credential(),
					APP_KEY
				),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn refuses_unknown_devices() {
		run_test(|| {
			assert_noop!(
				RegistrationHashes::register(
					origin(CERTIFIER),
					[5; 32],
					USER_DEVICE,
					key_credential(),
					APP_KEY
				),
				Error::<Test>::DeviceNotActive
			);
		});
	}

	#[test]
	fn refuses_suspended_and_revoked_devices() {
		run_test(|| {
			assert_ok!(Devices::suspend_device(origin(OWNER), DEVICE));
			assert_noop!(register(CERTIFIER, key_credential()), Error::<Test>::DeviceNotActive);
			assert_ok!(Devices::revoke_device(origin(OWNER), DEVICE));
			assert_noop!(register(CERTIFIER, key_credential()), Error::<Test>::DeviceNotActive);
		});
	}

	#[test]
	fn refuses_devices_of_a_suspended_organisation() {
		run_test(|| {
			assert_ok!(Devices::suspend_org(RuntimeOrigin::root(), OWNER_ORG));
			assert_noop!(register(CERTIFIER, key_credential()), Error::<Test>::DeviceNotActive);
		});
	}

	#[test]
	fn refuses_accounts_that_are_neither_certifier_nor_the_device() {
		run_test(|| {
			// The device's owner is a manufacturer, not a certifier.
			for caller in [OWNER, OUTSIDER, STRANGER] {
				assert_noop!(
					register(caller, key_credential()),
					Error::<Test>::NotCertifierOrDevice
				);
			}
			// Another device cannot register for this one.
			register_device(2);
			assert_noop!(
				register(DEVICE_ACCOUNT_BASE + 2, key_credential()),
				Error::<Test>::NotCertifierOrDevice
			);
		});
	}

	#[test]
	fn refuses_a_suspended_certifier() {
		run_test(|| {
			assert_ok!(Devices::suspend_org(RuntimeOrigin::root(), CERTIFIER_ORG));
			assert_noop!(
				register(CERTIFIER, key_credential()),
				Error::<Test>::NotCertifierOrDevice
			);
		});
	}

	/// The owner revokes every grant it gave the second certifier.
	fn revoke_rival_certifiers_grants() {
		let rival = pallet_access_grants::Subject::Organisation(RIVAL_CERTIFIER_ORG);
		for grant in pallet_access_grants::SubjectGrants::<Test>::get(rival, OWNER_ORG) {
			assert_ok!(Grants::revoke(origin(OWNER), grant));
		}
	}

	/// The attack of the trust-model review: a certifier organisation with no business with a
	/// device registers pairs on it, to use up its pairs or enrol a key of its own.
	#[test]
	fn a_certifier_the_owner_granted_nothing_records_no_pair() {
		run_test(|| {
			revoke_rival_certifiers_grants();
			assert_noop!(
				register(RIVAL_CERTIFIER, key_credential()),
				Error::<Test>::NoRegisterGrant
			);
			// In a batch, each such pair is refused on its own.
			let pair = PairRegistration {
				device: DEVICE,
				user_device: USER_DEVICE,
				credential: key_credential(),
				app_integrity_key: APP_KEY,
			};
			let pairs = BoundedVec::truncate_from(vec![pair]);
			assert_ok!(RegistrationHashes::register_pairs(origin(RIVAL_CERTIFIER), pairs));
			System::assert_last_event(
				Event::BatchItemFailed { index: 0, error: Error::<Test>::NoRegisterGrant.into() }
					.into(),
			);
			assert_eq!(PairCount::<Test>::get(DEVICE), 0);
		});
	}

	#[test]
	fn a_register_grant_counts_only_for_its_object_and_window() {
		run_test(|| {
			// A grant on one device of the owner's, for an hour-long window.
			revoke_rival_certifiers_grants();
			register_device(2);
			let terms = pallet_access_grants::GrantTerms {
				subject: pallet_access_grants::Subject::Organisation(RIVAL_CERTIFIER_ORG),
				object: pallet_access_grants::Object::Device([2; 32]),
				rights: pallet_access_grants::testing::only::<Test>(
					pallet_access_grants::Right::Register,
				),
				valid_from: 1_000,
				valid_until: 2_000,
				delegable: false,
			};
			assert_ok!(Grants::issue(origin(OWNER), terms));
			let on_two = || {
				RegistrationHashes::register(
					origin(RIVAL_CERTIFIER),
					[2; 32],
					USER_DEVICE,
					key_credential(),
					APP_KEY,
				)
			};
			assert_noop!(on_two(), Error::<Test>::NoRegisterGrant);
			Timestamp::set_timestamp(1_000);
			assert_noop!(
				register(RIVAL_CERTIFIER, key_credential()),
				Error::<Test>::NoRegisterGrant
			);
			assert_ok!(on_two());
			Timestamp::set_timestamp(2_000);
			let after = RegistrationHashes::register(
				origin(RIVAL_CERTIFIER),
				[2; 32],
				[8; 32],
				key_credential(),
				APP_KEY,
			);
			assert_noop!(after, Error::<Test>::NoRegisterGrant);
		});
	}

	#[test]
	fn a_certifier_records_pairs_on_its_own_devices_without_a_grant() {
		run_test(|| {
			assert_ok!(pallet_device_registry::testing::register_for_tests::<Test>(
				CERTIFIER,
				[3; 32],
				pallet_device_registry::DeviceKind::Device,
				b"LOCK1",
				DEVICE_ACCOUNT_BASE + 3,
			));
			assert_ok!(Grants::revoke(origin(OWNER), 0));
			assert_ok!(RegistrationHashes::register(
				origin(CERTIFIER),
				[3; 32],
				USER_DEVICE,
				key_credential(),
				APP_KEY
			));
		});
	}

	#[test]
	fn refuses_invalid_combinations() {
		run_test(|| {
			for bits in [0u8, 0b1000] {
				let combination = codec::Decode::decode(&mut &[bits][..]).unwrap();
				let credential = Credential::Hash { registration_hash: [1; 32], combination };
				assert_noop!(register(CERTIFIER, credential), Error::<Test>::BadCombination);
			}
			let single = Combination::from_bits(Combination::FIRST).unwrap();
			let credential = Credential::Hash { registration_hash: [1; 32], combination: single };
			assert_ok!(register(CERTIFIER, credential));
		});
	}

	/// The attack: the third hash is on chain in clear, so a secret mixing only it could be
	/// recomputed by anyone (were it not salted) — such registrations are refused outright.
	#[test]
	fn refuses_a_combination_of_public_inputs_only() {
		run_test(|| {
			let public_only = Combination::from_bits(Combination::THIRD).unwrap();
			let credential =
				Credential::Hash { registration_hash: [1; 32], combination: public_only };
			assert_noop!(register(CERTIFIER, credential), Error::<Test>::PublicOnlyCombination);
		});
	}

	#[test]
	fn refuses_more_than_max_versions() {
		run_test(|| {
			for _ in 0..3 {
				assert_ok!(register(CERTIFIER, key_credential()));
			}
			assert_noop!(register(CERTIFIER, key_credential()), Error::<Test>::TooManyVersions);
		});
	}

	/// A compromised device registering a fresh random user device every block stops at the
	/// cap, and so does everyone else for that device: the cap bounds the device's state.
	#[test]
	fn a_device_flooding_new_pairs_stops_at_max_pairs() {
		run_test(|| {
			let register_pair = |caller, user_device| {
				RegistrationHashes::register(
					origin(caller),
					DEVICE,
					user_device,
					key_credential(),
					APP_KEY,
				)
			};
			for n in 0..4u8 {
				assert_ok!(register_pair(DEVICE_ACCOUNT, [0x70 + n; 32]));
			}
			assert_eq!(PairCount::<Test>::get(DEVICE), 4);
			assert_noop!(register_pair(DEVICE_ACCOUNT, [0x7f; 32]), Error::<Test>::TooManyPairs);
			assert_noop!(register_pair(CERTIFIER, [0x7f; 32]), Error::<Test>::TooManyPairs);
			// Pairs already there still take new versions, and other devices have caps of
			// their own.
			assert_ok!(register_pair(DEVICE_ACCOUNT, [0x70; 32]));
			let other = register_device(2);
			assert_ok!(RegistrationHashes::register(
				origin(CERTIFIER),
				other,
				[0x7f; 32],
				key_credential(),
				APP_KEY
			));
			assert_eq!(PairCount::<Test>::get(DEVICE), 4);
			assert_eq!(PairCount::<Test>::get(other), 1);
		});
	}

	/// Revoking frees no slot: history is never deleted, so the cap is for the device's life.
	#[test]
	fn revoking_a_pair_frees_no_slot() {
		run_test(|| {
			for n in 0..4u8 {
				assert_ok!(RegistrationHashes::register(
					origin(DEVICE_ACCOUNT),
					DEVICE,
					[0x70 + n; 32],
					key_credential(),
					APP_KEY
				));
			}
			assert_ok!(RegistrationHashes::revoke(origin(OWNER), DEVICE, [0x70; 32], 1));
			assert_noop!(
				RegistrationHashes::register(
					origin(DEVICE_ACCOUNT),
					DEVICE,
					[0x7f; 32],
					key_credential(),
					APP_KEY
				),
				Error::<Test>::TooManyPairs
			);
		});
	}
}

/// A batch of pairs: each authorised and recorded on its own.
mod register_pairs {
	use super::*;
	use frame_support::dispatch::CheckIfFeeless;

	fn pair(device: DeviceId, user_device: u8) -> PairRegistration {
		PairRegistration {
			device,
			user_device: [user_device; 32],
			credential: key_credential(),
			app_integrity_key: APP_KEY,
		}
	}

	fn item_failed(index: u32, error: Error<Test>) -> RuntimeEvent {
		Event::<Test>::BatchItemFailed { index, error: error.into() }.into()
	}

	/// `pairs` as the call takes them; at most `MaxBatchSize` of them.
	fn bounded(
		pairs: Vec<PairRegistration>,
	) -> BoundedVec<PairRegistration, <Test as Config>::MaxBatchSize> {
		pairs.try_into().ok().expect("a test batch fits MaxBatchSize")
	}

	#[test]
	fn each_pair_is_recorded_on_its_own_and_a_refused_one_does_not_stop_the_rest() {
		run_test(|| {
			let other = register_device(2);
			let bad = PairRegistration {
				credential: Credential::Hash {
					registration_hash: [1; 32],
					combination: Combination::from_bits(Combination::THIRD).unwrap(),
				},
				..pair(DEVICE, 0x71)
			};
			assert_ok!(RegistrationHashes::register_pairs(
				origin(CERTIFIER),
				bounded(vec![pair(DEVICE, 0x70), bad, pair(other, 0x70)]),
			));
			assert!(System::events()
				.iter()
				.any(|r| r.event == item_failed(1, Error::PublicOnlyCombination)));
			assert_eq!(LatestVersion::<Test>::get(DEVICE, [0x70; 32]), Some(1));
			assert_eq!(LatestVersion::<Test>::get(DEVICE, [0x71; 32]), None);
			assert_eq!(LatestVersion::<Test>::get(other, [0x70; 32]), Some(1));
			assert_eq!(PairCount::<Test>::get(DEVICE), 1, "the refused pair took no slot");
		});
	}

	/// A device's batch may only name itself: a pair for another device is refused alone.
	#[test]
	fn a_device_cannot_register_pairs_of_another_device() {
		run_test(|| {
			let other = register_device(2);
			assert_ok!(RegistrationHashes::register_pairs(
				origin(DEVICE_ACCOUNT),
				bounded(vec![pair(other, 0x70), pair(DEVICE, 0x70)]),
			));
			assert!(System::events()
				.iter()
				.any(|r| r.event == item_failed(0, Error::NotCertifierOrDevice)));
			assert_eq!(LatestVersion::<Test>::get(other, [0x70; 32]), None);
			assert_eq!(LatestVersion::<Test>::get(DEVICE, [0x70; 32]), Some(1));
		});
	}

	/// The cap holds within a batch too.
	#[test]
	fn a_batch_stops_at_max_pairs() {
		run_test(|| {
			for n in 0..3u8 {
				assert_ok!(register_pair_of(DEVICE, 0x60 + n));
			}
			assert_ok!(RegistrationHashes::register_pairs(
				origin(DEVICE_ACCOUNT),
				bounded(vec![pair(DEVICE, 0x70), pair(DEVICE, 0x71)]),
			));
			assert!(System::events()
				.iter()
				.any(|r| r.event == item_failed(1, Error::TooManyPairs)));
			assert_eq!(PairCount::<Test>::get(DEVICE), 4);
		});
	}

	fn register_pair_of(device: DeviceId, user_device: u8) -> DispatchResult {
		RegistrationHashes::register(
			origin(CERTIFIER),
			device,
			[user_device; 32],
			key_credential(),
			APP_KEY,
		)
	}

	#[test]
	fn refuses_an_empty_batch_and_refunds_its_weight() {
		run_test(|| {
			let result = RegistrationHashes::register_pairs(origin(CERTIFIER), BoundedVec::new());
			let error = result.unwrap_err();
			assert_eq!(error.error, Error::<Test>::BadBatchSize.into());
			// Refused before any work: charged as a batch of none.
			assert_eq!(
				error.post_info.actual_weight,
				Some(<<Test as Config>::WeightInfo as WeightInfo>::register_pairs(0))
			);
			assert_noop!(
				RegistrationHashes::register_pairs(RuntimeOrigin::none(), BoundedVec::new()),
				DispatchError::BadOrigin
			);
		});
	}

	/// A batch larger than `MaxBatchSize` is refused when the call is decoded, so it never
	/// reaches the pool, let alone dispatch.
	#[test]
	fn an_oversized_batch_never_decodes() {
		run_test(|| {
			let max: u32 = <Test as Config>::MaxBatchSize::get();
			let pairs: Vec<_> = (0..=max as u8).map(|n| pair(DEVICE, n)).collect();
			// `register_pairs` is call 2; its batch encodes as `Compact(len) ++ items`, as a
			// `Vec` does.
			let oversized = (2u8, pairs.clone()).encode();
			assert!(<Call<Test> as Decode>::decode(&mut &oversized[..]).is_err());
			let full = (2u8, pairs[..max as usize].to_vec()).encode();
			let decoded = <Call<Test> as Decode>::decode(&mut &full[..]);
			assert!(matches!(
				decoded,
				Ok(Call::register_pairs { pairs }) if pairs.len() == max as usize
			));
			// The same bytes as the call built in code.
			let built =
				Call::<Test>::register_pairs { pairs: bounded(pairs[..max as usize].to_vec()) };
			assert_eq!(built.encode(), full);
		});
	}

	#[test]
	fn is_feeless_only_when_the_device_names_itself_in_every_pair() {
		run_test(|| {
			let other = register_device(2);
			let batch = |devices: &[DeviceId]| Call::<Test>::register_pairs {
				pairs: bounded(devices.iter().map(|device| pair(*device, 0x70)).collect()),
			};
			assert!(batch(&[DEVICE, DEVICE]).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!batch(&[DEVICE, other]).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!batch(&[]).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!batch(&[DEVICE]).is_feeless(&origin(CERTIFIER)));
		});
	}
}

mod revoke {
	use super::*;

	fn revoke(caller: u64, version: Version) -> DispatchResult {
		RegistrationHashes::revoke(origin(caller), DEVICE, USER_DEVICE, version)
	}

	#[test]
	fn the_recording_certifier_revokes_a_version() {
		run_test(|| {
			assert_ok!(register(CERTIFIER, key_credential()));
			System::set_block_number(3);
			assert_ok!(revoke(CERTIFIER, 1));
			System::assert_last_event(
				Event::Revoked {
					device: DEVICE,
					user_device: USER_DEVICE,
					version: 1,
					by: CERTIFIER,
				}
				.into(),
			);
			let stored = pallet::Registrations::<Test>::get((DEVICE, USER_DEVICE, 1)).unwrap();
			assert_eq!(stored.revoked, Some(Revocation { by: CERTIFIER, at: 3 }));
			// The record itself is unchanged otherwise, and still readable.
			assert_eq!(stored.credential, key_credential());
			assert_eq!(
				<RegistrationHashes as RegistrationLookup<u64>>::latest(&DEVICE, &USER_DEVICE),
				Some(LatestRegistration {
					version: 1,
					credential: key_credential(),
					recorder: Recorder::Certifier(CERTIFIER_ORG),
					revoked: true
				})
			);
		});
	}

	#[test]
	fn the_device_owner_and_the_device_may_revoke() {
		run_test(|| {
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_ok!(revoke(OWNER, 1));
			assert_ok!(revoke(DEVICE_ACCOUNT, 2));
		});
	}

	#[test]
	fn revoking_an_old_version_leaves_the_newest_current() {
		run_test(|| {
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_ok!(revoke(CERTIFIER, 1));
			let latest =
				<RegistrationHashes as RegistrationLookup<u64>>::latest(&DEVICE, &USER_DEVICE)
					.unwrap();
			assert_eq!((latest.version, latest.revoked), (2, false));
		});
	}

	#[test]
	fn refuses_unknown_versions() {
		run_test(|| {
			assert_noop!(revoke(CERTIFIER, 1), Error::<Test>::RegistrationNotFound);
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_noop!(revoke(CERTIFIER, 2), Error::<Test>::RegistrationNotFound);
		});
	}

	#[test]
	fn refuses_a_second_revocation() {
		run_test(|| {
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_ok!(revoke(CERTIFIER, 1));
			assert_noop!(revoke(OWNER, 1), Error::<Test>::AlreadyRevoked);
		});
	}

	#[test]
	fn refuses_everyone_else() {
		run_test(|| {
			assert_ok!(register(DEVICE_ACCOUNT, key_credential()));
			// Recorded by the device: a certifier that did not record it has no say.
			for caller in [CERTIFIER, OUTSIDER, STRANGER] {
				assert_noop!(revoke(caller, 1), Error::<Test>::NotAllowedToRevoke);
			}
		});
	}

	#[test]
	fn a_suspended_owner_can_no_longer_revoke() {
		run_test(|| {
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_ok!(Devices::suspend_org(RuntimeOrigin::root(), OWNER_ORG));
			assert_noop!(revoke(OWNER, 1), Error::<Test>::NotAllowedToRevoke);
			// The recording certifier still can: it vouched for the registration.
			assert_ok!(revoke(CERTIFIER, 1));
		});
	}

	#[test]
	fn refuses_unsigned_origins() {
		run_test(|| {
			assert_ok!(register(CERTIFIER, key_credential()));
			assert_noop!(
				RegistrationHashes::revoke(RuntimeOrigin::root(), DEVICE, USER_DEVICE, 1),
				DispatchError::BadOrigin
			);
		});
	}
}

mod protocol {
	use super::*;

	#[test]
	fn a_certifier_detects_a_tampered_secret_against_the_chain() {
		run_test(|| {
			let (credential, secret) = hash_credential();
			assert_ok!(register(CERTIFIER, credential));
			let Some((_, stored)) = RegistrationHashes::latest_registration(&DEVICE, &USER_DEVICE)
			else {
				panic!("registered above")
			};
			let Credential::Hash { registration_hash, .. } = stored.credential else {
				panic!("registered in hash mode")
			};
			let nonce = [3; 32];
			let answer = scheme::certification_hash(&secret, &nonce);
			assert_eq!(
				scheme::verify_certification(
					&registration_hash,
					&DEVICE,
					&USER_DEVICE,
					&secret,
					&nonce,
					&answer
				),
				Ok(())
			);
			// Someone altered the certification centre's database after registration.
			let mut tampered = secret;
			tampered[31] ^= 0xff;
			let forged = scheme::certification_hash(&tampered, &nonce);
			assert_eq!(
				scheme::verify_certification(
					&registration_hash,
					&DEVICE,
					&USER_DEVICE,
					&tampered,
					&nonce,
					&forged
				),
				Err(scheme::CertificationError::SecretDoesNotMatchRegistration)
			);
		});
	}
}

#[test]
fn try_state_catches_a_gap_in_the_versions() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(CERTIFIER, key_credential()));
		assert_ok!(register(CERTIFIER, key_credential()));
		pallet::Registrations::<Test>::remove((DEVICE, USER_DEVICE, 1));
		assert!(RegistrationHashes::do_try_state().is_err());
	});
}

#[test]
fn try_state_catches_a_pair_count_that_disagrees() {
	new_test_ext().execute_with(|| {
		assert_ok!(register(CERTIFIER, key_credential()));
		pallet::PairCount::<Test>::insert(DEVICE, 2);
		assert!(RegistrationHashes::do_try_state().is_err());
	});
}
