//! Organisations: governance creates, suspends and resumes them; their admins add and remove
//! admin and member accounts. Also which organisation an account acts for or administers,
//! which every other capability asks first.

use crate::{
	Config, DeviceOfAccount, Error, Event, NextOrgId, OrgId, OrgOfAccount, OrgRoles, OrgStatus,
	Organisation, OrganisationOf, Organisations, Pallet, RetiredAccounts,
};
use alloc::vec::Vec;
use frame_support::{ensure, BoundedVec};
use sp_runtime::{ArithmeticError, DispatchError, DispatchResult};

/// Which list of an organisation an account is added to or removed from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Membership {
	Admin,
	Member,
}

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_org(
		name: Vec<u8>,
		roles: OrgRoles,
		admin: T::AccountId,
	) -> Result<OrgId, DispatchError> {
		let name: BoundedVec<u8, T::MaxNameLen> =
			name.try_into().map_err(|_| Error::<T>::BadOrgName)?;
		ensure!(!name.is_empty(), Error::<T>::BadOrgName);
		ensure!(roles.any(), Error::<T>::NoRoles);
		Self::ensure_fresh_org_account(&admin)?;
		let org = NextOrgId::<T>::get();
		let next = org.checked_add(1).ok_or(ArithmeticError::Overflow)?;
		let admins = BoundedVec::try_from(alloc::vec![admin.clone()])
			.map_err(|_| Error::<T>::TooManyAdmins)?;

		NextOrgId::<T>::put(next);
		OrgOfAccount::<T>::insert(&admin, org);
		Organisations::<T>::insert(
			org,
			Organisation {
				name,
				roles,
				admins,
				members: BoundedVec::new(),
				status: OrgStatus::Active,
				created: Self::now(),
			},
		);
		Self::deposit_event(Event::OrgCreated { org, roles, admin });
		Ok(org)
	}

	pub(crate) fn do_set_org_status(org_id: OrgId, status: OrgStatus) -> DispatchResult {
		Organisations::<T>::try_mutate(org_id, |org| {
			let org = org.as_mut().ok_or(Error::<T>::OrgNotFound)?;
			match status {
				OrgStatus::Suspended => {
					ensure!(org.status == OrgStatus::Active, Error::<T>::OrgSuspended)
				},
				OrgStatus::Active => {
					ensure!(org.status == OrgStatus::Suspended, Error::<T>::OrgNotSuspended)
				},
			}
			org.status = status;
			Ok::<_, DispatchError>(())
		})?;
		Self::deposit_event(match status {
			OrgStatus::Suspended => Event::OrgSuspended { org: org_id },
			OrgStatus::Active => Event::OrgResumed { org: org_id },
		});
		Ok(())
	}

	/// The active organisation `admin` administers.
	pub(crate) fn admin_org(
		admin: &T::AccountId,
	) -> Result<(OrgId, OrganisationOf<T>), DispatchError> {
		let org_id = OrgOfAccount::<T>::get(admin).ok_or(Error::<T>::NotOrgAdmin)?;
		let org = Organisations::<T>::get(org_id).ok_or(Error::<T>::OrgNotFound)?;
		ensure!(org.admins.contains(admin), Error::<T>::NotOrgAdmin);
		ensure!(org.status == OrgStatus::Active, Error::<T>::OrgSuspended);
		Ok((org_id, org))
	}

	/// The active organisation `account` serves as admin or member.
	pub(crate) fn acting_org(account: &T::AccountId) -> Result<OrgId, DispatchError> {
		let org_id = OrgOfAccount::<T>::get(account).ok_or(Error::<T>::NotOrgAccount)?;
		let org = Organisations::<T>::get(org_id).ok_or(Error::<T>::OrgNotFound)?;
		ensure!(org.status == OrgStatus::Active, Error::<T>::OrgSuspended);
		Ok(org_id)
	}

	pub(crate) fn do_add_account(
		admin: &T::AccountId,
		account: T::AccountId,
		membership: Membership,
	) -> DispatchResult {
		let (org_id, mut org) = Self::admin_org(admin)?;
		Self::ensure_fresh_org_account(&account)?;
		match membership {
			Membership::Admin => {
				org.admins.try_push(account.clone()).map_err(|_| Error::<T>::TooManyAdmins)?
			},
			Membership::Member => {
				org.members.try_push(account.clone()).map_err(|_| Error::<T>::TooManyMembers)?
			},
		}

		OrgOfAccount::<T>::insert(&account, org_id);
		Organisations::<T>::insert(org_id, org);
		Self::deposit_event(match membership {
			Membership::Admin => Event::AdminAdded { org: org_id, account },
			Membership::Member => Event::MemberAdded { org: org_id, account },
		});
		Ok(())
	}

	pub(crate) fn do_remove_account(
		admin: &T::AccountId,
		account: T::AccountId,
		membership: Membership,
	) -> DispatchResult {
		let (org_id, mut org) = Self::admin_org(admin)?;
		match membership {
			Membership::Admin => {
				ensure!(org.admins.contains(&account), Error::<T>::NotAMember);
				ensure!(org.admins.len() > 1, Error::<T>::LastAdmin);
				org.admins.retain(|a| a != &account);
			},
			Membership::Member => {
				ensure!(org.members.contains(&account), Error::<T>::NotAMember);
				org.members.retain(|a| a != &account);
			},
		}

		OrgOfAccount::<T>::remove(&account);
		Organisations::<T>::insert(org_id, org);
		Self::deposit_event(match membership {
			Membership::Admin => Event::AdminRemoved { org: org_id, account },
			Membership::Member => Event::MemberRemoved { org: org_id, account },
		});
		Ok(())
	}

	/// Whether `account` could join an organisation: it serves none, and no device ever
	/// signed with it (device keys and people's keys stay apart).
	fn ensure_fresh_org_account(account: &T::AccountId) -> DispatchResult {
		ensure!(!OrgOfAccount::<T>::contains_key(account), Error::<T>::AccountAlreadyInOrg);
		ensure!(
			!DeviceOfAccount::<T>::contains_key(account)
				&& !RetiredAccounts::<T>::contains_key(account),
			Error::<T>::AccountInUse
		);
		Ok(())
	}
}
