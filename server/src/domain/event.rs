//! What changed about a download, for whoever follows it live (the owner's event streams).
//!
//! Events carry ids, not the download itself: between instances (PostgreSQL NOTIFY) the
//! payload stays small and bounded whatever a plugin stored in a title or URL, and the
//! receiving instance reads the row. Two small values ride along: the status the change
//! produced (by the time another instance reads the row it may have moved on, and a client
//! should still see every step in order), and progress, which is written to the row only on
//! heartbeats. Both are enums and numbers: bounded.

use super::{DownloadStatus, Progress};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadEvent {
    pub user_id: i64,
    pub download_id: i64,
    pub change: DownloadChange,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DownloadChange {
    /// Its row changed to `status`; a running job adds its latest progress.
    Updated {
        status: DownloadStatus,
        progress: Option<Progress>,
    },
    /// Removed from its owner's history.
    Deleted,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cross_instance_payload_is_small_whatever_the_download_holds() {
        let event = DownloadEvent {
            user_id: i64::MAX,
            download_id: i64::MAX,
            change: DownloadChange::Updated {
                status: DownloadStatus::Downloading,
                progress: Some(Progress {
                    downloaded_bytes: Some(u64::MAX),
                    total_bytes: Some(u64::MAX),
                    percent: Some(100.0),
                    speed_bps: Some(f64::MAX),
                    eta_seconds: Some(f64::MAX),
                    phase: super::super::Phase::Finalizing,
                }),
            },
        };
        let json = serde_json::to_string(&event).unwrap();
        // PostgreSQL's NOTIFY limit is 8000 bytes.
        assert!(json.len() < 1000, "{}", json.len());
        assert_eq!(serde_json::from_str::<DownloadEvent>(&json).unwrap(), event);
    }
}
