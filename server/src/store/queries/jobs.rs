//! The job queue's queries, compiled once per backend like every file of `queries/` (see
//! `accounts.rs`). Backend differences come from inherent items: `ROW_LOCK` (the claim's row
//! lock; PostgreSQL adds `FOR UPDATE SKIP LOCKED`), `begin_write`, `publish` and `subscribe`.
//!
//! Every worker-side update names the worker (`AND worker_id = …`): a worker whose job was
//! reclaimed or deleted changes nothing and learns it from the `None` it gets back.

use super::{
    Store,
    downloads::{INSERT_DOWNLOAD, bind_new_download},
};
use crate::store::{
    CompletedFile, DownloadRow, Heartbeat, JobStore, NewDownload, ResolvedMetadata, StoreResult,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

/// The claim statement, fair across users (SEC-41): among runnable pending jobs of users
/// below `$3` running jobs, the user with the fewest running, then the one whose last job
/// started longest ago (round robin), then that user's oldest job. The backend's `ROW_LOCK`
/// is added to the row choice (PostgreSQL: `FOR UPDATE SKIP LOCKED`). Each user's figures
/// are computed once per candidate, in the inner select.
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE download_history SET status = 'downloading', worker_id = $1, heartbeat_at = $2, \
         started_at = $2, attempts = attempts + 1, progress = NULL WHERE id = (\
         SELECT c.id FROM (SELECT d.id, \
         (SELECT COUNT(*) FROM download_history r WHERE r.user_id = d.user_id AND r.status = 'downloading') AS running, \
         (SELECT MAX(s.started_at) FROM download_history s WHERE s.user_id = d.user_id) AS last_start \
         FROM download_history d WHERE d.status = 'pending' AND d.run_after <= $2) c \
         WHERE c.running < $3 ORDER BY c.running, c.last_start NULLS FIRST, c.id LIMIT 1{lock}\
         ) RETURNING *",
        lock = Store::ROW_LOCK,
    )
});

