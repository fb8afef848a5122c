//! The hand-off vocabulary: which download events a webhook can subscribe to, where a
//! webhook delivery stands, and which media servers can be told to rescan. Each is a `TEXT`
//! column with a `CHECK` listing the same names (`0006_webhooks.sql`).

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

/// What happened to a download, as a webhook hears it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum WebhookEvent {
    /// A download (a single, or one track of an album) completed.
    Completed,
    /// A download failed for good (no retry left).
    Failed,
    /// The last track of an album (a set expanded into tracks) ended.
    AlbumCompleted,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 3] = [Self::Completed, Self::Failed, Self::AlbumCompleted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::AlbumCompleted => "album_completed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

/// Where one webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// An instance is sending it now.
    Delivering,
    /// The receiver answered 2xx.
    Delivered,
    /// Out of attempts, or refused by the address policy.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivering => "delivering",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// A media server that can be asked to rescan its library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum MediaServerKind {
    /// Navidrome, or any Subsonic/OpenSubsonic server (`/rest/startScan`).
    Subsonic,
    /// Jellyfin (`POST /Library/Media/Updated`).
    Jellyfin,
}

impl MediaServerKind {
    pub const ALL: [MediaServerKind; 2] = [Self::Subsonic, Self::Jellyfin];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subsonic => "subsonic",
            Self::Jellyfin => "jellyfin",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_api_and_the_database() {
        for e in WebhookEvent::ALL {
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
            assert_eq!(WebhookEvent::parse(e.as_str()), Some(e));
        }
        for k in MediaServerKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
        assert_eq!(
            serde_json::to_value(DeliveryStatus::Delivering).unwrap(),
            DeliveryStatus::Delivering.as_str()
        );
    }
}
