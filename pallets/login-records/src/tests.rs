//! The certification protocol end to end, then one test per behaviour and error of each call.

use crate::{mock::*, *};
use codec::{Decode, Encode};
use frame_support::{assert_noop, assert_ok, traits::Get, BoundedVec};
use iotchain_certification_scheme::{self as scheme, Nonce, UserHashes};
use pallet_device_registry::{DeviceId, DeviceKind};
use pallet_registration_hashes::{Credential, UserDeviceId, UserDeviceKey};
use sp_core::{ed25519, sr25519, Pair};
use sp_runtime::{DispatchError, DispatchResult};

const DEVICE: DeviceId = [1; 32];
const DEVICE_ACCOUNT: u64 = DEVICE_ACCOUNT_BASE + 1;
const USER_DEVICE: UserDeviceId = [7; 32];
const APP_KEY: scheme::Hash = [9; 32];
const SUCCESS: LoginOutcome = LoginOutcome::Success;
const BAD_HASH: LoginOutcome = LoginOutcome::Failure(FailureReason::BadCertificationHash);

fn origin(account: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(account)
}

fn nonce(n: u8) -> Nonce {
	[n; 32]
}

/// The user device's registration secret (all three hashes mixed).
fn user_secret() -> scheme::Hash {
	scheme::registration_secret(
		&UserHashes {
			first: Some(scheme::first_hash(b"alice")),
			second: Some(scheme::second_hash(b"phone-1")),
			third: Some(APP_KEY),
		},
		&[0x42; 32],
	)
	.expect("three hashes make a secret")
	.1
}

/// The certifier records the pair's registration hash, as the user device computed it.
fn register_hash_mode() {
	let secret = user_secret();
	let credential = Credential::Hash {
		registration_hash: scheme::registration_hash(&DEVICE, &USER_DEVICE, &secret),
		combination: scheme::Combination::from_bits(0b111).unwrap(),
	};
	assert_ok!(RegistrationHashes::register(
		origin(CERTIFIER),
		DEVICE,
		USER_DEVICE,
		credential,
		APP_KEY
	));
}

fn register_key(key: UserDeviceKey) {
	assert_ok!(RegistrationHashes::register(
		origin(CERTIFIER),
		DEVICE,
		USER_DEVICE,
		Credential::Key(key),
		APP_KEY
	));
}

fn sr25519_user() -> sr25519::Pair {
	sr25519::Pair::from_seed(&[42; 32])
}

fn ed25519_user() -> ed25519::Pair {
	ed25519::Pair::from_seed(&[43; 32])
}

/// What a certification centre does in hash mode: check the answer against its secret and the
/// chain's registration hash, then report the outcome it found.
fn certifier_checks_and_reports(
	secret_in_database: &scheme::Hash,
	nonce: Nonce,
	answer: scheme::Hash,
) -> DispatchResult {
	let latest =
		pallet_registration_hashes::Pallet::<Test>::latest_registration(&DEVICE, &USER_DEVICE)
			.expect("the pair is registered");
	let Credential::Hash { registration_hash, .. } = latest.1.credential else {
		panic!("registered in hash mode")
	};
	let outcome = match scheme::verify_certification(
		&registration_hash,
		&DEVICE,
		&USER_DEVICE,
		secret_in_database,
		&nonce,
		&answer,
	) {
		Ok(()) => SUCCESS,
		Err(_) => BAD_HASH,
	};
	report(outcome, nonce, answer)
}

fn report(outcome: LoginOutcome, nonce: Nonce, answer: scheme::Hash) -> DispatchResult {
	Logins::report_login(origin(CERTIFIER), DEVICE, USER_DEVICE, nonce, 1, outcome, answer)
}

fn sign_login(pair: &sr25519::Pair, nonce: Nonce, challenge_block: u64) -> UserDeviceSignature {
	let payload = scheme::login_payload(
		&Logins::genesis_hash(),
		&DEVICE,
		&USER_DEVICE,
		&nonce,
		challenge_block as u32,
	);
	UserDeviceSignature::Sr25519(pair.sign(&payload))
}

fn submit_signed(signature: UserDeviceSignature, nonce: Nonce) -> DispatchResult {
	Logins::submit_signed_login(origin(DEVICE_ACCOUNT), DEVICE, USER_DEVICE, nonce, 1, signature)
}

fn last_outcome() -> LoginOutcome {
	Logins::recent_logins(&DEVICE, 1)[0].outcome
}

fn failures() -> u32 {
	Logins::pair_state(&DEVICE, &USER_DEVICE).consecutive_failures
}

fn locked() -> bool {
	Logins::pair_state(&DEVICE, &USER_DEVICE).locked_since.is_some()
}

mod protocol {
	use super::*;