#[async_trait]
impl JobStore for Store {
    #[tracing::instrument(skip_all)]
    async fn expand_playlist(
        &self,
        parent_id: i64,
        worker_id: &str,
        parent: ResolvedMetadata,
        children: Vec<NewDownload>,
    ) -> StoreResult<Vec<DownloadRow>> {
        let mut tx = self.begin_write().await?;
        let now = Utc::now();
        let done = sqlx::query(
            "UPDATE download_history SET status = 'completed', title = COALESCE($3, title), \
             artist = COALESCE($4, artist), album = COALESCE($5, album), cover_url = COALESCE($6, cover_url), \
             completed_at = $7, worker_id = NULL, progress = NULL, error = NULL, set_kind = $8 \
             WHERE id = $1 AND worker_id = $2 AND status = 'downloading'",
        )
        .bind(parent_id)
        .bind(worker_id)
        .bind(parent.title.as_deref())
        .bind(parent.artist.as_deref())
        .bind(parent.album.as_deref())
        .bind(parent.cover_url.as_deref())
        .bind(now)
        .bind(parent.set_kind)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(Vec::new());
        }
        let sql = format!("{INSERT_DOWNLOAD} RETURNING *");
        let mut rows = Vec::with_capacity(children.len());
        for child in children {
            let row: DownloadRow = bind_new_download(&sql, &child, Some(parent_id), now)
                .fetch_one(&mut *tx)
                .await?;
            rows.push(row);
        }
        tx.commit().await?;
        Ok(rows)
    }

    #[tracing::instrument(skip_all)]
    async fn claim_next_job(
        &self,
        worker_id: &str,
        now: DateTime<Utc>,
        max_running_per_user: u32,
    ) -> StoreResult<Option<DownloadRow>> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query_as(CLAIM_SQL.as_str())
            .bind(worker_id)
            .bind(now)
            .bind(i64::from(max_running_per_user))
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    #[tracing::instrument(skip_all)]
    async fn heartbeat(
        &self,
        id: i64,
        worker_id: &str,
        progress: Option<serde_json::Value>,
    ) -> StoreResult<Heartbeat> {
        let cancel: Option<bool> = sqlx::query_scalar(
            "UPDATE download_history SET heartbeat_at = $3, progress = COALESCE($4, progress) \
             WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING cancel_requested",
        )
        .bind(id)
        .bind(worker_id)
        .bind(Utc::now())
        .bind(progress.map(sqlx::types::Json))
        .fetch_optional(&self.pool)
        .await?;
        Ok(match cancel {
            None => Heartbeat::Lost,
            Some(true) => Heartbeat::CancelRequested,
            Some(false) => Heartbeat::Running,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn save_resolution(
        &self,
        id: i64,
        worker_id: &str,
        meta: ResolvedMetadata,
    ) -> StoreResult<Option<DownloadRow>> {
        Ok(sqlx::query_as(
            "UPDATE download_history SET title = COALESCE($3, title), artist = COALESCE($4, artist), \
             album = COALESCE($5, album), duration = COALESCE($6, duration), cover_url = COALESCE($7, cover_url), \
             action = COALESCE($8, action) WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING *",
        )
        .bind(id)
        .bind(worker_id)
        .bind(meta.title.as_deref())
        .bind(meta.artist.as_deref())
        .bind(meta.album.as_deref())
        .bind(meta.duration)
        .bind(meta.cover_url.as_deref())
        .bind(meta.action.as_ref().map(sqlx::types::Json))
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn complete_job(
        &self,
        id: i64,
        worker_id: &str,
        file: CompletedFile,
    ) -> StoreResult<Option<DownloadRow>> {
        Ok(sqlx::query_as(
            "UPDATE download_history SET status = 'completed', file_path = $3, file_size = $4, \
             duration = COALESCE($5, duration), title = COALESCE($6, title), artist = COALESCE($7, artist), \
             album = COALESCE($8, album), completed_at = $9, worker_id = NULL, error = NULL, cancel_requested = FALSE, \
             file_device = $10, file_inode = $11, ytdlp_version = $12 \
             WHERE id = $1 AND worker_id = $2 AND status = 'downloading' AND NOT cancel_requested RETURNING *",
        )
        .bind(id)
        .bind(worker_id)
        .bind(&file.file_path)
        .bind(file.file_size)
        .bind(file.duration)
        .bind(file.title.as_deref())
        .bind(file.artist.as_deref())
        .bind(file.album.as_deref())
        .bind(Utc::now())
        .bind(file.file_device)
        .bind(file.file_inode)
        .bind(file.ytdlp_version.as_deref())
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn fail_job(
        &self,
        id: i64,
        worker_id: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> StoreResult<Option<DownloadRow>> {
        let sql = if retry_at.is_some() {
            "UPDATE download_history SET status = 'pending', error = $3, run_after = $4, worker_id = NULL, \
             progress = NULL WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING *"
        } else {
            "UPDATE download_history SET status = 'failed', error = $3, completed_at = $4, worker_id = NULL \
             WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING *"
        };
        Ok(sqlx::query_as(sql)
            .bind(id)
            .bind(worker_id)
            .bind(error)
            .bind(retry_at.unwrap_or_else(Utc::now))
            .fetch_optional(&self.pool)
            .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn cancel_job(&self, id: i64, worker_id: &str) -> StoreResult<Option<DownloadRow>> {
        Ok(sqlx::query_as(
            "UPDATE download_history SET status = 'cancelled', completed_at = $3, worker_id = NULL \
             WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING *",
        )
        .bind(id)
        .bind(worker_id)
        .bind(Utc::now())
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn skip_job(
        &self,
        id: i64,
        worker_id: &str,
        matched_path: &str,
        duration: Option<f64>,
    ) -> StoreResult<Option<DownloadRow>> {
        Ok(sqlx::query_as(
            "UPDATE download_history SET status = 'skipped', file_path = $3, file_size = NULL, \
             file_device = NULL, file_inode = NULL, completed_at = $4, worker_id = NULL, progress = NULL, \
             error = NULL, duration = COALESCE(duration, $5) WHERE id = $1 AND worker_id = $2 \
             AND status = 'downloading' AND NOT cancel_requested RETURNING *",
        )
        .bind(id)
        .bind(worker_id)
        .bind(matched_path)
        .bind(Utc::now())
        .bind(duration)
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn set_tracks(&self, parent_id: i64) -> StoreResult<Vec<DownloadRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM download_history WHERE parent_id = $1 \
             ORDER BY COALESCE(disc_number, 1), track_number NULLS LAST, id",
        )
        .bind(parent_id)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn release_job(&self, id: i64, worker_id: &str) -> StoreResult<Option<DownloadRow>> {
        Ok(sqlx::query_as(
            "UPDATE download_history SET status = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
             worker_id = NULL, progress = NULL, run_after = $3 \
             WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING *",
        )
        .bind(id)
        .bind(worker_id)
        .bind(Utc::now())
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn recover_stale_jobs(
        &self,
        stale_before: DateTime<Utc>,
        max_attempts: i32,
        dead_worker_prefix: Option<&str>,
    ) -> StoreResult<Vec<DownloadRow>> {
        let mut tx = self.begin_write().await?;
        let rows = sqlx::query_as(
            "UPDATE download_history SET \
             status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'pending' END, \
             error = CASE WHEN attempts >= $2 THEN 'Interrupted: the server stopped during this download too many times' ELSE error END, \
             completed_at = CASE WHEN attempts >= $2 THEN $3 ELSE NULL END, \
             worker_id = NULL, progress = NULL, run_after = $3 \
             WHERE status = 'downloading' AND (heartbeat_at IS NULL OR heartbeat_at < $1 \
             OR ($4 IS NOT NULL AND worker_id LIKE $4)) RETURNING *",
        )
        .bind(stale_before)
        .bind(max_attempts)
        .bind(Utc::now())
        .bind(dead_worker_prefix.map(|p| format!("{p}%"))) // instance ids are hex: no LIKE wildcards
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(rows)
    }

    async fn publish_event(&self, payload: &str) -> StoreResult<bool> {
        self.publish(payload).await
    }

    async fn subscribe_events(
        &self,
    ) -> StoreResult<Option<futures_util::stream::BoxStream<'static, String>>> {
        self.subscribe().await
    }
}
