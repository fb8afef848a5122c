//! The job runner: claims jobs from the database queue, resolves them through their plugin,
//! runs the executor, keeps a heartbeat, publishes progress, and records the outcome.
//!
//! Up to `MAX_CONCURRENT_DOWNLOADS` jobs run at once per instance. A job that fails with a
//! transient error goes back to the queue with capped exponential backoff and jitter. On
//! shutdown (SEC-31) claiming stops, running jobs are stopped (SEC-7) and put back to
//! `pending` without counting the attempt.

use super::{
    ExecutionError, ExecutionRequest, FetchAction, Finished, Phase, Progress, TrackMetadataHint,
    execute, limits::volume_has_room, remove_job_temp,
};
use crate::{
    domain::DownloadStatus,
    jobs::events::EventHub,
    plugins::PluginRegistry,
    store::{DownloadRow, Store},
};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::sync::{Notify, Semaphore, watch};
use tokio_util::sync::CancellationToken;

mod keep_alive;
mod library;
mod outcome;
mod resolve;
mod settings;
mod stored_action;

pub use settings::{OutcomeListener, RunnerSettings, TrackLibrary};
pub use stored_action::StoredAction;

/// How often an idle worker looks for jobs queued by other instances.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// At most this many progress events per second per download.
const PROGRESS_EVENT_INTERVAL: Duration = Duration::from_millis(250);

/// A running job that can be stopped from this instance.
struct RunningJob {
    cancel: CancellationToken,
    user_cancelled: Arc<AtomicBool>,
}

pub struct JobRunner {
    store: Arc<dyn Store>,
    plugins: Arc<PluginRegistry>,
    events: Arc<EventHub>,
    settings: RunnerSettings,
    worker_id: String,
    wake: Notify,
    running: Mutex<HashMap<i64, RunningJob>>,
    /// Whether claiming is paused for lack of disk space (logged on each change).
    disk_full: AtomicBool,
    /// Held while a playlist's tracks are read and its file written. When two tracks of one
    /// playlist end together, both see it finished; one at a time, the second reads the newer
    /// list and, in this process, finds the file already written. (Two instances behind one
    /// PostgreSQL may still both write it: atomically, with the same text.)
    playlist_writes: tokio::sync::Mutex<()>,
}

/// What the heartbeat task of one running job needs.
struct LiveJob {
    id: i64,
    /// The job's row as last saved (progress events show it with the live progress).
    row: Arc<Mutex<DownloadRow>>,
    cancel: CancellationToken,
    user_cancelled: Arc<AtomicBool>,
    stop: CancellationToken,
}

enum Outcome {
    File(Box<Finished>),
    /// A playlist became child jobs.
    Expanded,
    /// The library already holds the track.
    AlreadyHave(library::LibraryMatch),
}

impl JobRunner {
    pub fn new(
        store: Arc<dyn Store>,
        plugins: Arc<PluginRegistry>,
        events: Arc<EventHub>,
        settings: RunnerSettings,
    ) -> Arc<Self> {
        let boot: [u8; 6] = rand::random();
        let worker_id = format!("{}:{}", settings.instance_id, hex::encode(boot));
        Arc::new(Self {
            store,
            plugins,
            events,
            settings,
            worker_id,
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            disk_full: AtomicBool::new(false),
            playlist_writes: tokio::sync::Mutex::new(()),
        })
    }

