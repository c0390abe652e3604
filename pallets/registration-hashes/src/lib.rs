//! # Registration Hashes Pallet
//!
//! The write-once registry of what a user device registered with an IoT device: the
//! registration hash of the multi-security certification protocol (seed 001, sections 3.1 and
//! 3.4), or — beyond the paper — the public key the user device signs logins with.
//!
//! ## Overview
//!
//! The certification centre of the paper keeps the user devices' secrets in its database; the
//! chain keeps the registration hash `R` derived from each secret (see
//! [`iotchain_certification_scheme`]). A certifier checks a login against its database *and*
//! against `R`, so a database altered after registration is detected: `R` cannot change.
//!
//! Registrations are never overwritten (WORM). Registering a pair again creates the next
//! version; revoking marks one version. Every version stays readable, up to `MaxVersions` per
//! pair. Only the newest version counts for logins, and only while it is not revoked.
//!
//! An IoT device has at most `MaxPairsPerDevice` pairs, whoever recorded them, so nobody — a
//! compromised device registering a fresh random user device every block least of all — can make
//! the chain store more than `MaxPairsPerDevice × MaxVersions` registrations for one device.
//! Pairs are never deleted, so the cap is for the device's lifetime: a device that needs more
//! user devices is registered again under a new id.
//!
//! Registrations are recorded by a member of a certifier organisation that the device's owner
//! granted `register` on the device (see the access grants pallet; an owner that is itself a
//! certifier needs no grant for its own devices), or by the IoT device itself relaying what the
//! user device sent it (the paper's relay path), and only for active devices. So a certifier
//! with no business with a device cannot fill its pairs or enrol a key of its own on it. A pair belongs to its **recorder**: while its newest version stands (is not
//! revoked), only the same certifier organisation (or the same device) records new versions,
//! so no other certifier can supersede a registration or use up the pair's `MaxVersions`.
//!
//! ## Pallet API
//!
//! [`Pallet::register`], [`Pallet::register_pairs`] (a batch, each pair recorded on its own),
//! [`Pallet::revoke`]. Other pallets use [`RegistrationLookup`]; clients
//! the runtime API in [`runtime_api`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use traits::RegistrationLookup;
pub use types::*;
pub use weights::WeightInfo;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
pub mod runtime_api;
#[cfg(test)]
mod tests;
mod traits;
mod types;
pub mod weights;

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use alloc::vec::Vec;
	use frame_support::{dispatch::WithPostDispatchInfo, pallet_prelude::*};
	use frame_system::pallet_prelude::*;
	use pallet_access_grants::{AccessRights, Right};
	use pallet_device_registry::{DeviceId, DeviceRegistry};

	/// A registration as this runtime stores it.
	pub type RegistrationOf<T> =
		Registration<<T as frame_system::Config>::AccountId, BlockNumberFor<T>>;

	/// The in-code storage version: 0 is the layout as first released.
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The device registry: who is an active device, and who serves which organisation.
		type Registry: DeviceRegistry<Self::AccountId>;

		/// The access grants: which certifiers a device's owner granted `register`.
		type Access: AccessRights<Self::AccountId>;

		/// Most versions one (IoT device, user device) pair can have. History is never deleted,
		/// so a pair that reaches it needs a new user device id.
		#[pallet::constant]
		type MaxVersions: Get<u32>;

		/// Most (IoT device, user device) pairs one IoT device can have, whoever recorded them.
		/// Pairs are never deleted, so this bounds the device's registrations for its lifetime.
		#[pallet::constant]
		type MaxPairsPerDevice: Get<u32>;

		/// Most pairs in one [`Pallet::register_pairs`] batch.
		#[pallet::constant]
		type MaxBatchSize: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Every registration of every pair, by version.
	// Blake2_128Concat for the registrant-chosen ids; Twox64Concat for the chain-assigned version.
	#[pallet::storage]
	pub type Registrations<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Blake2_128Concat, DeviceId>,
			NMapKey<Blake2_128Concat, UserDeviceId>,
			NMapKey<Twox64Concat, Version>,
		),
		RegistrationOf<T>,
	>;

	/// The newest version of each pair.
	// Blake2_128Concat: both ids are chosen by registrants.
	#[pallet::storage]
	pub type LatestVersion<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, DeviceId, Blake2_128Concat, UserDeviceId, Version>;

	/// How many pairs each IoT device has, for the `MaxPairsPerDevice` cap.
	// Blake2_128Concat: device ids are chosen by registrants.
	#[pallet::storage]
	pub type PairCount<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A pair was registered (again). Earlier versions are superseded.
		Registered {
			device: DeviceId,
			user_device: UserDeviceId,
			version: Version,
			credential: Credential,
			app_integrity_key: iotchain_certification_scheme::Hash,
			recorder: Recorder,
			by: T::AccountId,
		},
		/// A version of a pair's registration was revoked.
		Revoked { device: DeviceId, user_device: UserDeviceId, version: Version, by: T::AccountId },
		/// The item at `index` of a batch was refused with `error` and nothing of it recorded;
		/// the batch's other items were applied on their own.
		BatchItemFailed { index: u32, error: DispatchError },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The IoT device does not exist or is not active.
		DeviceNotActive,
		/// Only a certifier organisation's account or the IoT device itself may register.
		NotCertifierOrDevice,
		/// The device's owner did not grant this certifier's organisation `register` on the
		/// device, or the grant is not in force now.
		NoRegisterGrant,
		/// Only the recording certifier, the device's organisation or the device itself may
		/// revoke.
		NotAllowedToRevoke,
		/// The combination names no hash, or an unknown one.
		BadCombination,
		/// The combination mixes only the third hash, which is stored on chain in clear: mix
		/// the first or the second hash too.
		PublicOnlyCombination,
		/// The pair already has `MaxVersions` versions.
		TooManyVersions,
		/// The IoT device already has `MaxPairsPerDevice` pairs: a new user device needs the
		/// IoT device registered again under a new id.
		TooManyPairs,
		/// The pair has no registration with this version.
		RegistrationNotFound,
		/// The pair's standing registration was recorded by another certifier organisation (or
		/// by the device itself): only that recorder registers new versions until the
		/// registration is revoked.
		PairRecordedByAnother,
		/// This version is already revoked.
		AlreadyRevoked,
		/// A batch is empty: it records nothing.
		BadBatchSize,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register the pair (`device`, `user_device`): its next version. A certifier
		/// organisation's account or the active device itself.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, device: &DeviceId, _user_device: &UserDeviceId, _credential: &Credential, _app_integrity_key: &iotchain_certification_scheme::Hash| -> bool {
			pallet_device_registry::is_signed_by_device::<T, T::Registry>(origin, device)
		})]
		pub fn register(
			origin: OriginFor<T>,
			device: DeviceId,
			user_device: UserDeviceId,
			credential: Credential,
			app_integrity_key: iotchain_certification_scheme::Hash,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_register_pair(
				&caller,
				PairRegistration { device, user_device, credential, app_integrity_key },
			)
		}

		/// Revoke one version of a pair's registration. The recording certifier organisation,
		/// the device's organisation, or the device itself.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::revoke())]
		#[pallet::feeless_if(|origin: &OriginFor<T>, device: &DeviceId, _user_device: &UserDeviceId, _version: &Version| -> bool {
			pallet_device_registry::is_signed_by_device::<T, T::Registry>(origin, device)
		})]
		pub fn revoke(
			origin: OriginFor<T>,
			device: DeviceId,
			user_device: UserDeviceId,
			version: Version,
		) -> DispatchResult {
			let caller = ensure_signed(origin)?;
			Self::do_revoke(caller, device, user_device, version)
		}

		/// Register pairs, each as [`Pallet::register`] would: authorised and recorded on its
		/// own. A refused pair records nothing and is reported by a `BatchItemFailed` event;
		/// the others go on. At most `MaxBatchSize` pairs: the bound is in the type, so a
		/// larger batch does not decode. An empty batch fails with `BadBatchSize`, charged as a
		/// batch of none. Feeless when the signer is the device every pair names.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::register_pairs(pairs.len() as u32))]
		#[pallet::feeless_if(|origin: &OriginFor<T>, pairs: &BoundedVec<PairRegistration, T::MaxBatchSize>| -> bool {
			pallet_device_registry::is_signed_for_all_by_device::<T, T::Registry>(
				origin,
				pairs.iter().map(|pair| &pair.device),
			)
		})]
		pub fn register_pairs(
			origin: OriginFor<T>,
			pairs: BoundedVec<PairRegistration, T::MaxBatchSize>,
		) -> DispatchResultWithPostInfo {
			let caller = ensure_signed(origin)?;
			Self::do_register_pairs(&caller, pairs)
				.map_err(|error| error.with_weight(T::WeightInfo::register_pairs(0)))?;
			Ok(().into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// Authorises `caller` to record `pair` and records its next version.
		fn do_register_pair(caller: &T::AccountId, pair: PairRegistration) -> DispatchResult {
			let PairRegistration { device, user_device, credential, app_integrity_key } = pair;
			let recorder = Self::recorder(caller, &device)?;
			Self::do_register(
				caller.clone(),
				device,
				user_device,
				credential,
				app_integrity_key,
				recorder,
			)
			.map(|_| ())
		}

		/// Records each pair of a batch on its own, as [`Self::do_register_pair`]; a refused
		/// pair is reported by a `BatchItemFailed` event. Fails only for an empty batch.
		fn do_register_pairs(
			caller: &T::AccountId,
			pairs: BoundedVec<PairRegistration, T::MaxBatchSize>,
		) -> DispatchResult {
			pallet_device_registry::apply_batch(
				pairs,
				Error::<T>::BadBatchSize,
				|pair| Self::do_register_pair(caller, pair),
				|index, error| Self::deposit_event(Event::BatchItemFailed { index, error }),
			)
		}

		/// How `caller` may record a registration for `device`, if at all: as the device
		/// itself, or as a certifier the device's owner granted `register` (an owner that is a
		/// certifier needs no grant for its own devices).
		fn recorder(caller: &T::AccountId, device: &DeviceId) -> Result<Recorder, DispatchError> {
			let active = T::Registry::active_device(device).ok_or(Error::<T>::DeviceNotActive)?;
			if T::Registry::active_device_by_account(caller).is_some_and(|own| own.id == *device) {
				return Ok(Recorder::Device);
			}
			let certifier = T::Registry::active_certifier_org_of(caller)
				.ok_or(Error::<T>::NotCertifierOrDevice)?;
			ensure!(
				certifier == active.org
					|| T::Access::organisation_may(certifier, Right::Register, device),
				Error::<T>::NoRegisterGrant
			);
			Ok(Recorder::Certifier(certifier))
		}

		/// Records the next version of a pair, after the caller was authorised as `recorder`.
		pub(crate) fn do_register(
			recorded_by: T::AccountId,
			device: DeviceId,
			user_device: UserDeviceId,
			credential: Credential,
			app_integrity_key: iotchain_certification_scheme::Hash,
			recorder: Recorder,
		) -> Result<Version, DispatchError> {
			if let Credential::Hash { combination, .. } = credential {
				ensure!(combination.is_valid(), Error::<T>::BadCombination);
				ensure!(combination.mixes_private_input(), Error::<T>::PublicOnlyCombination);
			}
			let latest = LatestVersion::<T>::get(device, user_device);
			if let Some(standing) = latest
				.and_then(|version| Registrations::<T>::get((device, user_device, version)))
				.filter(|registration| registration.revoked.is_none())
			{
				ensure!(standing.recorder == recorder, Error::<T>::PairRecordedByAnother);
			}
			// A new pair counts against its device's cap; the count is written with the pair.
			let pairs_after = match latest {
				Some(_) => None,
				None => {
					let pairs = PairCount::<T>::get(device);
					ensure!(pairs < T::MaxPairsPerDevice::get(), Error::<T>::TooManyPairs);
					Some(pairs.saturating_add(1))
				},
			};
			let latest = latest.unwrap_or(0);
			ensure!(latest < T::MaxVersions::get(), Error::<T>::TooManyVersions);
			let version = latest.saturating_add(1);
			let registration = Registration {
				credential,
				app_integrity_key,
				recorder,
				recorded_by: recorded_by.clone(),
				recorded_at: frame_system::Pallet::<T>::block_number(),
				revoked: None,
			};
			Registrations::<T>::insert((device, user_device, version), registration);
			LatestVersion::<T>::insert(device, user_device, version);
			if let Some(pairs) = pairs_after {
				PairCount::<T>::insert(device, pairs);
			}
			Self::deposit_event(Event::Registered {
				device,
				user_device,
				version,
				credential,
				app_integrity_key,
				recorder,
				by: recorded_by,
			});
			Ok(version)
		}

		fn do_revoke(
			caller: T::AccountId,
			device: DeviceId,
			user_device: UserDeviceId,
			version: Version,
		) -> DispatchResult {
			let key = (device, user_device, version);
			let mut registration =
				Registrations::<T>::get(key).ok_or(Error::<T>::RegistrationNotFound)?;
			ensure!(registration.revoked.is_none(), Error::<T>::AlreadyRevoked);
			ensure!(
				Self::may_revoke(&caller, &device, &registration.recorder),
				Error::<T>::NotAllowedToRevoke
			);
			registration.revoked = Some(Revocation {
				by: caller.clone(),
				at: frame_system::Pallet::<T>::block_number(),
			});
			Registrations::<T>::insert(key, registration);
			Self::deposit_event(Event::Revoked { device, user_device, version, by: caller });
			Ok(())
		}

		/// The recording certifier organisation, the active device's own organisation, and the
		/// active device itself may revoke.
		fn may_revoke(caller: &T::AccountId, device: &DeviceId, recorder: &Recorder) -> bool {
			let caller_org = T::Registry::active_org_of(caller);
			let recorded_by_callers_org =
				matches!(recorder, Recorder::Certifier(org) if caller_org == Some(*org));
			let device_owner = T::Registry::active_device(device).map(|d| d.org);
			let owns_device = caller_org.is_some() && caller_org == device_owner;
			let is_device =
				T::Registry::active_device_by_account(caller).is_some_and(|own| own.id == *device);
			recorded_by_callers_org || owns_device || is_device
		}

		/// The newest registration of a pair, revoked or not.
		pub fn latest_registration(
			device: &DeviceId,
			user_device: &UserDeviceId,
		) -> Option<(Version, RegistrationOf<T>)> {
			let version = LatestVersion::<T>::get(device, user_device)?;
			Registrations::<T>::get((device, user_device, version)).map(|r| (version, r))
		}

		/// Every version of a pair's registration, oldest first.
		pub fn registration_history(
			device: &DeviceId,
			user_device: &UserDeviceId,
		) -> Vec<(Version, RegistrationOf<T>)> {
			let latest = LatestVersion::<T>::get(device, user_device).unwrap_or(0);
			(1..=latest)
				.filter_map(|version| {
					Registrations::<T>::get((device, user_device, version)).map(|r| (version, r))
				})
				.collect()
		}

		/// Checks that each pair's versions run from 1 to its newest, with nothing beyond, and
		/// that every device's pair count is its number of pairs, within the cap.
		#[cfg(any(feature = "try-runtime", test))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			for (device, pairs) in PairCount::<T>::iter() {
				ensure!(pairs <= T::MaxPairsPerDevice::get(), "a device has more than MaxPairs");
				ensure!(
					LatestVersion::<T>::iter_prefix(device).count() == pairs as usize,
					"a device's pair count is not its number of pairs"
				);
			}
			for (device, user_device, latest) in LatestVersion::<T>::iter() {
				ensure!(PairCount::<T>::get(device) > 0, "a pair its device's count misses");
				ensure!(latest >= 1, "a pair's newest version is 0");
				ensure!(latest <= T::MaxVersions::get(), "a pair has more than MaxVersions");
				for version in 1..=latest {
					ensure!(
						Registrations::<T>::contains_key((device, user_device, version)),
						"a version below the newest is missing"
					);
				}
			}
			for ((device, user_device, version), _) in Registrations::<T>::iter() {
				ensure!(
					LatestVersion::<T>::get(device, user_device).is_some_and(|l| version <= l),
					"a registration lies beyond its pair's newest version"
				);
			}
			Ok(())
		}
	}

	impl<T: Config> RegistrationLookup<T::AccountId> for Pallet<T> {
		fn latest(device: &DeviceId, user_device: &UserDeviceId) -> Option<LatestRegistration> {
			Self::latest_registration(device, user_device).map(|(version, r)| LatestRegistration {
				version,
				credential: r.credential,
				recorder: r.recorder,
				revoked: r.revoked.is_some(),
			})
		}

		#[cfg(feature = "runtime-benchmarks")]
		fn register_for_benchmark(
			recorded_by: &T::AccountId,
			device: &DeviceId,
			user_device: &UserDeviceId,
			credential: Credential,
			recorder: Recorder,
		) {
			Self::do_register(
				recorded_by.clone(),
				*device,
				*user_device,
				credential,
				[0; 32],
				recorder,
			)
			.expect("benchmark setup registers a fresh pair");
		}
	}
}
