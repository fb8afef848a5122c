//! Where a download is, and the one place that says which moves are allowed.
//!
//! ```text
//!            claim               finish
//!  pending ─────────▶ downloading ──────▶ completed
//!     ▲  │               │  │  │
//!     │  │ cancel        │  │  └─ give up ──▶ failed ──┐
//!     │  ▼               │  └──── cancel ───▶ cancelled│
//!     │ cancelled ◀──────┘ (the worker stops)    │     │
//!     └──────────── retry (user) ◀───────────────┴─────┘
//!     └──────────── transient error, crash recovery, release (from downloading)
//!
//!  downloading ── the library already has it ──▶ skipped ── retry (user: force) ──▶ pending
//! ```

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

/// The status of a download job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
// `TEXT`: both backends store the name in a text column (with a CHECK), not a custom type.
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum DownloadStatus {
    /// Waiting in the queue (or for its next attempt).
    Pending,
    /// A worker holds it.
    Downloading,
    Completed,
    Failed,
    Cancelled,
    /// The library already held the track ("already have it"); `file_path` is the file it
    /// matched. A retry downloads it anyway.
    Skipped,
}

/// What a user can ask of one of their downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRequest {
    Cancel,
    Retry,
}

impl DownloadStatus {
    pub const ALL: [DownloadStatus; 6] = [
        Self::Pending,
        Self::Downloading,
        Self::Completed,
        Self::Failed,
        Self::Cancelled,
        Self::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Downloading => "downloading",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
        }
    }

    /// The state machine: may a download in `self` move to `next`?
    pub fn can_become(self, next: DownloadStatus) -> bool {
        use DownloadStatus::*;
        matches!(
            (self, next),
            (Pending, Downloading | Cancelled)
                | (
                    Downloading,
                    Pending | Completed | Failed | Cancelled | Skipped
                )
                | (Failed | Cancelled | Skipped, Pending)
        )
    }

    /// Whether the download has ended (nothing more happens to it unless a user retries).
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Downloading)
    }

    /// Where a user's request takes a download in `self`, if it is allowed. Cancelling a
    /// running download only asks its worker to stop: it stays `downloading` until it has.
    pub fn after(self, request: UserRequest) -> Option<DownloadStatus> {
        use DownloadStatus::*;
        let next = match (request, self) {
            (UserRequest::Cancel, Pending) => Cancelled,
            (UserRequest::Cancel, Downloading) => Downloading,
            // Retrying a skipped track downloads it although the library has it.
            (UserRequest::Retry, Failed | Cancelled | Skipped) => Pending,
            _ => return None,
        };
        debug_assert!(next == self || self.can_become(next));
        Some(next)
    }
}

impl std::fmt::Display for DownloadStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::{DownloadStatus::*, *};

    #[test]
    fn finished_downloads_only_move_back_to_the_queue() {
        for from in [Completed, Failed, Cancelled, Skipped] {
            for to in DownloadStatus::ALL {
                let allowed = from.can_become(to);
                assert_eq!(
                    allowed,
                    from != Completed && to == Pending,
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn a_queued_download_is_claimed_or_cancelled_and_nothing_else() {
        let next: Vec<_> = DownloadStatus::ALL
            .into_iter()
            .filter(|to| Pending.can_become(*to))
            .collect();
        assert_eq!(next, [Downloading, Cancelled]);
    }

    #[test]
    fn a_running_download_can_end_every_way_or_go_back_to_the_queue() {
        for to in [Pending, Completed, Failed, Cancelled, Skipped] {
            assert!(Downloading.can_become(to), "{to}");
        }
        assert!(!Downloading.can_become(Downloading));
    }

    #[test]
    fn users_cancel_active_downloads_and_retry_finished_unsuccessful_ones() {
        assert_eq!(Pending.after(UserRequest::Cancel), Some(Cancelled));
        assert_eq!(Downloading.after(UserRequest::Cancel), Some(Downloading));
        for s in [Completed, Failed, Cancelled, Skipped] {
            assert_eq!(s.after(UserRequest::Cancel), None, "{s}");
        }
        assert_eq!(Failed.after(UserRequest::Retry), Some(Pending));
        assert_eq!(Cancelled.after(UserRequest::Retry), Some(Pending));
        assert_eq!(Skipped.after(UserRequest::Retry), Some(Pending));
        for s in [Pending, Downloading, Completed] {
            assert_eq!(s.after(UserRequest::Retry), None, "{s}");
        }
    }

    #[test]
    fn only_queued_and_running_downloads_are_unfinished() {
        let open: Vec<_> = DownloadStatus::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .collect();
        assert_eq!(open, [Pending, Downloading]);
    }

    #[test]
    fn names_match_the_api_and_the_database() {
        for s in DownloadStatus::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(s.to_string(), s.as_str());
        }
    }
}