	#[test]
	fn hash_mode_end_to_end() {
		run_test(|| {
			let secret = user_secret();
			register_hash_mode();

			// Challenge 1, answered correctly: success.
			let answer = scheme::certification_hash(&secret, &nonce(1));
			assert_ok!(certifier_checks_and_reports(&secret, nonce(1), answer));
			assert_eq!(last_outcome(), SUCCESS);
			assert_eq!(failures(), 0);

			// Three wrong answers: each counted, the third locks the pair.
			for n in 2..=4 {
				assert_ok!(certifier_checks_and_reports(&secret, nonce(n), [0; 32]));
				assert_eq!(last_outcome(), BAD_HASH);
				assert_eq!(failures(), u32::from(n) - 1);
			}
			assert!(locked());
			System::assert_has_event(
				Event::PairLocked { device: DEVICE, user_device: USER_DEVICE, failures: 3 }.into(),
			);

			// A correct answer while locked is refused, and nothing is recorded.
			let answer = scheme::certification_hash(&secret, &nonce(5));
			assert_noop!(
				certifier_checks_and_reports(&secret, nonce(5), answer),
				Error::<Test>::PairLocked
			);

			// The owner unlocks; the same answer now succeeds.
			assert_ok!(Logins::unlock(origin(OWNER), DEVICE, USER_DEVICE));
			assert_ok!(certifier_checks_and_reports(&secret, nonce(5), answer));
			assert_eq!(last_outcome(), SUCCESS);
			assert!(!locked());

			// Replaying challenge 5's answer is refused.
			assert_noop!(
				certifier_checks_and_reports(&secret, nonce(5), answer),
				Error::<Test>::NonceAlreadyUsed
			);
			assert_eq!(AttemptCount::<Test>::get(DEVICE), 5);
		});
	}

	#[test]
	fn a_tampered_secret_is_detected_and_recorded_as_a_failure() {
		run_test(|| {
			register_hash_mode();
			let mut tampered = user_secret();
			tampered[0] ^= 1;
			// An attacker who altered the database answers consistently with it.
			let answer = scheme::certification_hash(&tampered, &nonce(1));
			assert_ok!(certifier_checks_and_reports(&tampered, nonce(1), answer));
			assert_eq!(last_outcome(), BAD_HASH);
			assert_eq!(failures(), 1);
		});
	}

	#[test]
	fn a_revoked_registration_cannot_succeed() {
		run_test(|| {
			let secret = user_secret();
			register_hash_mode();
			assert_ok!(RegistrationHashes::revoke(origin(CERTIFIER), DEVICE, USER_DEVICE, 1));
			let answer = scheme::certification_hash(&secret, &nonce(1));
			assert_noop!(report(SUCCESS, nonce(1), answer), Error::<Test>::RegistrationRevoked);
			let revoked = LoginOutcome::Failure(FailureReason::RegistrationRevoked);
			assert_ok!(report(revoked, nonce(1), answer));
			assert_eq!(last_outcome(), revoked);
		});
	}

