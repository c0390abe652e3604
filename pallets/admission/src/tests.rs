//! The gate at validation: known accounts in, strangers out with their code; every known
//! account within its budget of block weight (devices and gateways within their
//! organisation's too) and its share of the pool; unused weight given back; nonces checked;
//! unsigned transactions untouched.

use crate::{
	mock::*, AccountUsage, AdmissionError, AdmitAndCheckNonce, BlockUsage, OrganisationUsage,
};
use frame_support::{
	assert_ok,
	dispatch::{DispatchClass, DispatchInfo, PostDispatchInfo},
	pallet_prelude::TransactionSource,
	traits::OriginTrait,
	weights::Weight,
};
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
};

fn remark() -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: vec![] })
}

/// What a normal-class call declaring `ref_time` looks like to the extension.
fn weighing(ref_time: u64) -> DispatchInfo {
	DispatchInfo { call_weight: Weight::from_parts(ref_time, 0), ..Default::default() }
}

/// The extension for `origin`'s next transaction.
fn next(origin: &RuntimeOrigin) -> AdmitAndCheckNonce<Test> {
	let nonce = origin.as_signer().map_or(0, System::account_nonce);
	AdmitAndCheckNonce::from(nonce)
}

/// Validates `origin`'s next transaction, declaring `ref_time`, as the transaction pool does:
/// nothing is counted.
fn validate(origin: RuntimeOrigin, ref_time: u64) -> Result<(), TransactionValidityError> {
	validate_with(origin.clone(), next(&origin).0, &weighing(ref_time)).map(|_| ())
}

/// Validates a transaction of `origin` with `nonce` as the pool does; its priority.
fn validate_with(
	origin: RuntimeOrigin,
	nonce: u32,
	info: &DispatchInfo,
) -> Result<u64, TransactionValidityError> {
	AdmitAndCheckNonce::<Test>::from(nonce)
		.validate_only(origin, &remark(), info, 0, TransactionSource::External, 0)
		.map(|(validity, _, _)| validity.priority)
}

fn priority_of(account: u64, nonce: u32) -> Result<u64, TransactionValidityError> {
	validate_with(RuntimeOrigin::signed(account), nonce, &weighing(1))
}

/// Validates, prepares and dispatches `origin`'s next transaction declaring `ref_time`, all of
/// which the call uses.
fn include(origin: RuntimeOrigin, ref_time: u64) -> Result<(), TransactionValidityError> {
	next(&origin)
		.dispatch_transaction(origin, remark(), &weighing(ref_time), 0, 0)
		.map(|result| {
			assert_ok!(result);
		})
}

fn refused_with(code: AdmissionError) -> Result<(), TransactionValidityError> {
	Err(InvalidTransaction::Custom(code as u8).into())
}

fn waits_for_the_next_block() -> Result<(), TransactionValidityError> {
	Err(InvalidTransaction::ExhaustsResources.into())
}

#[test]
fn refusal_codes_are_the_documented_ones() {
	assert_eq!(AdmissionError::UnknownAccount as u8, 1);
	assert_eq!(AdmissionError::QuotaExhausted as u8, 2);
	assert_eq!(AdmissionError::TooHeavy as u8, 3);
}

/// A member pays its fees, and still cannot fill a block: its normal-class transactions are
/// held to `MemberBudget` per block, per account.
#[test]
fn a_members_normal_transactions_are_held_to_its_budget() {
	new_test_ext().execute_with(|| {
		for member in [COUNCIL_MEMBER, ORG_ADMIN] {
			let origin = RuntimeOrigin::signed(member);
			assert_eq!(include(origin.clone(), MEMBER_BUDGET / 2), Ok(()));
			assert_eq!(include(origin.clone(), MEMBER_BUDGET / 2), Ok(()));
			assert_eq!(Admission::used_this_block(&member), MEMBER_BUDGET);
			assert_eq!(include(origin.clone(), 1), waits_for_the_next_block());
			System::set_block_number(System::block_number() + 1);
			assert_eq!(include(origin, 1), Ok(()));
		}
	});
}

/// Governance's operational calls are bounded by the block's operational reserve, not by a
/// member's budget: a budget can never keep the council from acting.
#[test]
fn a_members_operational_calls_are_not_budgeted() {
	new_test_ext().execute_with(|| {
		let operational =
			DispatchInfo { class: DispatchClass::Operational, ..weighing(MEMBER_BUDGET * 10) };
		let origin = RuntimeOrigin::signed(COUNCIL_MEMBER);
		assert_ok!(next(&origin).dispatch_transaction(origin, remark(), &operational, 0, 0));
		assert_eq!(Admission::used_this_block(&COUNCIL_MEMBER), 0);
		assert!(AccountUsage::<Test>::get(COUNCIL_MEMBER).is_none());
	});
}

