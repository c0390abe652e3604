//! Benchmarks of both calls through the origin the runtime configures. Neither depends on the
//! size of anything: `authorize_upgrade` writes one hash, `note_stalled` one pair of numbers.

use super::*;
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn authorize_upgrade() -> Result<(), BenchmarkError> {
		let origin = T::ChainGovernanceOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, T::Hash::default());

		assert!(frame_system::Pallet::<T>::authorized_upgrade().is_some());
		Ok(())
	}

	#[benchmark]
	fn note_stalled() -> Result<(), BenchmarkError> {
		frame_system::Pallet::<T>::set_block_number(10u32.into());
		let origin = T::ChainGovernanceOrigin::try_successful_origin()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 1_000u32.into(), 1u32.into());

		assert!(pallet_grandpa::Stalled::<T>::get().is_some());
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