	#[test]
	fn signature_mode_end_to_end() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));

			assert_ok!(submit_signed(sign_login(&user, nonce(1), 1), nonce(1)));
			assert_eq!(last_outcome(), SUCCESS);

			// A signature by another key, or over another nonce, fails.
			let impostor = sr25519::Pair::from_seed(&[1; 32]);
			assert_ok!(submit_signed(sign_login(&impostor, nonce(2), 1), nonce(2)));
			assert_eq!(last_outcome(), LoginOutcome::Failure(FailureReason::BadSignature));
			assert_ok!(submit_signed(sign_login(&user, nonce(9), 1), nonce(3)));
			assert_eq!(last_outcome(), LoginOutcome::Failure(FailureReason::BadSignature));
			assert_eq!(failures(), 2);

			// Replaying the first, valid signature is refused outright.
			assert_noop!(
				submit_signed(sign_login(&user, nonce(1), 1), nonce(1)),
				Error::<Test>::NonceAlreadyUsed
			);

			// A valid signature resets the count.
			assert_ok!(submit_signed(sign_login(&user, nonce(4), 1), nonce(4)));
			assert_eq!(failures(), 0);
		});
	}

	#[test]
	fn signature_mode_with_ed25519() {
		run_test(|| {
			let user = ed25519_user();
			register_key(UserDeviceKey::Ed25519(user.public().0));
			let payload =
				scheme::login_payload(&Logins::genesis_hash(), &DEVICE, &USER_DEVICE, &nonce(1), 1);
			let signature = UserDeviceSignature::Ed25519(user.sign(&payload));
			assert_ok!(submit_signed(signature, nonce(1)));
			assert_eq!(last_outcome(), SUCCESS);
		});
	}

	#[test]
	fn a_signature_of_the_wrong_scheme_fails() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			let payload =
				scheme::login_payload(&Logins::genesis_hash(), &DEVICE, &USER_DEVICE, &nonce(1), 1);
			let signature = UserDeviceSignature::Ed25519(ed25519_user().sign(&payload));
			assert_ok!(submit_signed(signature, nonce(1)));
			assert_eq!(last_outcome(), LoginOutcome::Failure(FailureReason::BadSignature));
		});
	}

	#[test]
	fn a_signature_is_bound_to_its_challenge_block() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			System::set_block_number(3);
			// Signed for block 2, submitted as block 1's challenge.
			assert_ok!(submit_signed(sign_login(&user, nonce(1), 2), nonce(1)));
			assert_eq!(last_outcome(), LoginOutcome::Failure(FailureReason::BadSignature));
		});
	}

	#[test]
	fn signature_mode_locks_and_records_locked_attempts() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			let impostor = sr25519::Pair::from_seed(&[1; 32]);
			for n in 1..=3 {
				assert_ok!(submit_signed(sign_login(&impostor, nonce(n), 1), nonce(n)));
			}
			assert!(locked());
			// The chain decides: even the right signature is a failure while locked.
			assert_ok!(submit_signed(sign_login(&user, nonce(4), 1), nonce(4)));
			assert_eq!(last_outcome(), LoginOutcome::Failure(FailureReason::Locked));
			assert_eq!(failures(), 4);
		});
	}

	#[test]
	fn signature_mode_without_a_key_or_with_a_revoked_one_fails() {
		run_test(|| {
			let user = sr25519_user();
			register_hash_mode();
			assert_ok!(submit_signed(sign_login(&user, nonce(2), 1), nonce(2)));
			assert_eq!(last_outcome(), LoginOutcome::Failure(FailureReason::UnknownRegistration));

			register_key(UserDeviceKey::Sr25519(user.public().0));
			assert_ok!(RegistrationHashes::revoke(origin(CERTIFIER), DEVICE, USER_DEVICE, 2));
			assert_ok!(submit_signed(sign_login(&user, nonce(3), 1), nonce(3)));
			assert_eq!(last_outcome(), LoginOutcome::Failure(FailureReason::RegistrationRevoked));
		});
	}
}

mod report_login {
	use super::*;

	#[test]
	fn records_every_field_and_emits_the_event() {
		run_test(|| {
			register_hash_mode();
			System::set_block_number(4);
			assert_ok!(Logins::report_login(
				origin(CERTIFIER),
				DEVICE,
				USER_DEVICE,
				nonce(1),
				2,
				SUCCESS,
				[5; 32]
			));
			let expected = LoginRecord {
				attempt: 1,
				user_device: USER_DEVICE,
				outcome: SUCCESS,
				nonce: nonce(1),
				challenge_block: 2,
				evidence: Evidence::CertificationHash([5; 32]),
				registration_version: Some(1),
				certifier: Some(CERTIFIER_ORG),
				submitted_by: CERTIFIER,
				block: 4,
			};
			assert_eq!(Logins::recent_logins(&DEVICE, 10), vec![expected]);
			System::assert_last_event(
				Event::LoginRecorded {
					device: DEVICE,
					user_device: USER_DEVICE,
					attempt: 1,
					outcome: SUCCESS,
					nonce: nonce(1),
					evidence: Evidence::CertificationHash([5; 32]),
					registration_version: Some(1),
					certifier: Some(CERTIFIER_ORG),
					by: CERTIFIER,
				}
				.into(),
			);
		});
	}

	/// A compromised device or any certifier could otherwise create failure state for pairs
	/// that were never registered, without bound.
	#[test]
	fn refuses_attempts_for_unregistered_pairs() {
		run_test(|| {
			let unknown = LoginOutcome::Failure(FailureReason::UnknownRegistration);
			assert_noop!(report(unknown, nonce(1), [0; 32]), Error::<Test>::RegistrationNotFound);
			let user = sr25519_user();
			assert_noop!(
				submit_signed(sign_login(&user, nonce(1), 1), nonce(1)),
				Error::<Test>::RegistrationNotFound
			);
		});
	}

	/// The attack of a rogue certifier: report a success for a pair it never certified, or lock
	/// it with failures.
	#[test]
	fn another_certifier_cannot_report_for_the_pair() {
		run_test(|| {
			register_hash_mode();
			for outcome in [SUCCESS, BAD_HASH] {
				assert_noop!(
					Logins::report_login(
						origin(RIVAL_CERTIFIER),
						DEVICE,
						USER_DEVICE,
						nonce(1),
						1,
						outcome,
						[0; 32]
					),
					Error::<Test>::NotPairCertifier
				);
			}
			assert_eq!(failures(), 0);
		});
	}

