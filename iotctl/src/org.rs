//! `iotctl org`: organisations.

use super::{Output, Via};
use clap::Subcommand;
use iotchain_client::{
	parse_account, AccountId, Client, Error, OrgId, OrgRoles, OrgStatus, OrganisationOf, Wait,
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
	/// Add an admin to the signer's organisation.
	AddAdmin { account: String },
	/// Remove an admin from the signer's organisation.
	RemoveAdmin { account: String },
	/// Add an operator account to the signer's organisation.
	AddMember { account: String },
	/// Remove an operator account from the signer's organisation.
	RemoveMember { account: String },
	/// Show an organisation, by id or by one of its accounts.
	Show { org_or_account: String },
	/// List every organisation.
	List,
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
		Command::AddAdmin { account } => {
			let receipt = client.add_admin(parse_account(&account)?, wait).await?;
			output.receipt(&format!("{account} is an admin"), &receipt)
		},
		Command::RemoveAdmin { account } => {
			let receipt = client.remove_admin(parse_account(&account)?, wait).await?;
			output.receipt(&format!("{account} is no longer an admin"), &receipt)
		},
		Command::AddMember { account } => {
			let receipt = client.add_member(parse_account(&account)?, wait).await?;
			output.receipt(&format!("{account} is a member"), &receipt)
		},
		Command::RemoveMember { account } => {
			let receipt = client.remove_member(parse_account(&account)?, wait).await?;
			output.receipt(&format!("{account} is no longer a member"), &receipt)
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
