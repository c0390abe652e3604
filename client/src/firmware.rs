//! Firmware releases: approvers, publishing an image, approving, yanking, devices' update
//! reports, and the fleet's status.

use crate::{
	runtime::{self, runtime_types::bounded_collections::bounded_vec::BoundedVec},
	AccountId, Client, DeviceId, Error, FirmwareVersion, FleetStatus, Receipt, Release, ReleaseId,
	Result, UpdateOutcome, UpdateReport, Wait, YankReason,
};
use sha2::{Digest, Sha256};
use std::{io::Read, path::Path};

/// A release as the chain stores it.
pub type ReleaseOf = Release<AccountId, u32>;

/// A firmware image measured locally: what a release commits to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImageFile {
	pub sha256: [u8; 32],
	pub size: u64,
}

/// Measures a file: its SHA-256 and size, read in 64 KiB pieces so images of any size fit.
pub fn sha256_file(path: &Path) -> Result<ImageFile> {
	let file_error = |source| Error::File { path: path.to_owned(), source };
	let mut file = std::fs::File::open(path).map_err(file_error)?;
	let mut hasher = Sha256::new();
	let mut buffer = vec![0u8; 64 * 1024];
	let mut size = 0u64;
	loop {
		let read = file.read(&mut buffer).map_err(file_error)?;
		if read == 0 {
			break;
		}
		hasher.update(&buffer[..read]);
		size += read as u64;
	}
	Ok(ImageFile { sha256: hasher.finalize().into(), size })
}

/// What a manufacturer publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publication {
	pub model: Vec<u8>,
	pub version: FirmwareVersion,
	pub image: ImageFile,
	pub uri: Vec<u8>,
	pub notes_hash: Option<[u8; 32]>,
	pub expires_at: Option<u32>,
}

impl Client {
	/// Proposes the signer's manufacturer organisation's approvers and how many must approve
	/// (at least 2). The change takes effect once the current approvers approve it at their
	/// threshold, or, for the first set, once a second admin does; the receipt's events say
	/// which happened.
	pub async fn propose_approvers(
		&self,
		approvers: Vec<AccountId>,
		threshold: u32,
		wait: Wait,
	) -> Result<Receipt> {
		let call = runtime::tx().firmware_releases().propose_approvers(approvers, threshold);
		self.submit(&call, wait).await
	}

	/// Approves the signer's organisation's pending approver change.
	pub async fn approve_approver_change(&self, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().firmware_releases().approve_approver_change(), wait)
			.await
	}

	/// Claims a model for the signer's manufacturer organisation (an admin).
	pub async fn claim_model(&self, model: Vec<u8>, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().firmware_releases().claim_model(model), wait).await
	}

	/// Withdraws a pending release, freeing its place among the model's releases.
	pub async fn withdraw_release(&self, release: ReleaseId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().firmware_releases().withdraw(release), wait).await
	}

	/// Publishes a release; returns its id (from the `Published` event) with the receipt, so
	/// this waits until finalised.
	pub async fn publish_release(&self, release: Publication) -> Result<(ReleaseId, Receipt)> {
		let call = runtime::tx().firmware_releases().publish(
			release.model,
			release.version,
			release.image.sha256,
			release.image.size,
			release.uri,
			release.notes_hash,
			release.expires_at,
		);
		let receipt = self.submit(&call, Wait::Finalised).await?;
		let id = receipt
			.find_first::<runtime::firmware_releases::events::Published>()?
			.map(|published| published.release)
			.ok_or_else(|| Error::Node("the publication emitted no release id".into()))?;
		Ok((id, receipt))
	}

	/// Approves a pending release as one of its manufacturer's approvers.
	pub async fn approve_release(&self, release: ReleaseId, wait: Wait) -> Result<Receipt> {
		self.submit(&runtime::tx().firmware_releases().approve(release), wait).await
	}

	/// Approves withdrawing a release for good, for `reason`, as one of its manufacturer's
	/// approvers: the release is yanked once the approvers' threshold approved the same reason
	/// (the receipt holds `Yanked`), until then it holds `YankApproved`.
	pub async fn yank_release(
		&self,
		release: ReleaseId,
		reason: YankReason,
		wait: Wait,
	) -> Result<Receipt> {
		self.submit(&runtime::tx().firmware_releases().yank(release, reason), wait)
			.await
	}

	/// Reports a device's update attempt: the device itself or its assigned gateway (feeless).
	pub async fn report_update(
		&self,
		device: DeviceId,
		release: ReleaseId,
		outcome: UpdateOutcome,
		measured_sha256: [u8; 32],
		wait: Wait,
	) -> Result<Receipt> {
		let call = runtime::tx().firmware_releases().report_update(
			device,
			release,
			outcome,
			measured_sha256,
		);
		self.submit(&call, wait).await
	}

	/// Reports many update attempts, up to `per_extrinsic` in each `report_updates` call, all
	/// pipelined: a gateway reporting for its devices (feeless when every report in a call is of
	/// a device assigned to it). Each report is recorded or refused on its own; a refused one
	/// leaves a `BatchItemFailed` event with its index. Returns, per extrinsic, the reports it
	/// carried and its outcome.
	pub async fn report_updates(
		&self,
		reports: Vec<UpdateReport>,
		per_extrinsic: usize,
		wait: Wait,
		progress: impl Fn(usize),
	) -> Result<Vec<(Vec<UpdateReport>, Result<Receipt>)>> {
		// The runtime bounds a batch by its `MaxBatchSize`: a larger one does not decode.
		let report = |batch| runtime::tx().firmware_releases().report_updates(BoundedVec(batch));
		self.submit_in_batches(reports, per_extrinsic, report, wait, progress).await
	}

	/// A release by id.
	pub async fn release(&self, release: ReleaseId) -> Result<Option<ReleaseOf>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().firmware_releases_api().release(release);
		Ok(at.runtime_apis().call(call).await?)
	}

	/// A model's fleet: the release to run, devices behind it or on yanked releases, devices
	/// per release.
	pub async fn fleet_status(&self, model: &[u8]) -> Result<FleetStatus<u32>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis().firmware_releases_api().fleet_status(model.to_vec());
		Ok(at.runtime_apis().call(call).await?)
	}

	/// Up to `limit` devices that run a release, after `after`.
	pub async fn devices_on_release(
		&self,
		release: ReleaseId,
		after: Option<DeviceId>,
		limit: u32,
	) -> Result<Vec<DeviceId>> {
		let at = self.api().at_current_block().await?;
		let call = runtime::runtime_apis()
			.firmware_releases_api()
			.devices_on_release(release, after, limit);
		Ok(at.runtime_apis().call(call).await?)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn images_are_measured_by_sha256_and_size() {
		let path = std::env::temp_dir().join(format!("iotctl-image-{}", std::process::id()));
		std::fs::write(&path, b"abc").unwrap();
		let image = sha256_file(&path).unwrap();
		assert_eq!(image.size, 3);
		assert_eq!(
			hex::encode(image.sha256),
			"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
		);
		std::fs::remove_file(&path).unwrap();
		assert!(matches!(sha256_file(&path), Err(Error::File { .. })));
	}
}