	#[test]
	fn failures_go_on_being_recorded_while_locked() {
		run_test(|| {
			register_hash_mode();
			for n in 1..=4 {
				assert_ok!(report(BAD_HASH, nonce(n), [0; 32]));
			}
			assert!(locked());
			assert_eq!(failures(), 4);
		});
	}

	#[test]
	fn the_ring_keeps_the_most_recent_records() {
		run_test(|| {
			register_hash_mode();
			for n in 1..=5 {
				assert_ok!(report(SUCCESS, nonce(n), [0; 32]));
			}
			let attempts: Vec<u64> =
				Logins::recent_logins(&DEVICE, 10).iter().map(|r| r.attempt).collect();
			assert_eq!(attempts, vec![5, 4, 3, 2]);
			assert_eq!(RecentLogins::<Test>::iter_prefix(DEVICE).count(), 4);
			assert_eq!(Logins::recent_logins(&DEVICE, 2).len(), 2);
		});
	}

	#[test]
	fn refuses_accounts_that_are_not_certifiers() {
		run_test(|| {
			register_hash_mode();
			for caller in [OWNER, OUTSIDER, DEVICE_ACCOUNT, STRANGER] {
				assert_noop!(
					Logins::report_login(
						origin(caller),
						DEVICE,
						USER_DEVICE,
						nonce(1),
						1,
						SUCCESS,
						[0; 32]
					),
					Error::<Test>::NotCertifier
				);
			}
		});
	}

	#[test]
	fn refuses_unsigned_origins() {
		run_test(|| {
			assert_noop!(
				Logins::report_login(
					RuntimeOrigin::root(),
					DEVICE,
					USER_DEVICE,
					nonce(1),
					1,
					SUCCESS,
					[0; 32]
				),
				DispatchError::BadOrigin
			);
		});
	}

	#[test]
	fn refuses_inactive_devices() {
		run_test(|| {
			assert_noop!(
				Logins::report_login(
					origin(CERTIFIER),
					[5; 32],
					USER_DEVICE,
					nonce(1),
					1,
					BAD_HASH,
					[0; 32]
				),
				Error::<Test>::DeviceNotActive
			);
			assert_ok!(Devices::suspend_device(origin(OWNER), DEVICE));
			assert_noop!(report(BAD_HASH, nonce(1), [0; 32]), Error::<Test>::DeviceNotActive);
			assert_ok!(Devices::revoke_device(origin(OWNER), DEVICE));
			assert_noop!(report(BAD_HASH, nonce(1), [0; 32]), Error::<Test>::DeviceNotActive);
		});
	}

	#[test]
	fn refuses_a_success_without_a_registration() {
		run_test(|| {
			assert_noop!(report(SUCCESS, nonce(1), [0; 32]), Error::<Test>::RegistrationNotFound);
		});
	}

	#[test]
	fn refuses_a_hash_mode_success_for_a_key_registration() {
		run_test(|| {
			register_key(UserDeviceKey::Sr25519([1; 32]));
			assert_noop!(report(SUCCESS, nonce(1), [0; 32]), Error::<Test>::NotHashMode);
		});
	}

	#[test]
	fn refuses_challenges_from_the_future_and_expired_ones() {
		run_test(|| {
			register_hash_mode();
			let at = |block| {
				Logins::report_login(
					origin(CERTIFIER),
					DEVICE,
					USER_DEVICE,
					nonce(1),
					block,
					SUCCESS,
					[0; 32],
				)
			};
			assert_noop!(at(2), Error::<Test>::ChallengeFromFuture);
			System::set_block_number(1 + CHALLENGE_LIFETIME + 1);
			assert_noop!(at(1), Error::<Test>::ChallengeExpired);
			// The last block of a challenge's life still counts.
			assert_ok!(at(2));
		});
	}

	#[test]
	fn limits_attempts_per_challenge_lifetime_then_forgets_expired_nonces() {
		run_test(|| {
			register_hash_mode();
			for n in 1..=5 {
				assert_ok!(report(BAD_HASH, nonce(n), [0; 32]));
			}
			assert_noop!(report(BAD_HASH, nonce(6), [0; 32]), Error::<Test>::TooManyLogins);
			// Once those challenges expired, their nonces are dropped and room is made.
			System::set_block_number(1 + CHALLENGE_LIFETIME + 1);
			assert_ok!(Logins::report_login(
				origin(CERTIFIER),
				DEVICE,
				USER_DEVICE,
				nonce(6),
				1 + CHALLENGE_LIFETIME + 1,
				BAD_HASH,
				[0; 32]
			));
			assert_eq!(SpentNonces::<Test>::get(DEVICE, USER_DEVICE).len(), 1);
		});
	}

