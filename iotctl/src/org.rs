//! `iotctl org`: organisations.

use super::{Output, Via};
use clap::{Args, Subcommand, ValueEnum};
use iotchain_client::{
	parse_account, parse_account_consent,
	runtime::device_registry::events::{AdminAdded, AdminChangeApproved, AdminRemoved},
	to_hex, AccountConsentOf, AccountId, Client, Error, OrgId, OrgRole, OrgRoles, OrgStatus,
	OrganisationOf, Receipt, Wait,
};
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Create an organisation with its first admin (governance).
	Create {
		/// Its name (UTF-8, at most 64 bytes).
		#[arg(long)]
		name: String,
		/// Its roles, comma-separated: manufacturer, operator, certifier.
		#[arg(long, value_delimiter = ',', required = true)]
		roles: Vec<String>,
		/// Its first admin account (SS58 or 0x hex).
		#[arg(long)]
		admin: String,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Suspend an organisation: nothing it owns counts as active (governance).
	Suspend {
		org: OrgId,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Resume a suspended organisation (governance).
	Resume {
		org: OrgId,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Set an organisation's admins, replacing all of them (governance): recovery when its
	/// admins' keys are lost or turned against it.
	SetAdmins {
		org: OrgId,
		/// The new admin accounts; none may serve another organisation.
		#[arg(required = true)]
		admins: Vec<String>,
		#[arg(long, value_enum, default_value = "council")]
		via: Via,
	},
	/// Sign the signer's consent to joining organisation `--org` as `--role`: what its admins
	/// send with `add-admin` or `add-member`, by block `--valid-until`. Prints the account, the
	/// last block and the consent.
	Consent {
		#[arg(long)]
		org: OrgId,
		#[arg(long, value_enum)]
		role: Role,
		/// The last block the consent holds; it enrols nobody after that.
		#[arg(long)]
		valid_until: u32,
	},
	/// Approve adding an admin, who consented (`consent --role admin`), to the signer's
	/// organisation: it joins once a majority of the admins approved with the same consent.
	AddAdmin {
		account: String,
		#[command(flatten)]
		consent: ConsentArgs,
	},
	/// Approve removing an admin from the signer's organisation: it goes once a majority of the
	/// admins approved.
	RemoveAdmin { account: String },
	/// Add an operator account, which consented (`consent --role member`), to the signer's
	/// organisation.
	AddMember {
		account: String,
		#[command(flatten)]
		consent: ConsentArgs,
	},
	/// Remove an operator account from the signer's organisation.
	RemoveMember { account: String },
	/// Leave the signer's organisation, as an admin or a member; the last admin cannot.
	Leave,
	/// Show an organisation, by id or by one of its accounts.
	Show { org_or_account: String },
	/// List every organisation.
	List,
}

/// The role an account consents to.
#[derive(Clone, Copy, Debug, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
	Admin,
	Member,
}

impl From<Role> for OrgRole {
	fn from(role: Role) -> Self {
		match role {
			Role::Admin => OrgRole::Admin,
			Role::Member => OrgRole::Member,
		}
	}
}

/// An account's consent to joining, as `consent` printed it.
#[derive(Debug, Args)]
pub struct ConsentArgs {
	/// The account's consent (0x, 64 bytes of sr25519 signature).
	#[arg(long)]
	consent: String,
	/// The last block the consent holds, as it was signed.
	#[arg(long)]
	valid_until: u32,
}

impl ConsentArgs {
	fn parse(&self) -> iotchain_client::Result<AccountConsentOf> {
		parse_account_consent(self.valid_until, &self.consent)
	}
}

/// Whether an admin change took effect (its event `Done` is in the receipt) or waits for a
/// majority of the admins, as `done` or the approvals so far.
fn admin_change_summary<Done: iotchain_client::DecodeAsEvent>(
	receipt: &Receipt,
	done: String,
) -> anyhow::Result<String> {
	if receipt.has::<Done>() {
		return Ok(done);
	}
	let approvals = receipt
		.find_first::<AdminChangeApproved>()?
		.map_or(0, |change| change.approvals);
	Ok(format!("admin change approved ({approvals} approvals so far)"))
}

pub async fn run(
	command: Command,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Create { name, roles, admin, via } => {
			let roles = OrgRoles::from_names(roles.iter().map(String::as_str))?;
			let admin = parse_account(&admin)?;
			let receipt = client
				.create_org(name.clone().into_bytes(), roles, admin, via.into(), wait)
				.await?;
			output.receipt(&format!("organisation '{name}' proposed/created"), &receipt)
		},
		Command::Suspend { org, via } => {
			let receipt = client.suspend_org(org, via.into(), wait).await?;
			output.receipt(&format!("organisation {org} suspended"), &receipt)
		},
		Command::Resume { org, via } => {
			let receipt = client.resume_org(org, via.into(), wait).await?;
			output.receipt(&format!("organisation {org} resumed"), &receipt)
		},
		Command::SetAdmins { org, admins, via } => {
			let accounts =
				admins.iter().map(|account| parse_account(account)).collect::<Result<_, _>>()?;
			let receipt = client.set_admins(org, accounts, via.into(), wait).await?;
			output.receipt(&format!("admins of organisation {org} set"), &receipt)
		},
		Command::Consent { org, role, valid_until } => {
			let (account, consent) = client.consent_to_join(org, role.into(), valid_until)?;
			let value = serde_json::json!({
				"account": account.to_string(),
				"org": org,
				"role": role,
				"valid_until": valid_until,
				"consent": to_hex(&consent),
			});
			output.emit(&value, |out| {
				writeln!(out, "account     {account}")?;
				writeln!(out, "valid_until {valid_until}")?;
				writeln!(out, "consent     {}", to_hex(&consent))?;
				Ok(())
			})
		},
		Command::AddAdmin { account, consent } => {
			let receipt =
				client.add_admin(parse_account(&account)?, consent.parse()?, wait).await?;
			let summary =
				admin_change_summary::<AdminAdded>(&receipt, format!("admin {account} added"))?;
			output.receipt(&summary, &receipt)
		},
		Command::RemoveAdmin { account } => {
			let receipt = client.remove_admin(parse_account(&account)?, wait).await?;
			let summary =
				admin_change_summary::<AdminRemoved>(&receipt, format!("admin {account} removed"))?;
			output.receipt(&summary, &receipt)
		},
		Command::AddMember { account, consent } => {
			let receipt =
				client.add_member(parse_account(&account)?, consent.parse()?, wait).await?;
			output.receipt(&format!("{account} is a member"), &receipt)
		},
		Command::RemoveMember { account } => {
			let receipt = client.remove_member(parse_account(&account)?, wait).await?;
			output.receipt(&format!("{account} is no longer a member"), &receipt)
		},
		Command::Leave => {
			let org = client.signer_organisation().await?;
			let receipt = client.leave_org(wait).await?;
			output.receipt(&format!("left organisation {org}"), &receipt)
		},
		Command::Show { org_or_account } => {
			let org = match org_or_account.parse::<OrgId>() {
				Ok(org) => org,
				Err(_) => client
					.organisation_of(&parse_account(&org_or_account)?)
					.await?
					.ok_or_else(|| Error::NotFound {
						what: "organisation with account",
						id: org_or_account.clone(),
					})?,
			};
			let organisation = client
				.organisation(org)
				.await?
				.ok_or_else(|| Error::NotFound { what: "organisation", id: org.to_string() })?;
			output.record(&organisation_json(org, &organisation))
		},
		Command::List => {
			let organisations = client.organisations().await?;
			let records: Vec<_> =
				organisations.iter().map(|(id, org)| organisation_json(*id, org)).collect();
			output.emit(&records, |out| {
				for (id, org) in &organisations {
					writeln!(
						out,
						"{id}\t{}\t{}\t{:?}",
						String::from_utf8_lossy(&org.name.0),
						org.roles.names().join(","),
						org.status
					)?;
				}
				Ok(())
			})
		},
	}
}

/// An organisation as JSON.
pub fn organisation_json(id: OrgId, org: &OrganisationOf) -> serde_json::Value {
	let accounts =
		|accounts: &[AccountId]| accounts.iter().map(|a| a.to_string()).collect::<Vec<_>>();
	serde_json::json!({
		"id": id,
		"name": String::from_utf8_lossy(&org.name.0),
		"roles": org.roles.names(),
		"admins": accounts(&org.admins.0),
		"members": accounts(&org.members.0),
		"status": match org.status { OrgStatus::Active => "Active", OrgStatus::Suspended => "Suspended" },
		"created": org.created,
	})
}
