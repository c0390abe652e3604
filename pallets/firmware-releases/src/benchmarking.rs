//! Benchmarks of every call, each in its most expensive case.

use super::*;
use crate::Pallet as Firmware;
use alloc::{vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::{
	ensure,
	traits::{EnsureOrigin, Get},
};
use frame_system::RawOrigin;
use pallet_device_registry::{
	DeviceId, DeviceRegistryBenchmarking, FirmwareVersion, OrgId, OrgRoles,
};
use sp_runtime::Saturating;

const IMAGE: Sha256 = [0xaa; 32];
/// The model `DeviceRegistryBenchmarking::device_for_benchmark` registers devices with.
const DEVICE_MODEL: &[u8] = b"bench";
// Distinct from the ids the unit tests' mock registers at genesis.
const DEVICE: DeviceId = [0xbe; 32];
const GATEWAY: DeviceId = [0xbf; 32];
/// Every yank reason: a release has at most one pending yank for each.
const REASONS: [YankReason; 3] =
	[YankReason::Vulnerable, YankReason::Defective, YankReason::Withdrawn];

fn assert_last_event<T: Config>(event: Event<T>) {
	frame_system::Pallet::<T>::assert_last_event(
		<T as frame_system::Config>::RuntimeEvent::from(event).into(),
	);
}

fn version(minor: u16) -> FirmwareVersion {
	FirmwareVersion { major: 2, minor, patch: 0 }
}

/// A manufacturer whose admin and `n - 1` members are its approvers, `threshold` of them
/// needed, and which owns the model devices of `device_for_benchmark` use (and a model of the
/// longest name), both claimed by its admin: claims that expire unless a release activates.
/// Returns the organisation, its admin and the approvers.
fn manufacturer<T: Config>(n: u32, threshold: u32) -> (OrgId, T::AccountId, Vec<T::AccountId>)
where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
{
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
	for model in [DEVICE_MODEL.to_vec(), longest_model::<T>()] {
		let model = model.try_into().expect("within MaxModelLen");
		Firmware::<T>::do_claim_model(model, org, ClaimAuthority::Manufacturer)
			.expect("benchmark models are unclaimed");
	}
	(org, admin, approvers)
}

fn longest_model<T: Config>() -> Vec<u8> {
	vec![b'm'; T::MaxModelLen::get() as usize]
}

/// `n` members of a fresh manufacturer `org` (administered by `admin`), as approvers to name.
fn new_members<T: Config>(admin: &T::AccountId, n: u32) -> Vec<T::AccountId>
where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
{
	(0..n)
		.map(|i| {
			let member: T::AccountId = account("new-approver", i, 0);
			T::Registry::member_for_benchmark(admin, &member);
			member
		})
		.collect()
}

/// Two active releases of the model `device_for_benchmark` devices use, older and newer, and
/// the admin of an operator organisation to own the devices; returns (older, newer, admin).
fn two_releases_and_an_operator<T: Config>() -> (ReleaseId, ReleaseId, T::AccountId)
where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
{
	let (_, maker, _) = manufacturer::<T>(1, 1);
	let old = NextReleaseId::<T>::get();
	publish_as::<T>(&maker, DEVICE_MODEL, version(1));
	let new = NextReleaseId::<T>::get();
	publish_as::<T>(&maker, DEVICE_MODEL, version(2));
	let operator: T::AccountId = account("operator", 0, 0);
	T::Registry::org_for_benchmark(&operator, OrgRoles { operator: true, ..Default::default() });
	(old, new, operator)
}

/// Each of `approvers` approves yanking release `id` for each of `reasons`, none of them
/// reaching the threshold.
fn approve_yanks<T: Config>(approvers: &[T::AccountId], id: ReleaseId, reasons: &[YankReason]) {
	for reason in reasons {
		for approver in approvers {
			Firmware::<T>::yank(RawOrigin::Signed(approver.clone()).into(), id, *reason)
				.expect("an approver approves the yank");
		}
	}
}

/// Whether release `id` has no pending yank left.
fn no_pending_yanks<T: Config>(id: ReleaseId) -> bool {
	PendingYanks::<T>::iter_prefix(id).next().is_none()
}

/// `MaxApprovers` approvers, all needed, of a manufacturer with an active release of the
/// model devices use, and every approver but the last approving yanking it for every reason;
/// returns the release and the last approver.
fn active_release_with_pending_yanks<T: Config>() -> (ReleaseId, T::AccountId)
where
	T::Registry: DeviceRegistryBenchmarking<T::AccountId>,
{
	let n = T::MaxApprovers::get();
	let (_, admin, approvers) = manufacturer::<T>(n, n);
	let id = NextReleaseId::<T>::get();
	publish_as::<T>(&admin, DEVICE_MODEL, version(1));
	for approver in approvers.iter().skip(1) {
		Firmware::<T>::approve(RawOrigin::Signed(approver.clone()).into(), id)
			.expect("an approver approves");
	}
	let (last, others) = approvers.split_last().expect("at least one approver");
	approve_yanks::<T>(others, id, &REASONS);
	(id, last.clone())
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

#[benchmarks(where T::Registry: DeviceRegistryBenchmarking<T::AccountId>)]
mod benchmarks {
	use super::*;

	/// An approver in force proposes `n` new approvers; the change waits for more approvals.
	#[benchmark]
	fn propose_approvers(n: Linear<2, { T::MaxApprovers::get() }>) {
		let (org, admin, _) = manufacturer::<T>(T::MaxApprovers::get(), 2);
		let proposed = new_members::<T>(&admin, n);

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), proposed, 2);

		assert_eq!(PendingApproverChanges::<T>::get(org).map(|c| c.approvals.len()), Some(1));
	}

	/// Governance names `n` approvers.
	#[benchmark]
	fn force_set_approvers(n: Linear<1, { T::MaxApprovers::get() }>) -> Result<(), BenchmarkError> {
		let (org, admin, _) = manufacturer::<T>(1, 1);
		let approvers = new_members::<T>(&admin, n);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, org, approvers, n);

		ensure!(Approvers::<T>::get(org).map(|set| set.threshold) == Some(n), "approvers set");
		Ok(())
	}

	/// The last of `MaxApprovers` approvals of a change of all approvers, which enacts it.
	#[benchmark]
	fn approve_approver_change() {
		let max = T::MaxApprovers::get();
		let (org, admin, approvers) = manufacturer::<T>(max, max);
		let proposed = new_members::<T>(&admin, max);
		Firmware::<T>::propose_approvers(RawOrigin::Signed(admin).into(), proposed, 2)
			.expect("a valid proposal");
		let last = approvers.last().cloned().expect("at least one approver");
		for approver in &approvers[1..approvers.len() - 1] {
			Firmware::<T>::approve_approver_change(RawOrigin::Signed(approver.clone()).into())
				.expect("an approver approves");
		}

		#[extrinsic_call]
		_(RawOrigin::Signed(last));

		assert_eq!(Approvers::<T>::get(org).map(|set| set.threshold), Some(2));
	}

	/// An admin claims a model of the longest name.
	#[benchmark]
	fn claim_model() -> Result<(), BenchmarkError> {
		let (_, admin, _) = manufacturer::<T>(1, 1);
		let mut model = longest_model::<T>();
		model[0] = b'n';

		#[extrinsic_call]
		_(RawOrigin::Signed(admin), model.clone());

		ensure!(Models::<T>::contains_key(ModelOf::<T>::truncate_from(model)), "claimed");
		Ok(())
	}

	/// Governance moves the claim of a model of the longest name, which another manufacturer's
	/// admin made, to a manufacturer: the claim starts afresh and its unused lifetime ends.
	#[benchmark]
	fn force_claim_model() -> Result<(), BenchmarkError> {
		let (previous, _, _) = manufacturer::<T>(1, 1);
		let admin: T::AccountId = account("new-maker", 0, 0);
		let org = T::Registry::org_for_benchmark(
			&admin,
			OrgRoles { manufacturer: true, ..Default::default() },
		);
		let model = longest_model::<T>();
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model.clone(), org);

		ensure!(
			!UnusedClaimSince::<T>::contains_key(ModelOf::<T>::truncate_from(model.clone())),
			"a moved claim does not expire"
		);
		assert_last_event::<T>(Event::ModelClaimed {
			model,
			org,
			authority: ClaimAuthority::Governance,
			previous: Some(previous),
		});
		Ok(())
	}

	/// Governance removes its admin's claim of a model of the longest name, which has no
	/// releases.
	#[benchmark]
	fn force_unclaim_model() -> Result<(), BenchmarkError> {
		let (org, _, _) = manufacturer::<T>(1, 1);
		let model = longest_model::<T>();
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, model.clone());

		assert_last_event::<T>(Event::ModelUnclaimed { model, org });
		Ok(())
	}

	/// A stranger clears an admin's claim of a model of the longest name, which activated no
	/// release for its lifetime.
	#[benchmark]
	fn clear_unused_claim() {
		let (org, _, _) = manufacturer::<T>(1, 1);
		let model = longest_model::<T>();
		let expired = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::UnusedClaimLifetime::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(expired);
		let stranger: T::AccountId = account("stranger", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(stranger.clone()), model.clone());

		assert_last_event::<T>(Event::UnusedClaimCleared { model, org, by: stranger });
	}

	/// A stranger clears a pending release of the model's current claim, with a pending yank
	/// for every reason, whose approval window closed.
	#[benchmark]
	fn withdraw() {
		let (_, admin, _) = manufacturer::<T>(2, 2);
		let id = NextReleaseId::<T>::get();
		publish_as::<T>(&admin, DEVICE_MODEL, version(1));
		approve_yanks::<T>(&[admin], id, &REASONS);
		let after_window = frame_system::Pallet::<T>::block_number()
			.saturating_add(T::ApprovalWindow::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(after_window);
		let stranger: T::AccountId = account("stranger", 0, 0);

		#[extrinsic_call]
		_(RawOrigin::Signed(stranger.clone()), id);

		assert!(no_pending_yanks::<T>(id));
		assert_last_event::<T>(Event::Withdrawn { release: id, by: stranger });
	}

	/// An approver publishes the first release of a model its admin claimed, with a threshold
	/// of one: the release activates at once, the claim's first activation, which ends its
	/// unused lifetime.
	#[benchmark]
	fn publish() {
		let (_, admin, _) = manufacturer::<T>(1, 1);
		let model = longest_model::<T>();
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

		assert!(!UnusedClaimSince::<T>::contains_key(ModelOf::<T>::truncate_from(model)));
		assert_last_event::<T>(Event::Activated { release: id });
	}

	/// The last of `MaxApprovers` approvals, which activates the release: the first activation
	/// under its model's claim, which ends the claim's unused lifetime.
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

		let model = ModelOf::<T>::truncate_from(DEVICE_MODEL.to_vec());
		assert!(!UnusedClaimSince::<T>::contains_key(model));
		assert_last_event::<T>(Event::Activated { release: id });
	}

	/// The last of `MaxApprovers` approvals of yanking an active release for one reason, which
	/// yanks it and drops its pending yanks for every reason.
	#[benchmark]
	fn yank() {
		let (id, last) = active_release_with_pending_yanks::<T>();

		#[extrinsic_call]
		_(RawOrigin::Signed(last.clone()), id, YankReason::Vulnerable);

		assert!(no_pending_yanks::<T>(id));
		assert_last_event::<T>(Event::Yanked {
			release: id,
			reason: YankReason::Vulnerable,
			by: last,
		});
	}

	/// Governance yanks an active release with a pending yank for every reason, which it drops.
	#[benchmark]
	fn force_yank() -> Result<(), BenchmarkError> {
		let (id, _) = active_release_with_pending_yanks::<T>();
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id, YankReason::Defective);

		ensure!(no_pending_yanks::<T>(id), "the pending yanks are dropped");
		assert_last_event::<T>(Event::ForceYanked { release: id, reason: YankReason::Defective });
		Ok(())
	}

	/// The device's gateway reports an install that moves the device off an older release.
	#[benchmark]
	fn report_update() {
		let (old, new, operator) = two_releases_and_an_operator::<T>();
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

	/// A gateway reports `n` installs, each for another device it serves and each moving its
	/// device off an older release, as in `report_update`.
	#[benchmark]
	fn report_updates(n: Linear<1, { T::MaxBatchSize::get() }>) {
		let (old, new, operator) = two_releases_and_an_operator::<T>();
		let gateway: T::AccountId = account("gateway", 0, 0);
		let mut reports = Vec::new();
		for i in 0..n {
			let mut device = DEVICE;
			device[..4].copy_from_slice(&i.to_le_bytes());
			T::Registry::device_for_benchmark(&operator, device, &account("device", i, 0));
			if i == 0 {
				T::Registry::gateway_for_benchmark(&operator, device, GATEWAY, &gateway);
			} else {
				T::Registry::assign_for_benchmark(&operator, device, GATEWAY);
			}
			Firmware::<T>::report_update(
				RawOrigin::Signed(gateway.clone()).into(),
				device,
				old,
				UpdateOutcome::Installed,
				IMAGE,
			)
			.expect("the first install is valid");
			reports.push(UpdateReport {
				device,
				release: new,
				outcome: UpdateOutcome::Installed,
				measured_sha256: IMAGE,
			});
		}
		let last = reports.last().expect("n is at least 1").device;
		let reports = frame_support::BoundedVec::<_, T::MaxBatchSize>::truncate_from(reports);

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), reports);

		assert_eq!(InstalledRelease::<T>::get(last), Some(new));
		assert_eq!(ReleaseDeviceCount::<T>::get(new), n);
	}

	impl_benchmark_test_suite!(Firmware, crate::mock::new_test_ext(), crate::mock::Test);
}
