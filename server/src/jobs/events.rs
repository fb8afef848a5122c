//! Live download updates for Server-Sent Events: every status change and (throttled)
//! progress update of a download, delivered to its owner's open streams.
//!
//! Publishers send a `DownloadEvent` (ids, and progress when running). With PostgreSQL the
//! event travels through NOTIFY so a client connected to any instance sees jobs run by any
//! other; each instance reads the row once and hands every local stream the same
//! `LiveUpdate`. With SQLite the publisher's own row is used and nothing is read again.
//! Updates are numbered per instance; a stream that falls behind is told to resync.

use crate::{
    domain::{DownloadChange, DownloadEvent, Progress},
    store::{DownloadRow, Store},
};
use futures_util::StreamExt;
use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// How many updates a slow stream may fall behind before it is told to resync.
const BACKLOG: usize = 1024;

/// One update, as every local stream receives it.
#[derive(Debug, Clone)]
pub struct LiveUpdate {
    /// Increasing on this instance (a gap means an update was missed).
    pub seq: u64,
    pub user_id: i64,
    pub download_id: i64,
    pub state: LiveState,
}

#[derive(Debug, Clone)]
pub enum LiveState {
    Updated {
        download: Box<DownloadRow>,
        progress: Option<Progress>,
    },
    Deleted,
}

pub struct EventHub {
    local: broadcast::Sender<Arc<LiveUpdate>>,
    store: Arc<dyn Store>,
    seq: AtomicU64,
    cross_instance: bool,
}

impl EventHub {
    /// Subscribes to the database's event channel when it has one.
    pub async fn start(
        store: Arc<dyn Store>,
        stop: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        let (local, _) = broadcast::channel(BACKLOG);
        let remote = store.subscribe_events().await?;
        let hub = Arc::new(Self {
            local,
            store,
            seq: AtomicU64::new(0),
            cross_instance: remote.is_some(),
        });
        if let Some(mut remote) = remote {
            let hub = hub.clone();
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        next = remote.next() => match next {
                            Some(payload) => match serde_json::from_str::<DownloadEvent>(&payload) {
                                Ok(event) => hub.deliver(event, None).await,
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

    /// Delivers an event to the owner's streams on every instance. `row` is the download as
    /// the publisher just saw it, when it has it (saves a read on this instance).
    pub async fn publish(&self, event: DownloadEvent, row: Option<&DownloadRow>) {
        if self.cross_instance {
            // Serialising ids, numbers and a phase cannot fail.
            let payload = serde_json::to_string(&event).unwrap_or_default();
            match self.store.publish_event(&payload).await {
                // Our own LISTEN delivers it here too.
                Ok(true) => return,
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(error = ?err, "event publish failed; delivering locally")
                }
            }
        }
        self.deliver(event, row.cloned()).await;
    }

    /// Shorthand for "this row changed".
    pub async fn publish_row(&self, row: &DownloadRow, progress: Option<Progress>) {
        let event = DownloadEvent {
            user_id: row.user_id,
            download_id: row.id,
            change: DownloadChange::Updated {
                status: row.status,
                progress,
            },
        };
        self.publish(event, Some(row)).await;
    }

    async fn deliver(&self, event: DownloadEvent, row: Option<DownloadRow>) {
        let state = match event.change {
            DownloadChange::Deleted => LiveState::Deleted,
            DownloadChange::Updated { status, progress } => {
                let mut row = match row {
                    Some(row) => row,
                    None => match self
                        .store
                        .download_for_user(event.download_id, event.user_id)
                        .await
                    {
                        Ok(Some(row)) => row,
                        // Deleted meanwhile: its own event follows.
                        Ok(None) => return,
                        Err(err) => {
                            tracing::warn!(error = ?err, "reading an updated download failed");
                            return;
                        }
                    },
                };
                // Show the step this event announced, even if the row has moved on since:
                // the next event brings the rest.
                row.status = status;
                // A completed set's event carries how its tracks stand (progress events of
                // singles never pay for the query).
                if status == crate::domain::DownloadStatus::Completed
                    && row.parent_id.is_none()
                    && progress.is_none()
                    && let Err(err) = crate::store::attach_track_counts(
                        &*self.store,
                        event.user_id,
                        std::slice::from_mut(&mut row),
                    )
                    .await
                {
                    tracing::warn!(error = ?err, "counting a set's tracks failed");
                }
                LiveState::Updated {
                    download: Box::new(row),
                    progress,
                }
            }
        };
        let update = LiveUpdate {
            seq: self.seq.fetch_add(1, Ordering::Relaxed) + 1,
            user_id: event.user_id,
            download_id: event.download_id,
            state,
        };
        let _ = self.local.send(Arc::new(update));
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<LiveUpdate>> {
        self.local.subscribe()
    }
}
