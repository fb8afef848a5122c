//! The executor's public vocabulary: what the worker asks for (`ExecutionRequest`), what it
//! hears back while a job runs (`Progress`) and at the end (`Finished` or `ExecutionError`).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::ytdlp_selection::YtdlpSelection;
use crate::net::AddressPolicy;
use crate::net::egress_proxy::EgressProxy;

pub use crate::domain::{AudioFormat, Phase, Progress};

/// How a plugin says the audio is fetched (yt-dlp with allowlisted options, or a direct
/// media link); defined by the plugin host.
pub use crate::plugins::FetchAction;

/// Metadata the plugin resolved; used to name the file and to fill missing tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackMetadataHint {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    /// A thumbnail for the cover art, used when the file brings no picture of its own.
    pub cover_url: Option<String>,
    /// Set for a set's entry: the file is named with `album_output_template`.
    pub album_track: Option<AlbumTrackHint>,
}

/// What a set's entry knows of its place in the album.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlbumTrackHint {
    pub album_artist: Option<String>,
    pub track_number: Option<u32>,
    pub track_total: Option<u32>,
    pub disc_number: Option<u32>,
    pub year: Option<i32>,
}

impl From<&crate::plugins::TrackMetadata> for TrackMetadataHint {
    fn from(m: &crate::plugins::TrackMetadata) -> Self {
        TrackMetadataHint {
            title: m.title.clone(),
            artist: m.artist.clone(),
            album: m.album.clone(),
            cover_url: m.cover_url.clone(),
            album_track: None,
        }
    }
}

/// Settings shared by every job; built once from `Config`.
#[derive(Debug, Clone)]
pub struct ExecutorConfig {
    /// The yt-dlp new jobs start with; an admin's update switches it at runtime
    /// (`tools::YtdlpManager`). A job runs with `pinned()`, so it keeps its binary.
    pub ytdlp: YtdlpSelection,
    /// Deno, the JavaScript runtime yt-dlp runs YouTube's challenge scripts with.
    pub js_runtime_path: PathBuf,
    /// A path, or a bare name looked up on `PATH`.
    pub ffmpeg_path: PathBuf,
    /// yt-dlp looks for ffprobe beside ffmpeg; the preflight checks this one.
    pub ffprobe_path: PathBuf,
    pub output_directory: PathBuf,
    /// `{artist}`, `{title}`, `{album}`, `{user}`, `{ext}`; `/` separates folders.
    pub output_template: String,
    /// How a set's tracks are named (`jobs::album_layout`): also `{album_artist}`, `{year}`,
    /// `{track}`/`{track:02}`, `{disc}`; missing parts drop cleanly.
    pub album_output_template: String,
    pub address_policy: AddressPolicy,
    /// The loopback proxy every yt-dlp request goes through, checked against
    /// `address_policy` (SEC-40).
    pub egress: std::sync::Arc<EgressProxy>,
    /// Time between SIGINT and SIGKILL when a job is cancelled (SEC-7).
    pub cancel_grace: Duration,
    /// Time, size and free-space bounds every job is watched against (SEC-41).
    pub limits: crate::domain::JobLimits,
}

impl ExecutorConfig {
    /// The yt-dlp program a call made now runs.
    pub fn ytdlp_path(&self) -> PathBuf {
        self.ytdlp.current().path.clone()
    }

    /// A copy whose yt-dlp no longer follows switches: what one job runs with from start to
    /// end, whatever an admin's update does meanwhile.
    pub fn pinned(&self) -> ExecutorConfig {
        ExecutorConfig {
            ytdlp: YtdlpSelection::new((*self.ytdlp.current()).clone()),
            ..self.clone()
        }
    }
}

/// The default output template.
pub const DEFAULT_OUTPUT_TEMPLATE: &str = "{artist}/{title}.{ext}";

/// One job to run.
#[derive(Debug, Clone)]
pub struct ExecutionRequest {
    /// The job's id; names its temp folder.
    pub job_id: uuid::Uuid,
    pub action: FetchAction,
    pub metadata: TrackMetadataHint,
    pub format: AudioFormat,
    /// The owner's user name, for `{user}` in the template.
    pub user: String,
    /// The URL the track was submitted (or listed) as: written into the file's tags, so the
    /// library index recognises the track when it is submitted again.
    pub source_url: String,
}

/// A finished download.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// Relative to `output_directory`; always inside it.
    pub relative_path: PathBuf,
    /// Which file was placed there (SEC-43: deletes check it).
    pub identity: super::beneath::FileIdentity,
    pub size_bytes: u64,
    pub duration_seconds: Option<f64>,
    /// Read from the file's tags once they were written (`track_tagging` says which
    /// source won).
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    /// Everything the file's tags now say (for the library index).
    pub tags: super::album_tags::TrackTags,
    /// The yt-dlp version that fetched the file (`None` for a direct download, or when the
    /// version was not known).
    pub ytdlp_version: Option<String>,
}

/// Whether a failed job is worth retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Network trouble, rate limits, a full disk: retry with backoff.
    Transient,
    /// Retrying cannot help (404, sign-in needed, unsupported URL, …).
    Permanent,
    /// The job was cancelled (or the server is shutting down).
    Cancelled,
}

/// Why a job failed. `message` is classified and safe to show to users: it never contains
/// subprocess output or server paths (SEC-6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionError {
    pub class: ErrorClass,
    pub message: String,
}

impl ExecutionError {
    pub fn transient(message: impl Into<String>) -> Self {
        ExecutionError {
            class: ErrorClass::Transient,
            message: message.into(),
        }
    }
    pub fn permanent(message: impl Into<String>) -> Self {
        ExecutionError {
            class: ErrorClass::Permanent,
            message: message.into(),
        }
    }
    pub fn cancelled() -> Self {
        ExecutionError {
            class: ErrorClass::Cancelled,
            message: "Cancelled".into(),
        }
    }
}

impl fmt::Display for ExecutionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExecutionError {}