/// The stranger is refused as a stranger (code 1), before its nonce is looked at: it has no
/// account, which frame_system would refuse as `Payment`.
#[test]
fn a_stranger_is_refused_at_validation() {
	new_test_ext().execute_with(|| {
		assert_eq!(
			validate(RuntimeOrigin::signed(STRANGER), 1),
			refused_with(AdmissionError::UnknownAccount)
		);
		assert_eq!(
			include(RuntimeOrigin::signed(STRANGER), 1),
			refused_with(AdmissionError::UnknownAccount)
		);
	});
}

/// Runs the extension's own validation, without the dispatch machinery's origin checks (which
/// refuse an unauthorised `None` origin before any extension matters).
fn validate_directly(origin: RuntimeOrigin) -> bool {
	use crate::extension::Admitted;
	use sp_runtime::traits::{TransactionExtension, TxBaseImplication};
	AdmitAndCheckNonce::<Test>::from(0)
		.validate(
			origin,
			&remark(),
			&weighing(u64::MAX),
			0,
			(),
			&TxBaseImplication(()),
			TransactionSource::External,
		)
		.map(|(_, admitted, _)| matches!(admitted, Admitted::NotSigned))
		.unwrap_or_else(|_| panic!("not a signed origin: nothing to refuse"))
}

#[test]
fn unsigned_and_root_origins_pass_untouched() {
	new_test_ext().execute_with(|| {
		assert!(validate_directly(RuntimeOrigin::none()));
		assert!(validate_directly(RuntimeOrigin::root()));
		assert_eq!(validate(RuntimeOrigin::root(), u64::MAX), Ok(()));
	});
}

/// A stolen device key cannot fill blocks for free: what it may include per block is a budget
/// of weight, however it splits it into transactions.
#[test]
fn a_device_is_admitted_up_to_its_budget_per_block() {
	new_test_ext().execute_with(|| {
		let device = RuntimeOrigin::signed(DEVICE_ACCOUNT);
		for _ in 0..4 {
			assert_eq!(include(device.clone(), DEVICE_BUDGET / 4), Ok(()));
		}
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), DEVICE_BUDGET);
		// Past its budget it waits for the next block: skipped by the block builder, kept by
		// the pool, not refused for good.
		assert_eq!(validate(device.clone(), 1), waits_for_the_next_block());
		assert_eq!(include(device.clone(), 1), waits_for_the_next_block());

		// The next block starts afresh.
		System::set_block_number(2);
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), 0);
		assert_eq!(include(device, 7), Ok(()));
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), 7);
	});
}

/// One transaction that declares more than a block's budget (an oversized batch that does
/// decode, say) can never be included: it is refused for good, not kept to clog the pool.
#[test]
fn a_transaction_heavier_than_its_budget_is_refused_for_good() {
	new_test_ext().execute_with(|| {
		for (account, budget) in [
			(DEVICE_ACCOUNT, DEVICE_BUDGET),
			(GATEWAY_ACCOUNT, GATEWAY_BUDGET),
			(ORG_ADMIN, MEMBER_BUDGET),
		] {
			assert_eq!(validate(RuntimeOrigin::signed(account), budget), Ok(()));
			assert_eq!(
				validate(RuntimeOrigin::signed(account), budget + 1),
				refused_with(AdmissionError::TooHeavy),
				"account {account}"
			);
		}
	});
}

#[test]
fn a_gateway_has_its_own_budget() {
	new_test_ext().execute_with(|| {
		let gateway = RuntimeOrigin::signed(GATEWAY_ACCOUNT);
		assert_eq!(include(gateway.clone(), GATEWAY_BUDGET), Ok(()));
		assert_eq!(include(gateway, 1), waits_for_the_next_block());
		// Another account's budget is untouched (its organisation's has room for it).
		assert_eq!(include(RuntimeOrigin::signed(DEVICE_ACCOUNT), 1), Ok(()));
	});
}

/// An organisation that registers many devices does not get many budgets: its devices and
/// gateways share one, and another organisation's devices are not held back by it.
#[test]
fn an_organisations_devices_and_gateways_share_its_budget() {
	new_test_ext().execute_with(|| {
		assert_eq!(include(RuntimeOrigin::signed(GATEWAY_ACCOUNT), GATEWAY_BUDGET), Ok(()));
		let left = ORGANISATION_BUDGET - GATEWAY_BUDGET;
		assert_eq!(include(RuntimeOrigin::signed(DEVICE_ACCOUNT), left), Ok(()));
		assert_eq!(Admission::organisation_used_this_block(&0), ORGANISATION_BUDGET);
		// The second device has its own budget left, but not its organisation's.
		assert_eq!(
			include(RuntimeOrigin::signed(SECOND_DEVICE_ACCOUNT), 1),
			waits_for_the_next_block()
		);
		assert_eq!(Admission::used_this_block(&SECOND_DEVICE_ACCOUNT), 0);
		assert_eq!(include(RuntimeOrigin::signed(OTHER_ORG_DEVICE_ACCOUNT), DEVICE_BUDGET), Ok(()));
		System::set_block_number(2);
		assert_eq!(include(RuntimeOrigin::signed(SECOND_DEVICE_ACCOUNT), 1), Ok(()));
	});
}

