//! The webhook payload, schema version 1: the single source of the documented schema
//! (README "Webhooks"). Add fields freely (receivers must ignore unknown ones); renaming or
//! removing one, or changing a meaning, bumps `SCHEMA_VERSION`.

use crate::{
    domain::{DownloadStatus, WebhookEvent},
    store::{DownloadRow, TrackCounts},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

/// What a webhook receives, as the JSON body of a `POST`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookPayload {
    pub schema_version: u32,
    /// Unique per delivery; also in the `X-Webhook-Delivery` header. Retries repeat it, so
    /// a receiver can drop duplicates.
    pub delivery_id: String,
    pub event: WebhookEvent,
    pub occurred_at: DateTime<Utc>,
    pub download_id: i64,
    /// The album (set) this track belongs to, if any.
    pub parent_id: Option<i64>,
    pub user: PayloadUser,
    pub url: String,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub track_number: Option<i32>,
    pub track_total: Option<i32>,
    pub disc_number: Option<i32>,
    /// Relative to the server's output folder (`/`-separated); `null` unless completed.
    pub file_path: Option<String>,
    /// Bytes.
    pub file_size: Option<i64>,
    /// Seconds.
    pub duration: Option<f64>,
    pub status: DownloadStatus,
    /// A stable code for why a download failed; `null` unless it did.
    pub error_class: Option<ErrorClass>,
    /// The same failure as the web page shows it, for people.
    pub error: Option<String>,
    /// `album_completed` only: how the album's tracks ended.
    pub tracks: Option<TrackSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadUser {
    pub id: i64,
    pub username: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackSummary {
    pub total: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Already in the library ("already have it"), so not downloaded again.
    pub skipped: i64,
}

impl From<TrackCounts> for TrackSummary {
    fn from(c: TrackCounts) -> Self {
        Self {
            total: c.total,
            completed: c.completed,
            failed: c.failed,
            cancelled: c.cancelled,
            skipped: c.skipped,
        }
    }
}

/// Why a download failed, as a code a program can switch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The site wants a signed-in user (or cookies), or the item is age-restricted.
    SignInRequired,
    GeoBlocked,
    /// Removed, private, not found.
    Unavailable,
    /// No extractor or format for this URL.
    Unsupported,
    /// The address policy refused an address the download needed (SEC-4, SEC-40).
    RefusedAddress,
    /// A limit of this server: size, duration, playlist entries, live streams (SEC-41).
    LimitExceeded,
    DiskFull,
    /// Network trouble that outlasted the retries.
    Network,
    Other,
}

/// Classifies a failed download's message. The messages are the server's own classified
/// ones (`jobs::errors`), never tool output, so a keyword table is enough; anything new
/// falls to `other` until it is added here.
pub fn error_class_of(message: &str) -> ErrorClass {
    let m = message.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(&["sign-in", "sign in", "cookies", "age-restricted"]) {
        ErrorClass::SignInRequired
    } else if has(&["geo-blocked", "location"]) {
        ErrorClass::GeoBlocked
    } else if has(&["does not allow", "private or refused", "refused address"]) {
        ErrorClass::RefusedAddress
    } else if has(&[
        "folder is full",
        "free space",
        "free some space",
        "min_free",
    ]) {
        ErrorClass::DiskFull
    } else if has(&["max_", "too large", "too long", "live stream", "limit"]) {
        ErrorClass::LimitExceeded
    } else if has(&[
        "not supported",
        "no extractor",
        "no downloadable",
        "not point to an audio",
    ]) {
        ErrorClass::Unsupported
    } else if has(&["unavailable", "removed", "not found", "private"]) {
        ErrorClass::Unavailable
    } else if has(&[
        "network",
        "connect",
        "timed out",
        "resolve",
        "rate",
        "server error",
    ]) {
        ErrorClass::Network
    } else {
        ErrorClass::Other
    }
}

impl WebhookPayload {
    /// The payload for `row`; `user` is its owner.
    pub fn for_row(
        event: WebhookEvent,
        delivery_id: String,
        row: &DownloadRow,
        user: PayloadUser,
    ) -> Self {
        let failed = row.status == DownloadStatus::Failed;
        Self {
            schema_version: SCHEMA_VERSION,
            delivery_id,
            event,
            occurred_at: row.completed_at.unwrap_or_else(Utc::now),
            download_id: row.id,
            parent_id: row.parent_id,
            user,
            url: row.url.clone(),
            title: row.title.clone(),
            artist: row.artist.clone(),
            album: row.album.clone(),
            album_artist: row.album_artist.clone(),
            track_number: row.track_number,
            track_total: row.track_total,
            disc_number: row.disc_number,
            file_path: row.file_path.clone(),
            file_size: row.file_size,
            duration: row.duration,
            status: row.status,
            error_class: failed.then(|| error_class_of(row.error.as_deref().unwrap_or(""))),
            error: if failed { row.error.clone() } else { None },
            tracks: row.tracks.map(TrackSummary::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_s_failure_messages_get_their_class() {
        let cases = [
            (
                "The site asks for sign-in: add cookies",
                ErrorClass::SignInRequired,
            ),
            (
                "Not available from this server's location (geo-blocked)",
                ErrorClass::GeoBlocked,
            ),
            (
                "The item is unavailable: it may have been removed",
                ErrorClass::Unavailable,
            ),
            (
                "This URL is not supported: no extractor recognises it",
                ErrorClass::Unsupported,
            ),
            (
                "The link points at a private or refused address",
                ErrorClass::RefusedAddress,
            ),
            (
                "The download folder is full: free some space, will retry",
                ErrorClass::DiskFull,
            ),
            ("Something odd", ErrorClass::Other),
        ];
        for (message, class) in cases {
            assert_eq!(error_class_of(message), class, "{message}");
        }
    }

    #[test]
    fn error_classes_are_snake_case_on_the_wire() {
        assert_eq!(
            serde_json::to_value(ErrorClass::SignInRequired).unwrap(),
            "sign_in_required"
        );
    }
}
