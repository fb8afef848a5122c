//! A user's download queries (submit, read, list, cancel, retry, delete), compiled once per
//! backend like every file of `queries/` (see `accounts.rs`). The worker's side is in
//! `jobs.rs`; the history listing, which each backend writes its own way, in `history.rs`.

use super::{Db, Store};
use crate::{
    audit::AuditEvent,
    domain::{DownloadStatus, UserRequest},
    store::{
        DownloadRow, DownloadStore, Duplicate, NewDownload, NewSubmission, StoreError, StoreResult,
        Transition,
    },
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A new `download_history` row, with every column a submission or a set's track is created
/// with: `$1` … `$19` as [`bind_new_download`] binds them. Each statement adds its own
/// `ON CONFLICT` and `RETURNING`.
pub(super) const INSERT_DOWNLOAD: &str = "INSERT INTO download_history (user_id, parent_id, url, format, plugin, \
    title, artist, album, duration, cover_url, action, status, attempts, run_after, cancel_requested, created_at, \
    album_artist, track_number, track_total, disc_number, release_year, set_title, force_download) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', 0, $12, FALSE, $12, \
    $13, $14, $15, $16, $17, $18, $19)";

/// Binds `new` to [`INSERT_DOWNLOAD`]'s parameters in `sql`: `parent_id` is the set's id
/// (`None` for a submission), `now` the row's creation and earliest run time.
pub(super) fn bind_new_download<'q>(
    sql: &'q str,
    new: &'q NewDownload,
    parent_id: Option<i64>,
    now: DateTime<Utc>,
) -> sqlx::query::QueryAs<'q, Db, DownloadRow, <Db as sqlx::Database>::Arguments<'q>> {
    sqlx::query_as(sql)
        .bind(new.user_id)
        .bind(parent_id)
        .bind(&new.url)
        .bind(new.format.as_str())
        .bind(new.plugin.as_deref())
        .bind(new.title.as_deref())
        .bind(new.artist.as_deref())
        .bind(new.album.as_deref())
        .bind(new.duration)
        .bind(new.cover_url.as_deref())
        .bind(new.action.as_ref().map(sqlx::types::Json))
        .bind(now)
        .bind(new.album_track.album_artist.as_deref())
        .bind(new.album_track.track_number)
        .bind(new.album_track.track_total)
        .bind(new.album_track.disc_number)
        .bind(new.album_track.release_year)
        .bind(new.album_track.set_title.as_deref())
        .bind(new.force)
}

/// What a retry resets (`$2`: when the row may run again): the row is `pending` again, as if
/// newly queued.
const REQUEUE: &str = "status = 'pending', attempts = 0, error = NULL, progress = NULL, \
    run_after = $2, cancel_requested = FALSE, started_at = NULL, completed_at = NULL, worker_id = NULL";

impl Store {
    /// The user's own download, read inside a write transaction.
    async fn owned_download(
        conn: &mut <Db as sqlx::Database>::Connection,
        id: i64,
        user_id: i64,
    ) -> StoreResult<Option<DownloadRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM download_history WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&mut *conn)
                .await?,
        )
    }

    /// Stops every unfinished download of one owner (`scope`): pending ones end `cancelled`
    /// now; running ones get the cancel flag and stop at their worker's next heartbeat.
    /// Returns the rows it changed, pending ones first.
    async fn stop_unfinished(
        conn: &mut <Db as sqlx::Database>::Connection,
        scope: StopScope,
        id: i64,
    ) -> StoreResult<Vec<DownloadRow>> {
        let column = scope.column();
        let mut rows: Vec<DownloadRow> = sqlx::query_as(&format!(
            "UPDATE download_history SET status = 'cancelled', completed_at = $2 \
             WHERE {column} = $1 AND status = 'pending' RETURNING *"
        ))
        .bind(id)
        .bind(Utc::now())
        .fetch_all(&mut *conn)
        .await?;
        let running: Vec<DownloadRow> = sqlx::query_as(&format!(
            "UPDATE download_history SET cancel_requested = TRUE \
             WHERE {column} = $1 AND status = 'downloading' RETURNING *"
        ))
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        rows.extend(running);
        Ok(rows)
    }
}

