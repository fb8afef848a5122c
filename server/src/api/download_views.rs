//! How downloads look on the wire (REST bodies and the event stream), mapped from the
//! domain's `DownloadRow` at the edge so the database's columns never leak by accident.

use super::serde_json_body::rfc3339;
use crate::{
    domain::{AudioFormat, DownloadStatus, Phase, Progress},
    jobs::events::{LiveState, LiveUpdate},
    store::DownloadRow,
};
use chrono::{DateTime, Utc};
use poem_openapi::{Object, Union};
use serde::Serialize;

/// Live progress of a running download.
#[derive(Debug, Clone, Default, Object, PartialEq, Serialize)]
pub struct ProgressView {
    #[oai(nullable)]
    pub downloaded_bytes: Option<u64>,
    #[oai(nullable)]
    pub total_bytes: Option<u64>,
    /// 0–100.
    #[oai(nullable)]
    pub percent: Option<f64>,
    /// Bytes per second.
    #[oai(nullable)]
    pub speed: Option<f64>,
    /// Seconds left.
    #[oai(nullable)]
    pub eta: Option<f64>,
    pub phase: Phase,
}

impl From<Progress> for ProgressView {
    fn from(p: Progress) -> Self {
        Self {
            downloaded_bytes: p.downloaded_bytes,
            total_bytes: p.total_bytes,
            percent: p.percent,
            speed: p.speed_bps,
            eta: p.eta_seconds,
            phase: p.phase,
        }
    }
}

/// How the tracks of a set stand: `completed` of `total` done.
#[derive(Debug, Clone, Copy, Object, Serialize)]
pub struct TrackSummary {
    pub total: i64,
    pub completed: i64,
    pub failed: i64,
    pub cancelled: i64,
    /// Already in the library (the track's `file_path` is the file it matched).
    pub skipped: i64,
    /// Waiting or downloading.
    pub active: i64,
}

impl From<crate::store::TrackCounts> for TrackSummary {
    fn from(c: crate::store::TrackCounts) -> Self {
        Self {
            total: c.total,
            completed: c.completed,
            failed: c.failed,
            cancelled: c.cancelled,
            skipped: c.skipped,
            active: c.active,
        }
    }
}

// Sent by poem-openapi (`Json`) and by serde (`JsonBytes`, the history page); `tests` below
// pins both to the same JSON. (A `//` comment: `///` would go into the OpenAPI document.)
/// A download as its owner sees it (the REST and SSE shape).
#[derive(Debug, Clone, Object, Serialize)]
#[oai(rename = "Download")]
pub struct DownloadView {
    pub id: i64,
    pub url: String,
    /// The extractor plugin that handles the URL.
    #[oai(nullable)]
    pub plugin: Option<String>,
    #[oai(nullable)]
    pub title: Option<String>,
    #[oai(nullable)]
    pub artist: Option<String>,
    #[oai(nullable)]
    pub album: Option<String>,
    /// A set's track: the album's artist (the set's uploader when the site names none).
    #[oai(nullable)]
    pub album_artist: Option<String>,
    /// A set's track: the site's track number, else its position in the set.
    #[oai(nullable)]
    pub track_number: Option<i32>,
    /// A set's track: how many tracks the set has.
    #[oai(nullable)]
    pub track_total: Option<i32>,
    #[oai(nullable)]
    pub disc_number: Option<i32>,
    #[oai(nullable)]
    pub year: Option<i32>,
    /// A set's track: the title of the album, playlist or feed it was listed in.
    #[oai(nullable)]
    pub set_title: Option<String>,
    /// Seconds.
    #[oai(nullable)]
    pub duration: Option<f64>,
    pub format: AudioFormat,
    pub status: DownloadStatus,
    /// Only while downloading.
    #[oai(nullable)]
    pub progress: Option<ProgressView>,
    /// Relative to the output folder. A `skipped` track: the library's file it matched.
    #[oai(nullable)]
    pub file_path: Option<String>,
    #[oai(nullable)]
    pub file_size: Option<i64>,
    /// The yt-dlp version that fetched the file; `null` for direct downloads (and files
    /// fetched before versions were recorded).
    #[oai(nullable)]
    pub ytdlp_version: Option<String>,
    /// What went wrong, with a hint.
    #[oai(nullable)]
    pub error: Option<String>,
    pub attempts: i32,
    /// The playlist or album this track came from.
    #[oai(nullable)]
    pub parent_id: Option<i64>,
    /// A set (album, playlist, feed): how its tracks stand. `null` for single tracks.
    #[oai(nullable)]
    pub tracks: Option<TrackSummary>,
    /// A set: `album` or `playlist` (a playlist also gets an `.m3u8`). `null` otherwise.
    #[oai(nullable)]
    pub set_kind: Option<crate::domain::SetKind>,
    #[serde(with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[oai(nullable)]
    #[serde(with = "rfc3339::option")]
    pub started_at: Option<DateTime<Utc>>,
    #[oai(nullable)]
    #[serde(with = "rfc3339::option")]
    pub completed_at: Option<DateTime<Utc>>,
}

