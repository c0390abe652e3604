//! The store's free space, measured every [`CHECK_INTERVAL`]: below `limits.min_free_disk_bytes`
//! the ingest task refuses new messages (`disk-full`, to be retried), so the disk never fills
//! under the store and what it holds stays readable, anchorable and exportable. The metrics
//! show the free space and the mark (`gateway_disk_free_bytes`, `gateway_disk_min_free_bytes`).

use crate::{metrics::Metrics, progress::Progress};
use std::{
	path::{Path, PathBuf},
	sync::{atomic::Ordering, Arc},
	time::Duration,
};

/// How often the free space is measured.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Bytes free to an unprivileged user on the file system that holds `path` (what the store
/// may still write: root's reserve does not count).
pub fn free_bytes(path: &Path) -> std::io::Result<u64> {
	let stats = rustix::fs::statvfs(path)?;
	Ok(stats.f_bavail.saturating_mul(stats.f_frsize))
}

/// Measures the free space of `data_dir` now, then every [`CHECK_INTERVAL`] in a task of its
/// own, into `progress` (what the ingest task reads) and `metrics`.
pub fn watch(data_dir: PathBuf, min_free: u64, progress: Arc<Progress>, metrics: Arc<Metrics>) {
	metrics.disk_min_free.set(i64::try_from(min_free).unwrap_or(i64::MAX));
	let mut low = false;
	let mut measure = move |measured: std::io::Result<u64>| match measured {
		Ok(free) => {
			progress.disk_free.store(free, Ordering::Release);
			metrics.disk_free.set(i64::try_from(free).unwrap_or(i64::MAX));
			if (free < min_free) != low {
				low = free < min_free;
				if low {
					tracing::error!(
						free,
						min_free,
						"the disk is below its mark: refusing new messages (disk-full)"
					);
				} else {
					tracing::info!(
						free,
						min_free,
						"the disk is above its mark again: taking messages"
					);
				}
			}
		},
		// The last measure stands: a passing failure should not stop or open intake.
		Err(error) => tracing::warn!(%error, "measuring the data directory's free space failed"),
	};
	measure(free_bytes(&data_dir));
	tokio::spawn(async move {
		loop {
			tokio::time::sleep(CHECK_INTERVAL).await;
			// Off the async workers: statvfs on a hung network file system would block one.
			let dir = data_dir.clone();
			match tokio::task::spawn_blocking(move || free_bytes(&dir)).await {
				Ok(measured) => measure(measured),
				Err(error) => tracing::warn!(%error, "measuring the free space did not finish"),
			}
		}
	});
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The free space is measured on the data directory's own file system, and a directory
	/// that does not exist is an error, not zero.
	#[test]
	fn free_space_is_measured_where_the_store_is() {
		let dir = tempfile::tempdir().unwrap();
		let free = free_bytes(dir.path()).unwrap();
		assert!(free > 0 && free < u64::MAX);
		assert!(free_bytes(&dir.path().join("missing")).is_err());
	}
}