/// Whose unfinished downloads [`Store::stop_unfinished`] stops.
#[derive(Clone, Copy)]
enum StopScope {
    /// A user's (the user was disabled or deleted).
    User,
    /// A set's tracks (the set was cancelled).
    SetTracks,
}

impl StopScope {
    fn column(self) -> &'static str {
        match self {
            StopScope::User => "user_id",
            StopScope::SetTracks => "parent_id",
        }
    }
}

#[async_trait]
impl DownloadStore for Store {
    #[tracing::instrument(skip_all)]
    async fn create_download(
        &self,
        new: NewSubmission,
        mut audit: AuditEvent,
    ) -> StoreResult<(DownloadRow, bool)> {
        let mut tx = self.begin_write().await?;
        // The partial unique index `download_history_active` is the rule: of two
        // concurrent submissions one inserts, the other gets no row and reads it.
        let now = Utc::now();
        let new = NewDownload {
            user_id: new.user_id,
            url: new.url,
            format: new.format,
            plugin: Some(new.plugin),
            force: new.force,
            ..NewDownload::default()
        };
        let sql = format!(
            "{INSERT_DOWNLOAD} ON CONFLICT (user_id, url, format) WHERE parent_id IS NULL \
             AND status IN ('pending', 'downloading') DO NOTHING RETURNING *"
        );
        let inserted: Option<DownloadRow> = bind_new_download(&sql, &new, None, now)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = inserted else {
            let existing: Option<DownloadRow> = sqlx::query_as(
                "SELECT * FROM download_history WHERE user_id = $1 AND url = $2 AND format = $3 \
                 AND parent_id IS NULL AND status IN ('pending', 'downloading')",
            )
            .bind(new.user_id)
            .bind(&new.url)
            .bind(new.format.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            tx.commit().await?;
            // Finished between the two statements: the caller may simply submit again.
            return existing
                .map(|row| (row, false))
                .ok_or(StoreError::Conflict(Duplicate::ActiveDownload));
        };
        if let Some(details) = audit.details.as_object_mut() {
            details.insert("download_id".into(), row.id.into());
        }
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok((row, true))
    }

    #[tracing::instrument(skip_all)]
    async fn download_for_user(&self, id: i64, user_id: i64) -> StoreResult<Option<DownloadRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM download_history WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn count_active_downloads(&self, user_id: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM download_history WHERE user_id = $1 AND status IN ('pending', 'downloading')",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn count_pending_downloads(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT COUNT(*) FROM download_history WHERE status = 'pending'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    #[tracing::instrument(skip_all)]
    async fn child_status_counts(
        &self,
        user_id: i64,
        parent_ids: &[i64],
    ) -> StoreResult<Vec<(i64, crate::domain::DownloadStatus, i64)>> {
        let ids = &parent_ids[..parent_ids.len().min(100)];
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = child_counts_sql(ids.len());
        let mut query = sqlx::query_as(&sql).bind(user_id);
        for id in ids {
            query = query.bind(*id);
        }
        Ok(query.fetch_all(&self.pool).await?)
    }

    #[tracing::instrument(skip_all)]
    async fn stop_user_downloads(&self, user_id: i64) -> StoreResult<Vec<DownloadRow>> {
        let mut tx = self.begin_write().await?;
        let rows = Self::stop_unfinished(&mut tx, StopScope::User, user_id).await?;
        tx.commit().await?;
        Ok(rows)
    }

    #[tracing::instrument(skip_all)]
    async fn request_cancel(
        &self,
        id: i64,
        user_id: i64,
        audit: AuditEvent,
    ) -> StoreResult<Transition> {
        let mut tx = self.begin_write().await?;
        let Some(row) = Self::owned_download(&mut tx, id, user_id).await? else {
            return Ok(Transition::NotFound);
        };
        if row.parent_id.is_none() && row.status == DownloadStatus::Completed {
            // A set: cancelling it cancels its unfinished tracks.
            let tracks = Self::stop_unfinished(&mut tx, StopScope::SetTracks, id).await?;
            if tracks.is_empty() {
                return Ok(Transition::NotAllowed(row.status));
            }
            Self::insert_audit(&mut tx, &audit).await?;
            tx.commit().await?;
            return Ok(Transition::SetTracks(Box::new(row), tracks));
        }
        let sql = match row.status.after(UserRequest::Cancel) {
            Some(DownloadStatus::Cancelled) => {
                "UPDATE download_history SET status = 'cancelled', completed_at = $2 WHERE id = $1 RETURNING *"
            }
            // Running: its worker sees the flag on its next heartbeat and stops.
            Some(DownloadStatus::Downloading) => {
                "UPDATE download_history SET cancel_requested = TRUE WHERE id = $1 AND $2 IS NOT NULL RETURNING *"
            }
            _ => return Ok(Transition::NotAllowed(row.status)),
        };
        let updated: DownloadRow = sqlx::query_as(sql)
            .bind(id)
            .bind(Utc::now())
            .fetch_one(&mut *tx)
            .await?;
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Transition::Done(Box::new(updated)))
    }

    #[tracing::instrument(skip_all)]
    async fn retry_download(
        &self,
        id: i64,
        user_id: i64,
        audit: AuditEvent,
    ) -> StoreResult<Transition> {
        let mut tx = self.begin_write().await?;
        let Some(row) = Self::owned_download(&mut tx, id, user_id).await? else {
            return Ok(Transition::NotFound);
        };
        if row.parent_id.is_none() && row.status == DownloadStatus::Completed {
            // A set: retrying it retries its failed and cancelled tracks (a skipped
            // one stays skipped; retrying that track itself forces it).
            let tracks: Vec<DownloadRow> = sqlx::query_as(&format!(
                "UPDATE download_history SET {REQUEUE} \
                 WHERE parent_id = $1 AND status IN ('failed', 'cancelled') RETURNING *"
            ))
            .bind(id)
            .bind(Utc::now())
            .fetch_all(&mut *tx)
            .await?;
            if tracks.is_empty() {
                return Ok(Transition::NotAllowed(row.status));
            }
            Self::insert_audit(&mut tx, &audit).await?;
            tx.commit().await?;
            return Ok(Transition::SetTracks(Box::new(row), tracks));
        }
        if row.status.after(UserRequest::Retry).is_none() {
            return Ok(Transition::NotAllowed(row.status));
        }
        // Retrying a skipped track downloads it although the library has it.
        let updated: DownloadRow = sqlx::query_as(&format!(
            "UPDATE download_history SET {REQUEUE}, \
             force_download = (force_download OR status = 'skipped'), \
             file_path = CASE WHEN status = 'skipped' THEN NULL ELSE file_path END \
             WHERE id = $1 RETURNING *"
        ))
        .bind(id)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?;
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(Transition::Done(Box::new(updated)))
    }

    #[tracing::instrument(skip_all)]
    async fn delete_download(
        &self,
        id: i64,
        user_id: i64,
        audit: AuditEvent,
    ) -> StoreResult<Option<DownloadRow>> {
        let mut tx = self.begin_write().await?;
        let row: Option<DownloadRow> = sqlx::query_as(
            "DELETE FROM download_history WHERE id = $1 AND user_id = $2 RETURNING *",
        )
        .bind(id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        if row.is_some() {
            Self::insert_audit(&mut tx, &audit).await?;
        }
        tx.commit().await?;
        Ok(row)
    }
}

/// `child_status_counts`' statement for `n` parent ids (`$2` …).
fn child_counts_sql(n: usize) -> String {
    let ids: Vec<String> = (0..n).map(|i| format!("${}", i + 2)).collect();
    format!(
        "SELECT parent_id, status, COUNT(*) FROM download_history WHERE user_id = $1 \
         AND parent_id IN ({}) GROUP BY parent_id, status",
        ids.join(", ")
    )
}
