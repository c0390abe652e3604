//! The council's cost of a motion: one of its proposer's slots, and a deposit.

use crate::{Config, Error, OpenMotions};
use codec::{Decode, Encode, MaxEncodedLen};
use core::marker::PhantomData;
use frame_support::{
	pallet_prelude::*,
	traits::{Consideration, Get, MaybeConsideration},
};

/// What a council motion holds while it is open: one of its proposer's
/// `MaxOpenMotionsPerSeat` slots ([`OpenMotions`]), and the `Deposit` ticket it wraps (a hold
/// on the proposer's balance in the runtime). `pallet_collective` creates it when a motion is
/// proposed, drops it on `release_proposal_cost` once the motion closed, and burns it on
/// `kill`; each of the last two frees the slot.
///
/// The footprint `pallet_collective` hands over (how many motions are open) is passed on to
/// `Deposit`; the slot count is this pallet's own, per proposer.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
#[scale_info(skip_type_params(T))]
#[codec(mel_bound(Deposit: MaxEncodedLen))]
pub struct MotionTicket<T, Deposit> {
	deposit: Deposit,
	#[codec(skip)]
	_runtime: PhantomData<T>,
}

impl<T: Config, Deposit> MotionTicket<T, Deposit> {
	/// Takes one of `who`'s slots, unless it holds them all.
	fn open_slot(who: &T::AccountId) -> DispatchResult {
		OpenMotions::<T>::try_mutate(who, |open| {
			ensure!(*open < T::MaxOpenMotionsPerSeat::get(), Error::<T>::TooManyOpenMotions);
			*open += 1;
			Ok(())
		})
	}

	/// Gives one of `who`'s slots back.
	fn free_slot(who: &T::AccountId) {
		OpenMotions::<T>::mutate_exists(who, |open| {
			*open = open.map(|count| count.saturating_sub(1)).filter(|count| *count > 0);
		});
	}
}

impl<T, Deposit> Consideration<T::AccountId, u32> for MotionTicket<T, Deposit>
where
	T: Config + Send + Sync + Clone + Eq + core::fmt::Debug,
	Deposit: Consideration<T::AccountId, u32>,
{
	fn new(who: &T::AccountId, open_motions: u32) -> Result<Self, DispatchError> {
		Self::open_slot(who)?;
		Ok(Self { deposit: Deposit::new(who, open_motions)?, _runtime: PhantomData })
	}

	fn update(self, who: &T::AccountId, open_motions: u32) -> Result<Self, DispatchError> {
		Ok(Self { deposit: self.deposit.update(who, open_motions)?, _runtime: PhantomData })
	}

	fn drop(self, who: &T::AccountId) -> Result<(), DispatchError> {
		self.deposit.drop(who)?;
		Self::free_slot(who);
		Ok(())
	}

	fn burn(self, who: &T::AccountId) {
		self.deposit.burn(who);
		Self::free_slot(who);
	}

	/// `pallet_collective`'s benchmarks open up to `MaxProposals` motions from one account,
	/// each after this call: its slots are emptied so that the next ticket is measured taking
	/// one, as every real proposal does.
	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_successful(who: &T::AccountId, open_motions: u32) {
		OpenMotions::<T>::remove(who);
		Deposit::ensure_successful(who, open_motions);
	}
}

impl<T, Deposit> MaybeConsideration<T::AccountId, u32> for MotionTicket<T, Deposit>
where
	T: Config + Send + Sync + Clone + Eq + core::fmt::Debug,
	Deposit: Consideration<T::AccountId, u32>,
{
	/// Never nothing: even without a deposit, the slot must be given back.
	fn is_none(&self) -> bool {
		false
	}
}
