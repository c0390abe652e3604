//! Every call's success and each of its errors, and what the offchain worker hands the network.

use crate::{mock::*, AllowedNodes, ClaimedNodes, Error, Event, NodeCount, NodeOwner};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use sp_runtime::DispatchError;

fn allowed(peer_id: &[u8]) -> Option<NodeOwner> {
	AllowedNodes::<Test>::get(BoundedVec::truncate_from(peer_id.to_vec()))
}

fn assert_invariants() {
	Allowlist::do_try_state().expect("invariants hold");
}

#[test]
fn genesis_nodes_belong_to_the_consortium() {
	new_test_ext().execute_with(|| {
		assert_eq!(allowed(&GENESIS_NODE), Some(NodeOwner::Consortium));
		assert_eq!(NodeCount::<Test>::get(), 1);
		assert_eq!(
			Allowlist::allowed_peer_ids(),
			vec![sp_core::OpaquePeerId(GENESIS_NODE.to_vec())]
		);
		assert_invariants();
	});
}

#[test]
fn governance_adds_and_removes_any_node() {
	new_test_ext().execute_with(|| {
		assert_ok!(Allowlist::add_node(RuntimeOrigin::root(), peer(1)));
		System::assert_last_event(
			Event::NodeAdded {
				peer_id: BoundedVec::truncate_from(peer(1)),
				owner: NodeOwner::Consortium,
			}
			.into(),
		);
		assert_ok!(Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), peer(2)));
		for node in [peer(1), peer(2)] {
			assert_ok!(Allowlist::remove_node(RuntimeOrigin::root(), node.clone()));
			System::assert_last_event(
				Event::NodeRemoved { peer_id: BoundedVec::truncate_from(node.clone()) }.into(),
			);
			assert_eq!(allowed(&node), None);
		}
		assert_eq!(ClaimedNodes::<Test>::get(0), 0);
		assert_invariants();
	});
}

#[test]
fn an_organisation_claims_and_removes_its_own_nodes() {
	new_test_ext().execute_with(|| {
		assert_ok!(Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), peer(1)));
		assert_eq!(allowed(&peer(1)), Some(NodeOwner::Organisation(0)));
		assert_eq!(ClaimedNodes::<Test>::get(0), 1);
		assert_ok!(Allowlist::remove_node(RuntimeOrigin::signed(ADMIN), peer(1)));
		assert_eq!(allowed(&peer(1)), None);
		assert_eq!(ClaimedNodes::<Test>::get(0), 0);
		assert_invariants();
	});
}

#[test]
fn an_organisation_cannot_remove_what_is_not_its_own() {
	new_test_ext().execute_with(|| {
		assert_ok!(Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), peer(1)));
		assert_noop!(
			Allowlist::remove_node(RuntimeOrigin::signed(OTHER_ADMIN), peer(1)),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Allowlist::remove_node(RuntimeOrigin::signed(ADMIN), GENESIS_NODE.to_vec()),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Allowlist::remove_node(RuntimeOrigin::signed(STRANGER), peer(1)),
			Error::<Test>::NotOrgAdmin
		);
	});
}

#[test]
fn claims_are_bounded_per_organisation_and_in_all() {
	new_test_ext().execute_with(|| {
		assert_ok!(Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), peer(1)));
		assert_ok!(Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), peer(2)));
		assert_noop!(
			Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), peer(3)),
			Error::<Test>::TooManyOrgNodes
		);
		// Four in all: genesis, two claimed, one more.
		assert_ok!(Allowlist::claim_node(RuntimeOrigin::signed(OTHER_ADMIN), peer(3)));
		assert_noop!(
			Allowlist::add_node(RuntimeOrigin::root(), peer(4)),
			Error::<Test>::TooManyNodes
		);
		assert_invariants();
	});
}

#[test]
fn add_and_claim_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Allowlist::add_node(RuntimeOrigin::signed(ADMIN), peer(1)),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Allowlist::claim_node(RuntimeOrigin::signed(STRANGER), peer(1)),
			Error::<Test>::NotOrgAdmin
		);
		assert_noop!(
			Allowlist::add_node(RuntimeOrigin::root(), GENESIS_NODE.to_vec()),
			Error::<Test>::AlreadyAllowed
		);
		assert_noop!(
			Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), GENESIS_NODE.to_vec()),
			Error::<Test>::AlreadyAllowed
		);
		assert_noop!(Allowlist::add_node(RuntimeOrigin::root(), vec![]), Error::<Test>::BadPeerId);
		assert_noop!(
			Allowlist::add_node(RuntimeOrigin::root(), vec![1; 9]),
			Error::<Test>::BadPeerId
		);
	});
}

#[test]
fn remove_errors() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Allowlist::remove_node(RuntimeOrigin::root(), peer(7)),
			Error::<Test>::NotAllowed
		);
		assert_noop!(
			Allowlist::remove_node(RuntimeOrigin::root(), vec![1; 9]),
			Error::<Test>::BadPeerId
		);
	});
}

#[test]
fn a_suspended_organisation_claims_nothing() {
	new_test_ext().execute_with(|| {
		assert_ok!(Devices::suspend_org(RuntimeOrigin::root(), 0));
		assert_noop!(
			Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), peer(1)),
			Error::<Test>::NotOrgAdmin
		);
	});
}

#[test]
fn try_state_catches_a_wrong_count() {
	new_test_ext().execute_with(|| {
		NodeCount::<Test>::put(5);
		assert!(Allowlist::do_try_state().is_err());
		NodeCount::<Test>::put(1);
		ClaimedNodes::<Test>::insert(0, 1);
		assert!(Allowlist::do_try_state().is_err());
	});
}
