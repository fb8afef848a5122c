//! What the job runner is started with (`lib.rs` builds it from the configuration).

use crate::jobs::{ExecutorConfig, album_tags::TrackTags};
use crate::store::DownloadRow;
use async_trait::async_trait;
use std::{path::PathBuf, sync::Arc, time::Duration};

// The runner receives the library and the hand-off as the two traits below, which
// `crate::library` and `crate::handoff` implement. Both of those build on `jobs` (the
// library reads tags with `jobs::album_tags`; the hand-off sits on accounts, which sit on
// the configuration, which checks `jobs`' templates), so naming them here would make the
// top-level modules depend on each other both ways, which `module_graph` refuses.

/// What the runner needs of the music library ("already have it").
pub trait TrackLibrary: Send + Sync + 'static {
    /// The file (absolute) the library already has for this track, if any; checks that it
    /// still exists.
    fn find(
        &self,
        artist: Option<&str>,
        title: Option<&str>,
        duration_seconds: Option<f64>,
        source_url: Option<&str>,
    ) -> Option<PathBuf>;

    /// Adds a finished download's file (or replaces what the library knew about it).
    fn insert(&self, path: PathBuf, tags: &TrackTags, duration_seconds: Option<f64>);
}

/// Told of every recorded outcome (webhooks and media-server rescans).
#[async_trait]
pub trait OutcomeListener: Send + Sync + 'static {
    /// `row` as recorded; rows still queued (a retry) are passed too, and are no news.
    async fn download_ended(&self, row: &DownloadRow);
}

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
    pub library: Arc<dyn TrackLibrary>,
    /// Where playlists' `.m3u8` files go (relative to the output folder); `None`: next to
    /// each playlist's tracks.
    pub playlist_folder: Option<std::path::PathBuf>,
    /// Told of every recorded outcome: webhooks and media-server rescans.
    pub handoff: Arc<dyn OutcomeListener>,
}
