//! `iotctl grant`: access rights on devices — issue, delegate, revoke, list, check.

use super::Output;
use clap::{Args, Subcommand};
use iotchain_client::{
	parse_hash32, parse_moment, parse_object, parse_right, parse_rights, parse_subject,
	runtime::access_grants::events::{GrantApproved, GrantIssued},
	to_hex, Client, GrantId, GrantOf, GrantTerms, Object, ReadLevel, Rights, Subject, SubjectOf,
	Wait,
};
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Issue a grant on an object your organisation owns. `register`, `command` and `firmware`
	/// take a majority of its admins: each runs the same command, the last one issues it.
	Issue(Terms),
	/// Pass on (part of) a delegable grant you (or your organisation) hold, within its object,
	/// rights and window.
	Delegate {
		/// The grant to delegate from.
		#[arg(long)]
		parent: GrantId,
		#[command(flatten)]
		terms: Terms,
	},
	/// Revoke a grant at once (the owner's staff, the delegator, or the subject).
	Revoke { grant: GrantId },
	/// List the grants on an object (--object) or of a subject (--subject), by number.
	List {
		#[arg(long, conflicts_with = "subject", required_unless_present = "subject")]
		object: Option<String>,
		#[arg(long)]
		subject: Option<String>,
		/// Start after this grant number.
		#[arg(long)]
		after: Option<GrantId>,
		#[arg(long, default_value_t = 50)]
		limit: u32,
	},
	/// Whether a subject may exercise a right on a device now, and the grants that say so.
	Check {
		#[arg(long)]
		subject: String,
		/// register, login, read, command or firmware.
		#[arg(long)]
		right: String,
		#[arg(long)]
		device: String,
	},
}

/// What a grant says.
#[derive(Debug, Args)]
pub struct Terms {
	/// Who: user-device:0x… (32 bytes), account:ADDRESS, or org:N.
	#[arg(long)]
	subject: String,
	/// On what: device:0x… (32 bytes), model:ORG:NAME, or org:N (all its devices).
	#[arg(long)]
	object: String,
	/// Comma-separated: register, login, read or read=LEVEL, command, firmware.
	#[arg(long)]
	rights: String,
	/// From when: an RFC 3339 time, now, or now+DURATION (s, m, h, d).
	#[arg(long, default_value = "now")]
	from: String,
	/// Until when (the first moment it no longer holds), written as --from.
	#[arg(long)]
	until: String,
	/// Let the subject pass it on within these terms.
	#[arg(long)]
	delegable: bool,
}

impl Terms {
	fn parse(&self) -> anyhow::Result<iotchain_client::GrantTermsOf> {
		let now = iotchain_client::now_ms();
		Ok(GrantTerms {
			subject: parse_subject(&self.subject)?,
			object: parse_object(&self.object)?,
			rights: parse_rights(&self.rights)?,
			valid_from: parse_moment(&self.from, now)?,
			valid_until: parse_moment(&self.until, now)?,
			delegable: self.delegable,
		})
	}
}

pub async fn run(
	command: Command,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Issue(terms) => {
			let receipt = client.issue_grant(terms.parse()?, wait).await?;
			output.receipt(&issue_summary(&receipt)?, &receipt)
		},
		Command::Delegate { parent, terms } => {
			let receipt = client.delegate_grant(parent, terms.parse()?, wait).await?;
			output.receipt(&issue_summary(&receipt)?, &receipt)
		},
		Command::Revoke { grant } => {
			let receipt = client.revoke_grant(grant, wait).await?;
			output.receipt(&format!("grant {grant} revoked"), &receipt)
		},
		Command::List { object, subject, after, limit } => {
			let grants = match (object, subject) {
				(Some(object), _) => {
					client.grants_of_object(parse_object(&object)?, after, limit).await?
				},
				(None, Some(subject)) => {
					client.grants_of_subject(parse_subject(&subject)?, after, limit).await?
				},
				(None, None) => anyhow::bail!("give --object or --subject"),
			};
			emit_grants(output, &grants)
		},
		Command::Check { subject, right, device } => {
			let subject = parse_subject(&subject)?;
			let right = parse_right(&right)?;
			let device = parse_hash32("device id", &device)?;
			let allowed = client.may(subject.clone(), right.clone(), device).await?;
			let grants = client.grants_in_force(subject, device).await?;
			let value = serde_json::json!({
				"allowed": allowed,
				"grants": grants.iter().map(|(id, grant)| grant_json(*id, grant)).collect::<Vec<_>>(),
			});
			output.emit(&value, |out| {
				writeln!(
					out,
					"{}",
					if allowed { "allowed" } else { "refused: no grant in force" }
				)?;
				for (id, grant) in &grants {
					writeln!(out, "  {}", grant_line(*id, grant))?;
				}
				Ok(())
			})
		},
	}
}

