//! Rows as the store returns them. The API layer maps these to its own response types so
//! that columns such as `hashed_password` can never leak into a response by accident.

use crate::audit::AuditAction;
use crate::domain::{AudioFormat, DownloadStatus, Progress};
use chrono::{DateTime, Utc};
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub full_name: Option<String>,
    pub hashed_password: String,
    pub is_active: bool,
    pub is_admin: bool,
    /// Bumped when a password change revokes other sessions; tokens carry the value they
    /// were issued under (SEC-12).
    pub session_generation: i64,
    pub created_at: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
    /// The format a submission without one gets (`None`: `best`).
    #[sqlx(default)]
    pub default_format: Option<AudioFormat>,
}

/// A user read together with whether one of their tokens is revoked: what the bearer
/// guard needs on every request, in one query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    #[sqlx(flatten)]
    pub user: User,
    /// The token id asked about is on the blacklist (logged out, SEC-11).
    pub token_revoked: bool,
    /// The user's history version: the database changes it whenever one of their downloads
    /// is added, changed or removed (migration `0009_history_versions`). Read here because
    /// every request already makes this query; the history page cache keys on it.
    pub history_version: i64,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub full_name: Option<String>,
    pub hashed_password: String,
    /// Refuse (`RegistrationClosed`) unless there is no account yet; checked in the insert's
    /// transaction so two racing "first" registrations cannot both pass.
    pub only_if_first: bool,
}

/// A partial update made by an admin.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub is_active: Option<bool>,
    pub is_admin: Option<bool>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub action: AuditAction,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub details: sqlx::types::Json<Value>,
    pub created_at: DateTime<Utc>,
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    pub action: Option<AuditAction>,
}

/// One page of a listing: `page` is 1-based.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    pub fn offset(&self) -> i64 {
        i64::from(self.page.saturating_sub(1)) * i64::from(self.per_page)
    }
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A download job's row: what was asked, what the plugin resolved, and the queue state.
/// (`Deserialize`: SQLite hands a history page over as one JSON document, `history.rs`.)
#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct DownloadRow {
    pub id: i64,
    pub user_id: i64,
    pub parent_id: Option<i64>,
    pub url: String,
    pub format: AudioFormat,
    pub plugin: Option<String>,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub duration: Option<f64>,
    pub cover_url: Option<String>,
    /// Album fields of a set's entry (`0004_album_tracks.sql`); `None` for singles.
    #[sqlx(default)]
    #[serde(default)]
    pub album_artist: Option<String>,
    #[sqlx(default)]
    #[serde(default)]
    pub track_number: Option<i32>,
    #[sqlx(default)]
    #[serde(default)]
    pub track_total: Option<i32>,
    #[sqlx(default)]
    #[serde(default)]
    pub disc_number: Option<i32>,
    #[sqlx(default)]
    #[serde(default)]
    pub release_year: Option<i32>,
    /// The title of the set the track was listed in.
    #[sqlx(default)]
    #[serde(default)]
    pub set_title: Option<String>,
    /// Download even if the library already has the track (a retry of a skipped one, or a
    /// submission with `force`).
    #[sqlx(default)]
    #[serde(default)]
    pub force_download: bool,
    /// A set's parent: album or playlist (`None` for tracks and for older sets).
    #[sqlx(default)]
    #[serde(default)]
    pub set_kind: Option<crate::domain::SetKind>,
    /// How to fetch, once resolved (playlist children are created with theirs). Listings
    /// leave it out (`LISTED_COLUMNS`): nobody shows it, and decoding it was a large part of a
    /// history page's cost.
    #[sqlx(default)]
    #[serde(default)]
    pub action: Option<sqlx::types::Json<Value>>,
    pub status: DownloadStatus,
    /// The last progress a heartbeat saved; `None` unless downloading.
    pub progress: Option<sqlx::types::Json<Progress>>,
    pub file_path: Option<String>,
    pub file_size: Option<i64>,
    /// The yt-dlp version that fetched the file (`0007_managed_ytdlp.sql`); `None` for
    /// direct downloads and older rows.
    #[sqlx(default)]
    #[serde(default)]
    pub ytdlp_version: Option<String>,
    /// The placed file's device and inode (SEC-43), kept for deletes; listings leave them out.
    #[sqlx(default)]
    #[serde(default)]
    pub file_device: Option<i64>,
    #[sqlx(default)]
    #[serde(default)]
    pub file_inode: Option<i64>,
    pub error: Option<String>,
    pub attempts: i32,
    #[serde(with = "super::page_timestamps")]
    pub run_after: DateTime<Utc>,
    pub worker_id: Option<String>,
    #[serde(with = "super::page_timestamps::option")]
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub cancel_requested: bool,
    #[serde(with = "super::page_timestamps")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::page_timestamps::option")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(with = "super::page_timestamps::option")]
    pub completed_at: Option<DateTime<Utc>>,
    /// A set's parent: how its children stand (`store::attach_track_counts`); not a column.
    #[sqlx(skip)]
    #[serde(skip)]
    pub tracks: Option<TrackCounts>,
}

