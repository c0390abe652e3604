//! Every call's success and each of its errors, and how plans reach `pallet-session`: a change
//! is planned at the next session boundary and enacted at the one after.

use crate::{mock::*, ApprovedValidators, Error, Event, MinValidators, PlannedValidators};
use frame_support::{assert_noop, assert_ok};
use sp_runtime::DispatchError;

/// First block of session `n` (sessions last `SESSION_PERIOD` blocks, from block 0).
fn session_start(n: u64) -> u64 {
	n * SESSION_PERIOD
}

fn approved() -> Vec<u64> {
	ApprovedValidators::<Test>::get().into_inner()
}

fn assert_invariants() {
	ValidatorSet::do_try_state().expect("invariants hold");
}

#[test]
fn genesis_validators_validate_from_the_first_session() {
	new_test_ext().execute_with(|| {
		assert_eq!(approved(), GENESIS_VALIDATORS.to_vec());
		assert_eq!(PlannedValidators::<Test>::get().into_inner(), GENESIS_VALIDATORS.to_vec());
		assert_eq!(MinValidators::<Test>::get(), GENESIS_MIN);
		assert_eq!(active_validators(), GENESIS_VALIDATORS.to_vec());
		run_to_block(session_start(3));
		assert_eq!(active_validators(), GENESIS_VALIDATORS.to_vec());
		assert_invariants();
	});
}

#[test]
fn an_added_validator_with_keys_validates_from_the_second_boundary() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), CANDIDATE));
		System::assert_last_event(Event::ValidatorAdded { validator: CANDIDATE }.into());
		set_keys(CANDIDATE);

		run_to_block(session_start(1));
		System::assert_has_event(
			Event::ValidatorSetPlanned { session: 2, validators: vec![1, 2, 3, 4, CANDIDATE] }
				.into(),
		);
		assert_eq!(active_validators(), GENESIS_VALIDATORS.to_vec());

		run_to_block(session_start(2));
		assert_eq!(active_validators(), vec![1, 2, 3, 4, CANDIDATE]);
		assert_invariants();
	});
}

#[test]
fn an_added_validator_without_keys_waits_for_them() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), CANDIDATE));

		run_to_block(session_start(3));
		assert_eq!(active_validators(), GENESIS_VALIDATORS.to_vec());
		assert_eq!(PlannedValidators::<Test>::get().into_inner(), GENESIS_VALIDATORS.to_vec());

		set_keys(CANDIDATE);
		run_to_block(session_start(4));
		System::assert_has_event(
			Event::ValidatorSetPlanned { session: 5, validators: vec![1, 2, 3, 4, CANDIDATE] }
				.into(),
		);
		run_to_block(session_start(5));
		assert_eq!(active_validators(), vec![1, 2, 3, 4, CANDIDATE]);
	});
}

#[test]
fn a_removed_validator_stops_at_the_second_boundary() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 4));
		System::assert_last_event(Event::ValidatorRemoved { validator: 4 }.into());
		assert_eq!(approved(), vec![1, 2, 3]);

		run_to_block(session_start(1));
		System::assert_has_event(
			Event::ValidatorSetPlanned { session: 2, validators: vec![1, 2, 3] }.into(),
		);
		assert_eq!(active_validators(), GENESIS_VALIDATORS.to_vec());
		run_to_block(session_start(2));
		assert_eq!(active_validators(), vec![1, 2, 3]);
		assert_invariants();
	});
}

#[test]
fn a_removal_cannot_go_below_the_minimum() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 4));
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 3),
			Error::<Test>::TooFewValidators
		);
		assert_eq!(approved(), vec![1, 2, 3]);
		assert_invariants();
	});
}

/// A removal that leaves enough approved validators but too few with keys would only be
/// deferred at the next boundary, leaving governance believing it took effect.
#[test]
fn a_removal_the_next_plan_could_not_enact_is_refused() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), CANDIDATE));
		assert_ok!(pallet_session::Pallet::<Test>::purge_keys(RuntimeOrigin::signed(3)));
		// Four approved would remain after removing 4, but only two with keys.
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 4),
			Error::<Test>::TooFewKeyedValidators
		);
		set_keys(CANDIDATE);
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 4));
		assert_invariants();
	});
}

