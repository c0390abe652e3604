//! Access grants: who may register, log in to, read, command and update which devices, for how
//! long; and the written forms operators type for subjects, objects, rights and moments.

use crate::{
	runtime::{self, runtime_types::bounded_collections::bounded_vec::BoundedVec},
	AccountId, Client, DeviceId, Error, Grant, GrantTerms, Object, OrgId, ReadLevel, Receipt,
	Result, Right, Rights, Subject, Wait,
};

/// A grant as the chain stores it.
pub type GrantOf = Grant<AccountId, u32>;
/// The terms of a grant, as issued.
pub type GrantTermsOf = GrantTerms<AccountId>;
/// Who a grant is for.
pub type SubjectOf = Subject<AccountId>;
/// A grant's number.
pub type GrantId = u64;

impl Client {
	/// Issues a grant on an object the signer's organisation owns. For `register`, `command`
	/// or `firmware` this is one admin's approval: the grant is issued by the call that
	/// completes a majority of the organisation's admins (the receipt then holds
	/// `GrantIssued`; before, `GrantApproved`).
	pub async fn issue_grant(&self, terms: GrantTermsOf, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().access_grants().issue(terms), wait).await
	}

	/// Issues many grants, pipelined: an owner enrolling a fleet's users at once. Returns one
	/// outcome per grant, in order.
	pub async fn issue_grants(
		&self,
		grants: Vec<GrantTermsOf>,
		wait: Wait,
		progress: impl Fn(usize),
	) -> Result<Vec<Result<Receipt>>> {
		let calls: Vec<_> = grants
			.into_iter()
			.map(|terms| runtime::tx().access_grants().issue(terms))
			.collect();
		self.submit_all(&calls, wait, progress).await
	}

	/// Passes on (part of) a delegable grant the signer (or its organisation) holds.
	pub async fn delegate_grant(
		&self,
		parent: GrantId,
		terms: GrantTermsOf,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().access_grants().delegate(parent, terms), wait).await
	}

	/// Revokes a grant at once.
	pub async fn revoke_grant(&self, grant: GrantId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().access_grants().revoke(grant), wait).await
	}

	/// Whether `subject` may exercise `right` on `device` at the current best block.
	pub async fn may(&self, subject: SubjectOf, right: Right, device: DeviceId) -> Result<bool> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().access_grants_api().may(subject, right, device);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// The grants in force that give `subject` rights on `device`.
	pub async fn grants_in_force(
		&self,
		subject: SubjectOf,
		device: DeviceId,
	) -> Result<Vec<(GrantId, GrantOf)>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().access_grants_api().grants_in_force(subject, device);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// The grants on `object`, by number, after `start_after`, at most `limit`.
	pub async fn grants_of_object(
		&self,
		object: Object,
		start_after: Option<GrantId>,
		limit: u32,
	) -> Result<Vec<(GrantId, GrantOf)>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().access_grants_api().grants_of_object(
			object,
			start_after,
			limit,
		);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// The grants `subject` holds, by number, after `start_after`, at most `limit`.
	pub async fn grants_of_subject(
		&self,
		subject: SubjectOf,
		start_after: Option<GrantId>,
		limit: u32,
	) -> Result<Vec<(GrantId, GrantOf)>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().access_grants_api().grants_of_subject(
			subject,
			start_after,
			limit,
		);
		Ok(at.runtime_apis().call(call).await?)
	}
}

/// A subject as operators write it: `user-device:0x…` (32 bytes), `account:ADDRESS` (SS58 or
/// 0x), or `org:N`.
pub fn parse_subject(input: &str) -> Result<SubjectOf> {
	let (kind, value) = split_kind("subject", input)?;
	match kind {
		"user-device" => Ok(Subject::UserDevice(crate::parse_hash32("user device id", value)?)),
		"account" => Ok(Subject::Account(crate::parse_account(value)?)),
		"org" => Ok(Subject::Organisation(parse_org(input, value)?)),
		_ => Err(Error::malformed("subject", input, "write user-device:0x…, account:… or org:N")),
	}
}

/// An object as operators write it: `device:0x…` (32 bytes), `model:ORG:NAME`, or `org:N`.
pub fn parse_object(input: &str) -> Result<Object> {
	let (kind, value) = split_kind("object", input)?;
	match kind {
		"device" => Ok(Object::Device(crate::parse_hash32("device id", value)?)),
		"model" => {
			let (org, model) = value
				.split_once(':')
				.ok_or_else(|| Error::malformed("object", input, "write model:ORG:NAME"))?;
			Ok(Object::Model { org: parse_org(input, org)?, model: BoundedVec(model.into()) })
		},
		"org" => Ok(Object::Organisation(parse_org(input, value)?)),
		_ => Err(Error::malformed("object", input, "write device:0x…, model:ORG:NAME or org:N")),
	}
}

