//! What benchmarks ask of the device registry to set up their state: never part of a
//! production runtime.
//!
//! Other pallets' benchmarks start from organisations, devices and gateways made through
//! [`DeviceRegistryBenchmarking`], which their `#[benchmarks]` module requires of their
//! `Config::Registry`; this pallet's own benchmarks sign device keys' proofs through
//! [`BenchmarkHelper`].

use crate::{DeviceId, DeviceRegistry, OrgId, OrgRoles};

/// Registry state for another pallet's benchmarks to start from, beside the production
/// [`DeviceRegistry`] questions.
pub trait DeviceRegistryBenchmarking<AccountId>: DeviceRegistry<AccountId> {
	/// Creates an active organisation administered by `admin`, so another pallet's benchmarks
	/// can start from one.
	fn org_for_benchmark(admin: &AccountId, roles: OrgRoles) -> OrgId;

	/// Registers an active device `id`, signing with `account`, for the organisation `admin`
	/// serves, so another pallet's benchmarks can start from one.
	fn device_for_benchmark(admin: &AccountId, id: DeviceId, account: &AccountId);

	/// Makes `admins` the settled admins of `org`, as governance would, for another pallet's
	/// benchmarks of decisions a majority of admins takes.
	fn admins_for_benchmark(org: OrgId, admins: alloc::vec::Vec<AccountId>);

	/// Adds `member` to the organisation `admin` administers, for another pallet's benchmarks.
	fn member_for_benchmark(admin: &AccountId, member: &AccountId);

	/// Registers gateway `gateway` (signing with `account`) for the organisation `admin`
	/// serves and assigns `device` to it, for another pallet's benchmarks.
	fn gateway_for_benchmark(
		admin: &AccountId,
		device: DeviceId,
		gateway: DeviceId,
		account: &AccountId,
	);

	/// Assigns `device` to the existing gateway `gateway` of the organisation `admin` serves,
	/// for another pallet's benchmarks of gateway batches.
	fn assign_for_benchmark(admin: &AccountId, device: DeviceId, gateway: DeviceId);
}

/// Keys and their consents for the registry's benchmarks (device keys' proofs, accounts'
/// consents to join organisations): the runtime holds real keys in the benchmark keystore;
/// tests sign with test signatures.
pub trait BenchmarkHelper<AccountId, Signature> {
	/// The account of the `seed`th key, whose holder [`Self::sign`] speaks for.
	fn key_account(seed: u32) -> AccountId;
	/// `account`'s key's signature over `payload`.
	fn sign(account: &AccountId, payload: &[u8]) -> Signature;
}
