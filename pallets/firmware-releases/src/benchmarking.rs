//! Benchmarks of every call, each in its most expensive case.

use super::*;
use crate::Pallet as Firmware;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::Get;
use frame_system::RawOrigin;
use pallet_device_registry::{DeviceId, DeviceRegistry, FirmwareVersion, OrgId, OrgRoles};

const IMAGE: Sha256 = [0xaa; 32];
/// The model `DeviceRegistry::device_for_benchmark` registers devices with.
const DEVICE_MODEL: &[u8] = b"bench";
// Distinct from the ids the unit tests' mock registers at genesis.
const DEVICE: DeviceId = [0xbe; 32];
const GATEWAY: DeviceId = [0xbf; 32];

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(
		<T as frame_system::Config>::RuntimeEvent::from(event).into(),
	);
}

fn version(minor: u16) -> FirmwareVersion {
	FirmwareVersion { major: 2, minor, patch: 0 }
}

/// A manufacturer whose admin and `n - 1` members are its approvers, `threshold` of them
/// needed; returns the organisation, its admin and the approvers.
fn manufacturer<T: Config>(n: u32, threshold: u32) -> (OrgId, T::AccountId, Vec<T::AccountId>) {
	let admin: T::AccountId = account("maker", 0, 0);
	let roles = OrgRoles { manufacturer: true, ..Default::default() };
	let org = T::Registry::org_for_benchmark(&admin, roles);
	let mut approvers = vec![admin.clone()];
	for i in 1..n {
		let member: T::AccountId = account("approver", i, 0);
		T::Registry::member_for_benchmark(&admin, &member);
		approvers.push(member);
	}
	let set = ApproverSet {
		approvers: approvers.clone().try_into().expect("at most MaxApprovers"),
		threshold,
	};
	Approvers::<T>::insert(org, set);
	(org, admin, approvers)
}

fn publish_as<T: Config>(publisher: &T::AccountId, model: &[u8], version: FirmwareVersion) {
	Firmware::<T>::publish(
		RawOrigin::Signed(publisher.clone()).into(),
		model.to_vec(),
		version,
		IMAGE,
		1 << 20,
		vec![b'u'; T::MaxUriLen::get() as usize],
		Some([1; 32]),
		None,
	)
	.expect("benchmark release is valid");
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn set_approvers(n: Linear<1, { T::MaxApprovers::get() }>) {
		let (org, admin, approvers) = manufacturer::<T>(n, 1);
		Approvers::<T>::remove(org);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), approvers, n);

		assert_eq!(Approvers::<T>::get(org).map(|set| set.threshold), Some(n));
	}

	/// An approver publishes a release of a model that already has an active one, with a
	/// threshold of one: the release activates at once.
	#[benchmark]
	fn publish() {
		let (_, admin, _) = manufacturer::<T>(1, 1);
		let model = vec![b'm'; T::MaxModelLen::get() as usize];
		publish_as::<T>(&admin, &model, version(0));
		let id = NextReleaseId::<T>::get();

		#[extrinsic_call]
		_(
			RawOrigin::Signed(admin),
			model.clone(),
			version(1),
			IMAGE,
			1 << 20,
			vec![b'u'; T::MaxUriLen::get() as usize],
			Some([1; 32]),
			None,
		);

		assert_last_event::<T>(Event::Activated { release: id });
	}

	/// The last of `MaxApprovers` approvals, which activates the release.
	#[benchmark]
	fn approve() {
		let n = T::MaxApprovers::get();
		let (_, admin, approvers) = manufacturer::<T>(n, n);
		let id = NextReleaseId::<T>::get();
		publish_as::<T>(&admin, DEVICE_MODEL, version(1));
		let last = approvers.last().cloned().expect("at least one approver");
		for approver in &approvers[1..approvers.len() - 1] {
			Firmware::<T>::approve(RawOrigin::Signed(approver.clone()).into(), id)
				.expect("an approver approves");
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last), id);

		assert_last_event::<T>(Event::Activated { release: id });
	}

	#[benchmark]
	fn yank() {
		let (_, admin, _) = manufacturer::<T>(1, 1);
		let id = NextReleaseId::<T>::get();
		publish_as::<T>(&admin, DEVICE_MODEL, version(1));

		#[extrinsic_call]
		_(RawOrigin::Signed(admin.clone()), id, YankReason::Vulnerable);

		assert_last_event::<T>(Event::Yanked {
			release: id,
			reason: YankReason::Vulnerable,
			by: admin,
		});
	}

	/// The device's gateway reports an install that moves the device off an older release.
	#[benchmark]
	fn report_update() {
		let (_, maker, _) = manufacturer::<T>(1, 1);
		let old = NextReleaseId::<T>::get();
		publish_as::<T>(&maker, DEVICE_MODEL, version(1));
		let new = NextReleaseId::<T>::get();
		publish_as::<T>(&maker, DEVICE_MODEL, version(2));
		let operator: T::AccountId = account("operator", 0, 0);
		T::Registry::org_for_benchmark(
			&operator,
			OrgRoles { operator: true, ..Default::default() },
		);
		T::Registry::device_for_benchmark(&operator, DEVICE, &account("device", 0, 0));
		let gateway: T::AccountId = account("gateway", 0, 0);
		T::Registry::gateway_for_benchmark(&operator, DEVICE, GATEWAY, &gateway);
		Firmware::<T>::report_update(
			RawOrigin::Signed(gateway.clone()).into(),
			DEVICE,
			old,
			UpdateOutcome::Installed,
			IMAGE,
		)
		.expect("the first install is valid");

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), DEVICE, new, UpdateOutcome::Installed, IMAGE);

		assert_eq!(InstalledRelease::<T>::get(DEVICE), Some(new));
	}

	impl_benchmark_test_suite!(Firmware, crate::mock::new_test_ext(), crate::mock::Test);
}
