//! Weights of the device registry's calls.
//!
//! NOT YET GENERATED. This file is to be replaced by the output of running `benchmarking.rs` on
//! the project's machine through `iotchain-node benchmark pallet` with
//! `scripts/templates/pallet-weights.hbs` (issue 3). Until then the pallet is not part of the
//! runtime, and the zero weights below serve only the unit tests' mock runtime.

use frame_support::weights::Weight;

/// Weight functions needed by `pallet_device_registry`.
pub trait WeightInfo {
	fn create_org() -> Weight;
	fn suspend_org() -> Weight;
	fn resume_org() -> Weight;
	fn add_admin() -> Weight;
	fn remove_admin() -> Weight;
	fn add_member() -> Weight;
	fn remove_member() -> Weight;
	fn register_device() -> Weight;
	fn register_devices(n: u32) -> Weight;
	fn rotate_key() -> Weight;
	fn suspend_device() -> Weight;
	fn resume_device() -> Weight;
	fn revoke_device() -> Weight;
	fn assign_gateway() -> Weight;
	fn update_metadata() -> Weight;
	fn offer_transfer() -> Weight;
	fn cancel_transfer() -> Weight;
	fn accept_transfer() -> Weight;
}

/// Zero weights, for the unit tests only.
impl WeightInfo for () {
	fn create_org() -> Weight {
		Weight::zero()
	}
	fn suspend_org() -> Weight {
		Weight::zero()
	}
	fn resume_org() -> Weight {
		Weight::zero()
	}
	fn add_admin() -> Weight {
		Weight::zero()
	}
	fn remove_admin() -> Weight {
		Weight::zero()
	}
	fn add_member() -> Weight {
		Weight::zero()
	}
	fn remove_member() -> Weight {
		Weight::zero()
	}
	fn register_device() -> Weight {
		Weight::zero()
	}
	fn register_devices(_n: u32) -> Weight {
		Weight::zero()
	}
	fn rotate_key() -> Weight {
		Weight::zero()
	}
	fn suspend_device() -> Weight {
		Weight::zero()
	}
	fn resume_device() -> Weight {
		Weight::zero()
	}
	fn revoke_device() -> Weight {
		Weight::zero()
	}
	fn assign_gateway() -> Weight {
		Weight::zero()
	}
	fn update_metadata() -> Weight {
		Weight::zero()
	}
	fn offer_transfer() -> Weight {
		Weight::zero()
	}
	fn cancel_transfer() -> Weight {
		Weight::zero()
	}
	fn accept_transfer() -> Weight {
		Weight::zero()
	}
}