	/// A party with business with one pair cannot use up the attempts of the device's others.
	#[test]
	fn limits_and_nonces_are_per_pair() {
		run_test(|| {
			register_hash_mode();
			let second_user: UserDeviceId = [8; 32];
			assert_ok!(RegistrationHashes::register(
				origin(CERTIFIER),
				DEVICE,
				second_user,
				Credential::Key(UserDeviceKey::Ed25519([4; 32])),
				APP_KEY
			));
			for n in 1..=5 {
				assert_ok!(report(BAD_HASH, nonce(n), [0; 32]));
			}
			assert_noop!(report(BAD_HASH, nonce(6), [0; 32]), Error::<Test>::TooManyLogins);
			// The other pair still logs in, with a nonce the first pair already spent.
			assert_ok!(Logins::report_login(
				origin(CERTIFIER),
				DEVICE,
				second_user,
				nonce(1),
				1,
				BAD_HASH,
				[0; 32]
			));
		});
	}
}

mod submit_signed_login {
	use super::*;

	#[test]
	fn a_certifier_may_submit_and_the_record_names_no_certifier() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			let signature = sign_login(&user, nonce(1), 1);
			assert_ok!(Logins::submit_signed_login(
				origin(CERTIFIER),
				DEVICE,
				USER_DEVICE,
				nonce(1),
				1,
				signature.clone()
			));
			let record = &Logins::recent_logins(&DEVICE, 1)[0];
			assert_eq!(record.outcome, SUCCESS);
			assert_eq!(record.certifier, None);
			assert_eq!(record.submitted_by, CERTIFIER);
			assert_eq!(record.evidence, Evidence::Signature(signature));
		});
	}

	#[test]
	fn refuses_other_submitters() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			let other_device = register_device(2);
			assert_eq!(other_device, [2; 32]);
			// The owner's admin, strangers, another device, and a certifier that did not record
			// the pair.
			for caller in [OWNER, OUTSIDER, STRANGER, DEVICE_ACCOUNT_BASE + 2, RIVAL_CERTIFIER] {
				assert_noop!(
					Logins::submit_signed_login(
						origin(caller),
						DEVICE,
						USER_DEVICE,
						nonce(1),
						1,
						sign_login(&user, nonce(1), 1)
					),
					Error::<Test>::NotAllowedToSubmit
				);
			}
		});
	}

	/// The gateway of the device's organisation assigned to `DEVICE`, signing as account 150.
	pub(super) fn assign_gateway() -> u64 {
		let gateway = [50; 32];
		assert_ok!(pallet_device_registry::testing::register_for_tests::<Test>(
			OWNER,
			gateway,
			DeviceKind::Gateway,
			b"GW1",
			150,
		));
		assert_ok!(Devices::assign_gateway(origin(OWNER), DEVICE, Some(gateway)));
		150
	}

	#[test]
	fn the_assigned_gateway_relays_for_its_device() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			let gateway = assign_gateway();
			assert_ok!(Logins::submit_signed_login(
				origin(gateway),
				DEVICE,
				USER_DEVICE,
				nonce(1),
				1,
				sign_login(&user, nonce(1), 1)
			));
			assert_eq!(last_outcome(), SUCCESS);
		});
	}

	/// Feeless only when the signer is the device or its gateway, who alone relay without
	/// fees; the same call about another device pays fees a device does not have, so the pool
	/// refuses it rather than including a failing call for free.
	#[test]
	fn is_feeless_only_for_the_device_and_its_gateway() {
		use frame_support::dispatch::CheckIfFeeless;
		run_test(|| {
			let gateway = assign_gateway();
			let other_device = register_device(2);
			let submit = |device| Call::<Test>::submit_signed_login {
				device,
				user_device: USER_DEVICE,
				nonce: nonce(1),
				challenge_block: 1,
				signature: UserDeviceSignature::Sr25519(sr25519::Signature::from_raw([0; 64])),
			};
			assert!(submit(DEVICE).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(submit(DEVICE).is_feeless(&origin(gateway)));
			assert!(!submit(other_device).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!submit(other_device).is_feeless(&origin(gateway)));
			assert!(!submit(DEVICE).is_feeless(&origin(DEVICE_ACCOUNT_BASE + 2)));
			assert!(!submit(DEVICE).is_feeless(&origin(CERTIFIER)));
		});
	}

	#[test]
	fn refuses_inactive_devices_and_stale_challenges() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			System::set_block_number(1 + CHALLENGE_LIFETIME + 1);
			assert_noop!(
				submit_signed(sign_login(&user, nonce(1), 1), nonce(1)),
				Error::<Test>::ChallengeExpired
			);
			assert_ok!(Devices::suspend_device(origin(OWNER), DEVICE));
			// A suspended device's own account is no longer recognised either.
			assert_noop!(
				Logins::submit_signed_login(
					origin(CERTIFIER),
					DEVICE,
					USER_DEVICE,
					nonce(1),
					1,
					sign_login(&user, nonce(1), 1)
				),
				Error::<Test>::DeviceNotActive
			);
		});
	}
}

