//! # Access Grants Pallet
//!
//! Who may do what with a device, for how long: the access rights of the IoT-and-blockchain
//! overview (a tenant's phone opens the apartment's lock for the dates of the stay; a doctor
//! reads all of a sensor's data, a fitness app only the basics) and of the multi-security
//! certification scheme (no smart device controls an IoT device without the certification
//! centre's say).
//!
//! ## Overview
//!
//! A **grant** says: this **subject** may exercise these **rights** on this **object** from one
//! moment to another. Only the object's **owner** organisation issues grants on it. Rights that
//! act on a device or on others' trust in it — `register`, `command`, `firmware` — take a
//! majority of the owner's settled admins (each calls [`Pallet::issue`] with the same terms,
//! within `ApprovalWindow`); `login` and `read` take one admin or member.
//!
//! A grant marked delegable can be passed on by its subject — an account, or an organisation
//! by the same rule as issuing — for a narrower or equal object, fewer or equal rights and a
//! window inside its own ([`Pallet::delegate`]): a rental agency re-grants a lock to a tenant
//! for dates inside its contract. A delegated grant is in force only while every grant above
//! it is, at most `MaxDelegationDepth` steps from the owner's.
//!
//! A grant is in force from `valid_from` until `valid_until` (the chain's timestamp, at most
//! `MaxGrantLifetime` ahead when it is issued), while its owner still owns the object and the
//! device is active: a transferred device leaves its grants behind, and its new owner may
//! revoke them. It is revoked at once
//! ([`Pallet::revoke`]) by the owner's admins and members, by whoever delegated it, or by its
//! subject; governance can revoke any grant. A grant expires on its own: the check compares the
//! window with the time of the block, and the pallet removes expired grants a bounded number per
//! block, from a queue ordered by the minute they expire in, with a `GrantExpired` event.
//!
//! Storage is bounded: per object (`MaxGrantsPerObject`), per subject and owner
//! (`MaxGrantsPerSubject`, so no owner can use up what others may grant a subject), per
//! (object, subject) holding (`MaxGrantsPerHolding`), and in time (`MaxGrantLifetime`).
//!
//! ### Terminology
//!
//! - **Subject**: a user device (as its registration pairs name it), an account, or an
//!   organisation.
//! - **Object**: a device, the owner's devices of one model, or all of the owner's devices.
//! - **Owner**: the organisation that owns the object's devices, and so issues its grants.
//! - **In force**: inside its window, its owner still owning the object, its parents in force.
//!
//! ## Pallet API
//!
//! [`Pallet::issue`], [`Pallet::delegate`], [`Pallet::revoke`], [`Pallet::force_revoke`].
//! Other pallets check rights through [`AccessRights`]; clients and gateways through the runtime
//! API in [`runtime_api`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use traits::AccessRights;
#[cfg(feature = "runtime-benchmarks")]
pub use traits::AccessRightsBenchmarking;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(feature = "std")]
pub mod testing;
#[cfg(test)]
mod tests;
mod traits;
#[cfg(any(feature = "try-runtime", test))]
mod try_state;
mod types;
pub mod weights;

/// Sets the chain's time in benchmarks, which start from none.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper {
	/// Makes `now` (milliseconds since the Unix epoch) the chain's time.
	fn set_time(now: Moment);
}

/// For runtimes that never run this pallet's benchmarks (other pallets' mocks).
#[cfg(feature = "runtime-benchmarks")]
impl BenchmarkHelper for () {
	fn set_time(_now: Moment) {}
}

/// How long one slot of the expiry queue lasts, in milliseconds: grants that expire within the
/// same minute are removed together.
pub const EXPIRY_SLOT_MS: Moment = 60_000;

