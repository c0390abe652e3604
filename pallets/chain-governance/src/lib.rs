//! # Chain Governance Pallet
//!
//! The consortium's powers over the chain itself: replacing its runtime, and restarting
//! finality when GRANDPA has stalled. In polkadot-sdk both are Root's (`system.authorize_upgrade`,
//! `grandpa.note_stalled`), and a consortium chain has no sudo key, so without this pallet such a
//! chain could never be upgraded or recovered without a hard fork.
//!
//! This pallet gives exactly those two powers to `ChainGovernanceOrigin` — in iotchain a
//! qualified majority of the council, stricter than the simple majority that governs day to day
//! — and nothing else of Root's:
//!
//! - [`Pallet::authorize_upgrade`] authorises a runtime by the hash of its code. Anyone may then
//!   submit the code itself with `system.apply_authorized_upgrade` (an unsigned transaction is
//!   enough), which checks that the code hashes to the authorised hash, keeps the spec name and
//!   raises the spec version. The motion carries 32 bytes; the code, over half a megabyte, never
//!   sits in a motion.
//! - [`Pallet::note_stalled`] asks GRANDPA to force a change, at the next session change, to the
//!   validators that session starts with, enacted `delay` blocks later and counted from
//!   `best_finalized_block_number` (the last block the healthy validators finalised). Nodes enact
//!   forced changes on the best chain without a finalised block, which is what restarts a stalled
//!   finality. Lost validators are removed first (`validator-set`), so that the set the next
//!   session starts with is the one still alive.
//!
//! It also keeps every council seat's voice: [`MotionTicket`] is the council's
//! `pallet_collective::Config::Consideration`. Each open motion holds one of its proposer's
//! `MaxOpenMotionsPerSeat` slots (and the deposit the ticket wraps) until its cost is released
//! with `council.release_proposal_cost` after the motion closed, or burnt by `council.kill`.
//! With `MaxOpenMotionsPerSeat` times the most seats no more than the council's `MaxProposals`,
//! no seat, nor any group of seats, can fill the council's motion slots and keep another seat
//! from proposing — a suspension, a validator change or a stall recovery.

#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

mod motions;
pub use motions::MotionTicket;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use crate::WeightInfo;
	use frame_support::pallet_prelude::*;
	use frame_system::pallet_prelude::*;

	/// The in-code storage version: 0 is the layout as first released (`OpenMotions` was added
	/// empty, so it needs no migration).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config<RuntimeEvent: From<Event<Self>>> + pallet_grandpa::Config
	{
		/// Who may replace the runtime and signal a finality stall.
		type ChainGovernanceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Most council motions one seat may hold open (proposed, and their cost not yet
		/// released or burnt).
		#[pallet::constant]
		type MaxOpenMotionsPerSeat: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// How many council motions each proposer holds open: proposed, and their [`MotionTicket`]
	/// not yet released or burnt. Absent is none.
	#[pallet::storage]
	pub type OpenMotions<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// GRANDPA will force a change to the next session's validators, enacted `delay` blocks
		/// after that session starts, counting from `best_finalized_block_number`.
		FinalityStallNoted {
			delay: BlockNumberFor<T>,
			best_finalized_block_number: BlockNumberFor<T>,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The best finalised block named is not below the current block: finality cannot
		/// have reached a block not yet built.
		FinalizedBlockNotInThePast,
		/// The proposer holds `MaxOpenMotionsPerSeat` open motions already: release the cost of
		/// a closed one (`council.release_proposal_cost`) first.
		TooManyOpenMotions,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Authorise the runtime whose code hashes to `code_hash` (BLAKE2-256) to replace this
		/// one. The replacement must keep the spec name and raise the spec version; anyone
		/// then applies it with `system.apply_authorized_upgrade`. A later authorisation
		/// replaces an earlier one not yet applied.
		#[pallet::call_index(0)]
		#[pallet::weight(<T as Config>::WeightInfo::authorize_upgrade())]
		pub fn authorize_upgrade(origin: OriginFor<T>, code_hash: T::Hash) -> DispatchResult {
			T::ChainGovernanceOrigin::ensure_origin(origin)?;
			// Emits `system.UpgradeAuthorized`; the version check is never waived.
			frame_system::Pallet::<T>::do_authorize_upgrade(code_hash, true);
			Ok(())
		}

		/// Signal that GRANDPA has stalled: at the next session change, force a change to the
		/// validators that session starts with, enacted `delay` blocks later, with
		/// `best_finalized_block_number` as the last block finalised before the stall.
		#[pallet::call_index(1)]
		#[pallet::weight(<T as Config>::WeightInfo::note_stalled())]
		pub fn note_stalled(
			origin: OriginFor<T>,
			delay: BlockNumberFor<T>,
			best_finalized_block_number: BlockNumberFor<T>,
		) -> DispatchResult {
			T::ChainGovernanceOrigin::ensure_origin(origin)?;
			Self::do_note_stalled(delay, best_finalized_block_number)
		}
	}

	impl<T: Config> Pallet<T> {
		/// Hands the stall to GRANDPA, which forces the change at the next session change,
		/// once the best finalised block named is known to be in the past.
		fn do_note_stalled(
			delay: BlockNumberFor<T>,
			best_finalized_block_number: BlockNumberFor<T>,
		) -> DispatchResult {
			ensure!(
				best_finalized_block_number < frame_system::Pallet::<T>::block_number(),
				Error::<T>::FinalizedBlockNotInThePast
			);
			pallet_grandpa::Pallet::<T>::note_stalled(
				frame_system::RawOrigin::Root.into(),
				delay,
				best_finalized_block_number,
			)?;
			Self::deposit_event(Event::FinalityStallNoted { delay, best_finalized_block_number });
			Ok(())
		}
	}
}
