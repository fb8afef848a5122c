//! The SEC-41 settings: bounds on one job and on one user's queue.

use super::ConfigError;
use super::parse::in_range;
use crate::domain::JobLimits;
use std::time::Duration;

impl JobLimits {
    /// Reads the limits; each has a default (see `JobLimits::default`) and a range.
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let d = JobLimits::default();
        let mib = |bytes: u64| bytes >> 20;
        let time_limit: u64 = in_range(
            get,
            "JOB_TIME_LIMIT_SECONDS",
            d.time_limit.as_secs(),
            1..=7 * 24 * 3600,
        )?;
        let max_file_mib: u64 =
            in_range(get, "MAX_FILE_SIZE_MB", mib(d.max_file_bytes), 1..=1 << 20)?;
        let min_free_mib: u64 =
            in_range(get, "MIN_FREE_SPACE_MB", mib(d.min_free_bytes), 0..=1 << 30)?;
        Ok(Self {
            time_limit: Duration::from_secs(time_limit),
            max_file_bytes: max_file_mib << 20,
            min_free_bytes: min_free_mib << 20,
            max_active_per_user: in_range(
                get,
                "MAX_QUEUED_DOWNLOADS_PER_USER",
                d.max_active_per_user,
                1..=100_000,
            )?,
            max_running_per_user: in_range(
                get,
                "MAX_RUNNING_DOWNLOADS_PER_USER",
                d.max_running_per_user,
                1..=64,
            )?,
            max_playlist_entries: in_range(
                get,
                "MAX_PLAYLIST_ENTRIES",
                d.max_playlist_entries,
                1..=10_000,
            )?,
        })
    }
}