    /// Tells an idle worker that a job is waiting.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `stop` is cancelled, then stops and requeues what is running.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        self.recover(Some(&self.settings.dead_worker_prefix)).await;
        let recovery = tokio::spawn(self.clone().recover_periodically(stop.clone()));
        let slots = Arc::new(Semaphore::new(self.settings.max_concurrent));
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            while tasks.try_join_next().is_some() {}
            let permit = tokio::select! {
                _ = stop.cancelled() => break,
                permit = slots.clone().acquire_owned() => permit.expect("semaphore never closes"),
            };
            if !self.volume_has_room().await {
                drop(permit);
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                }
                continue;
            }
            let limits = &self.settings.executor.limits;
            match self
                .store
                .claim_next_job(
                    &self.worker_id,
                    chrono::Utc::now(),
                    limits.max_running_per_user,
                )
                .await
            {
                Ok(Some(job)) => {
                    let runner = self.clone();
                    let stop = stop.clone();
                    tasks.spawn(async move {
                        runner.run_job(job, stop).await;
                        drop(permit);
                    });
                }
                Ok(None) => {
                    drop(permit);
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(IDLE_POLL) => {}
                    }
                }
                Err(err) => {
                    drop(permit);
                    tracing::warn!(error = ?err, "claiming a job failed");
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(IDLE_POLL) => {}
                    }
                }
            }
        }
        // Running jobs see `stop` through their heartbeat task and release themselves.
        while tasks.join_next().await.is_some() {}
        recovery.abort();
        tracing::info!("job runner stopped");
    }

    /// SEC-41: claiming pauses while the output volume is below its free-space floor (said
    /// once in the log, and again when it recovers).
    async fn volume_has_room(&self) -> bool {
        let out = self.settings.executor.output_directory.clone();
        let limits = self.settings.executor.limits.clone();
        let room = tokio::task::spawn_blocking(move || volume_has_room(&out, &limits))
            .await
            .unwrap_or(true);
        if room == self.disk_full.swap(!room, Ordering::Relaxed) {
            if room {
                tracing::info!("the output volume has room again; claiming jobs");
            } else {
                tracing::warn!(
                    min_free_mib = self.settings.executor.limits.min_free_bytes >> 20,
                    "the output volume is below MIN_FREE_SPACE_MB; no job is started until space is freed"
                );
            }
        }
        room
    }

    async fn recover_periodically(self: Arc<Self>, stop: CancellationToken) {
        let every = (self.settings.stale_after / 2).max(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(every) => self.recover(None).await,
            }
        }
    }

    /// Returns stale jobs to the queue (or fails them) and removes their temp folders (SEC-30).
    async fn recover(&self, dead_prefix: Option<&str>) {
        let stale_before = chrono::Utc::now()
            - chrono::Duration::from_std(self.settings.stale_after).unwrap_or_default();
        match self
            .store
            .recover_stale_jobs(stale_before, self.settings.max_attempts, dead_prefix)
            .await
        {
            Ok(rows) => {
                for row in rows {
                    tracing::warn!(job = row.id, status = %row.status, "recovered an interrupted job");
                    self.count_end(&row);
                    let _ = remove_job_temp(&self.settings.executor, job_uuid(row.id)).await;
                    self.publish(&row, None).await;
                }
                self.wake();
            }
            Err(err) => tracing::warn!(error = ?err, "job recovery failed"),
        }
    }

    async fn run_job(self: Arc<Self>, job: DownloadRow, stop: CancellationToken) {
        let id = job.id;
        tracing::info!(job = id, url = %job.url, attempt = job.attempts, "job started");
        let cancel = CancellationToken::new();
        let user_cancelled = Arc::new(AtomicBool::new(false));
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                id,
                RunningJob {
                    cancel: cancel.clone(),
                    user_cancelled: user_cancelled.clone(),
                },
            );
        let row = Arc::new(Mutex::new(job.clone()));
        let (progress_tx, progress_rx) = watch::channel(Progress::phase(Phase::Resolving));
        self.publish(&job, Some(Progress::phase(Phase::Resolving)))
            .await;
        let live = LiveJob {
            id,
            row: row.clone(),
            cancel: cancel.clone(),
            user_cancelled: user_cancelled.clone(),
            stop: stop.clone(),
        };
        let keeper = tokio::spawn(self.clone().keep_alive(live, progress_rx));

        let outcome = self.attempt(&job, &row, progress_tx, cancel.clone()).await;
        // Wait for the heartbeat task to be gone: a progress event it was about to publish
        // must not arrive after the final status below.
        keeper.abort();
        let _ = keeper.await;
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);

        if matches!(outcome, Ok(Outcome::Expanded)) {
            return;
        }
        let saved = self
            .record_outcome(&job, outcome, user_cancelled.load(Ordering::SeqCst), &stop)
            .await;
        match saved {
            Ok(Some(row)) => {
                tracing::info!(job = id, status = %row.status, "job finished");
                self.count_end(&row);
                self.settings.handoff.download_ended(&row).await;
                self.publish(&row, None).await;
                // The set's summary (N of M done) changed with this track.
                if let Some(parent) = row.parent_id
                    && let Ok(Some(parent_row)) =
                        self.store.download_for_user(parent, row.user_id).await
                {
                    self.publish(&parent_row, None).await;
                    if row.status.is_final() {
                        self.track_of_set_ended(&parent_row).await;
                    }
                }
                if row.status == DownloadStatus::Pending {
                    self.wake();
                }
            }
            Ok(None) => tracing::info!(job = id, "job no longer ours; outcome dropped"),
            Err(err) => tracing::error!(job = id, error = ?err, "recording a job's outcome failed"),
        }
    }

    /// Resolves (unless the job already carries its action) and executes one attempt.
    async fn attempt(
        &self,
        job: &DownloadRow,
        live_row: &Mutex<DownloadRow>,
        progress: watch::Sender<Progress>,
        cancel: CancellationToken,
    ) -> Result<Outcome, ExecutionError> {
        let format = job.format;
        let (action, hint) = match job
            .action
            .as_ref()
            .and_then(|a| serde_json::from_value::<StoredAction>(a.0.clone()).ok())
        {
            Some(stored) => (FetchAction::from(stored), hint_from_row(job)),
            None => match self.resolve(job, format, &cancel).await? {
                Some(resolved) => {
                    *live_row.lock().unwrap_or_else(|e| e.into_inner()) = resolved.0.clone();
                    resolved.1
                }
                None => return Ok(Outcome::Expanded),
            },
        };
        // The duration as resolved (a plugin may know it), else as listed.
        let duration = live_row.lock().unwrap_or_else(|e| e.into_inner()).duration;
        if !job.force_download
            && let Some(found) = self.already_have(job, &hint, duration).await
        {
            return Ok(Outcome::AlreadyHave(found));
        }
        let user = match self.store.user_by_id(job.user_id).await {
            Ok(Some(u)) => u.username,
            _ => "unknown".into(),
        };
        let request = ExecutionRequest {
            job_id: job_uuid(job.id),
            source_url: job.url.clone(),
            action,
            metadata: hint,
            format,
            user,
        };
        execute(&self.settings.executor, request, progress, cancel)
            .await
            .map(|f| Outcome::File(Box::new(f)))
    }

    async fn publish(&self, row: &DownloadRow, progress: Option<Progress>) {
        self.events.publish_row(row, progress).await;
    }
}