impl DownloadView {
    /// The row as stored, with `live` progress (fresher than the row's) when it runs.
    pub fn new(r: DownloadRow, live: Option<Progress>) -> Self {
        let running = r.status == DownloadStatus::Downloading;
        let progress = live.or_else(|| r.progress.map(|p| p.0));
        Self {
            id: r.id,
            url: r.url,
            plugin: r.plugin,
            title: r.title,
            artist: r.artist,
            album: r.album,
            album_artist: r.album_artist,
            track_number: r.track_number,
            track_total: r.track_total,
            disc_number: r.disc_number,
            year: r.release_year,
            set_title: r.set_title,
            duration: r.duration,
            format: r.format,
            progress: progress.filter(|_| running).map(Into::into),
            status: r.status,
            file_path: r.file_path,
            file_size: r.file_size,
            ytdlp_version: r.ytdlp_version,
            error: r.error,
            attempts: r.attempts,
            parent_id: r.parent_id,
            tracks: r.tracks.map(Into::into),
            set_kind: r.set_kind,
            created_at: r.created_at,
            started_at: r.started_at,
            completed_at: r.completed_at,
        }
    }
}

impl From<DownloadRow> for DownloadView {
    fn from(r: DownloadRow) -> Self {
        Self::new(r, None)
    }
}

/// A download removed from the history.
#[derive(Debug, Clone, Object)]
pub struct DeletedDownload {
    pub id: i64,
}

/// Sent when this stream missed updates: reload the list.
#[derive(Debug, Clone, Object)]
pub struct Resync {}

/// One event of `GET /api/downloads/events`; the SSE event type names the variant
/// (`download`, `deleted`, `resync`) and `data` is its JSON.
#[derive(Debug, Clone, Union)]
pub enum DownloadStreamEvent {
    Download(Box<DownloadView>),
    Deleted(DeletedDownload),
    Resync(Resync),
}

impl DownloadStreamEvent {
    pub fn from_update(update: &LiveUpdate) -> Self {
        match &update.state {
            LiveState::Updated { download, progress } => Self::Download(Box::new(
                DownloadView::new(download.as_ref().clone(), progress.clone()),
            )),
            LiveState::Deleted => Self::Deleted(DeletedDownload {
                id: update.download_id,
            }),
        }
    }

    /// The SSE event: its type, its JSON data, and the stream's running number.
    pub fn to_sse(&self, id: u64) -> poem::web::sse::Event {
        let (kind, data) = match self {
            Self::Download(d) => ("download", poem_openapi::types::ToJSON::to_json_string(d)),
            Self::Deleted(d) => ("deleted", poem_openapi::types::ToJSON::to_json_string(d)),
            Self::Resync(r) => ("resync", poem_openapi::types::ToJSON::to_json_string(r)),
        };
        poem::web::sse::Event::message(data)
            .event_type(kind)
            .id(id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SetKind;
    use poem_openapi::types::ToJSON;

    /// Every field set, including the nested progress and track summary.
    fn full() -> DownloadView {
        let at = DateTime::parse_from_rfc3339("2026-11-30T06:01:02.123456Z")
            .unwrap()
            .to_utc();
        DownloadView {
            id: 7,
            url: "https://example.com/a \"quoted\" ünïcode \u{1F3B5}".into(),
            plugin: Some("generic".into()),
            title: Some("Title\nwith a newline".into()),
            artist: Some("Artist".into()),
            album: Some("Album".into()),
            album_artist: Some("Album Artist".into()),
            track_number: Some(3),
            track_total: Some(12),
            disc_number: Some(1),
            year: Some(1999),
            set_title: Some("Set".into()),
            duration: Some(187.25),
            format: AudioFormat::Flac,
            status: DownloadStatus::Downloading,
            progress: Some(ProgressView {
                downloaded_bytes: Some(1024),
                total_bytes: Some(u64::MAX),
                percent: Some(12.5),
                speed: Some(1.0e9),
                eta: Some(0.0),
                phase: Phase::Converting,
            }),
            file_path: Some("Artist/Album/03 Title.flac".into()),
            file_size: Some(123_456_789),
            ytdlp_version: Some("2025.11.12".into()),
            error: Some("HTTP 404: not found".into()),
            attempts: 2,
            parent_id: Some(6),
            tracks: Some(TrackSummary {
                total: 12,
                completed: 3,
                failed: 1,
                cancelled: 0,
                skipped: 2,
                active: 6,
            }),
            set_kind: Some(SetKind::Album),
            created_at: at,
            started_at: Some(at),
            completed_at: Some(at),
        }
    }

    /// Every optional field absent.
    fn bare() -> DownloadView {
        DownloadView {
            plugin: None,
            title: None,
            artist: None,
            album: None,
            album_artist: None,
            track_number: None,
            track_total: None,
            disc_number: None,
            year: None,
            set_title: None,
            duration: None,
            status: DownloadStatus::Pending,
            progress: None,
            file_path: None,
            file_size: None,
            ytdlp_version: None,
            error: None,
            parent_id: None,
            tracks: None,
            set_kind: None,
            started_at: None,
            completed_at: None,
            ..full()
        }
    }

    /// The history page is written by serde, every other body by poem-openapi: both must give
    /// the same JSON, or the OpenAPI document (made from the `Object` side) would describe a
    /// body the page does not send.
    #[test]
    fn serde_and_poem_openapi_write_the_same_download() {
        for view in [full(), bare()] {
            let by_serde = serde_json::to_string(&view).unwrap();
            let by_openapi = view.to_json_string();
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&by_serde).unwrap(),
                serde_json::from_str::<serde_json::Value>(&by_openapi).unwrap(),
                "serde: {by_serde}\npoem-openapi: {by_openapi}"
            );
        }
        // Absent fields are sent as null, not left out (the schema marks them nullable).
        let bare = serde_json::to_value(bare()).unwrap();
        assert_eq!(bare["completed_at"], serde_json::Value::Null);
        assert!(bare.as_object().unwrap().contains_key("progress"));
    }
}
