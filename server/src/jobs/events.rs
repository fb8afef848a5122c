//! Download events for Server-Sent Events: every status change and (throttled) progress
//! update of a download, delivered to its owner's open streams. With PostgreSQL, events
//! travel through NOTIFY so a client connected to any instance sees jobs run by any other;
//! with SQLite they stay in process.

use crate::{downloads::DownloadView, store::Store};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// PostgreSQL's NOTIFY payload limit is 8000 bytes.
const MAX_NOTIFY_BYTES: usize = 7900;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DownloadEvent {
    pub user_id: i64,
    pub download: DownloadView,
}

pub struct EventHub {
    local: broadcast::Sender<Arc<DownloadEvent>>,
    store: Arc<dyn Store>,
    cross_instance: bool,
}

impl EventHub {
    /// Subscribes to the database's event channel when it has one.
    pub async fn start(
        store: Arc<dyn Store>,
        stop: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        let (local, _) = broadcast::channel(1024);
        let remote = store.subscribe_events().await?;
        let hub = Arc::new(Self {
            local: local.clone(),
            store,
            cross_instance: remote.is_some(),
        });
        if let Some(mut remote) = remote {
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        next = remote.next() => match next {
                            Some(payload) => match serde_json::from_str::<DownloadEvent>(&payload) {
                                Ok(event) => { let _ = local.send(Arc::new(event)); }
                                Err(err) => tracing::warn!(error = %err, "unreadable download event"),
                            },
                            None => return,
                        }
                    }
                }
            });
        }
        Ok(hub)
    }

    /// Delivers an event to the owner's streams on every instance.
    pub async fn publish(&self, event: DownloadEvent) {
        if self.cross_instance {
            let mut payload = serde_json::to_string(&event).unwrap_or_default();
            if payload.len() > MAX_NOTIFY_BYTES {
                // Long URLs and titles: the client refetches details it needs.
                let mut trimmed = event.clone();
                trimmed.download.url.truncate(256);
                trimmed.download.error = trimmed
                    .download
                    .error
                    .map(|e| e.chars().take(256).collect());
                payload = serde_json::to_string(&trimmed).unwrap_or_default();
            }
            match self.store.publish_event(&payload).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(error = ?err, "event publish failed; delivering locally")
                }
            }
        }
        let _ = self.local.send(Arc::new(event));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<DownloadEvent>> {
        self.local.subscribe()
    }
}