impl crate::domain::JobQueue for JobRunner {
    fn wake(&self) {
        JobRunner::wake(self);
    }

    /// Stops a job running on this instance at once (other instances see the request on
    /// their next heartbeat).
    fn cancel_local(&self, id: i64) {
        if let Some(job) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
        {
            job.user_cancelled.store(true, Ordering::SeqCst);
            job.cancel.cancel();
        }
    }
}

fn hint_from_row(row: &DownloadRow) -> TrackMetadataHint {
    let number = |n: Option<i32>| n.and_then(|n| u32::try_from(n).ok()).filter(|n| *n > 0);
    // A set's entry (it has a parent) is an album track.
    let album_track = row.parent_id.map(|_| super::AlbumTrackHint {
        album_artist: row.album_artist.clone(),
        track_number: number(row.track_number),
        track_total: number(row.track_total),
        disc_number: number(row.disc_number),
        year: row.release_year,
    });
    TrackMetadataHint {
        title: row.title.clone(),
        artist: row.artist.clone(),
        album: row.album.clone(),
        cover_url: row.cover_url.clone(),
        album_track,
    }
}

/// Names a job's temp folder.
pub fn job_uuid(id: i64) -> uuid::Uuid {
    uuid::Uuid::from_u64_pair(0, id as u64)
}