/// Rights as operators write them, comma-separated: `register`, `login`, `read` (every
/// reading) or `read=LEVEL` (a named subset), `command`, `firmware`.
pub fn parse_rights(input: &str) -> Result<Rights> {
	let mut rights =
		Rights { register: false, login: false, read: None, command: false, firmware: false };
	for word in input.split(',').map(str::trim).filter(|word| !word.is_empty()) {
		match word.split_once('=') {
			Some(("read", level)) if !level.is_empty() => {
				rights.read = Some(ReadLevel::Subset(BoundedVec(level.as_bytes().to_vec())))
			},
			Some(_) => return Err(Error::malformed("rights", input, "only read takes =LEVEL")),
			None => match parse_right(word)? {
				Right::Register => rights.register = true,
				Right::Login => rights.login = true,
				Right::Read => rights.read = Some(ReadLevel::Full),
				Right::Command => rights.command = true,
				Right::Firmware => rights.firmware = true,
			},
		}
	}
	if !(rights.register
		|| rights.login
		|| rights.read.is_some()
		|| rights.command
		|| rights.firmware)
	{
		return Err(Error::malformed("rights", input, "name at least one right"));
	}
	Ok(rights)
}

/// One right: `register`, `login`, `read`, `command` or `firmware`.
pub fn parse_right(input: &str) -> Result<Right> {
	match input.trim() {
		"register" => Ok(Right::Register),
		"login" => Ok(Right::Login),
		"read" => Ok(Right::Read),
		"command" => Ok(Right::Command),
		"firmware" => Ok(Right::Firmware),
		_ => {
			Err(Error::malformed("right", input, "one of register, login, read, command, firmware"))
		},
	}
}

/// A moment as operators write it, in milliseconds since the Unix epoch: an RFC 3339 time
/// (`2027-07-01T15:00:00Z`), `now`, or `now+DURATION` with a duration in `s`, `m`, `h` or `d`
/// (`now+90m`); `now` is `now_ms`, the caller's clock.
pub fn parse_moment(input: &str, now_ms: u64) -> Result<u64> {
	let input = input.trim();
	if let Some(rest) = input.strip_prefix("now") {
		if rest.is_empty() {
			return Ok(now_ms);
		}
		let duration = rest
			.strip_prefix('+')
			.ok_or_else(|| Error::malformed("time", input, "write now or now+DURATION"))?;
		return parse_duration_ms(input, duration).map(|ms| now_ms.saturating_add(ms));
	}
	let moment = chrono::DateTime::parse_from_rfc3339(input)
		.map_err(|error| Error::malformed("time", input, error))?;
	u64::try_from(moment.timestamp_millis())
		.map_err(|_| Error::malformed("time", input, "before 1970"))
}

fn parse_duration_ms(input: &str, duration: &str) -> Result<u64> {
	let split = duration.len().saturating_sub(1);
	let (count, unit) = duration.split_at(split);
	let count: u64 = count
		.parse()
		.map_err(|_| Error::malformed("duration", input, "write a whole number"))?;
	let unit_ms = match unit {
		"s" => 1_000,
		"m" => 60_000,
		"h" => 3_600_000,
		"d" => 86_400_000,
		_ => return Err(Error::malformed("duration", input, "end it in s, m, h or d")),
	};
	Ok(count.saturating_mul(unit_ms))
}

fn split_kind<'a>(what: &'static str, input: &'a str) -> Result<(&'a str, &'a str)> {
	input
		.trim()
		.split_once(':')
		.ok_or_else(|| Error::malformed(what, input, "write KIND:VALUE"))
}

fn parse_org(input: &str, value: &str) -> Result<OrgId> {
	value
		.parse()
		.map_err(|_| Error::malformed("organisation", input, "not a number"))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn subjects_objects_and_rights_read_as_operators_write_them() {
		let phone = format!("user-device:0x{}", "07".repeat(32));
		assert_eq!(parse_subject(&phone).unwrap(), Subject::UserDevice([7; 32]));
		assert_eq!(parse_subject("org:3").unwrap(), Subject::Organisation(3));
		assert!(parse_subject("phone:1").is_err());
		assert!(parse_subject("org:three").is_err());
		assert_eq!(
			parse_object("model:2:LOCK-1").unwrap(),
			Object::Model { org: 2, model: BoundedVec(b"LOCK-1".to_vec()) }
		);
		assert!(parse_object("model:2").is_err());
		let rights = parse_rights("login, read=basics").unwrap();
		assert!(rights.login && !rights.register);
		assert_eq!(rights.read, Some(ReadLevel::Subset(BoundedVec(b"basics".to_vec()))));
		assert!(parse_rights("").is_err());
		assert!(parse_rights("login=all").is_err());
		assert!(parse_rights("open").is_err());
	}

	#[test]
	fn moments_are_rfc3339_times_or_now_plus_a_duration() {
		assert_eq!(parse_moment("1970-01-01T00:00:01Z", 0).unwrap(), 1_000);
		assert_eq!(parse_moment("now", 5).unwrap(), 5);
		assert_eq!(parse_moment("now+90m", 5).unwrap(), 5 + 90 * 60_000);
		assert_eq!(parse_moment("now+2d", 0).unwrap(), 2 * 86_400_000);
		assert!(parse_moment("now+2w", 0).is_err());
		assert!(parse_moment("tomorrow", 0).is_err());
		assert!(parse_moment("1960-01-01T00:00:00Z", 0).is_err());
	}
}
