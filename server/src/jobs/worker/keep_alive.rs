//! The companion task of a running job: heartbeats (which also bring cancel requests from
//! any instance), throttled progress events, and stopping the job on shutdown.

use super::{JobRunner, LiveJob, PROGRESS_EVENT_INTERVAL};
use crate::{
    domain::{DownloadStatus, Progress},
    store::Heartbeat,
};
use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};
use tokio::sync::watch;

impl JobRunner {
    /// While a job runs: heartbeat (and learn of cancel requests), publish throttled
    /// progress, and stop the job when the server shuts down.
    pub(super) async fn keep_alive(
        self: Arc<Self>,
        job: LiveJob,
        mut progress: watch::Receiver<Progress>,
    ) {
        let LiveJob {
            id,
            row,
            cancel,
            user_cancelled,
            stop,
        } = job;
        let every = (self.settings.stale_after / 6)
            .clamp(Duration::from_millis(200), Duration::from_secs(10));
        let mut heartbeat = tokio::time::interval(every);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_event = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = stop.cancelled() => { cancel.cancel(); return; }
                _ = cancel.cancelled() => return,
                changed = progress.changed() => {
                    if changed.is_err() { return; }
                    let wait = PROGRESS_EVENT_INTERVAL.saturating_sub(last_event.elapsed());
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    last_event = tokio::time::Instant::now();
                    let snapshot = progress.borrow_and_update().clone();
                    let mut current = row.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    // Resolving and running both show as downloading with their phase.
                    current.status = DownloadStatus::Downloading;
                    self.publish(&current, Some(snapshot)).await;
                }
                _ = heartbeat.tick() => {
                    let snapshot = serde_json::to_value(&*progress.borrow()).ok();
                    match self.store.heartbeat(id, &self.worker_id, snapshot).await {
                        Ok(Heartbeat::Running) => {}
                        Ok(Heartbeat::CancelRequested) => {
                            user_cancelled.store(true, Ordering::SeqCst);
                            cancel.cancel();
                            return;
                        }
                        Ok(Heartbeat::Lost) => { cancel.cancel(); return; }
                        Err(err) => tracing::warn!(job = id, error = ?err, "heartbeat failed"),
                    }
                }
            }
        }
    }
}
