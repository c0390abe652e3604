//! Benchmarks of every call and of the expiry sweep, each in its most expensive case: the
//! indexes a new grant joins one short of full, every expiry slot it may spill into full but
//! the last, the longest chain of parents, the longest lists of pending grants and approvals.

use super::*;
use crate::Pallet as AccessGrants;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{Get, Hooks},
	BoundedVec,
};
use frame_system::{pallet_prelude::BlockNumberFor, RawOrigin};
use pallet_device_registry::{
	DeviceId, DeviceRegistry, DeviceRegistryBenchmarking, OrgId, OrgRoles,
};

// Distinct from the ids the unit tests' mock registers at genesis.
const DEVICE: DeviceId = [0xbe; 32];
/// The chain's time the benchmarks run at: 2026-01-01T00:00:00Z.
const NOW: Moment = 1_767_225_600_000;
const HOUR: Moment = 3_600_000;

/// The owner organisation, with `MaxAdmins` settled admins, and its device `DEVICE`; returns
/// the organisation and its admins.
fn owner_with_device<T: Config>() -> (OrgId, Vec<T::AccountId>)
where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
{
	T::BenchmarkHelper::set_time(NOW);
	let admins: Vec<T::AccountId> =
		(0..T::MaxAdmins::get()).map(|i| account("admin", i, 0)).collect();
	let org = T::Registry::org_for_benchmark(
		&admins[0],
		OrgRoles { operator: true, ..Default::default() },
	);
	T::Registry::admins_for_benchmark(org, admins.clone());
	T::Registry::device_for_benchmark(&admins[0], DEVICE, &account("device", 0, 0));
	(org, admins)
}

fn subject<T: Config>(n: u32) -> SubjectOf<T> {
	Subject::Account(account("subject", n, 0))
}

/// Terms for `subject` on `object`, for the hour from `NOW`.
fn terms<T: Config>(
	subject: SubjectOf<T>,
	object: ObjectOf<T>,
	rights: RightsOf<T>,
) -> GrantTermsOf<T> {
	GrantTerms {
		subject,
		object,
		rights,
		valid_from: NOW,
		valid_until: NOW + HOUR,
		delegable: true,
	}
}

fn rights<T: Config>(powerful: bool) -> RightsOf<T> {
	Rights {
		register: powerful,
		login: true,
		read: Some(ReadLevel::Full),
		command: powerful,
		firmware: powerful,
	}
}

/// Grant numbers that are never read, to fill lists with.
fn fillers(count: u32) -> Vec<GrantId> {
	(0..count).map(|n| GrantId::from(n) + 1_000_000).collect()
}

/// Fills the indexes a grant of `owner` with `terms` joins to one short of their bounds, and
/// the expiry slots it may spill into: full, and the last one short of full, where it lands.
fn crowd<T: Config>(owner: OrgId, terms: &GrantTermsOf<T>) {
	ObjectGrantCount::<T>::insert(&terms.object, T::MaxGrantsPerObject::get() - 1);
	let holding = fillers(T::MaxGrantsPerHolding::get() - 1);
	Holdings::<T>::insert(&terms.object, &terms.subject, BoundedVec::truncate_from(holding));
	let held = fillers(T::MaxGrantsPerSubject::get() - 1);
	SubjectGrants::<T>::insert(&terms.subject, owner, BoundedVec::truncate_from(held));
	let slot_size = T::MaxGrantsPerExpirySlot::get();
	let first = terms.valid_until / EXPIRY_SLOT_MS;
	for slot in first..first + EXPIRY_SLOT_SPILL {
		let room = if slot + 1 == first + EXPIRY_SLOT_SPILL { 1 } else { 0 };
		ExpiryQueue::<T>::insert(slot, BoundedVec::truncate_from(fillers(slot_size - room)));
	}
}

/// The subject of grant `id`, an account in these benchmarks.
fn holder<T: Config>(id: GrantId) -> T::AccountId {
	match Grants::<T>::get(id).expect("issued").terms.subject {
		Subject::Account(account) => account,
		_ => unreachable!("benchmark subjects are accounts"),
	}
}

#[benchmarks(where T::Registry: DeviceRegistryBenchmarking<T::AccountId>)]
mod benchmarks {
	use super::*;

	/// An admin issues a grant of `login` and `read` (no approvals) on the device, whose owner
	/// the registry confirms, into crowded indexes.
	#[benchmark]
	fn issue() {
		let (org, admins) = owner_with_device::<T>();
		let grant = terms::<T>(subject::<T>(0), Object::Device(DEVICE), rights::<T>(false));
		crowd::<T>(org, &grant);

		#[extrinsic_call]
		_(RawOrigin::Signed(admins[0].clone()), grant);

		assert!(Grants::<T>::contains_key(0));
	}

