//! A download's end becomes queued deliveries: one per webhook that hears its owner and
//! wants the event. Queuing is a few inserts; sending happens later, in `delivery.rs`, so a
//! slow or dead receiver never holds up (or fails) the download.

use super::{
    WebhookService,
    payload::{PayloadUser, WebhookPayload},
};
use crate::{
    domain::{DownloadStatus, WebhookEvent},
    store::{DownloadRow, NewDelivery, StoreResult},
};

impl WebhookService {
    /// Queues the deliveries for `row`, which just ended, and for `album` (its parent, with
    /// its track counts) when it was the album's last track. Returns how many were queued.
    pub async fn enqueue(
        &self,
        row: &DownloadRow,
        album: Option<&DownloadRow>,
    ) -> StoreResult<u64> {
        let hooks = self.store.webhooks_hearing(row.user_id).await?;
        if hooks.is_empty() {
            return Ok(0);
        }
        let user = PayloadUser {
            id: row.user_id,
            username: self
                .store
                .user_by_id(row.user_id)
                .await?
                .map(|u| u.username)
                .unwrap_or_default(),
        };
        let own_event = match row.status {
            // A set's parent completes when it is expanded, without a file: only its
            // tracks (and the album event) are news.
            DownloadStatus::Completed if row.file_path.is_some() => Some(WebhookEvent::Completed),
            DownloadStatus::Failed => Some(WebhookEvent::Failed),
            _ => None,
        };
        let mut deliveries = Vec::new();
        for hook in &hooks {
            let mut queue = |event: WebhookEvent,
                             subject: &DownloadRow,
                             dedupe_key: Option<String>| {
                if !hook.wants(event) {
                    return;
                }
                let delivery_id = uuid::Uuid::new_v4().to_string();
                let payload =
                    WebhookPayload::for_row(event, delivery_id.clone(), subject, user.clone());
                match serde_json::to_string(&payload) {
                    Ok(payload) => deliveries.push(NewDelivery {
                        webhook_id: hook.id,
                        delivery_id,
                        event,
                        download_id: subject.id,
                        dedupe_key,
                        payload,
                    }),
                    Err(err) => tracing::error!(error = %err, "webhook payload did not serialize"),
                }
            };
            if let Some(event) = own_event {
                queue(event, row, None);
            }
            if let Some(album) = album {
                // One album event per album and webhook, even if two last tracks end at once.
                queue(
                    WebhookEvent::AlbumCompleted,
                    album,
                    Some(format!("album:{}", album.id)),
                );
            }
        }
        self.store.enqueue_deliveries(deliveries).await
    }
}