/// What an issue or delegation came to: the grant's number, or the approvals so far.
fn issue_summary(receipt: &iotchain_client::Receipt) -> anyhow::Result<String> {
	if let Some(issued) = receipt.find_first::<GrantIssued>()? {
		return Ok(format!("grant {} issued", issued.grant));
	}
	if let Some(approved) = receipt.find_first::<GrantApproved>()? {
		return Ok(format!(
			"approval recorded: {} admin(s) of organisation {} approved so far",
			approved.approvals, approved.org
		));
	}
	Ok("submitted".into())
}

fn emit_grants(
	output: &mut Output<'_, impl Write>,
	grants: &[(GrantId, GrantOf)],
) -> anyhow::Result<()> {
	let json: Vec<_> = grants.iter().map(|(id, grant)| grant_json(*id, grant)).collect();
	output.emit(&json, |out| {
		for (id, grant) in grants {
			writeln!(out, "{}", grant_line(*id, grant))?;
		}
		Ok(())
	})
}

/// A grant on one line: number, subject, rights, object, window.
fn grant_line(id: GrantId, grant: &GrantOf) -> String {
	let terms = &grant.terms;
	format!(
		"#{id}\t{}\t{}\ton {}\t{} – {}{}",
		subject_text(&terms.subject),
		rights_text(&terms.rights),
		object_text(&terms.object),
		moment_text(terms.valid_from),
		moment_text(terms.valid_until),
		grant
			.parent
			.map(|parent| format!("\t(delegated from #{parent})"))
			.unwrap_or_default(),
	)
}

/// A grant as JSON.
pub fn grant_json(id: GrantId, grant: &GrantOf) -> serde_json::Value {
	let terms = &grant.terms;
	serde_json::json!({
		"grant": id,
		"subject": subject_text(&terms.subject),
		"object": object_text(&terms.object),
		"rights": rights_text(&terms.rights),
		"valid_from": moment_text(terms.valid_from),
		"valid_until": moment_text(terms.valid_until),
		"delegable": terms.delegable,
		"owner": grant.owner,
		"parent": grant.parent,
		"depth": grant.depth,
		"issued_by": grant.issued_by.to_string(),
		"issued_at": grant.issued_at,
	})
}

/// A subject as `parse_subject` reads it.
fn subject_text(subject: &SubjectOf) -> String {
	match subject {
		Subject::UserDevice(id) => format!("user-device:{}", to_hex(id)),
		Subject::Account(account) => format!("account:{account}"),
		Subject::Organisation(org) => format!("org:{org}"),
	}
}

/// An object as `parse_object` reads it.
fn object_text(object: &Object) -> String {
	match object {
		Object::Device(id) => format!("device:{}", to_hex(id)),
		Object::Model { org, model } => {
			format!("model:{org}:{}", String::from_utf8_lossy(&model.0))
		},
		Object::Organisation(org) => format!("org:{org}"),
	}
}

/// Rights as `parse_rights` reads them.
fn rights_text(rights: &Rights) -> String {
	let mut words = Vec::new();
	if rights.register {
		words.push("register".to_owned());
	}
	if rights.login {
		words.push("login".to_owned());
	}
	match &rights.read {
		Some(ReadLevel::Full) => words.push("read".to_owned()),
		Some(ReadLevel::Subset(level)) => {
			words.push(format!("read={}", String::from_utf8_lossy(&level.0)))
		},
		None => {},
	}
	if rights.command {
		words.push("command".to_owned());
	}
	if rights.firmware {
		words.push("firmware".to_owned());
	}
	words.join(",")
}

/// A moment as an RFC 3339 time in UTC.
fn moment_text(ms: u64) -> String {
	i64::try_from(ms)
		.ok()
		.and_then(chrono::DateTime::from_timestamp_millis)
		.map_or_else(
			|| format!("{ms} ms"),
			|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
		)
}