	/// The approval that completes a majority of `MaxAdmins` settled admins for a powerful
	/// grant, found last in a full list of pending grants (every proposer's standing read),
	/// its approvals list full of accounts that are admins no more, then issued into crowded
	/// indexes.
	#[benchmark]
	fn approve() {
		let (org, admins) = owner_with_device::<T>();
		// `register` goes to organisations only.
		let certifier = |n: u32| Subject::Organisation(1_000 + n);
		let grant = terms::<T>(certifier(0), Object::Device(DEVICE), rights::<T>(true));
		crowd::<T>(org, &grant);
		let majority = T::MaxAdmins::get() / 2 + 1;
		let expires_at = frame_system::Pallet::<T>::block_number() + T::ApprovalWindow::get();
		let mut pending: Vec<PendingGrantOf<T>> = (1..T::MaxPendingGrantsPerOrg::get())
			.map(|n| {
				let proposer = admins[(n as usize / 2) % admins.len()].clone();
				PendingGrant {
					terms: terms::<T>(certifier(n), Object::Device(DEVICE), rights::<T>(true)),
					parent: None,
					proposer: proposer.clone(),
					approvals: BoundedVec::truncate_from(vec![proposer]),
					expires_at,
				}
			})
			.collect();
		let mut approvals: Vec<T::AccountId> = admins[1..majority as usize].to_vec();
		let former = T::MaxAdmins::get() - 1 - (majority - 1);
		approvals.extend((0..former).map(|i| account::<T::AccountId>("former admin", i, 0)));
		pending.push(PendingGrant {
			terms: grant.clone(),
			parent: None,
			proposer: approvals[0].clone(),
			approvals: BoundedVec::truncate_from(approvals),
			expires_at,
		});
		PendingGrants::<T>::insert(org, BoundedVec::truncate_from(pending));

		#[extrinsic_call]
		issue(RawOrigin::Signed(admins[0].clone()), grant);

		assert!(Grants::<T>::contains_key(0));
	}

	/// An account delegates, from the deepest grant it may delegate from (so the check walks
	/// every parent), a grant on one device of the model its grant names, into crowded indexes.
	#[benchmark]
	fn delegate() {
		let (org, admins) = owner_with_device::<T>();
		let model: BoundedVec<u8, T::MaxModelLen> = T::Registry::model_of(&DEVICE)
			.and_then(|m| m.try_into().ok())
			.expect("registered");
		let on_model = || Object::Model { org, model: model.clone() };
		let depth = T::MaxDelegationDepth::get();
		let first = terms::<T>(subject::<T>(100), on_model(), rights::<T>(false));
		assert!(
			AccessGrants::<T>::issue(RawOrigin::Signed(admins[0].clone()).into(), first).is_ok()
		);
		let mut parent = 0;
		for step in 1..depth {
			let next =
				terms::<T>(subject::<T>(100 + u32::from(step)), on_model(), rights::<T>(false));
			let origin = RawOrigin::Signed(holder::<T>(parent)).into();
			assert!(AccessGrants::<T>::delegate(origin, parent, next).is_ok());
			parent = NextGrantId::<T>::get() - 1;
		}
		let mut grant = terms::<T>(subject::<T>(0), Object::Device(DEVICE), rights::<T>(false));
		grant.delegable = false;
		crowd::<T>(org, &grant);
		let id = NextGrantId::<T>::get();

		#[extrinsic_call]
		_(RawOrigin::Signed(holder::<T>(parent)), parent, grant);

		assert_eq!(Grants::<T>::get(id).expect("delegated").depth, depth);
	}

	/// The delegator (the longest authorisation) revokes a grant from full indexes and a full
	/// expiry slot.
	#[benchmark]
	fn revoke() {
		let (org, admins) = owner_with_device::<T>();
		let delegator: T::AccountId = account("subject", 100, 0);
		let contract = terms::<T>(
			Subject::Account(delegator.clone()),
			Object::Device(DEVICE),
			rights::<T>(false),
		);
		assert!(
			AccessGrants::<T>::issue(RawOrigin::Signed(admins[0].clone()).into(), contract).is_ok()
		);
		let grant = terms::<T>(subject::<T>(0), Object::Device(DEVICE), rights::<T>(false));
		crowd::<T>(org, &grant);
		let origin = RawOrigin::Signed(delegator.clone()).into();
		assert!(AccessGrants::<T>::delegate(origin, 0, grant).is_ok());

		#[extrinsic_call]
		_(RawOrigin::Signed(delegator), 1);

		assert!(!Grants::<T>::contains_key(1));
	}

	/// The block hook removes `n` expired grants of one slot, each on an object and for a
	/// subject of its own, so every removal writes indexes of its own.
	#[benchmark]
	fn remove_expired(
		n: Linear<0, { T::MaxExpiriesPerBlock::get().min(T::MaxGrantsPerExpirySlot::get()) }>,
	) {
		let (org, admins) = owner_with_device::<T>();
		for i in 0..n {
			let model = BoundedVec::truncate_from(i.to_le_bytes().to_vec());
			let object = Object::Model { org, model };
			let grant = terms::<T>(subject::<T>(i), object, rights::<T>(false));
			assert!(AccessGrants::<T>::issue(RawOrigin::Signed(admins[0].clone()).into(), grant)
				.is_ok());
		}
		let slot = (NOW + HOUR) / EXPIRY_SLOT_MS;
		NextExpirySlot::<T>::put(slot);
		T::BenchmarkHelper::set_time(NOW + HOUR + EXPIRY_SLOT_MS);

		#[block]
		{
			AccessGrants::<T>::on_initialize(BlockNumberFor::<T>::from(2u32));
		}

		assert_eq!(Grants::<T>::iter_keys().count(), 0);
	}

	impl_benchmark_test_suite!(AccessGrants, crate::mock::new_test_ext(), crate::mock::Test);
}
