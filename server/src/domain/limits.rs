//! How far one job and one user may go (SEC-41): the bounds the executor watches while a job
//! runs, the disk space claiming needs, and the per-user queue caps the submission path and
//! the claim query apply.

use std::time::Duration;

/// The bounds on jobs and queues, read from the configuration once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobLimits {
    /// JOB_TIME_LIMIT_SECONDS: the longest a job's fetch and conversion may run.
    pub time_limit: Duration,
    /// MAX_FILE_SIZE_MB: the most a job may write into its temp folder.
    pub max_file_bytes: u64,
    /// MIN_FREE_SPACE_MB: below this much free space on the output volume, no job is
    /// claimed and running jobs stop.
    pub min_free_bytes: u64,
    /// MAX_QUEUED_DOWNLOADS_PER_USER: a user's pending and running downloads, at most.
    pub max_active_per_user: u32,
    /// MAX_RUNNING_DOWNLOADS_PER_USER: a user's downloads running at once, across instances.
    pub max_running_per_user: u32,
    /// MAX_PLAYLIST_ENTRIES: the most entries one playlist or album may expand into.
    pub max_playlist_entries: usize,
}

impl Default for JobLimits {
    fn default() -> Self {
        Self {
            time_limit: Duration::from_secs(2 * 60 * 60),
            max_file_bytes: 2048 << 20,
            min_free_bytes: 512 << 20,
            max_active_per_user: 1000,
            max_running_per_user: 2,
            max_playlist_entries: 500,
        }
    }
}

/// Which bound a running job crossed; the message is shown to its owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitBreach {
    TooLong(Duration),
    TooLarge(u64),
    DiskFull(u64),
}

impl LimitBreach {
    /// Whether trying again later can help (a full disk may be cleared; a stream does not
    /// become shorter).
    pub fn is_transient(self) -> bool {
        matches!(self, LimitBreach::DiskFull(_))
    }

    pub fn message(self) -> String {
        match self {
            LimitBreach::TooLong(limit) => format!(
                "The download ran longer than the server's limit of {} and was stopped (endless streams and live radio are not downloaded)",
                human_duration(limit)
            ),
            LimitBreach::TooLarge(bytes) => format!(
                "The download grew larger than the server's limit of {} and was stopped",
                human_bytes(bytes)
            ),
            LimitBreach::DiskFull(bytes) => format!(
                "The music folder's disk has less than {} free; the download was stopped",
                human_bytes(bytes)
            ),
        }
    }
}

fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s >= 3600 && s % 3600 == 0 => format!("{} h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaches_read_as_sentences_with_the_limit() {
        assert!(
            LimitBreach::TooLong(Duration::from_secs(7200))
                .message()
                .contains("limit of 2 h")
        );
        assert!(
            LimitBreach::TooLong(Duration::from_secs(3))
                .message()
                .contains("limit of 3 s")
        );
        assert!(LimitBreach::TooLarge(1 << 20).message().contains("1 MiB"));
        assert!(LimitBreach::DiskFull(2 << 30).message().contains("2 GiB"));
        assert!(LimitBreach::DiskFull(1).is_transient());
        assert!(!LimitBreach::TooLarge(1).is_transient());
    }
}
