//! Recording how an attempt ended: a placed file, a cancel, a shutdown, or a failure (with
//! a retry when it may help); and counting the downloads that end.

use super::{JobRunner, Outcome};
use crate::{
    jobs::{ErrorClass, ExecutionError, Finished, beneath},
    store::{CompletedFile, DownloadRow, StoreResult},
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const BACKOFF_BASE: Duration = Duration::from_secs(5);
const BACKOFF_CAP: Duration = Duration::from_secs(300);

impl JobRunner {
    /// Saves the attempt's outcome; `None` when the row is no longer this worker's.
    pub(super) async fn record_outcome(
        &self,
        job: &DownloadRow,
        outcome: Result<Outcome, ExecutionError>,
        user_cancelled: bool,
        stop: &CancellationToken,
    ) -> StoreResult<Option<DownloadRow>> {
        let (id, worker) = (job.id, self.worker_id.as_str());
        match outcome {
            Ok(Outcome::Expanded) => Ok(None),
            Ok(Outcome::File(finished)) => self.record_file(id, *finished).await,
            Ok(Outcome::AlreadyHave(found)) => {
                let path = found.relative_path.to_string_lossy();
                tracing::info!(job = id, matched = %path, "the library already has this track; skipped");
                self.store
                    .skip_job(id, worker, &path, found.duration_seconds)
                    .await
            }
            Err(err) if err.class == ErrorClass::Cancelled => {
                if user_cancelled {
                    self.store.cancel_job(id, worker).await
                } else if stop.is_cancelled() {
                    tracing::info!(job = id, "job put back to the queue for the next start");
                    self.store.release_job(id, worker).await
                } else {
                    // The row was deleted or reclaimed: nothing to record.
                    Ok(None)
                }
            }
            Err(err) => {
                let retry =
                    err.class == ErrorClass::Transient && job.attempts < self.settings.max_attempts;
                let retry_at = retry.then(|| chrono::Utc::now() + backoff(job.attempts));
                let message = retry_message(&err.message, retry);
                self.store.fail_job(id, worker, &message, retry_at).await
            }
        }
    }

    /// Completes the job with its file. When the completion is refused — a cancel arrived
    /// while the file was being placed, or the row was deleted — the file goes too, so a
    /// cancelled download leaves nothing behind, and a requested cancel is recorded.
    async fn record_file(&self, id: i64, finished: Finished) -> StoreResult<Option<DownloadRow>> {
        let worker = self.worker_id.as_str();
        let identity = finished.identity;
        let relative = finished.relative_path.clone();
        let file = CompletedFile {
            file_path: finished.relative_path.to_string_lossy().into_owned(),
            file_size: i64::try_from(finished.size_bytes).unwrap_or(i64::MAX),
            // Stored as the bits of an i64 (neither backend has an unsigned 64-bit column).
            file_device: identity.device as i64,
            file_inode: identity.inode as i64,
            duration: finished.duration_seconds,
            title: finished.title,
            artist: finished.artist,
            album: finished.album,
            ytdlp_version: finished.ytdlp_version,
        };
        let tags = finished.tags;
        let completed = self.store.complete_job(id, worker, file).await?;
        if completed.is_some() {
            let placed = self.settings.executor.output_directory.join(&relative);
            self.settings
                .library
                .insert(placed, &tags, finished.duration_seconds);
            return Ok(completed);
        }
        let out = self.settings.executor.output_directory.clone();
        let removed = tokio::task::spawn_blocking(move || {
            beneath::remove_if_same(
                &out,
                &relative,
                beneath::Recorded {
                    identity,
                    identity_known: true,
                },
            )
        })
        .await;
        tracing::info!(
            job = id,
            ?removed,
            "the job was cancelled or removed as it finished; its file was taken back"
        );
        self.store.cancel_job(id, worker).await
    }

    /// Counts a download that reached a final status (the metrics ignore any other).
    pub(super) fn count_end(&self, row: &DownloadRow) {
        let took = row
            .started_at
            .zip(row.completed_at)
            .and_then(|(start, end)| (end - start).to_std().ok());
        let size = row.file_size.and_then(|size| u64::try_from(size).ok());
        self.settings
            .metrics
            .ended(row.status, row.format, size, took);
    }
}

/// The error as shown: said once that it will be retried when it will, and never when it
/// will not (its attempts are spent), whatever the classified message ended with.
fn retry_message(message: &str, retry: bool) -> String {
    let base = message
        .strip_suffix(", will retry")
        .or_else(|| message.strip_suffix(" (will retry)"))
        .unwrap_or(message);
    if retry {
        format!("{base}, will retry")
    } else {
        base.to_owned()
    }
}

/// Capped exponential backoff with ±20 % jitter, so retries from many jobs spread out.
fn backoff(attempts: i32) -> chrono::Duration {
    let exp = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1).clamp(0, 16) as u32));
    let capped = exp.min(BACKOFF_CAP).as_secs_f64();
    let jitter = 0.8 + rand::random::<f64>() * 0.4;
    chrono::Duration::milliseconds((capped * jitter * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::{backoff, retry_message};

    #[test]
    fn a_retry_is_announced_once_and_a_final_failure_promises_none() {
        assert_eq!(
            retry_message("Network error, will retry", true),
            "Network error, will retry"
        );
        assert_eq!(retry_message("HTTP 503", true), "HTTP 503, will retry");
        assert_eq!(
            retry_message("Network error, will retry", false),
            "Network error"
        );
        assert_eq!(retry_message("Not found", false), "Not found");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = backoff(1).num_milliseconds();
        assert!((4_000..=6_000).contains(&first), "{first}");
        let third = backoff(3).num_milliseconds();
        assert!((16_000..=24_000).contains(&third), "{third}");
        let late = backoff(30).num_milliseconds();
        assert!(late <= 360_000, "{late}");
    }
}
