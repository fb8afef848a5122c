//! Hand-off: what happens after a download ends (issue 12) — webhooks to the owner's and
//! the global receivers, and one debounced rescan of the media servers. The job runner
//! calls [`OutcomeListener::download_ended`] once per recorded outcome; nothing here can fail or
//! hold up the download (deliveries are queued in the database and sent by a background
//! task, rescans are debounced in memory).

pub mod outbound;
pub mod rescan;
pub mod webhooks;

use crate::jobs::worker::OutcomeListener;
use crate::store::{DownloadRow, Store, attach_track_counts};
use async_trait::async_trait;
use std::sync::Arc;

pub use rescan::RescanService;
pub use webhooks::{DeliveryWorker, WebhookService};

pub struct Handoff {
    pub store: Arc<dyn Store>,
    pub webhooks: Arc<WebhookService>,
    pub deliveries: Arc<DeliveryWorker>,
    pub rescans: Arc<RescanService>,
}

#[async_trait]
impl OutcomeListener for Handoff {
    /// A download's outcome was recorded. Rows still queued (a retry) are no news.
    async fn download_ended(&self, row: &DownloadRow) {
        if !row.status.is_final() {
            return;
        }
        let album = match row.parent_id {
            Some(parent) => self.finished_album(parent, row.user_id).await,
            None => None,
        };
        match self.webhooks.enqueue(row, album.as_ref()).await {
            Ok(0) => {}
            Ok(queued) => {
                tracing::debug!(job = row.id, queued, "webhook deliveries queued");
                self.deliveries.wake();
            }
            Err(err) => {
                tracing::warn!(job = row.id, error = ?err, "queuing webhook deliveries failed")
            }
        }
        self.rescans.note(row, album.is_some());
    }
}

impl Handoff {
    /// The album `parent` with its track counts, when none of its tracks is still to run.
    async fn finished_album(&self, parent: i64, user_id: i64) -> Option<DownloadRow> {
        let row = self
            .store
            .download_for_user(parent, user_id)
            .await
            .ok()
            .flatten()?;
        let mut rows = [row];
        attach_track_counts(self.store.as_ref(), user_id, &mut rows)
            .await
            .ok()?;
        let [row] = rows;
        row.tracks
            .is_some_and(|t| t.total > 0 && t.active == 0)
            .then_some(row)
    }
}