/// A batch that fails early reports less weight than it declared; the difference goes back to
/// its signer's and its organisation's budgets, so an honest batch refused at its first check
/// does not use up the block's share.
#[test]
fn weight_a_call_did_not_use_is_given_back() {
	use sp_runtime::traits::TransactionExtension;
	new_test_ext().execute_with(|| {
		let device = RuntimeOrigin::signed(DEVICE_ACCOUNT);
		let info = weighing(DEVICE_BUDGET);
		let (_, val, origin) = next(&device)
			.validate(
				device.clone(),
				&remark(),
				&info,
				0,
				(),
				&sp_runtime::traits::TxBaseImplication(()),
				TransactionSource::InBlock,
			)
			.unwrap();
		let pre = next(&device).prepare(val, &origin, &remark(), &info, 0).unwrap();
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), DEVICE_BUDGET);
		let post = PostDispatchInfo {
			actual_weight: Some(Weight::from_parts(DEVICE_BUDGET / 10, 0)),
			pays_fee: Default::default(),
		};
		assert_eq!(
			<AdmitAndCheckNonce<Test> as TransactionExtension<RuntimeCall>>::post_dispatch_details(
				pre,
				&info,
				&post,
				0,
				&Ok(())
			),
			Ok(Weight::zero())
		);
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), DEVICE_BUDGET / 10);
		assert_eq!(Admission::organisation_used_this_block(&0), DEVICE_BUDGET / 10);
		// What was given back is usable again in the same block.
		assert_eq!(validate(device, DEVICE_BUDGET - DEVICE_BUDGET / 10), Ok(()));
	});
}

#[test]
fn pool_validation_does_not_use_up_the_budget() {
	new_test_ext().execute_with(|| {
		for _ in 0..10 {
			assert_eq!(validate(RuntimeOrigin::signed(DEVICE_ACCOUNT), DEVICE_BUDGET), Ok(()));
		}
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), 0);
		assert!(OrganisationUsage::<Test>::get(0).is_none());
	});
}

/// A compromised device (or a member) signing transactions far ahead of its nonce cannot park
/// them in the pool: only its pool depth of them is valid.
#[test]
fn the_pool_holds_an_accounts_depth_and_refuses_the_rest() {
	new_test_ext().execute_with(|| {
		for (account, depth) in [
			(DEVICE_ACCOUNT, DEVICE_POOL_DEPTH),
			(GATEWAY_ACCOUNT, GATEWAY_POOL_DEPTH),
			(ORG_ADMIN, MEMBER_POOL_DEPTH),
		] {
			for nonce in 0..depth {
				assert!(priority_of(account, nonce).is_ok());
			}
			for nonce in [depth, depth + 1, u32::MAX] {
				assert_eq!(
					priority_of(account, nonce).map(|_| ()),
					refused_with(AdmissionError::QuotaExhausted),
					"nonce {nonce} of account {account}"
				);
			}
		}
	});
}

/// The depth is counted from the nonce on chain, so it moves as transactions are included.
#[test]
fn the_pool_depth_moves_as_transactions_are_included() {
	new_test_ext().execute_with(|| {
		let depth = DEVICE_POOL_DEPTH;
		assert!(priority_of(DEVICE_ACCOUNT, depth).is_err());
		assert_eq!(include(RuntimeOrigin::signed(DEVICE_ACCOUNT), 1), Ok(()));
		assert_eq!(System::account_nonce(DEVICE_ACCOUNT), 1);
		assert!(priority_of(DEVICE_ACCOUNT, depth).is_ok());
		assert!(priority_of(DEVICE_ACCOUNT, depth + 1).is_err());
	});
}

/// Every account's next transaction ranks the same and each later one lower, so an honest
/// device's single record is queued behind no one's backlog: not a flooding device's, and not
/// a gateway's (gateways do not outrank devices).
#[test]
fn every_accounts_next_transaction_ranks_the_same() {
	new_test_ext().execute_with(|| {
		let first = priority_of(DEVICE_ACCOUNT, 0).unwrap();
		assert_eq!(priority_of(GATEWAY_ACCOUNT, 0), Ok(first));
		assert_eq!(priority_of(ORG_ADMIN, 0), Ok(first));
		assert_eq!(priority_of(DEVICE_ACCOUNT, 1), Ok(first - 1));
		assert_eq!(priority_of(GATEWAY_ACCOUNT, 3), Ok(first - 3));
		assert!(
			priority_of(GATEWAY_ACCOUNT, 1).unwrap()
				< priority_of(SECOND_DEVICE_ACCOUNT, 0).unwrap()
		);
	});
}

