//! Benchmarks of every call, each in its most expensive case: a full approved list, searched
//! to its end.

use super::*;
use crate::Pallet as ValidatorSet;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{EnsureOrigin, Get},
	BoundedVec,
};

/// Approves benchmark validators until `count` are approved and returns them all. The genesis
/// validators, which have session keys, stay first, so a removal leaves enough keyed ones.
fn approve<T: Config>(count: u32) -> Vec<T::AccountId> {
	let mut validators = ApprovedValidators::<T>::get().into_inner();
	let fresh = count.saturating_sub(validators.len() as u32);
	validators.extend((0..fresh).map(|i| account("validator", i, 0)));
	ApprovedValidators::<T>::put(BoundedVec::truncate_from(validators.clone()));
	MinValidators::<T>::put(1);
	validators
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn add_validator() -> Result<(), BenchmarkError> {
		approve::<T>(T::MaxValidators::get() - 1);
		let newcomer: T::AccountId = account("newcomer", 0, 0);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, newcomer.clone());

		assert!(ValidatorSet::<T>::is_approved(&newcomer));
		Ok(())
	}

	#[benchmark]
	fn remove_validator() -> Result<(), BenchmarkError> {
		let validators = approve::<T>(T::MaxValidators::get());
		let last = validators.last().cloned().ok_or(BenchmarkError::Weightless)?;
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, last.clone());

		assert!(!ValidatorSet::<T>::is_approved(&last));
		Ok(())
	}

	#[benchmark]
	fn set_min_validators() -> Result<(), BenchmarkError> {
		let max = T::MaxValidators::get();
		approve::<T>(max);
		let origin =
			T::GovernanceOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, max);

		assert_eq!(MinValidators::<T>::get(), max);
		Ok(())
	}

	impl_benchmark_test_suite!(ValidatorSet, crate::mock::new_test_ext(), crate::mock::Test);
}
