//! Persistence: one `Store` trait (accounts + downloads), one implementation per backend,
//! picked from the `DATABASE_URL` scheme. The queries are shared: the files of `queries/`
//! are plain Rust, compiled once per backend (`sqlite.rs` and `postgres.rs` include them as
//! modules with `#[path]`). Each backend supplies only what differs — how to connect, how to
//! open a write transaction, row locking for the job and delivery claims, and cross-instance
//! events — and writes its own history listing (`history.rs`).
//!
//! The store knows nothing of HTTP. Every method that changes state and has an audit entry
//! takes it as an argument and writes it in the same transaction.

mod handoff_models;
mod history;
pub mod models;
mod page_timestamps;
mod postgres;
mod sqlite;

pub use handoff_models::*;
pub use models::*;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::audit::AuditEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken.
    #[error("{0:?} already exists")]
    Conflict(Duplicate),
    /// The change would leave the system without an active admin.
    #[error("the last active admin cannot be disabled or demoted")]
    LastAdmin,
    /// Only the first account may register itself, and there is one already.
    #[error("registration is closed")]
    RegistrationClosed,
    #[error("not found")]
    NotFound,
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
        {
            // PostgreSQL names the constraint, SQLite the columns: both mention the column.
            let text = format!("{} {}", db.constraint().unwrap_or(""), db.message());
            return StoreError::Conflict(if text.contains("email") {
                Duplicate::Email
            } else if text.contains("username") {
                Duplicate::Username
            } else {
                Duplicate::ActiveDownload
            });
        }
        StoreError::Database(err)
    }
}