#[test]
fn nonces_are_checked_as_frame_system_checks_them() {
	new_test_ext().execute_with(|| {
		let device = RuntimeOrigin::signed(DEVICE_ACCOUNT);
		assert_eq!(include(device.clone(), 1), Ok(()));
		assert_eq!(
			validate_with(device.clone(), 0, &weighing(1)).map(|_| ()),
			Err(InvalidTransaction::Stale.into()),
			"a replayed nonce"
		);
		// A future nonce is valid in the pool but cannot go into a block yet.
		assert_eq!(
			AdmitAndCheckNonce::<Test>::from(2)
				.dispatch_transaction(device, remark(), &weighing(1), 0, 0)
				.map(|_| ()),
			Err(InvalidTransaction::Future.into())
		);
		// The refused transaction used no budget.
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), 1);
	});
}

/// The extension keeps frame_system's identifier and encoding, so clients that know
/// `CheckNonce` put the nonce where the runtime reads it.
#[test]
fn it_encodes_as_frame_systems_nonce_check() {
	use codec::Encode;
	use sp_runtime::traits::TransactionExtension;
	assert_eq!(
		<AdmitAndCheckNonce<Test> as TransactionExtension<RuntimeCall>>::IDENTIFIER,
		"CheckNonce"
	);
	for nonce in [0u32, 63, 64, 1 << 20, u32::MAX] {
		assert_eq!(
			AdmitAndCheckNonce::<Test>::from(nonce).encode(),
			frame_system::CheckNonce::<Test>::from(nonce).encode()
		);
	}
}

#[test]
fn a_suspended_or_revoked_device_is_a_stranger() {
	new_test_ext().execute_with(|| {
		let device = || RuntimeOrigin::signed(DEVICE_ACCOUNT);
		assert_ok!(Devices::suspend_device(RuntimeOrigin::signed(ORG_ADMIN), DEVICE));
		assert_eq!(validate(device(), 1), refused_with(AdmissionError::UnknownAccount));
		assert_ok!(Devices::resume_device(RuntimeOrigin::signed(ORG_ADMIN), DEVICE));
		assert_eq!(validate(device(), 1), Ok(()));
		assert_ok!(Devices::revoke_device(RuntimeOrigin::signed(ORG_ADMIN), DEVICE));
		assert_eq!(validate(device(), 1), refused_with(AdmissionError::UnknownAccount));
	});
}

#[test]
fn the_weight_is_refunded_when_nothing_was_checked() {
	use crate::{extension::Prepared, WeightInfo};
	use sp_runtime::traits::TransactionExtension;
	new_test_ext().execute_with(|| {
		let weight = <() as WeightInfo>::admit_and_check_nonce();
		assert_eq!(AdmitAndCheckNonce::<Test>::from(0).weight(&remark()), weight);
		let refund = |pre| {
			<AdmitAndCheckNonce<Test> as TransactionExtension<RuntimeCall>>::post_dispatch_details(
				pre,
				&DispatchInfo::default(),
				&PostDispatchInfo::default(),
				0,
				&Ok(()),
			)
		};
		assert_eq!(refund(Prepared::NothingChecked), Ok(weight));
		assert_eq!(
			refund(Prepared::Checked { account: COUNCIL_MEMBER, budget: None }),
			Ok(Weight::zero())
		);
	});
}

/// Version 0's per-block transaction counts are removed by the upgrade to version 1.
#[test]
fn the_upgrade_to_version_1_forgets_the_transaction_counts() {
	use codec::Encode;
	use frame_support::{
		storage::{storage_prefix, unhashed},
		traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion},
		Blake2_128Concat, StorageHasher,
	};
	new_test_ext().execute_with(|| {
		StorageVersion::new(0).put::<Admission>();
		let prefix = storage_prefix(b"Admission", b"QuotaUsage");
		let mut key = prefix.to_vec();
		key.extend(Blake2_128Concat::hash(&DEVICE_ACCOUNT.encode()));
		unhashed::put(&key, &(1u64, 4u32));
		AccountUsage::<Test>::insert(GATEWAY_ACCOUNT, BlockUsage { block: 1, ref_time: 5 });

		crate::migrations::v1::ForgetTransactionCounts::<Test>::on_runtime_upgrade();

		assert!(unhashed::get_raw(&key).is_none());
		assert_eq!(Admission::on_chain_storage_version(), StorageVersion::new(1));
		assert_eq!(Admission::used_this_block(&GATEWAY_ACCOUNT), 5, "version 1 data is kept");
	});
}