/// A gateway's batch: every login checked and recorded on its own.
mod submit_signed_logins {
	use super::{submit_signed_login::assign_gateway, *};
	use frame_support::dispatch::CheckIfFeeless;

	fn login(device: DeviceId, signer: &sr25519::Pair, n: u8) -> SignedLogin<u64> {
		let payload =
			scheme::login_payload(&Logins::genesis_hash(), &device, &USER_DEVICE, &nonce(n), 1);
		SignedLogin {
			device,
			user_device: USER_DEVICE,
			nonce: nonce(n),
			challenge_block: 1,
			signature: UserDeviceSignature::Sr25519(signer.sign(&payload)),
		}
	}

	fn item_failed(index: u32, error: Error<Test>) -> RuntimeEvent {
		Event::<Test>::BatchItemFailed { index, error: error.into() }.into()
	}

	/// `logins` as the call takes them; at most `MaxBatchSize` of them.
	fn bounded(
		logins: Vec<SignedLogin<u64>>,
	) -> BoundedVec<SignedLogin<u64>, <Test as Config>::MaxBatchSize> {
		logins.try_into().ok().expect("a test batch fits MaxBatchSize")
	}

	#[test]
	fn each_login_is_recorded_on_its_own_and_a_refused_one_does_not_stop_the_rest() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			let gateway = assign_gateway();
			let forger = sr25519::Pair::from_seed(&[66; 32]);
			assert_ok!(Logins::submit_signed_logins(
				origin(gateway),
				bounded(vec![
					login(DEVICE, &user, 1),
					login(DEVICE, &user, 1),
					login(DEVICE, &forger, 2)
				]),
			));
			// The replayed nonce is refused and records nothing; the forged signature is a
			// recorded failure, decided by the chain.
			assert!(System::events()
				.iter()
				.any(|r| r.event == item_failed(1, Error::NonceAlreadyUsed)));
			let records = Logins::recent_logins(&DEVICE, 10);
			assert_eq!(records.len(), 2);
			assert_eq!(records[1].outcome, SUCCESS);
			assert_eq!(records[0].outcome, LoginOutcome::Failure(FailureReason::BadSignature));
			assert_eq!(records[0].submitted_by, gateway);
			assert_eq!(failures(), 1);
		});
	}

	/// A gateway cannot slip a device it does not serve into its batch: that login alone is
	/// refused, as it would be on its own.
	#[test]
	fn a_login_for_a_device_the_gateway_does_not_serve_is_refused_alone() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			let other = register_device(2);
			assert_ok!(RegistrationHashes::register(
				origin(CERTIFIER),
				other,
				USER_DEVICE,
				Credential::Key(UserDeviceKey::Sr25519(user.public().0)),
				APP_KEY
			));
			let gateway = assign_gateway();
			assert_ok!(Logins::submit_signed_logins(
				origin(gateway),
				bounded(vec![login(other, &user, 1), login(DEVICE, &user, 1)]),
			));
			assert!(System::events()
				.iter()
				.any(|r| r.event == item_failed(0, Error::NotAllowedToSubmit)));
			assert!(Logins::recent_logins(&other, 1).is_empty());
			assert_eq!(last_outcome(), SUCCESS);
		});
	}

	#[test]
	fn refuses_an_empty_batch_and_refunds_its_weight() {
		run_test(|| {
			let gateway = assign_gateway();
			let result = Logins::submit_signed_logins(origin(gateway), BoundedVec::new());
			let error = result.unwrap_err();
			assert_eq!(error.error, Error::<Test>::BadBatchSize.into());
			// Refused before any work: charged as a batch of none.
			assert_eq!(
				error.post_info.actual_weight,
				Some(<<Test as Config>::WeightInfo as WeightInfo>::submit_signed_logins(0))
			);
			assert!(Logins::recent_logins(&DEVICE, 1).is_empty());
		});
	}

	/// A batch larger than `MaxBatchSize` is refused when the call is decoded, so it never
	/// reaches the pool, let alone dispatch.
	#[test]
	fn an_oversized_batch_never_decodes() {
		run_test(|| {
			let user = sr25519_user();
			let max: u32 = <Test as Config>::MaxBatchSize::get();
			let logins: Vec<_> = (1..=max as u8 + 1).map(|n| login(DEVICE, &user, n)).collect();
			// `submit_signed_logins` is call 3; its batch encodes as `Compact(len) ++ items`,
			// as a `Vec` does.
			let oversized = (3u8, logins.clone()).encode();
			assert!(<Call<Test> as Decode>::decode(&mut &oversized[..]).is_err());
			let full = (3u8, logins[..max as usize].to_vec()).encode();
			let decoded = <Call<Test> as Decode>::decode(&mut &full[..]);
			assert!(matches!(
				decoded,
				Ok(Call::submit_signed_logins { logins }) if logins.len() == max as usize
			));
			// The same bytes as the call built in code.
			let built = Call::<Test>::submit_signed_logins {
				logins: bounded(logins[..max as usize].to_vec()),
			};
			assert_eq!(built.encode(), full);
		});
	}

	#[test]
	fn refuses_unsigned_origins() {
		run_test(|| {
			assert_noop!(
				Logins::submit_signed_logins(RuntimeOrigin::none(), BoundedVec::new()),
				DispatchError::BadOrigin
			);
		});
	}

	/// Feeless only when every login concerns a device the signer speaks for: one login about
	/// another device makes the whole batch pay, which a gateway cannot.
	#[test]
	fn is_feeless_only_when_every_login_concerns_a_device_the_signer_serves() {
		run_test(|| {
			let user = sr25519_user();
			let gateway = assign_gateway();
			let other = register_device(2);
			let batch = |devices: &[DeviceId]| Call::<Test>::submit_signed_logins {
				logins: bounded(devices.iter().map(|device| login(*device, &user, 1)).collect()),
			};
			assert!(batch(&[DEVICE, DEVICE]).is_feeless(&origin(gateway)));
			assert!(batch(&[DEVICE]).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!batch(&[DEVICE, other]).is_feeless(&origin(gateway)));
			assert!(!batch(&[other, DEVICE]).is_feeless(&origin(DEVICE_ACCOUNT)));
			assert!(!batch(&[]).is_feeless(&origin(gateway)));
			assert!(!batch(&[DEVICE]).is_feeless(&origin(CERTIFIER)));
			assert_ok!(Devices::suspend_device(origin(OWNER), [50; 32]));
			assert!(!batch(&[DEVICE]).is_feeless(&origin(gateway)), "a suspended gateway pays");
		});
	}
}