/// Which uniqueness rule a change broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duplicate {
    Username,
    Email,
    /// The same user, URL and format is already queued or running (`download_history_active`).
    ActiveDownload,
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Everything the server persists.
pub trait Store: AccountStore + DownloadStore + HistoryStore + JobStore + HandoffStore {}
impl<T: AccountStore + DownloadStore + HistoryStore + JobStore + HandoffStore> Store for T {}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// Cheap round trip for `/health`.
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a user; the first user ever becomes admin. The audit event's actor gets the
    /// new user's id when it has none.
    async fn create_user(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User>;
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>>;
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>>;
    /// Records a successful login: sets `last_login` and writes the audit entry.
    async fn record_login(&self, user_id: i64, audit: AuditEvent) -> StoreResult<User>;
    /// Sets the user's default format (`None`: `best`) and writes the audit entry.
    async fn set_default_format(
        &self,
        user_id: i64,
        format: Option<crate::domain::AudioFormat>,
        audit: AuditEvent,
    ) -> StoreResult<User>;
    /// Applies an admin's change; refuses to leave no active admin.
    async fn update_user(&self, id: i64, patch: UserPatch, audit: AuditEvent) -> StoreResult<User>;
    /// Stores a new password hash; with `revoke_sessions`, bumps the session generation so
    /// every token issued before is refused (SEC-12).
    async fn change_password(
        &self,
        id: i64,
        hashed_password: String,
        revoke_sessions: bool,
        audit: AuditEvent,
    ) -> StoreResult<User>;

    async fn blacklist_token(
        &self,
        jti: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    async fn is_token_blacklisted(&self, jti: &str) -> StoreResult<bool>;
    /// The user `user_id` and whether the token `jti` is blacklisted, in one round trip
    /// (the bearer guard asks this on every request); `None` when no such user exists.
    async fn session_user(&self, user_id: i64, jti: &str) -> StoreResult<Option<SessionUser>>;
    /// Deletes blacklist rows whose token has expired anyway (SEC-11).
    async fn purge_expired_tokens(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    async fn record_audit(&self, event: AuditEvent) -> StoreResult<()>;
    async fn list_audit(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditRow>>;
}

#[async_trait]
pub trait DownloadStore: Send + Sync + 'static {
    /// How many children of each of `parent_ids` (at most 100) are in each status:
    /// `(parent_id, status, count)`.
    async fn child_status_counts(
        &self,
        user_id: i64,
        parent_ids: &[i64],
    ) -> StoreResult<Vec<(i64, crate::domain::DownloadStatus, i64)>>;
    /// Queues a submission, unless the same user already has the same URL and format
    /// active: then that one is returned with `false` (the database's partial unique index
    /// decides, so concurrent submissions cannot both insert). The audit entry is written
    /// only on insert.
    async fn create_download(
        &self,
        new: NewSubmission,
        audit: AuditEvent,
    ) -> StoreResult<(DownloadRow, bool)>;
    async fn download_for_user(&self, id: i64, user_id: i64) -> StoreResult<Option<DownloadRow>>;
    /// How many of the user's downloads are pending or running (the SEC-41 queue cap).
    async fn count_active_downloads(&self, user_id: i64) -> StoreResult<i64>;
    /// Downloads waiting in the queue (every user's `pending` rows): the queue depth metric.
    async fn count_pending_downloads(&self) -> StoreResult<i64>;
    /// Cancels the user's pending downloads and asks their running ones to stop (a disabled
    /// account's jobs do not go on). Returns the rows changed.
    async fn stop_user_downloads(&self, user_id: i64) -> StoreResult<Vec<DownloadRow>>;
    async fn request_cancel(
        &self,
        id: i64,
        user_id: i64,
        audit: AuditEvent,
    ) -> StoreResult<Transition>;
    async fn retry_download(
        &self,
        id: i64,
        user_id: i64,
        audit: AuditEvent,
    ) -> StoreResult<Transition>;
    async fn delete_download(
        &self,
        id: i64,
        user_id: i64,
        audit: AuditEvent,
    ) -> StoreResult<Option<DownloadRow>>;
}

/// A user's history, a page at a time: the one query each backend writes its own way
/// (`history.rs`), because it is the page the web app loads most. The sets' track counts come
/// from [`DownloadStore::child_status_counts`].
#[async_trait]
pub trait HistoryStore: Send + Sync + 'static {
    async fn list_downloads(
        &self,
        user_id: i64,
        filter: DownloadFilter,
        page: PageRequest,
    ) -> StoreResult<Page<DownloadRow>>;
}

/// Fills `tracks` on the rows that are sets (top-level rows with children), in one query.
pub async fn attach_track_counts(
    store: &dyn Store,
    user_id: i64,
    rows: &mut [DownloadRow],
) -> StoreResult<()> {
    let ids: Vec<i64> = rows
        .iter()
        // Only sets have tracks (migration 0008 gave older sets their kind): a page of
        // single tracks costs no query.
        .filter(|r| r.set_kind.is_some() && r.parent_id.is_none() && r.user_id == user_id)
        .map(|r| r.id)
        .take(100)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let counts = store.child_status_counts(user_id, &ids).await?;
    for row in rows.iter_mut() {
        for (parent, status, n) in counts.iter().filter(|c| c.0 == row.id) {
            debug_assert_eq!(*parent, row.id);
            row.tracks
                .get_or_insert_with(TrackCounts::default)
                .add(*status, *n);
        }
    }
    Ok(())
}

/// The job queue, as workers use it.
#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Turns a resolved playlist into children and completes the parent, in one transaction.
    async fn expand_playlist(
        &self,
        parent_id: i64,
        worker_id: &str,
        parent: ResolvedMetadata,
        children: Vec<NewDownload>,
    ) -> StoreResult<Vec<DownloadRow>>;
    /// Claims a runnable pending job for `worker_id` (SEC-32, SEC-33), fairly (SEC-41): from
    /// the user with the fewest jobs running, then the one served least recently (round
    /// robin), skipping users already running `max_running_per_user`; a user's own jobs
    /// oldest first.
    async fn claim_next_job(
        &self,
        worker_id: &str,
        now: DateTime<Utc>,
        max_running_per_user: u32,
    ) -> StoreResult<Option<DownloadRow>>;
    async fn heartbeat(
        &self,
        id: i64,
        worker_id: &str,
        progress: Option<serde_json::Value>,
    ) -> StoreResult<Heartbeat>;
    async fn save_resolution(
        &self,
        id: i64,
        worker_id: &str,
        meta: ResolvedMetadata,
    ) -> StoreResult<Option<DownloadRow>>;
    /// Records the finished file; the file's own tags win over the plugin's guesses.
    async fn complete_job(
        &self,
        id: i64,
        worker_id: &str,
        file: CompletedFile,
    ) -> StoreResult<Option<DownloadRow>>;
    /// Fails a job, or puts it back to `pending` until `retry_at` when given.
    async fn fail_job(
        &self,
        id: i64,
        worker_id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Option<DownloadRow>>;
    async fn cancel_job(&self, id: i64, worker_id: &str) -> StoreResult<Option<DownloadRow>>;
    /// Ends a job `skipped`: the library already holds `matched_path` (relative to the output
    /// folder), which the row keeps as its file, with that file's duration when the row has
    /// none.
    async fn skip_job(
        &self,
        id: i64,
        worker_id: &str,
        matched_path: &str,
        duration: Option<f64>,
    ) -> StoreResult<Option<DownloadRow>>;
    /// The tracks of a set, in album order (disc, track, then listing order).
    async fn set_tracks(&self, parent_id: i64) -> StoreResult<Vec<DownloadRow>>;
    /// Puts a job this worker was running back to `pending` without counting the attempt (SEC-31).
    async fn release_job(&self, id: i64, worker_id: &str) -> StoreResult<Option<DownloadRow>>;
    /// Jobs whose heartbeat is older than `stale_before`, or whose worker id starts with
    /// `dead_worker_prefix` (this instance before a restart), go back to `pending`, or fail
    /// once `max_attempts` are spent (SEC-30). Returns the rows changed.
    async fn recover_stale_jobs(
        &self,
        stale_before: DateTime<Utc>,
        max_attempts: i32,
        dead_worker_prefix: Option<&str>,
    ) -> StoreResult<Vec<DownloadRow>>;
    /// Publishes an event to every instance (PostgreSQL NOTIFY). `false` when the backend has
    /// no cross-instance channel (SQLite): the caller delivers locally.
    async fn publish_event(&self, payload: &str) -> StoreResult<bool>;
    /// A stream of events published by any instance, when the backend has one.
    async fn subscribe_events(
        &self,
    ) -> StoreResult<Option<futures_util::stream::BoxStream<'static, String>>>;
}

/// Hand-off persistence: webhooks (a user's own, or global with `user_id` NULL), their
/// durable delivery queue, and the media-server settings. `owner` arguments are
/// `Some(user_id)` for a user's webhooks and `None` for the global ones; a webhook is only
/// found through its owner (another user's is "not found", SEC-17).
#[async_trait]
pub trait HandoffStore: Send + Sync + 'static {
    async fn create_webhook(&self, new: NewWebhook, audit: AuditEvent) -> StoreResult<WebhookRow>;
    async fn list_webhooks(&self, owner: Option<i64>) -> StoreResult<Vec<WebhookRow>>;
    async fn webhook(&self, id: i64, owner: Option<i64>) -> StoreResult<Option<WebhookRow>>;
    async fn update_webhook(
        &self,
        id: i64,
        owner: Option<i64>,
        patch: WebhookPatch,
        audit: AuditEvent,
    ) -> StoreResult<Option<WebhookRow>>;
    async fn delete_webhook(
        &self,
        id: i64,
        owner: Option<i64>,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
    /// The enabled webhooks that hear about `user_id`'s downloads: theirs and the global ones.
    async fn webhooks_hearing(&self, user_id: i64) -> StoreResult<Vec<WebhookRow>>;
    /// Queues deliveries; one whose `(webhook_id, dedupe_key)` exists already is skipped.
    /// Returns how many were queued.
    async fn enqueue_deliveries(&self, deliveries: Vec<NewDelivery>) -> StoreResult<u64>;
    /// Takes the oldest due delivery (or one whose claim went stale before `stale_before`,
    /// its instance having died) for `worker_id`, counting the attempt.
    async fn claim_delivery(
        &self,
        worker_id: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedDelivery>>;
    /// Records an attempt's result, if the delivery is still `worker_id`'s.
    async fn finish_delivery(
        &self,
        id: i64,
        worker_id: &str,
        result: AttemptResult,
    ) -> StoreResult<()>;
    /// Deletes delivered and failed deliveries that finished before `before`; returns how many.
    async fn purge_deliveries(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    /// A webhook's most recent deliveries, newest first.
    async fn recent_deliveries(&self, webhook_id: i64, limit: i64)
    -> StoreResult<Vec<DeliveryRow>>;

    async fn media_servers(&self) -> StoreResult<Vec<MediaServerRow>>;
    async fn save_media_server(
        &self,
        row: MediaServerRow,
        audit: AuditEvent,
    ) -> StoreResult<MediaServerRow>;
    async fn delete_media_server(
        &self,
        kind: crate::domain::MediaServerKind,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
}

/// Connects to the database named by the URL's scheme and runs its migrations.
pub async fn connect(database_url: &str) -> StoreResult<Arc<dyn Store>> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(database_url).await?))
    } else {
        Ok(Arc::new(PostgresStore::connect(database_url).await?))
    }
}

/// A `LIKE` pattern matching `query` anywhere, case-insensitively, with `%`, `_` and `\`
/// in the query taken literally.
pub fn like_pattern(query: &str) -> String {
    let escaped = query
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