/// How the children of a set (its tracks) stand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackCounts {
    pub total: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Already in the library.
    pub skipped: i64,
    /// Waiting or downloading.
    pub active: i64,
}

impl TrackCounts {
    pub fn add(&mut self, status: DownloadStatus, n: i64) {
        self.total += n;
        match status {
            DownloadStatus::Completed => self.completed += n,
            DownloadStatus::Failed => self.failed += n,
            DownloadStatus::Cancelled => self.cancelled += n,
            DownloadStatus::Skipped => self.skipped += n,
            DownloadStatus::Pending | DownloadStatus::Downloading => self.active += n,
        }
    }
}

/// Every column of `download_history` but `action` and the file identity, for listings.
pub const LISTED_COLUMNS: &str = "id, user_id, parent_id, url, format, plugin, title, artist, \
    album, duration, cover_url, album_artist, track_number, track_total, disc_number, release_year, \
    set_title, set_kind, status, progress, file_path, file_size, ytdlp_version, error, attempts, \
    run_after, worker_id, heartbeat_at, cancel_requested, created_at, started_at, completed_at";

/// Where `name` stands in [`LISTED_COLUMNS`] (0-based), for reading a listed row by
/// position; evaluated at compile time, so a name that is not listed fails the build.
pub const fn listed_position(name: &str) -> usize {
    let (columns, name) = (LISTED_COLUMNS.as_bytes(), name.as_bytes());
    let (mut at, mut position) = (0, 0);
    while at < columns.len() {
        // Skip the separators (", " and the line continuations' spaces).
        while at < columns.len() && (columns[at] == b' ' || columns[at] == b',') {
            at += 1;
        }
        let start = at;
        while at < columns.len() && columns[at] != b',' {
            at += 1;
        }
        if at - start == name.len() {
            let mut i = 0;
            while i < name.len() && columns[start + i] == name[i] {
                i += 1;
            }
            if i == name.len() {
                return position;
            }
        }
        position += 1;
    }
    panic!("not a listed column")
}

/// How many columns [`LISTED_COLUMNS`] names.
pub const LISTED_COUNT: usize = listed_position("completed_at") + 1;

/// A user's submission: a top-level download, queued until its plugin resolves it.
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub user_id: i64,
    pub url: String,
    pub format: AudioFormat,
    pub plugin: String,
    /// Download even if the library has the track.
    pub force: bool,
}

/// A playlist's entry, created already resolved.
#[derive(Debug, Clone, Default)]
pub struct NewDownload {
    pub user_id: i64,
    pub parent_id: Option<i64>,
    pub url: String,
    pub format: AudioFormat,
    pub plugin: Option<String>,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub duration: Option<f64>,
    pub cover_url: Option<String>,
    pub album_track: AlbumTrack,
    pub action: Option<Value>,
    /// Download even if the library has the track (the set was submitted with `force`).
    pub force: bool,
}

/// What a set's entry knows of its album beyond the album name (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlbumTrack {
    pub album_artist: Option<String>,
    pub track_number: Option<i32>,
    pub track_total: Option<i32>,
    pub disc_number: Option<i32>,
    pub release_year: Option<i32>,
    pub set_title: Option<String>,
}

/// Metadata a plugin resolved for a job.
#[derive(Debug, Clone, Default)]
pub struct ResolvedMetadata {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub duration: Option<f64>,
    pub cover_url: Option<String>,
    pub action: Option<Value>,
    /// A set's parent: album or playlist (ignored for single tracks).
    pub set_kind: Option<crate::domain::SetKind>,
}

/// A finished job's file.
#[derive(Debug, Clone)]
pub struct CompletedFile {
    pub file_path: String,
    pub file_size: i64,
    /// Device and inode of the placed file (stored as the bits of an `i64`).
    pub file_device: i64,
    pub file_inode: i64,
    pub duration: Option<f64>,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    /// The yt-dlp version that fetched it (`None`: a direct download).
    pub ytdlp_version: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DownloadFilter {
    pub status: Option<DownloadStatus>,
    /// Case-insensitive substring of title, artist or URL.
    pub query: Option<String>,
}

/// What a worker learns from its heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heartbeat {
    /// Still ours; keep going.
    Running,
    /// The owner asked to cancel.
    CancelRequested,
    /// The row is gone or was reclaimed: stop without writing.
    Lost,
}

/// Outcome of a user's cancel/retry request.
#[derive(Debug, Clone)]
pub enum Transition {
    Done(Box<DownloadRow>),
    /// A set's request acted on its tracks: the set (unchanged) and the tracks it changed.
    SetTracks(Box<DownloadRow>, Vec<DownloadRow>),
    /// The download is not in a state that allows it; carries its current status.
    NotAllowed(DownloadStatus),
    NotFound,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_positions_follow_the_column_list() {
        let names: Vec<&str> = LISTED_COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(names.len(), LISTED_COUNT);
        for (position, name) in names.iter().enumerate() {
            assert_eq!(listed_position(name), position, "{name}");
        }
    }

    #[test]
    #[should_panic(expected = "not a listed column")]
    fn an_unlisted_name_has_no_position() {
        // `action` is left out of listings on purpose; a prefix of a name is not the name.
        listed_position("action");
    }
}
