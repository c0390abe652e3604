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
		assert_eq!(allowed(&genesis_node()), Some(NodeOwner::Consortium));
		assert_eq!(NodeCount::<Test>::get(), 1);
		assert_eq!(Allowlist::allowed_peer_ids(), vec![sp_core::OpaquePeerId(genesis_node())]);
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
		assert_ok!(claim(ADMIN, 2));
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
		assert_ok!(claim(ADMIN, 1));
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
		assert_ok!(claim(ADMIN, 1));
		assert_noop!(
			Allowlist::remove_node(RuntimeOrigin::signed(OTHER_ADMIN), peer(1)),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Allowlist::remove_node(RuntimeOrigin::signed(ADMIN), genesis_node()),
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
		assert_ok!(claim(ADMIN, 1));
		assert_ok!(claim(ADMIN, 2));
		assert_noop!(claim(ADMIN, 3), Error::<Test>::TooManyOrgNodes);
		// Four in all: genesis, two claimed, one more.
		assert_ok!(claim(OTHER_ADMIN, 3));
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
		assert_noop!(claim(STRANGER, 1), Error::<Test>::NotOrgAdmin);
		assert_noop!(
			Allowlist::add_node(RuntimeOrigin::root(), genesis_node()),
			Error::<Test>::AlreadyAllowed
		);
		assert_noop!(claim(ADMIN, 0xaa), Error::<Test>::AlreadyAllowed);
		assert_noop!(Allowlist::add_node(RuntimeOrigin::root(), vec![]), Error::<Test>::BadPeerId);
		assert_noop!(
			Allowlist::add_node(RuntimeOrigin::root(), vec![1; 41]),
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
			Allowlist::remove_node(RuntimeOrigin::root(), vec![1; 41]),
			Error::<Test>::BadPeerId
		);
	});
}

#[test]
fn a_suspended_organisation_claims_nothing() {
	new_test_ext().execute_with(|| {
		assert_ok!(Devices::suspend_org(RuntimeOrigin::root(), 0));
		assert_noop!(claim(ADMIN, 1), Error::<Test>::NotOrgAdmin);
	});
}

/// The attack: an organisation claims a node it does not run (another member's), to make it
/// its own and later remove it.
#[test]
fn a_claim_needs_the_nodes_signature() {
	new_test_ext().execute_with(|| {
		let payload = Allowlist::claim_payload(0, &peer(1));
		// Signed by another node's key, for another organisation, or over another PeerId.
		for signature in [
			sp_core::Pair::sign(&node_key(2), &payload),
			sp_core::Pair::sign(&node_key(1), &Allowlist::claim_payload(1, &peer(1))),
			sp_core::Pair::sign(&node_key(1), &Allowlist::claim_payload(0, &peer(2))),
		] {
			assert_noop!(
				Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), peer(1), signature),
				Error::<Test>::BadNodeSignature
			);
		}
		// A PeerId that is not an ed25519 identity cannot prove consent.
		let signature = sp_core::Pair::sign(&node_key(1), &payload);
		assert_noop!(
			Allowlist::claim_node(RuntimeOrigin::signed(ADMIN), vec![0x12, 0x20, 1, 2], signature),
			Error::<Test>::UnverifiablePeerId
		);
	});
}

#[test]
fn a_node_governance_removed_is_allowed_again_only_by_governance() {
	new_test_ext().execute_with(|| {
		assert_ok!(claim(ADMIN, 1));
		assert_ok!(Allowlist::remove_node(RuntimeOrigin::root(), peer(1)));
		assert_noop!(claim(ADMIN, 1), Error::<Test>::RemovedByGovernance);
		assert_ok!(Allowlist::add_node(RuntimeOrigin::root(), peer(1)));
		assert_eq!(allowed(&peer(1)), Some(NodeOwner::Consortium));
		// An organisation removing its own node does not ban it.
		assert_ok!(claim(ADMIN, 2));
		assert_ok!(Allowlist::remove_node(RuntimeOrigin::signed(ADMIN), peer(2)));
		assert_ok!(claim(ADMIN, 2));
		assert_invariants();
	});
}

#[test]
fn a_suspended_organisations_nodes_leave_the_network_until_it_is_resumed() {
	new_test_ext().execute_with(|| {
		assert_ok!(claim(ADMIN, 1));
		assert_ok!(claim(OTHER_ADMIN, 2));
		let listed = || {
			let mut ids: Vec<_> =
				Allowlist::allowed_peer_ids().into_iter().map(|id| id.0).collect();
			ids.sort();
			ids
		};
		let mut all = vec![genesis_node(), peer(1), peer(2)];
		all.sort();
		assert_eq!(listed(), all);
		assert_ok!(Devices::suspend_org(RuntimeOrigin::root(), 0));
		assert!(!listed().contains(&peer(1)));
		assert!(listed().contains(&peer(2)) && listed().contains(&genesis_node()));
		assert_ok!(Devices::resume_org(RuntimeOrigin::root(), 0));
		assert_eq!(listed(), all);
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
