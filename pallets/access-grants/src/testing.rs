//! Scaffolding for other pallets' tests: not part of the runtime's logic. Built with `std`
//! only, as other crates' tests reach it through their ordinary dependency on this one.

use crate::{Config, GrantTerms, ObjectOf, Pallet, Rights, RightsOf, Subject};
use frame_support::{dispatch::DispatchResultWithPostInfo, traits::Get};

/// Only `right`: `register`, `login` or `command` (the rights other pallets check).
pub fn only<T: Config>(right: crate::Right) -> RightsOf<T> {
	let mut rights =
		Rights { register: false, login: false, read: None, command: false, firmware: false };
	match right {
		crate::Right::Register => rights.register = true,
		crate::Right::Login => rights.login = true,
		crate::Right::Read => rights.read = Some(crate::ReadLevel::Full),
		crate::Right::Command => rights.command = true,
		crate::Right::Firmware => rights.firmware = true,
	}
	rights
}

/// Issues `rights` on `object` to `subject`, by `issuer` (an admin of the object's owner, its
/// only one for a powerful right), in force from the chain's time for `MaxGrantLifetime`: how
/// other pallets' tests grant what their calls check.
pub fn grant_for_tests<T>(
	issuer: u64,
	subject: Subject<u64>,
	object: ObjectOf<T>,
	rights: RightsOf<T>,
) -> DispatchResultWithPostInfo
where
	T: Config<AccountId = u64>,
{
	let valid_from = Pallet::<T>::now();
	let terms = GrantTerms {
		subject,
		object,
		rights,
		valid_from,
		valid_until: valid_from.saturating_add(T::MaxGrantLifetime::get()),
		delegable: false,
	};
	Pallet::<T>::issue(frame_system::RawOrigin::Signed(issuer).into(), terms)
}