/// How many later slots a grant may be queued in when the slot of its expiry is full. The check
/// compares the exact window, so a later slot delays only the removal.
pub const EXPIRY_SLOT_SPILL: u64 = 8;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{pallet_prelude::*, traits::UnixTime};
	use frame_system::pallet_prelude::*;
	use pallet_device_registry::DeviceRegistry;

	/// The terms of a grant as this runtime stores them.
	pub type GrantTermsOf<T> =
		GrantTerms<<T as frame_system::Config>::AccountId, MaxModelLenOf<T>, MaxLevelLenOf<T>>;
	/// A grant as this runtime stores it.
	pub type GrantOf<T> = Grant<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		MaxModelLenOf<T>,
		MaxLevelLenOf<T>,
	>;
	/// A pending grant as this runtime stores it.
	pub type PendingGrantOf<T> = PendingGrant<
		<T as frame_system::Config>::AccountId,
		BlockNumberFor<T>,
		MaxModelLenOf<T>,
		MaxLevelLenOf<T>,
		<T as Config>::MaxAdmins,
	>;
	/// A subject as this runtime names it.
	pub type SubjectOf<T> = Subject<<T as frame_system::Config>::AccountId>;
	/// An object as this runtime names it.
	pub type ObjectOf<T> = Object<MaxModelLenOf<T>>;
	/// Rights as this runtime names them.
	pub type RightsOf<T> = Rights<MaxLevelLenOf<T>>;
	pub type MaxModelLenOf<T> = <T as Config>::MaxModelLen;
	pub type MaxLevelLenOf<T> = <T as Config>::MaxLevelLen;

	/// The in-code storage version: 0 is the layout as first released.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Default configurations of this pallet, for tests.
	pub mod config_preludes {
		use super::*;
		use frame_support::{
			derive_impl,
			traits::{ConstU32, ConstU64, ConstU8},
		};

		/// Bounds roomy enough that other pallets' tests never meet them; this pallet's own
		/// tests set small ones.
		pub struct TestDefaultConfig;

		#[derive_impl(frame_system::config_preludes::TestDefaultConfig, no_aggregated_types)]
		impl frame_system::DefaultConfig for TestDefaultConfig {}

		#[frame_support::register_default_impl(TestDefaultConfig)]
		impl DefaultConfig for TestDefaultConfig {
			type MaxLevelLen = ConstU32<8>;
			type MaxGrantsPerObject = ConstU32<16>;
			type MaxGrantsPerSubject = ConstU32<16>;
			type MaxGrantsPerHolding = ConstU32<4>;
			// A year, in milliseconds.
			type MaxGrantLifetime = ConstU64<31_536_000_000>;
			type MaxDelegationDepth = ConstU8<2>;
			type MaxPendingGrantsPerOrg = ConstU32<16>;
			type MaxGrantsPerExpirySlot = ConstU32<16>;
			type MaxExpiriesPerBlock = ConstU32<8>;
			#[cfg(feature = "runtime-benchmarks")]
			type BenchmarkHelper = ();
			type WeightInfo = ();
		}
	}

	#[pallet::config(with_default)]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The device registry: who owns which device, who serves which organisation.
		#[pallet::no_default]
		type Registry: DeviceRegistry<Self::AccountId>;

		/// The chain's clock, which grant windows are set in.
		#[pallet::no_default]
		type Time: UnixTime;

		/// Who may revoke any grant at once: the consortium's governance.
		#[pallet::no_default]
		type GovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The registry's bound on a model's name, so every registered model can be an object.
		#[pallet::constant]
		#[pallet::no_default]
		type MaxModelLen: Get<u32>;

		/// Longest name of a read level.
		#[pallet::constant]
		type MaxLevelLen: Get<u32>;

		/// The registry's bound on an organisation's admins: the most approvals a pending
		/// grant collects.
		#[pallet::constant]
		#[pallet::no_default]
		type MaxAdmins: Get<u32>;

		/// Most grants on one object at a time. Expired grants leave on their own.
		#[pallet::constant]
		type MaxGrantsPerObject: Get<u32>;

		/// Most grants one subject holds from one owner at a time.
		#[pallet::constant]
		type MaxGrantsPerSubject: Get<u32>;

		/// Most grants one subject holds on one object at a time (overlapping rentals, a
		/// renewal issued before the current grant ends).
		#[pallet::constant]
		type MaxGrantsPerHolding: Get<u32>;

		/// How far ahead of the chain's time, in milliseconds, a grant may end: every grant
		/// ends within this of its issue, so its slots free up.
		#[pallet::constant]
		type MaxGrantLifetime: Get<Moment>;

		/// Most delegation steps between a grant and the owner's.
		#[pallet::constant]
		type MaxDelegationDepth: Get<u8>;

		/// How long, in blocks, the admins' approvals of a powerful grant count.
		#[pallet::constant]
		#[pallet::no_default]
		type ApprovalWindow: Get<BlockNumberFor<Self>>;

		/// Most powerful grants waiting for approval in one organisation; each admin may have
		/// two open, so this is at least twice `MaxAdmins` (checked in `integrity_test`).
		#[pallet::constant]
		type MaxPendingGrantsPerOrg: Get<u32>;

		/// Most grants one expiry slot queues.
		#[pallet::constant]
		type MaxGrantsPerExpirySlot: Get<u32>;

		/// Most expired grants removed in one block.
		#[pallet::constant]
		type MaxExpiriesPerBlock: Get<u32>;

		/// Sets the chain's time in benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The next grant's number.
	#[pallet::storage]
	pub type NextGrantId<T: Config> = StorageValue<_, GrantId, ValueQuery>;

	/// Every grant not yet revoked or removed after its expiry.
	// Twox64Concat: chain-assigned sequential ids.
	#[pallet::storage]
	pub type Grants<T: Config> = StorageMap<_, Twox64Concat, GrantId, GrantOf<T>>;

	/// The grants each subject holds on each object: what a check reads.
	// Blake2_128Concat: objects and subjects are named by callers.
	#[pallet::storage]
	pub type Holdings<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		ObjectOf<T>,
		Blake2_128Concat,
		SubjectOf<T>,
		BoundedVec<GrantId, T::MaxGrantsPerHolding>,
		ValueQuery,
	>;

	/// How many grants each object has, for `MaxGrantsPerObject`.
	// Blake2_128Concat: objects are named by callers.
	#[pallet::storage]
	pub type ObjectGrantCount<T: Config> =
		StorageMap<_, Blake2_128Concat, ObjectOf<T>, u32, ValueQuery>;

	/// The grants each subject holds from each owner, oldest first. Counted per owner, so no
	/// organisation can use up what a subject may receive from the others.
	// Blake2_128Concat: subjects are named by callers; Twox64Concat: chain-assigned org ids.
	#[pallet::storage]
	pub type SubjectGrants<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		SubjectOf<T>,
		Twox64Concat,
		pallet_device_registry::OrgId,
		BoundedVec<GrantId, T::MaxGrantsPerSubject>,
		ValueQuery,
	>;

	/// Powerful grants waiting for a majority of each organisation's admins.
	// Twox64Concat: chain-assigned organisation ids.
	#[pallet::storage]
	pub type PendingGrants<T: Config> = StorageMap<
		_,
		Twox64Concat,
		pallet_device_registry::OrgId,
		BoundedVec<PendingGrantOf<T>, T::MaxPendingGrantsPerOrg>,
		ValueQuery,
	>;

	/// The grants that expire in each minute (`valid_until / EXPIRY_SLOT_MS`), or in one of the
	/// next minutes when that minute's slot was full.
	// Twox64Concat: slot numbers are derived from time, not chosen freely.
	#[pallet::storage]
	pub type ExpiryQueue<T: Config> = StorageMap<
		_,
		Twox64Concat,
		u64,
		BoundedVec<GrantId, T::MaxGrantsPerExpirySlot>,
		ValueQuery,
	>;

	/// The first expiry slot not yet emptied; `None` until the first block with a time sets it.
	#[pallet::storage]
	pub type NextExpirySlot<T: Config> = StorageValue<_, u64>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A grant was issued, by its owner or (with `parent`) delegated by a holder.
		GrantIssued {
			grant: GrantId,
			terms: GrantTermsOf<T>,
			owner: pallet_device_registry::OrgId,
			parent: Option<GrantId>,
			by: T::AccountId,
		},
		/// An admin approved a powerful grant of organisation `org`, which waits for more
		/// approvals: `approvals` of its admins have approved so far.
		GrantApproved {
			org: pallet_device_registry::OrgId,
			terms: GrantTermsOf<T>,
			parent: Option<GrantId>,
			approvals: u32,
			by: T::AccountId,
		},
		/// A grant was revoked; `by` is `None` when governance revoked it.
		GrantRevoked { grant: GrantId, by: Option<T::AccountId> },
		/// A grant's window ended and it was removed.
		GrantExpired { grant: GrantId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The object names a device or an organisation that does not exist (or, for an
		/// organisation, is not active).
		ObjectNotFound,
		/// Only the object's owner organisation issues grants on it: its admins, or for
		/// `login` and `read` also its members.
		NotObjectOwner,
		/// `register`, `command` and `firmware` take a majority of settled admins: an account
		/// on its probation after its co-admins added it does not approve them.
		NotSettledAdmin,
		/// The grant allows nothing.
		NoRights,
		/// `register` is granted to organisations only: a certifier records as its
		/// organisation, and a key that moves to another one must not take the right along.
		RegisterNeedsOrganisation,
		/// The window is empty or over already.
		BadWindow,
		/// The window ends more than `MaxGrantLifetime` after the chain's time.
		WindowTooLong,
		/// The object already has `MaxGrantsPerObject` grants.
		TooManyGrantsOnObject,
		/// The subject already holds `MaxGrantsPerSubject` grants from this owner.
		TooManyGrantsOfSubject,
		/// The subject already holds `MaxGrantsPerHolding` grants on this object.
		TooManyGrantsInHolding,
		/// Every expiry slot near the grant's end is full: choose a slightly different end.
		ExpiryQueueFull,
		/// This admin already approved this pending grant.
		AlreadyApproved,
		/// This admin already has two powerful grants waiting for approval.
		TooManyPendingGrants,
		/// No grant with this number is stored: never issued, revoked, or expired and removed.
		GrantNotFound,
		/// Only the owner's admins and members (the issuing owner's, or the object's owner now),
		/// the delegator or the subject revoke a grant.
		NotAllowedToRevoke,
		/// The grant was not issued as delegable.
		NotDelegable,
		/// Only the grant's subject delegates it: the account itself, or its organisation's
		/// staff; a user device cannot.
		NotGrantSubject,
		/// The delegated grant would allow more than its parent: a wider object, more rights,
		/// a higher read level, or a window outside the parent's.
		BeyondParentGrant,
		/// The grant to delegate from is not in force now: outside its window, its own parent
		/// gone, or its owner no longer owning its object.
		ParentNotInForce,
		/// The grant is already `MaxDelegationDepth` steps from its owner's.
		DelegationTooDeep,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(_n: BlockNumberFor<T>) -> Weight {
			Self::remove_expired_grants()
		}

		fn integrity_test() {
			assert!(
				T::MaxPendingGrantsPerOrg::get() >= 2 * T::MaxAdmins::get(),
				"every admin of a full organisation can have two grants pending"
			);
			assert!(T::MaxGrantsPerExpirySlot::get() > 0, "an expiry slot holds a grant");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Issue a grant on an object the caller's organisation owns. `login` and `read`: one
		/// admin or member. With `register`, `command` or `firmware`: each settled admin calls
		/// with the same terms, and the call that reaches a majority issues it.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::issue().max(T::WeightInfo::approve()))]
		pub fn issue(origin: OriginFor<T>, terms: GrantTermsOf<T>) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			Self::do_issue(caller, terms)
		}

		/// Pass on (part of) a delegable grant the caller's account or organisation holds,
		/// within its object, rights and window. An organisation delegates as it issues.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::delegate().max(T::WeightInfo::approve()))]
		pub fn delegate(
			origin: OriginFor<T>,
			parent: GrantId,
			terms: GrantTermsOf<T>,
		) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			Self::do_delegate(caller, parent, terms)
		}

		/// Revoke a grant at once: the owner's admins and members (and, once the object changed
		/// hands, the new owner's), whoever delegated it, or its subject (renouncing it).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn revoke(origin: OriginFor<T>, grant: GrantId) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_revoke(Some(caller), grant)
		}

		/// Revoke any grant at once: governance.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn force_revoke(origin: OriginFor<T>, grant: GrantId) -> DispatchResult {
			T::GovernanceOrigin::ensure_origin(origin)?;
			Self::do_revoke(None, grant)
		}
	}

	impl<T: Config> Pallet<T> {
		/// The chain's time, in milliseconds since the Unix epoch.
		pub fn now() -> Moment {
			T::Time::now().as_millis().try_into().unwrap_or(Moment::MAX)
		}
	}
}