mod unlock {
	use super::*;

	fn lock_pair() {
		register_hash_mode();
		for n in 1..=3 {
			assert_ok!(report(BAD_HASH, nonce(n), [0; 32]));
		}
		assert!(locked());
	}

	#[test]
	fn the_owner_unlocks_and_clears_the_count() {
		run_test(|| {
			lock_pair();
			assert_ok!(Logins::unlock(origin(OWNER), DEVICE, USER_DEVICE));
			System::assert_last_event(
				Event::PairUnlocked { device: DEVICE, user_device: USER_DEVICE, by: OWNER }.into(),
			);
			assert_eq!(PairStates::<Test>::get(DEVICE, USER_DEVICE), None);
		});
	}

	#[test]
	fn refuses_accounts_outside_the_device_organisation() {
		run_test(|| {
			lock_pair();
			for caller in [CERTIFIER, OUTSIDER, STRANGER, DEVICE_ACCOUNT] {
				assert_noop!(
					Logins::unlock(origin(caller), DEVICE, USER_DEVICE),
					Error::<Test>::NotDeviceOrganisation
				);
			}
		});
	}

	#[test]
	fn refuses_pairs_that_are_not_locked() {
		run_test(|| {
			register_hash_mode();
			assert_ok!(report(BAD_HASH, nonce(1), [0; 32]));
			assert_noop!(
				Logins::unlock(origin(OWNER), DEVICE, USER_DEVICE),
				Error::<Test>::NotLocked
			);
		});
	}

	#[test]
	fn refuses_inactive_devices() {
		run_test(|| {
			lock_pair();
			assert_ok!(Devices::suspend_device(origin(OWNER), DEVICE));
			assert_noop!(
				Logins::unlock(origin(OWNER), DEVICE, USER_DEVICE),
				Error::<Test>::DeviceNotActive
			);
		});
	}

	#[test]
	fn refuses_unsigned_origins() {
		run_test(|| {
			lock_pair();
			assert_noop!(
				Logins::unlock(RuntimeOrigin::root(), DEVICE, USER_DEVICE),
				DispatchError::BadOrigin
			);
		});
	}
}

/// Access rights: who may log in to the device, and which certifiers may record for it, as
/// the device's owner grants them.
mod access {
	use super::*;
	use pallet_access_grants::{GrantTerms, Object, Right, Subject, SubjectGrants};

	const NOT_GRANTED: LoginOutcome = LoginOutcome::Failure(FailureReason::NotGranted);

	/// Revokes every grant `subject` holds, as the owner.
	fn revoke_all(subject: Subject<u64>) {
		for grant in SubjectGrants::<Test>::get(subject, OWNER_ORG) {
			assert_ok!(Grants::revoke(origin(OWNER), grant));
		}
	}