#[test]
fn a_plan_below_the_minimum_is_deferred_until_keys_arrive() {
	new_test_ext().execute_with(|| {
		// Five approved, but the two newcomers have no keys yet and 4 purged its own.
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 5));
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 6));
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 3));
		assert_ok!(pallet_session::Pallet::<Test>::purge_keys(RuntimeOrigin::signed(4)));

		run_to_block(session_start(1));
		System::assert_has_event(Event::PlanDeferred { session: 2, with_keys: 2 }.into());
		run_to_block(session_start(2));
		// The old plan stands (3 included), less 4, which pallet-session skips without keys.
		assert_eq!(active_validators(), vec![1, 2, 3]);

		set_keys(5);
		run_to_block(session_start(3));
		System::assert_has_event(
			Event::ValidatorSetPlanned { session: 4, validators: vec![1, 2, 5] }.into(),
		);
		run_to_block(session_start(4));
		assert_eq!(active_validators(), vec![1, 2, 5]);
	});
}

#[test]
fn a_validator_that_purges_its_keys_leaves_the_plan() {
	new_test_ext().execute_with(|| {
		assert_ok!(pallet_session::Pallet::<Test>::purge_keys(RuntimeOrigin::signed(4)));
		run_to_block(session_start(1));
		System::assert_has_event(
			Event::ValidatorSetPlanned { session: 2, validators: vec![1, 2, 3] }.into(),
		);
		// Still approved: new keys bring it back.
		assert_eq!(approved(), GENESIS_VALIDATORS.to_vec());
		set_keys(4);
		run_to_block(session_start(2));
		System::assert_has_event(
			Event::ValidatorSetPlanned { session: 3, validators: vec![1, 2, 3, 4] }.into(),
		);
	});
}

#[test]
fn add_validator_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::signed(1), CANDIDATE),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 1),
			Error::<Test>::AlreadyValidator
		);
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 5));
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 6));
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 7),
			Error::<Test>::TooManyValidators
		);
	});
}

#[test]
fn remove_validator_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::signed(1), 4),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), CANDIDATE),
			Error::<Test>::NotValidator
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::signed(CANDIDATE), CANDIDATE),
			Error::<Test>::NotValidator
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::none(), 4),
			DispatchError::BadOrigin
		);
	});
}

/// An organisation takes its own validator out without a vote; no other account can.
#[test]
fn a_validator_withdraws_itself_and_no_one_else() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::signed(3), 4),
			DispatchError::BadOrigin
		);
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::signed(4), 4));
		System::assert_last_event(Event::ValidatorWithdrew { validator: 4 }.into());
		assert_eq!(approved(), vec![1, 2, 3]);
		// Not below the minimum, even of its own accord.
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::signed(3), 3),
			Error::<Test>::TooFewValidators
		);
		assert_invariants();
	});
}

#[test]
fn set_min_validators_bounds_removals() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::set_min_validators(RuntimeOrigin::root(), 4));
		System::assert_last_event(Event::MinValidatorsSet { min_validators: 4 }.into());
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 4),
			Error::<Test>::TooFewValidators
		);
		assert_ok!(ValidatorSet::set_min_validators(RuntimeOrigin::root(), 1));
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 4));
		assert_invariants();
	});
}

#[test]
fn set_min_validators_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ValidatorSet::set_min_validators(RuntimeOrigin::signed(1), 2),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::set_min_validators(RuntimeOrigin::root(), 0),
			Error::<Test>::BadMinimum
		);
		assert_noop!(
			ValidatorSet::set_min_validators(RuntimeOrigin::root(), 5),
			Error::<Test>::BadMinimum
		);
	});
}

#[test]
fn is_approved_answers_for_validators_not_yet_active() {
	new_test_ext().execute_with(|| {
		assert!(!ValidatorSet::is_approved(&CANDIDATE));
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), CANDIDATE));
		assert!(ValidatorSet::is_approved(&CANDIDATE));
		assert!(ValidatorSet::is_approved(&1));
	});
}

#[test]
fn try_state_catches_duplicates_and_a_low_count() {
	new_test_ext().execute_with(|| {
		ApprovedValidators::<Test>::put(frame_support::BoundedVec::truncate_from(vec![1, 2, 2, 3]));
		assert!(ValidatorSet::do_try_state().is_err());
		ApprovedValidators::<Test>::put(frame_support::BoundedVec::truncate_from(vec![1, 2]));
		assert!(ValidatorSet::do_try_state().is_err());
		ApprovedValidators::<Test>::put(frame_support::BoundedVec::truncate_from(vec![1, 2, 3]));
		assert_invariants();
		MinValidators::<Test>::put(0);
		assert!(ValidatorSet::do_try_state().is_err());
	});
}
