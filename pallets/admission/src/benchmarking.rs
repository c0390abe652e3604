//! The extension's benchmark, in its most expensive case: a device found along the runtime's
//! costliest lookup path, its nonce checked and spent, its own and its organisation's usage of
//! this block read and rewritten, and the unused part of its weight given back.

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::dispatch::{DispatchInfo, PostDispatchInfo};
use frame_system::RawOrigin;
use sp_runtime::traits::{
	AsSystemOriginSigner, AsTransactionAuthorizedOrigin, DispatchTransaction, Dispatchable, Zero,
};
use sp_runtime::Weight;

#[benchmarks(where
	T: Send + Sync,
	T::RuntimeCall: Dispatchable<Info = DispatchInfo, PostInfo = PostDispatchInfo>,
	<T::RuntimeCall as Dispatchable>::RuntimeOrigin:
		AsSystemOriginSigner<T::AccountId> + AsTransactionAuthorizedOrigin + Clone,
)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn admit_and_check_nonce() -> Result<(), BenchmarkError> {
		let account = T::BenchmarkHelper::costliest_budgeted_account();
		// The framework moves a chain at block 0 to block 1 before the measured block; count
		// in the block the check will run in.
		if frame_system::Pallet::<T>::block_number().is_zero() {
			frame_system::Pallet::<T>::set_block_number(1u32.into());
		}
		// An earlier transaction of this block, so the usage is read and rewritten.
		Pallet::<T>::record_usage(&account, 1, None);
		let nonce = frame_system::Pallet::<T>::account_nonce(&account);
		let call: T::RuntimeCall = frame_system::Call::<T>::remark { remark: vec![] }.into();
		// A call that declares 2 and reports 1: the refund's writes are measured too.
		let info = DispatchInfo { call_weight: Weight::from_parts(2, 0), ..Default::default() };
		let used = PostDispatchInfo {
			actual_weight: Some(Weight::from_parts(1, 0)),
			..Default::default()
		};

		#[block]
		{
			AdmitAndCheckNonce::<T>::from(nonce)
				.test_run(RawOrigin::Signed(account.clone()).into(), &call, &info, 0, 0, |_| {
					Ok(used)
				})
				.map_err(|_| BenchmarkError::Stop("the budgeted account is refused"))?
				.map_err(|_| BenchmarkError::Stop("the substitute call fails"))?;
		}

		assert_eq!(Pallet::<T>::used_this_block(&account), 2);
		assert_eq!(frame_system::Pallet::<T>::account_nonce(&account), nonce + 1u32.into());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
