//! `iotctl firmware`: releases, approvals, update reports and fleet status.

use super::Output;
use clap::{Subcommand, ValueEnum};
use iotchain_client::{
	parse_account, parse_firmware_version, parse_hash32,
	runtime::firmware_releases::events::{Activated, ApproversSet, YankApproved, Yanked},
	sha256_file, to_hex, Client, Error, FleetStatus, Publication, Receipt, ReleaseId, ReleaseOf,
	ReleaseStatus, UpdateFailure, UpdateOutcome, Wait, YankReason,
};
use std::{io::Write, path::PathBuf};

/// Devices fetched per runtime-API call when listing a release's devices.
const PAGE: u32 = 500;

#[derive(Debug, Subcommand)]
pub enum Command {
	/// Claim a model for the signer's manufacturer organisation (an admin), before publishing.
	ClaimModel { model: String },
	/// Propose the signer's organisation's approvers and threshold (an admin or an approver).
	/// The current approvers approve the change at their threshold; the first set needs a
	/// second admin (`approve-approvers`).
	Approvers {
		/// How many approvers must approve a release: at least 2.
		#[arg(long)]
		threshold: u32,
		/// The approver accounts (of the organisation).
		#[arg(required = true)]
		approvers: Vec<String>,
	},
	/// Approve the signer's organisation's pending change of approvers.
	ApproveApprovers,
	/// Publish a release from an image file: its SHA-256 and size are computed here.
	Publish {
		#[arg(long)]
		model: String,
		/// MAJOR.MINOR.PATCH, above every version ever activated for the model.
		#[arg(long)]
		version: String,
		/// The image file devices will install.
		#[arg(long)]
		image: PathBuf,
		/// Where devices download it.
		#[arg(long)]
		uri: String,
		/// A release-notes file, recorded by its SHA-256.
		#[arg(long)]
		notes: Option<PathBuf>,
		/// The last block the release may be installed at.
		#[arg(long)]
		expires_at: Option<u32>,
	},
	/// Approve a pending release (an approver of its manufacturer).
	Approve { release: ReleaseId },
	/// Withdraw a pending release (its manufacturer; anyone once its approval window closed).
	Withdraw { release: ReleaseId },
	/// Approve withdrawing a release for good, as one of its manufacturer's approvers: it is
	/// yanked once the approvers' threshold approved the same reason.
	Yank {
		release: ReleaseId,
		#[arg(long, value_enum)]
		reason: Yank,
	},
	/// Report a device's update attempt, as the device or its gateway.
	Report {
		#[arg(long)]
		device: String,
		#[arg(long)]
		release: ReleaseId,
		/// The installed image, measured here (an install needs this or --measured).
		#[arg(long, conflicts_with_all = ["measured", "failed"])]
		image: Option<PathBuf>,
		/// The installed image's SHA-256 as the device measured it (0x, 32 bytes).
		#[arg(long, conflicts_with = "failed")]
		measured: Option<String>,
		/// The update failed, for this reason.
		#[arg(long, value_enum)]
		failed: Option<Failure>,
	},
	/// A model's fleet: the release devices should run and how many run each.
	Status { model: String },
	/// Show a release.
	Show { release: ReleaseId },
	/// The devices that run a release.
	Devices { release: ReleaseId },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Yank {
	Vulnerable,
	Defective,
	Withdrawn,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Failure {
	Download,
	Verification,
	Install,
	Boot,
}

/// Whether an approver change took effect or waits for more approvals, from its events.
fn approver_change_summary(receipt: &Receipt, proposed_threshold: u32) -> String {
	let in_force = receipt.has::<ApproversSet>();
	match (in_force, proposed_threshold) {
		(true, _) => "approvers set".to_owned(),
		(false, 0) => "approver change approved; waiting for more approvals".to_owned(),
		(false, threshold) => {
			format!("approvers proposed (threshold {threshold}); waiting for approvals")
		},
	}
}

pub async fn run(
	command: Command,
	client: &Client,
	wait: Wait,
	output: &mut Output<'_, impl Write>,
) -> anyhow::Result<()> {
	match command {
		Command::Approvers { threshold, approvers } => {
			let approvers = approvers
				.iter()
				.map(|account| parse_account(account))
				.collect::<Result<_, _>>()?;
			let receipt = client.propose_approvers(approvers, threshold, wait).await?;
			output.receipt(&approver_change_summary(&receipt, threshold), &receipt)
		},
		Command::ApproveApprovers => {
			let receipt = client.approve_approver_change(wait).await?;
			output.receipt(&approver_change_summary(&receipt, 0), &receipt)
		},
		Command::ClaimModel { model } => {
			let receipt = client.claim_model(model.clone().into_bytes(), wait).await?;
			output.receipt(&format!("model {model} claimed"), &receipt)
		},
		Command::Withdraw { release } => {
			let receipt = client.withdraw_release(release, wait).await?;
			output.receipt(&format!("release {release} withdrawn"), &receipt)
		},
		Command::Publish { model, version, image, uri, notes, expires_at } => {
			let publication = Publication {
				model: model.clone().into_bytes(),
				version: parse_firmware_version(&version)?,
				image: sha256_file(&image)?,
				uri: uri.into_bytes(),
				notes_hash: notes
					.as_deref()
					.map(sha256_file)
					.transpose()?
					.map(|notes| notes.sha256),
				expires_at,
			};
			let sha256 = publication.image.sha256;
			let (release, receipt) = client.publish_release(publication).await?;
			let value = serde_json::json!({
				"release": release,
				"model": model,
				"version": version,
				"image_sha256": to_hex(&sha256),
				"receipt": receipt,
			});
			output.emit(&value, |out| {
				writeln!(
					out,
					"release {release}: {model} {version}, image sha256 {}",
					to_hex(&sha256)
				)?;
				for event in receipt.events() {
					writeln!(out, "  {event}")?;
				}
				Ok(())
			})
		},
		Command::Approve { release } => {
			let receipt = client.approve_release(release, wait).await?;
			let activated = receipt.has::<Activated>();
			let summary = if activated {
				format!("release {release} approved and now active")
			} else {
				format!("release {release} approved")
			};
			output.receipt(&summary, &receipt)
		},
		Command::Yank { release, reason } => {
			let reason = match reason {
				Yank::Vulnerable => YankReason::Vulnerable,
				Yank::Defective => YankReason::Defective,
				Yank::Withdrawn => YankReason::Withdrawn,
			};
			let receipt = client.yank_release(release, reason, wait).await?;
			// A yank needs the approvers' threshold, like a release: until it is reached, the
			// caller's approval is recorded and the release stays as it was.
			let summary = if receipt.has::<Yanked>() {
				format!("release {release} yanked")
			} else {
				let approvals =
					receipt.find_first::<YankApproved>()?.map_or(0, |yank| yank.approvals);
				format!("yank of release {release} approved ({approvals} approvals so far)")
			};
			output.receipt(&summary, &receipt)
		},
		Command::Report { device, release, image, measured, failed } => {
			let device = parse_hash32("device id", &device)?;
			let (outcome, measured) = match (failed, image, measured) {
				(Some(failure), _, measured) => {
					let failure = match failure {
						Failure::Download => UpdateFailure::Download,
						Failure::Verification => UpdateFailure::Verification,
						Failure::Install => UpdateFailure::Install,
						Failure::Boot => UpdateFailure::Boot,
					};
					let measured = measured
						.as_deref()
						.map(|m| parse_hash32("measured hash", m))
						.transpose()?;
					(UpdateOutcome::Failed(failure), measured.unwrap_or([0; 32]))
				},
				(None, Some(image), _) => (UpdateOutcome::Installed, sha256_file(&image)?.sha256),
				(None, None, Some(measured)) => {
					(UpdateOutcome::Installed, parse_hash32("measured hash", &measured)?)
				},
				(None, None, None) => {
					anyhow::bail!("an install needs --image or --measured; a failure --failed")
				},
			};
			let receipt = client.report_update(device, release, outcome, measured, wait).await?;
			output.receipt(
				&format!("update of {} to release {release} reported", to_hex(&device)),
				&receipt,
			)
		},
		Command::Status { model } => {
			let status = client.fleet_status(model.as_bytes()).await?;
			let value = fleet_json(&model, &status);
			output.emit(&value, |out| {
				match &status.latest {
					Some((release, version)) => {
						writeln!(out, "{model}: latest release {release} ({version})")?
					},
					None => writeln!(out, "{model}: no installable release")?,
				}
				writeln!(
					out,
					"devices behind latest: {}\ndevices on yanked releases: {}",
					status.behind_latest, status.on_yanked
				)?;
				for release in &status.releases {
					writeln!(
						out,
						"  release {}\t{}\t{}\t{} devices",
						release.release,
						release.version,
						status_text(&release.status),
						release.devices
					)?;
				}
				Ok(())
			})
		},
		Command::Show { release } => {
			let record = client
				.release(release)
				.await?
				.ok_or_else(|| Error::NotFound { what: "release", id: release.to_string() })?;
			output.record(&release_json(release, &record))
		},
		Command::Devices { release } => {
			let mut devices = Vec::new();
			let mut after = None;
			loop {
				let page = client.devices_on_release(release, after, PAGE).await?;
				after = page.last().copied();
				let full = page.len() as u32 == PAGE;
				devices.extend(page);
				if !full {
					break;
				}
			}
			let ids: Vec<String> = devices.iter().map(|id| to_hex(id)).collect();
			output.emit(&ids, |out| {
				for id in &ids {
					writeln!(out, "{id}")?;
				}
				Ok(())
			})
		},
	}
}

fn status_text(status: &ReleaseStatus<u32>) -> String {
	match status {
		ReleaseStatus::Pending => "pending".into(),
		ReleaseStatus::Active { since } => format!("active since block {since}"),
		ReleaseStatus::Yanked { reason, at } => format!("yanked at block {at} ({reason:?})"),
	}
}

/// A release as JSON.
pub fn release_json(id: ReleaseId, release: &ReleaseOf) -> serde_json::Value {
	serde_json::json!({
		"id": id,
		"manufacturer": release.manufacturer,
		"model": String::from_utf8_lossy(&release.model.0),
		"version": release.version.to_string(),
		"image_sha256": to_hex(&release.image_sha256),
		"image_size": release.image_size,
		"uri": String::from_utf8_lossy(&release.uri.0),
		"notes_hash": release.notes_hash.map(|hash| to_hex(&hash)),
		"expires_at": release.expires_at,
		"published_by": release.published_by.to_string(),
		"published_at": release.published_at,
		"approvals": release.approvals.0.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
		"status": status_text(&release.status),
	})
}

/// A fleet's status as JSON.
pub fn fleet_json(model: &str, status: &FleetStatus<u32>) -> serde_json::Value {
	serde_json::json!({
		"model": model,
		"latest": status.latest.as_ref().map(|(release, version)| serde_json::json!({
			"release": release,
			"version": version.to_string(),
		})),
		"behind_latest": status.behind_latest,
		"on_yanked": status.on_yanked,
		"releases": status.releases.iter().map(|release| serde_json::json!({
			"release": release.release,
			"version": release.version.to_string(),
			"status": status_text(&release.status),
			"devices": release.devices,
		})).collect::<Vec<_>>(),
	})
}
