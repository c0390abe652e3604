use crate::{mock::*, Error, Event};
use frame_support::{assert_noop, assert_ok};
use sp_core::H256;
use sp_runtime::DispatchError;

/// The runtime upgrade the chain has authorised, if any (`frame_system` keeps it private).
fn authorized_upgrade() -> Option<frame_system::CodeUpgradeAuthorization<Test>> {
	let key = [sp_io::hashing::twox_128(b"System"), sp_io::hashing::twox_128(b"AuthorizedUpgrade")]
		.concat();
	frame_support::storage::unhashed::get(&key)
}

#[test]
fn the_governing_origin_authorises_an_upgrade_with_the_version_check() {
	new_test_ext().execute_with(|| {
		let code_hash = H256::repeat_byte(7);
		assert_ok!(ChainGovernance::authorize_upgrade(RuntimeOrigin::root(), code_hash));
		let authorization = authorized_upgrade().expect("authorised");
		assert_eq!(authorization.code_hash(), &code_hash);
		System::assert_last_event(
			frame_system::Event::UpgradeAuthorized { code_hash, check_version: true }.into(),
		);
	});
}

#[test]
fn no_other_origin_authorises_an_upgrade() {
	new_test_ext().execute_with(|| {
		for origin in [RuntimeOrigin::signed(1), RuntimeOrigin::none()] {
			assert_noop!(
				ChainGovernance::authorize_upgrade(origin, H256::repeat_byte(7)),
				DispatchError::BadOrigin
			);
		}
		assert!(authorized_upgrade().is_none());
	});
}

#[test]
fn the_governing_origin_signals_a_stall_to_grandpa() {
	new_test_ext().execute_with(|| {
		assert_ok!(ChainGovernance::note_stalled(RuntimeOrigin::root(), 5, 8));
		assert_eq!(pallet_grandpa::Stalled::<Test>::get(), Some((5, 8)));
		System::assert_last_event(
			Event::FinalityStallNoted { delay: 5, best_finalized_block_number: 8 }.into(),
		);
	});
}

#[test]
fn no_other_origin_signals_a_stall() {
	new_test_ext().execute_with(|| {
		for origin in [RuntimeOrigin::signed(1), RuntimeOrigin::none()] {
			assert_noop!(ChainGovernance::note_stalled(origin, 5, 8), DispatchError::BadOrigin);
		}
		assert_eq!(pallet_grandpa::Stalled::<Test>::get(), None);
	});
}

#[test]
fn a_stall_cannot_name_a_finalised_block_not_yet_built() {
	new_test_ext().execute_with(|| {
		// The current block is 10.
		for best_finalized in [10, 11, u64::MAX] {
			assert_noop!(
				ChainGovernance::note_stalled(RuntimeOrigin::root(), 5, best_finalized),
				Error::<Test>::FinalizedBlockNotInThePast
			);
		}
	});
}

/// The council's motion tickets, as `pallet_collective` takes and gives them back (without a
/// deposit here: the runtime's tests hold one).
mod motion_slots {
	use super::*;
	use crate::{MotionTicket, OpenMotions};
	use frame_support::traits::{Consideration, MaybeConsideration};

	type Ticket = MotionTicket<Test, ()>;
	const SEAT: u64 = 1;
	const OTHER_SEAT: u64 = 2;

	fn open(who: u64) -> Result<Ticket, DispatchError> {
		Ticket::new(&who, 0)
	}

	/// The attack: one seat opens motion after motion to fill the council's slots.
	#[test]
	fn a_seat_holds_at_most_its_slots_and_others_keep_theirs() {
		new_test_ext().execute_with(|| {
			let tickets: Vec<_> = (0..3).map(|_| open(SEAT).unwrap()).collect();
			assert_eq!(OpenMotions::<Test>::get(SEAT), 3);
			assert_noop!(open(SEAT), Error::<Test>::TooManyOpenMotions);
			assert_ok!(open(OTHER_SEAT));
			assert_eq!(OpenMotions::<Test>::get(OTHER_SEAT), 1);
			assert!(tickets.iter().all(|ticket| !ticket.is_none()), "every slot is given back");
		});
	}

	#[test]
	fn a_released_or_burnt_motion_gives_its_slot_back() {
		new_test_ext().execute_with(|| {
			let mut tickets: Vec<_> = (0..3).map(|_| open(SEAT).unwrap()).collect();
			assert_ok!(tickets.pop().unwrap().drop(&SEAT));
			assert_eq!(OpenMotions::<Test>::get(SEAT), 2);
			let reopened = open(SEAT).unwrap();
			assert_noop!(open(SEAT), Error::<Test>::TooManyOpenMotions);
			reopened.burn(&SEAT);
			assert_eq!(OpenMotions::<Test>::get(SEAT), 2);
			for ticket in tickets {
				assert_ok!(ticket.drop(&SEAT));
			}
			assert!(!OpenMotions::<Test>::contains_key(SEAT), "no entry is left at zero");
		});
	}

	#[test]
	fn an_updated_ticket_keeps_its_one_slot() {
		new_test_ext().execute_with(|| {
			let ticket = open(SEAT).unwrap();
			let ticket = ticket.update(&SEAT, 5).unwrap();
			assert_eq!(OpenMotions::<Test>::get(SEAT), 1);
			assert_ok!(ticket.drop(&SEAT));
			assert_eq!(OpenMotions::<Test>::get(SEAT), 0);
		});
	}
}
