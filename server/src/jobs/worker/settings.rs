//! What the job runner is started with (`lib.rs` builds it from the configuration).

use crate::jobs::ExecutorConfig;
use std::{sync::Arc, time::Duration};

/// The runner's limits and the services it hands finished downloads to.
pub struct RunnerSettings {
    pub executor: ExecutorConfig,
    pub max_concurrent: usize,
    pub max_attempts: i32,
    pub stale_after: Duration,
    /// This instance's id; worker ids start with it.
    pub instance_id: String,
    /// Jobs held by worker ids with this prefix are dead at start-up (SQLite: all of them;
    /// PostgreSQL: this instance's, from before a restart).
    pub dead_worker_prefix: String,
    /// Where the downloads that end are counted.
    pub metrics: crate::metrics::DownloadMetrics,
    /// What the library already holds ("already have it"); finished files are added.
    pub library: Arc<crate::library::LibraryIndex>,
    /// Where playlists' `.m3u8` files go (relative to the output folder); `None`: next to
    /// each playlist's tracks.
    pub playlist_folder: Option<std::path::PathBuf>,
    /// Told of every recorded outcome: webhooks and media-server rescans.
    pub handoff: Arc<crate::handoff::Handoff>,
}
