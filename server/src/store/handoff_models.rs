//! Rows of the hand-off tables (`0006_webhooks.sql`): webhooks, their deliveries and the
//! media-server settings. Secrets are columns here and nowhere else: the API maps rows to
//! views that only say whether a secret is set.

use crate::domain::{DeliveryStatus, MediaServerKind, WebhookEvent};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: i64,
    /// `None`: a global webhook (an admin's), which hears every user's downloads.
    pub user_id: Option<i64>,
    pub url: String,
    pub secret: Option<String>,
    /// Comma-separated `WebhookEvent` names; read them with [`WebhookRow::events`].
    #[sqlx(rename = "events")]
    pub event_names: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl WebhookRow {
    pub fn events(&self) -> Vec<WebhookEvent> {
        self.event_names
            .split(',')
            .filter_map(WebhookEvent::parse)
            .collect()
    }

    pub fn wants(&self, event: WebhookEvent) -> bool {
        self.enabled && self.events().contains(&event)
    }
}

/// The stored form of a set of events.
pub fn event_names(events: &[WebhookEvent]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub user_id: Option<i64>,
    pub url: String,
    pub secret: Option<String>,
    pub events: Vec<WebhookEvent>,
}

/// A partial change; `secret: Some(None)` removes the secret.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub secret: Option<Option<String>>,
    pub events: Option<Vec<WebhookEvent>>,
    pub enabled: Option<bool>,
}

/// One payload queued for one webhook.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub webhook_id: i64,
    pub delivery_id: String,
    pub event: WebhookEvent,
    pub download_id: i64,
    /// Deliveries of one webhook with the same key are queued once.
    pub dedupe_key: Option<String>,
    pub payload: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub webhook_id: i64,
    pub delivery_id: String,
    pub event: WebhookEvent,
    pub download_id: Option<i64>,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A delivery a worker holds, with where it goes.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery: DeliveryRow,
    pub url: String,
    pub secret: Option<String>,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub status_code: Option<i32>,
    pub error: Option<String>,
    /// `Delivered`, `Failed` (for good), or `Pending` (retry at `retry_at`).
    pub next: DeliveryStatus,
    pub retry_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaServerRow {
    pub kind: MediaServerKind,
    pub base_url: String,
    pub username: Option<String>,
    pub secret: String,
    /// The media server's path for OUTPUT_DIRECTORY.
    pub library_path: String,
    /// Subsonic/Navidrome: the library a targeted scan names; `None`: scan everything.
    pub library_id: Option<i64>,
    pub enabled: bool,
    pub updated_at: DateTime<Utc>,
}