	/// The rental case: the owner grants the tenant's phone `login` for the stay; the phone
	/// logs in during it and is refused, and recorded as refused, the moment it ends.
	#[test]
	fn a_phone_logs_in_only_during_its_stay() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			revoke_all(Subject::UserDevice(USER_DEVICE));
			let stay = GrantTerms {
				subject: Subject::UserDevice(USER_DEVICE),
				object: Object::Device(DEVICE),
				rights: pallet_access_grants::testing::only::<Test>(Right::Login),
				valid_from: 1_000,
				valid_until: 2_000,
				delegable: false,
			};
			assert_ok!(Grants::issue(origin(OWNER), stay));

			assert_ok!(submit_signed(sign_login(&user, nonce(1), 1), nonce(1)));
			assert_eq!(last_outcome(), NOT_GRANTED, "before the stay");
			Timestamp::set_timestamp(1_000);
			assert_ok!(submit_signed(sign_login(&user, nonce(2), 1), nonce(2)));
			assert_eq!(last_outcome(), SUCCESS, "during the stay");
			Timestamp::set_timestamp(2_000);
			assert_ok!(submit_signed(sign_login(&user, nonce(3), 1), nonce(3)));
			assert_eq!(last_outcome(), NOT_GRANTED, "the moment it ends");
		});
	}

	#[test]
	fn a_revoked_grant_refuses_the_next_login_at_once() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			assert_ok!(submit_signed(sign_login(&user, nonce(1), 1), nonce(1)));
			assert_eq!(last_outcome(), SUCCESS);
			revoke_all(Subject::UserDevice(USER_DEVICE));
			assert_ok!(submit_signed(sign_login(&user, nonce(2), 1), nonce(2)));
			assert_eq!(last_outcome(), NOT_GRANTED);
		});
	}

	/// The certifier checked the right answer, but the user device holds no grant: the chain
	/// records the refusal, not the success the certifier reported.
	#[test]
	fn a_reported_success_without_a_grant_is_recorded_as_refused() {
		run_test(|| {
			register_hash_mode();
			revoke_all(Subject::UserDevice(USER_DEVICE));
			let answer = scheme::certification_hash(&user_secret(), &nonce(1));
			assert_ok!(certifier_checks_and_reports(&user_secret(), nonce(1), answer));
			assert_eq!(last_outcome(), NOT_GRANTED);
		});
	}

	/// A refusal by the owner's policy is not a wrong answer: it neither locks the pair nor
	/// clears the failures counted before it.
	#[test]
	fn refusals_for_want_of_a_grant_do_not_count_towards_the_lock() {
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			let stranger = sr25519::Pair::from_seed(&[99; 32]);
			assert_ok!(submit_signed(sign_login(&stranger, nonce(1), 1), nonce(1)));
			assert_eq!(failures(), 1);
			revoke_all(Subject::UserDevice(USER_DEVICE));
			// Counted, these three would lock the pair (three failures in the mock).
			for n in 2..=4 {
				assert_ok!(submit_signed(sign_login(&user, nonce(n), 1), nonce(n)));
				assert_eq!(last_outcome(), NOT_GRANTED);
			}
			assert_eq!(failures(), 1);
			assert!(!locked());
		});
	}

	/// A certifier the owner no longer grants `register` stops recording the device's logins,
	/// in hash mode and as a relay of signed ones.
	#[test]
	fn a_certifier_without_a_register_grant_records_no_login() {
		run_test(|| {
			register_hash_mode();
			revoke_all(Subject::Organisation(CERTIFIER_ORG));
			let answer = scheme::certification_hash(&user_secret(), &nonce(1));
			assert_noop!(report(SUCCESS, nonce(1), answer), Error::<Test>::NoRegisterGrant);
			assert_noop!(report(BAD_HASH, nonce(1), answer), Error::<Test>::NoRegisterGrant);
		});
		run_test(|| {
			let user = sr25519_user();
			register_key(UserDeviceKey::Sr25519(user.public().0));
			revoke_all(Subject::Organisation(CERTIFIER_ORG));
			let signature = sign_login(&user, nonce(1), 1);
			assert_noop!(
				Logins::submit_signed_login(
					origin(CERTIFIER),
					DEVICE,
					USER_DEVICE,
					nonce(1),
					1,
					signature
				),
				Error::<Test>::NotAllowedToSubmit
			);
		});
	}
}

#[test]
fn try_state_catches_a_record_in_the_wrong_slot() {
	new_test_ext().execute_with(|| {
		register_hash_mode();
		assert_ok!(report(BAD_HASH, nonce(1), [0; 32]));
		let record = RecentLogins::<Test>::take(DEVICE, 0).unwrap();
		RecentLogins::<Test>::insert(DEVICE, 1, record);
		assert!(Logins::do_try_state().is_err());
	});
}
