//! The gate at validation: known accounts in, strangers out with their code, devices and
//! gateways within their per-block quotas, unsigned transactions untouched.

use crate::{mock::*, AdmissionError, CheckAdmission, QuotaUsage};
use frame_support::{assert_ok, dispatch::DispatchInfo, pallet_prelude::TransactionSource};
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
};

fn remark() -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: vec![] })
}

/// Validates as the transaction pool does: nothing is counted.
fn validate(origin: RuntimeOrigin) -> Result<(), TransactionValidityError> {
	CheckAdmission::<Test>::new()
		.validate_only(
			origin,
			&remark(),
			&DispatchInfo::default(),
			0,
			TransactionSource::External,
			0,
		)
		.map(|_| ())
}

/// Validates and prepares as block execution does, then dispatches the remark.
fn include(origin: RuntimeOrigin) -> Result<(), TransactionValidityError> {
	CheckAdmission::<Test>::new()
		.dispatch_transaction(origin, remark(), &DispatchInfo::default(), 0, 0)
		.map(|result| {
			assert_ok!(result);
		})
}

fn refused_with(code: AdmissionError) -> Result<(), TransactionValidityError> {
	Err(InvalidTransaction::Custom(code as u8).into())
}

#[test]
fn refusal_codes_are_the_documented_ones() {
	assert_eq!(AdmissionError::UnknownAccount as u8, 1);
	assert_eq!(AdmissionError::QuotaExhausted as u8, 2);
}

#[test]
fn members_are_admitted_without_a_quota() {
	new_test_ext().execute_with(|| {
		for member in [COUNCIL_MEMBER, ORG_ADMIN] {
			for _ in 0..10 {
				assert_eq!(include(RuntimeOrigin::signed(member)), Ok(()));
			}
			assert!(QuotaUsage::<Test>::get(member).is_none());
		}
	});
}

#[test]
fn a_stranger_is_refused_at_validation() {
	new_test_ext().execute_with(|| {
		assert_eq!(
			validate(RuntimeOrigin::signed(STRANGER)),
			refused_with(AdmissionError::UnknownAccount)
		);
		assert_eq!(
			include(RuntimeOrigin::signed(STRANGER)),
			refused_with(AdmissionError::UnknownAccount)
		);
	});
}

/// Runs the extension's own validation, without the dispatch machinery's origin checks (which
/// refuse an unauthorised `None` origin before any extension matters).
fn validate_directly(origin: RuntimeOrigin) -> crate::extension::Admitted<u64> {
	use sp_runtime::traits::{TransactionExtension, TxBaseImplication};
	CheckAdmission::<Test>::new()
		.validate(
			origin,
			&remark(),
			&DispatchInfo::default(),
			0,
			(),
			&TxBaseImplication(()),
			TransactionSource::External,
		)
		.map(|(_, admitted, _)| admitted)
		.unwrap_or_else(|_| panic!("not a signed origin: nothing to refuse"))
}

#[test]
fn unsigned_and_root_origins_pass_untouched() {
	use crate::extension::Admitted;
	new_test_ext().execute_with(|| {
		assert!(matches!(validate_directly(RuntimeOrigin::none()), Admitted::NotSigned));
		assert!(matches!(validate_directly(RuntimeOrigin::root()), Admitted::NotSigned));
		assert_eq!(validate(RuntimeOrigin::root()), Ok(()));
	});
}

#[test]
fn a_device_is_admitted_up_to_its_quota_per_block() {
	new_test_ext().execute_with(|| {
		let device = RuntimeOrigin::signed(DEVICE_ACCOUNT);
		for _ in 0..DEVICE_QUOTA {
			assert_eq!(include(device.clone()), Ok(()));
		}
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), DEVICE_QUOTA);
		assert_eq!(validate(device.clone()), refused_with(AdmissionError::QuotaExhausted));
		assert_eq!(include(device.clone()), refused_with(AdmissionError::QuotaExhausted));

		// The next block starts a fresh count.
		System::set_block_number(2);
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), 0);
		assert_eq!(include(device), Ok(()));
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), 1);
	});
}

#[test]
fn a_gateway_has_its_own_quota() {
	new_test_ext().execute_with(|| {
		let gateway = RuntimeOrigin::signed(GATEWAY_ACCOUNT);
		for _ in 0..GATEWAY_QUOTA {
			assert_eq!(include(gateway.clone()), Ok(()));
		}
		assert_eq!(include(gateway), refused_with(AdmissionError::QuotaExhausted));
		// Another account's quota is untouched.
		assert_eq!(include(RuntimeOrigin::signed(DEVICE_ACCOUNT)), Ok(()));
	});
}

#[test]
fn pool_validation_does_not_use_up_the_quota() {
	new_test_ext().execute_with(|| {
		for _ in 0..10 {
			assert_eq!(validate(RuntimeOrigin::signed(DEVICE_ACCOUNT)), Ok(()));
		}
		assert_eq!(Admission::used_this_block(&DEVICE_ACCOUNT), 0);
	});
}

#[test]
fn a_suspended_or_revoked_device_is_a_stranger() {
	new_test_ext().execute_with(|| {
		assert_ok!(Devices::suspend_device(RuntimeOrigin::signed(ORG_ADMIN), DEVICE));
		assert_eq!(
			validate(RuntimeOrigin::signed(DEVICE_ACCOUNT)),
			refused_with(AdmissionError::UnknownAccount)
		);
		assert_ok!(Devices::resume_device(RuntimeOrigin::signed(ORG_ADMIN), DEVICE));
		assert_eq!(validate(RuntimeOrigin::signed(DEVICE_ACCOUNT)), Ok(()));
		assert_ok!(Devices::revoke_device(RuntimeOrigin::signed(ORG_ADMIN), DEVICE));
		assert_eq!(
			validate(RuntimeOrigin::signed(DEVICE_ACCOUNT)),
			refused_with(AdmissionError::UnknownAccount)
		);
	});
}

#[test]
fn the_weight_is_refunded_when_nothing_was_checked() {
	use crate::{extension::Prepared, WeightInfo};
	use frame_support::dispatch::PostDispatchInfo;
	use sp_runtime::traits::TransactionExtension;
	new_test_ext().execute_with(|| {
		let weight = <() as WeightInfo>::check_admission();
		assert_eq!(CheckAdmission::<Test>::new().weight(&remark()), weight);
		let refund = |pre| {
			<CheckAdmission<Test> as TransactionExtension<RuntimeCall>>::post_dispatch_details(
				pre,
				&DispatchInfo::default(),
				&PostDispatchInfo::default(),
				0,
				&Ok(()),
			)
		};
		assert_eq!(refund(Prepared::NothingChecked), Ok(weight));
		assert_eq!(refund(Prepared::Checked), Ok(frame_support::weights::Weight::zero()));
	});
}
