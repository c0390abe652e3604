//! Organisations: governance creates, suspends and resumes them and can set their admins; a
//! majority of an organisation's admins adds and removes admins, one admin adds and removes
//! members, every account joins only with its own consent and may leave. Also which
//! organisation an account acts for or administers, which every other capability asks first.

use crate::{
	AccountConsentOf, AdminChange, AdminSince, Config, DeviceOfAccount, Error, Event, NextOrgId,
	OrgId, OrgOfAccount, OrgRoles, OrgStatus, Organisation, OrganisationOf, Organisations, Pallet,
	PendingAdminChange, PendingAdminChanges, PendingAdminChangesOf, RetiredAccounts,
};
use alloc::vec::Vec;
use codec::Encode;
use frame_support::{ensure, traits::Get, BoundedVec};
use frame_system::pallet_prelude::BlockNumberFor;
use iotchain_possession_proofs::OrgRole;
use sp_runtime::{
	traits::{Saturating, UniqueSaturatedInto, Verify},
	ArithmeticError, DispatchError, DispatchResult,
};

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

	/// Checks that `account` signed `consent` to join `org` as `role`, and that it still holds.
	fn ensure_account_consent(
		org: OrgId,
		role: OrgRole,
		account: &T::AccountId,
		consent: &AccountConsentOf<T>,
	) -> DispatchResult {
		let now = Self::now();
		ensure!(now <= consent.valid_until, Error::<T>::ConsentExpired);
		let lifetime = BlockNumberFor::<T>::from(T::MaxConsentLifetime::get());
		ensure!(consent.valid_until <= now.saturating_add(lifetime), Error::<T>::ConsentTooLong);
		let payload = Self::consent_payload(org, role, consent.valid_until, account);
		ensure!(consent.signature.verify(&payload[..], account), Error::<T>::BadConsent);
		Ok(())
	}

	/// The bytes `account` signs to consent to joining `org` as `role` until `valid_until`.
	pub fn consent_payload(
		org: OrgId,
		role: OrgRole,
		valid_until: BlockNumberFor<T>,
		account: &T::AccountId,
	) -> Vec<u8> {
		iotchain_possession_proofs::org_account_payload(
			&crate::genesis_hash::<T>(),
			org,
			role,
			valid_until.unique_saturated_into(),
			&account.encode(),
		)
	}

	pub(crate) fn do_add_member(
		admin: T::AccountId,
		account: T::AccountId,
		consent: &AccountConsentOf<T>,
	) -> DispatchResult {
		let (org_id, mut org) = Self::admin_org(&admin)?;
		Self::ensure_fresh_org_account(&account)?;
		Self::ensure_account_consent(org_id, OrgRole::Member, &account, consent)?;
		org.members.try_push(account.clone()).map_err(|_| Error::<T>::TooManyMembers)?;

		OrgOfAccount::<T>::insert(&account, org_id);
		Organisations::<T>::insert(org_id, org);
		Self::deposit_event(Event::MemberAdded { org: org_id, account, by: admin });
		Ok(())
	}

	pub(crate) fn do_remove_member(admin: T::AccountId, account: T::AccountId) -> DispatchResult {
		let (org_id, mut org) = Self::admin_org(&admin)?;
		ensure!(org.members.contains(&account), Error::<T>::NotAMember);
		org.members.retain(|member| member != &account);

		OrgOfAccount::<T>::remove(&account);
		Organisations::<T>::insert(org_id, org);
		Self::deposit_event(Event::MemberRemoved { org: org_id, account, by: admin });
		Ok(())
	}

	/// Counts `admin`'s approval of `change` (with the added account's `consent`), and makes
	/// the change once a majority of the organisation's admins approved it within
	/// `AdminChangeWindow`.
	pub(crate) fn do_approve_admin_change(
		admin: T::AccountId,
		change: AdminChange<T::AccountId>,
		consent: Option<&AccountConsentOf<T>>,
	) -> DispatchResult {
		let (org_id, mut org) = Self::admin_org(&admin)?;
		// The change must be possible now, at every approval, not only when it is enacted.
		match (&change, consent) {
			(AdminChange::Add(account), Some(consent)) => {
				Self::ensure_fresh_org_account(account)?;
				Self::ensure_account_consent(org_id, OrgRole::Admin, account, consent)?;
				ensure!(!org.admins.is_full(), Error::<T>::TooManyAdmins);
			},
			(AdminChange::Remove(account), None) => {
				ensure!(org.admins.contains(account), Error::<T>::NotAMember);
				ensure!(org.admins.len() > 1, Error::<T>::LastAdmin);
			},
			// Calls pair an addition with its consent and a removal with none.
			_ => return Err(Error::<T>::BadConsent.into()),
		}

		let now = Self::now();
		let mut pending = Self::live_admin_changes(org_id, &org, now);
		let index = match pending.iter().position(|open| open.change == change) {
			Some(index) => {
				let approvals = &mut pending[index].approvals;
				if approvals.contains(&admin) {
					// A repeated approval only enacts a change that reached its majority since,
					// because admins who had not approved left.
					let enough =
						approvals.len() as u32 >= crate::admin_majority(org.admins.len() as u32);
					ensure!(enough, Error::<T>::AlreadyApproved);
				} else {
					// One approval per current admin: there is room.
					let _ = approvals.try_push(admin.clone());
				}
				index
			},
			None => {
				// Each admin has one proposal open at most, so the list never holds more than
				// there are admins. A new one replaces its last only while no other admin
				// approved that: replacing it would erase their approvals.
				if let Some(open) = pending.iter().find(|open| open.proposed_by == admin) {
					ensure!(open.approvals.len() <= 1, Error::<T>::AdminChangeOpen);
				}
				pending.retain(|open| open.proposed_by != admin);
				let approvals = BoundedVec::truncate_from(alloc::vec![admin.clone()]);
				let proposal = PendingAdminChange {
					change: change.clone(),
					proposed_by: admin.clone(),
					proposed_at: now,
					approvals,
				};
				pending.try_push(proposal).map_err(|_| Error::<T>::TooManyAdmins)?;
				pending.len() - 1
			},
		};

		let approvals = pending[index].approvals.len() as u32;
		if approvals < crate::admin_majority(org.admins.len() as u32) {
			PendingAdminChanges::<T>::insert(org_id, pending);
			Self::deposit_event(Event::AdminChangeApproved {
				org: org_id,
				change,
				by: admin,
				approvals,
			});
			return Ok(());
		}

		pending.remove(index);
		match change {
			AdminChange::Add(account) => {
				org.admins.try_push(account.clone()).map_err(|_| Error::<T>::TooManyAdmins)?;
				OrgOfAccount::<T>::insert(&account, org_id);
				AdminSince::<T>::insert(&account, now);
				Self::deposit_event(Event::AdminAdded { org: org_id, account, by: admin });
			},
			AdminChange::Remove(account) => {
				org.admins.retain(|kept| kept != &account);
				OrgOfAccount::<T>::remove(&account);
				AdminSince::<T>::remove(&account);
				Self::deposit_event(Event::AdminRemoved { org: org_id, account, by: admin });
			},
		}
		Self::put_admin_changes(org_id, pending);
		Organisations::<T>::insert(org_id, org);
		Ok(())
	}

	/// `org_id`'s pending admin changes still within their window and proposed by a current
	/// admin, each keeping only the approvals of accounts that are admins now.
	fn live_admin_changes(
		org_id: OrgId,
		org: &OrganisationOf<T>,
		now: BlockNumberFor<T>,
	) -> PendingAdminChangesOf<T> {
		let window = BlockNumberFor::<T>::from(T::AdminChangeWindow::get());
		let mut pending = PendingAdminChanges::<T>::get(org_id);
		// A proposal lapses with its window, or when its proposer stops being an admin, so
		// the list stays within one proposal per admin.
		pending.retain(|open| {
			open.proposed_at.saturating_add(window) >= now && org.admins.contains(&open.proposed_by)
		});
		for open in pending.iter_mut() {
			open.approvals.retain(|approver| org.admins.contains(approver));
		}
		pending
	}

	fn put_admin_changes(org_id: OrgId, pending: PendingAdminChangesOf<T>) {
		if pending.is_empty() {
			PendingAdminChanges::<T>::remove(org_id);
		} else {
			PendingAdminChanges::<T>::insert(org_id, pending);
		}
	}

	/// `account` leaves its organisation, whatever the organisation's status (a suspended
	/// organisation's people may leave it too); the last admin stays.
	pub(crate) fn do_leave_org(account: T::AccountId) -> DispatchResult {
		let org_id = OrgOfAccount::<T>::get(&account).ok_or(Error::<T>::NotOrgAccount)?;
		let mut org = Organisations::<T>::get(org_id).ok_or(Error::<T>::OrgNotFound)?;
		if org.admins.contains(&account) {
			ensure!(org.admins.len() > 1, Error::<T>::LastAdmin);
			org.admins.retain(|kept| kept != &account);
			AdminSince::<T>::remove(&account);
			Self::deposit_event(Event::AdminRemoved {
				org: org_id,
				account: account.clone(),
				by: account.clone(),
			});
		} else {
			org.members.retain(|kept| kept != &account);
			Self::deposit_event(Event::MemberRemoved {
				org: org_id,
				account: account.clone(),
				by: account.clone(),
			});
		}
		OrgOfAccount::<T>::remove(&account);
		Organisations::<T>::insert(org_id, org);
		Ok(())
	}

	/// Makes `admins` the admins of `org_id`: each must serve no other organisation (members of
	/// this one are promoted); admins left out leave the organisation. Pending admin changes
	/// are dropped, and the new admins are settled at once (governance chose them).
	pub(crate) fn do_force_set_admins(
		org_id: OrgId,
		admins: BoundedVec<T::AccountId, T::MaxAdmins>,
	) -> DispatchResult {
		let mut org = Organisations::<T>::get(org_id).ok_or(Error::<T>::OrgNotFound)?;
		ensure!(!admins.is_empty(), Error::<T>::LastAdmin);
		for (index, admin) in admins.iter().enumerate() {
			ensure!(!admins[..index].contains(admin), Error::<T>::DuplicateInBatch);
			if OrgOfAccount::<T>::get(admin) != Some(org_id) {
				Self::ensure_fresh_org_account(admin)?;
			}
		}

		// Governance's choice is settled at once: no admin before or after is on probation.
		for old in org.admins.iter() {
			AdminSince::<T>::remove(old);
			if !admins.contains(old) {
				OrgOfAccount::<T>::remove(old);
			}
		}
		for admin in admins.iter() {
			AdminSince::<T>::remove(admin);
			OrgOfAccount::<T>::insert(admin, org_id);
		}
		org.members.retain(|member| !admins.contains(member));
		org.admins = admins.clone();
		PendingAdminChanges::<T>::remove(org_id);
		Organisations::<T>::insert(org_id, org);
		Self::deposit_event(Event::AdminsSet { org: org_id, admins: admins.into_inner() });
		Ok(())
	}

	/// Whether `admin` has been an admin for `NewAdminProbation` blocks at least, or since
	/// governance appointed it (or an organisation was created with it); whose admin it is, the
	/// caller has established.
	pub(crate) fn has_served_probation(admin: &T::AccountId) -> bool {
		AdminSince::<T>::get(admin).is_none_or(|since| {
			let probation = BlockNumberFor::<T>::from(T::NewAdminProbation::get());
			since.saturating_add(probation) <= Self::now()
		})
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
