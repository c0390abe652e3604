//! The gate at validation: known accounts in, strangers out with their code, devices and
//! gateways within their per-block quotas and their share of the pool, nonces checked, unsigned
//! transactions untouched.

use crate::{mock::*, AdmissionError, AdmitAndCheckNonce, QuotaUsage};
use frame_support::{
	assert_ok, dispatch::DispatchInfo, pallet_prelude::TransactionSource, traits::OriginTrait,
};
use sp_runtime::{
	traits::DispatchTransaction,
	transaction_validity::{InvalidTransaction, TransactionValidityError},
};

fn remark() -> RuntimeCall {
	RuntimeCall::System(frame_system::Call::remark { remark: vec![] })
}

/// The extension for `origin`'s next transaction.
fn next(origin: &RuntimeOrigin) -> AdmitAndCheckNonce<Test> {
	let nonce = origin.as_signer().map_or(0, System::account_nonce);
	AdmitAndCheckNonce::from(nonce)
}

/// Validates `origin`'s next transaction as the transaction pool does: nothing is counted.
fn validate(origin: RuntimeOrigin) -> Result<(), TransactionValidityError> {
	validate_with_nonce(origin.clone(), next(&origin).0).map(|_| ())
}

/// Validates a transaction of `origin` with `nonce` as the pool does; its priority.
fn validate_with_nonce(origin: RuntimeOrigin, nonce: u32) -> Result<u64, TransactionValidityError> {
	AdmitAndCheckNonce::<Test>::from(nonce)
		.validate_only(
			origin,
			&remark(),
			&DispatchInfo::default(),
			0,
			TransactionSource::External,
			0,
		)
		.map(|(validity, _, _)| validity.priority)
}

/// Validates and prepares `origin`'s next transaction as block execution does, then dispatches
/// the remark.
fn include(origin: RuntimeOrigin) -> Result<(), TransactionValidityError> {
	next(&origin)
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

/// The stranger is refused as a stranger (code 1), before its nonce is looked at: it has no
/// account, which frame_system would refuse as `Payment`.
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
	AdmitAndCheckNonce::<Test>::from(0)
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
		// Past its quota it waits for the next block: skipped by the block builder, kept by
		// the pool, not refused for good.
		assert_eq!(validate(device.clone()), Err(InvalidTransaction::ExhaustsResources.into()));
		assert_eq!(include(device.clone()), Err(InvalidTransaction::ExhaustsResources.into()));

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
		assert_eq!(include(gateway), Err(InvalidTransaction::ExhaustsResources.into()));
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

/// A compromised device signing transactions far ahead of its nonce cannot park them in the
/// pool: only what its quota lets the next `QuotaWindow` blocks include is valid.
#[test]
fn the_pool_holds_a_devices_quota_for_the_window_and_refuses_the_rest() {
	new_test_ext().execute_with(|| {
		for (account, quota) in [(DEVICE_ACCOUNT, DEVICE_QUOTA), (GATEWAY_ACCOUNT, GATEWAY_QUOTA)] {
			let window = quota * QUOTA_WINDOW;
			for nonce in 0..window {
				assert!(validate_with_nonce(RuntimeOrigin::signed(account), nonce).is_ok());
			}
			for nonce in [window, window + 1, u32::MAX] {
				assert_eq!(
					validate_with_nonce(RuntimeOrigin::signed(account), nonce).map(|_| ()),
					refused_with(AdmissionError::QuotaExhausted),
					"nonce {nonce} of account {account}"
				);
			}
		}
		// Members have no quota: any future nonce waits in the pool as usual.
		assert!(validate_with_nonce(RuntimeOrigin::signed(ORG_ADMIN), 1_000).is_ok());
	});
}

/// The window is counted from the nonce on chain, so it moves as transactions are included.
#[test]
fn the_pool_window_moves_as_transactions_are_included() {
	new_test_ext().execute_with(|| {
		let device = RuntimeOrigin::signed(DEVICE_ACCOUNT);
		let window = DEVICE_QUOTA * QUOTA_WINDOW;
		assert!(validate_with_nonce(device.clone(), window).is_err());
		assert_eq!(include(device.clone()), Ok(()));
		assert_eq!(System::account_nonce(DEVICE_ACCOUNT), 1);
		assert!(validate_with_nonce(device.clone(), window).is_ok());
		assert!(validate_with_nonce(device, window + 1).is_err());
	});
}

/// Each device's next transaction outranks every device's later ones, so an honest device's
/// single record is not queued behind a flooding device's backlog.
#[test]
fn a_devices_next_transaction_has_the_highest_priority() {
	new_test_ext().execute_with(|| {
		let window = u64::from(DEVICE_QUOTA * QUOTA_WINDOW);
		let priority = |nonce| validate_with_nonce(RuntimeOrigin::signed(DEVICE_ACCOUNT), nonce);
		assert_eq!(priority(0), Ok(window));
		assert_eq!(priority(1), Ok(window - 1));
		assert_eq!(priority(3), Ok(1));
		assert_eq!(validate_with_nonce(RuntimeOrigin::signed(ORG_ADMIN), 0), Ok(0));
	});
}

#[test]
fn nonces_are_checked_as_frame_system_checks_them() {
	new_test_ext().execute_with(|| {
		let device = RuntimeOrigin::signed(DEVICE_ACCOUNT);
		assert_eq!(include(device.clone()), Ok(()));
		assert_eq!(
			validate_with_nonce(device.clone(), 0),
			Err(InvalidTransaction::Stale.into()),
			"a replayed nonce"
		);
		// A future nonce is valid in the pool but cannot go into a block yet.
		assert_eq!(
			AdmitAndCheckNonce::<Test>::from(2)
				.dispatch_transaction(device, remark(), &DispatchInfo::default(), 0, 0)
				.map(|_| ()),
			Err(InvalidTransaction::Future.into())
		);
		// The refused transaction used no quota.
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
		assert_eq!(refund(Prepared::Checked), Ok(frame_support::weights::Weight::zero()));
	});
}
