//! A user's download queries (submit, read, list, cancel, retry, delete), shared by both
//! backends (see `account_queries.rs` for why this is a macro). The worker's side is in
//! `job_queries.rs`.

macro_rules! impl_download_store {
    ($store:ty, $db:ty) => {
        impl $store {
            /// The user's own download, read inside a write transaction.
            async fn owned_download(
                conn: &mut <$db as sqlx::Database>::Connection,
                id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
                Ok(sqlx::query_as("SELECT * FROM download_history WHERE id = $1 AND user_id = $2")
                    .bind(id)
                    .bind(user_id)
                    .fetch_optional(&mut *conn)
                    .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::DownloadStore for $store {
            #[tracing::instrument(skip_all)]
            async fn create_download(
                &self,
                new: $crate::store::NewSubmission,
                mut audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<($crate::store::DownloadRow, bool)> {
                let mut tx = self.begin_write().await?;
                // The partial unique index `download_history_active` is the rule: of two
                // concurrent submissions one inserts, the other gets no row and reads it.
                let now = chrono::Utc::now();
                let inserted: Option<$crate::store::DownloadRow> = sqlx::query_as(
                    "INSERT INTO download_history (user_id, url, format, plugin, status, attempts, run_after, \
                     cancel_requested, created_at, force_download) VALUES ($1, $2, $3, $4, 'pending', 0, $5, FALSE, $5, $6) \
                     ON CONFLICT (user_id, url, format) WHERE parent_id IS NULL AND status IN ('pending', 'downloading') \
                     DO NOTHING RETURNING *",
                )
                .bind(new.user_id)
                .bind(&new.url)
                .bind(new.format.as_str())
                .bind(&new.plugin)
                .bind(now)
                .bind(new.force)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = inserted else {
                    let existing: Option<$crate::store::DownloadRow> = sqlx::query_as(
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
                        .ok_or($crate::store::StoreError::Conflict($crate::store::Duplicate::ActiveDownload));
                };
                if let Some(details) = audit.details.as_object_mut() {
                    details.insert("download_id".into(), row.id.into());
                }
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok((row, true))
            }

            #[tracing::instrument(skip_all)]
            async fn download_for_user(
                &self,
                id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
                Ok(sqlx::query_as("SELECT * FROM download_history WHERE id = $1 AND user_id = $2")
                    .bind(id)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn count_active_downloads(&self, user_id: i64) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM download_history WHERE user_id = $1 AND status IN ('pending', 'downloading')",
                )
                .bind(user_id)
                .fetch_one(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn count_pending_downloads(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar(
                    "SELECT COUNT(*) FROM download_history WHERE status = 'pending'",
                )
                .fetch_one(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn stop_user_downloads(
                &self,
                user_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::DownloadRow>> {
                let mut tx = self.begin_write().await?;
                // Pending ones end now; running ones stop at their worker's next heartbeat.
                let mut rows: Vec<$crate::store::DownloadRow> = sqlx::query_as(
                    "UPDATE download_history SET status = 'cancelled', completed_at = $2 \
                     WHERE user_id = $1 AND status = 'pending' RETURNING *",
                )
                .bind(user_id)
                .bind(chrono::Utc::now())
                .fetch_all(&mut *tx)
                .await?;
                let running: Vec<$crate::store::DownloadRow> = sqlx::query_as(
                    "UPDATE download_history SET cancel_requested = TRUE \
                     WHERE user_id = $1 AND status = 'downloading' RETURNING *",
                )
                .bind(user_id)
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
                rows.extend(running);
                Ok(rows)
            }

            #[tracing::instrument(skip_all)]
            async fn request_cancel(
                &self,
                id: i64,
                user_id: i64,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::Transition> {
                let mut tx = self.begin_write().await?;
                let Some(row) = Self::owned_download(&mut tx, id, user_id).await? else {
                    return Ok($crate::store::Transition::NotFound);
                };
                use $crate::domain::{DownloadStatus, UserRequest};
                if row.parent_id.is_none() && row.status == DownloadStatus::Completed {
                    // A set: cancelling it cancels its unfinished tracks (running ones stop
                    // at their worker's next heartbeat).
                    let mut tracks: Vec<$crate::store::DownloadRow> = sqlx::query_as(
                        "UPDATE download_history SET status = 'cancelled', completed_at = $2 \
                         WHERE parent_id = $1 AND status = 'pending' RETURNING *",
                    )
                    .bind(id)
                    .bind(chrono::Utc::now())
                    .fetch_all(&mut *tx)
                    .await?;
                    let running: Vec<$crate::store::DownloadRow> = sqlx::query_as(
                        "UPDATE download_history SET cancel_requested = TRUE \
                         WHERE parent_id = $1 AND status = 'downloading' RETURNING *",
                    )
                    .bind(id)
                    .fetch_all(&mut *tx)
                    .await?;
                    tracks.extend(running);
                    if tracks.is_empty() {
                        return Ok($crate::store::Transition::NotAllowed(row.status));
                    }
                    Self::insert_audit(&mut tx, &audit).await?;
                    tx.commit().await?;
                    return Ok($crate::store::Transition::SetTracks(Box::new(row), tracks));
                }
                let sql = match row.status.after(UserRequest::Cancel) {
                    Some(DownloadStatus::Cancelled) => "UPDATE download_history SET status = 'cancelled', completed_at = $2 WHERE id = $1 RETURNING *",
                    // Running: its worker sees the flag on its next heartbeat and stops.
                    Some(DownloadStatus::Downloading) => "UPDATE download_history SET cancel_requested = TRUE WHERE id = $1 AND $2 IS NOT NULL RETURNING *",
                    _ => return Ok($crate::store::Transition::NotAllowed(row.status)),
                };
                let updated: $crate::store::DownloadRow = sqlx::query_as(sql)
                    .bind(id)
                    .bind(chrono::Utc::now())
                    .fetch_one(&mut *tx)
                    .await?;
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok($crate::store::Transition::Done(Box::new(updated)))
            }

            #[tracing::instrument(skip_all)]
            async fn retry_download(
                &self,
                id: i64,
                user_id: i64,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::Transition> {
                let mut tx = self.begin_write().await?;
                let Some(row) = Self::owned_download(&mut tx, id, user_id).await? else {
                    return Ok($crate::store::Transition::NotFound);
                };
                if row.parent_id.is_none() && row.status == $crate::domain::DownloadStatus::Completed {
                    // A set: retrying it retries its failed and cancelled tracks (a skipped
                    // one stays skipped; retrying that track itself forces it).
                    let tracks: Vec<$crate::store::DownloadRow> = sqlx::query_as(
                        "UPDATE download_history SET status = 'pending', attempts = 0, error = NULL, progress = NULL, \
                         run_after = $2, cancel_requested = FALSE, started_at = NULL, completed_at = NULL, worker_id = NULL \
                         WHERE parent_id = $1 AND status IN ('failed', 'cancelled') RETURNING *",
                    )
                    .bind(id)
                    .bind(chrono::Utc::now())
                    .fetch_all(&mut *tx)
                    .await?;
                    if tracks.is_empty() {
                        return Ok($crate::store::Transition::NotAllowed(row.status));
                    }
                    Self::insert_audit(&mut tx, &audit).await?;
                    tx.commit().await?;
                    return Ok($crate::store::Transition::SetTracks(Box::new(row), tracks));
                }
                if row.status.after($crate::domain::UserRequest::Retry).is_none() {
                    return Ok($crate::store::Transition::NotAllowed(row.status));
                }
                // Retrying a skipped track downloads it although the library has it.
                let updated: $crate::store::DownloadRow = sqlx::query_as(
                    "UPDATE download_history SET status = 'pending', attempts = 0, error = NULL, progress = NULL, \
                     run_after = $2, cancel_requested = FALSE, started_at = NULL, completed_at = NULL, worker_id = NULL, \
                     force_download = (force_download OR status = 'skipped'), \
                     file_path = CASE WHEN status = 'skipped' THEN NULL ELSE file_path END \
                     WHERE id = $1 RETURNING *",
                )
                .bind(id)
                .bind(chrono::Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok($crate::store::Transition::Done(Box::new(updated)))
            }

            #[tracing::instrument(skip_all)]
            async fn delete_download(
                &self,
                id: i64,
                user_id: i64,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
                let mut tx = self.begin_write().await?;
                let row: Option<$crate::store::DownloadRow> = sqlx::query_as(
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
    };
}

pub(crate) use impl_download_store;
