//! Download and job-queue queries, shared by both backends (see `account_queries.rs` for why
//! this is a macro). Backend differences come from inherent items: `CLAIM_SQL` (PostgreSQL
//! adds `FOR UPDATE SKIP LOCKED`), `begin_write`, `publish` and `subscribe`.
//!
//! Every worker-side update names the worker (`AND worker_id = …`): a worker whose job was
//! reclaimed or deleted changes nothing and learns it from the `None` it gets back.

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
                     cancel_requested, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, FALSE, $5) \
                     ON CONFLICT (user_id, url, format) WHERE parent_id IS NULL AND status IN ('pending', 'downloading') \
                     DO NOTHING RETURNING *",
                )
                .bind(new.user_id)
                .bind(&new.url)
                .bind(new.format.as_str())
                .bind(&new.plugin)
                .bind(now)
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
            async fn expand_playlist(
                &self,
                parent_id: i64,
                worker_id: &str,
                parent: $crate::store::ResolvedMetadata,
                children: Vec<$crate::store::NewDownload>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::DownloadRow>> {
                let mut tx = self.begin_write().await?;
                let now = chrono::Utc::now();
                let done = sqlx::query(
                    "UPDATE download_history SET status = 'completed', title = COALESCE($3, title), \
                     artist = COALESCE($4, artist), album = COALESCE($5, album), cover_url = COALESCE($6, cover_url), \
                     completed_at = $7, worker_id = NULL, progress = NULL, error = NULL \
                     WHERE id = $1 AND worker_id = $2 AND status = 'downloading'",
                )
                .bind(parent_id)
                .bind(worker_id)
                .bind(parent.title.as_deref())
                .bind(parent.artist.as_deref())
                .bind(parent.album.as_deref())
                .bind(parent.cover_url.as_deref())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Ok(Vec::new());
                }
                let mut rows = Vec::with_capacity(children.len());
                for child in children {
                    let row: $crate::store::DownloadRow = sqlx::query_as(
                        "INSERT INTO download_history (user_id, parent_id, url, format, plugin, title, artist, album, \
                         duration, cover_url, action, status, attempts, run_after, cancel_requested, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', 0, $12, FALSE, $12) RETURNING *",
                    )
                    .bind(child.user_id)
                    .bind(parent_id)
                    .bind(&child.url)
                    .bind(child.format.as_str())
                    .bind(child.plugin.as_deref())
                    .bind(child.title.as_deref())
                    .bind(child.artist.as_deref())
                    .bind(child.album.as_deref())
                    .bind(child.duration)
                    .bind(child.cover_url.as_deref())
                    .bind(child.action.as_ref().map(sqlx::types::Json))
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    rows.push(row);
                }
                tx.commit().await?;
                Ok(rows)
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
            async fn list_downloads(
                &self,
                user_id: i64,
                filter: $crate::store::DownloadFilter,
                page: $crate::store::PageRequest,
            ) -> $crate::store::StoreResult<$crate::store::Page<$crate::store::DownloadRow>> {
                const WHERE: &str = "WHERE user_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL \
                    OR LOWER(COALESCE(title, '')) LIKE $3 ESCAPE '\\' OR LOWER(COALESCE(artist, '')) LIKE $3 ESCAPE '\\' \
                    OR LOWER(url) LIKE $3 ESCAPE '\\')";
                let pattern = filter.query.as_deref().map($crate::store::like_pattern);
                // One statement: the page and, on each row, the count of all matches.
                let rows: Vec<$crate::store::models::CountedRow> = sqlx::query_as(&format!(
                    "SELECT {}, COUNT(*) OVER () AS total_matching FROM download_history {WHERE} \
                     ORDER BY id DESC LIMIT $4 OFFSET $5",
                    $crate::store::models::LISTED_COLUMNS
                ))
                .bind(user_id)
                .bind(filter.status.map(|s| s.as_str()))
                .bind(pattern.as_deref())
                .bind(i64::from(page.per_page))
                .bind(page.offset())
                .fetch_all(&self.pool)
                .await?;
                let total = match rows.first() {
                    Some(first) => first.total_matching,
                    // Past the last page (or nothing matches): count on its own.
                    None => sqlx::query_scalar(&format!("SELECT COUNT(*) FROM download_history {WHERE}"))
                        .bind(user_id)
                        .bind(filter.status.map(|s| s.as_str()))
                        .bind(pattern.as_deref())
                        .fetch_one(&self.pool)
                        .await?,
                };
                let items = rows.into_iter().map(|r| r.row).collect();
                Ok($crate::store::Page { items, total })
            }

            #[tracing::instrument(skip_all)]
            async fn claim_next_job(
                &self,
                worker_id: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
                let mut tx = self.begin_write().await?;
                let row = sqlx::query_as(Self::CLAIM_SQL)
                    .bind(worker_id)
                    .bind(now)
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
            ) -> $crate::store::StoreResult<$crate::store::Heartbeat> {
                let cancel: Option<bool> = sqlx::query_scalar(
                    "UPDATE download_history SET heartbeat_at = $3, progress = COALESCE($4, progress) \
                     WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING cancel_requested",
                )
                .bind(id)
                .bind(worker_id)
                .bind(chrono::Utc::now())
                .bind(progress.map(sqlx::types::Json))
                .fetch_optional(&self.pool)
                .await?;
                Ok(match cancel {
                    None => $crate::store::Heartbeat::Lost,
                    Some(true) => $crate::store::Heartbeat::CancelRequested,
                    Some(false) => $crate::store::Heartbeat::Running,
                })
            }

            #[tracing::instrument(skip_all)]
            async fn save_resolution(
                &self,
                id: i64,
                worker_id: &str,
                meta: $crate::store::ResolvedMetadata,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
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
                file: $crate::store::CompletedFile,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
                Ok(sqlx::query_as(
                    "UPDATE download_history SET status = 'completed', file_path = $3, file_size = $4, \
                     duration = COALESCE($5, duration), title = COALESCE($6, title), artist = COALESCE($7, artist), \
                     album = COALESCE($8, album), completed_at = $9, worker_id = NULL, error = NULL, cancel_requested = FALSE \
                     WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING *",
                )
                .bind(id)
                .bind(worker_id)
                .bind(&file.file_path)
                .bind(file.file_size)
                .bind(file.duration)
                .bind(file.title.as_deref())
                .bind(file.artist.as_deref())
                .bind(file.album.as_deref())
                .bind(chrono::Utc::now())
                .fetch_optional(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn fail_job(
                &self,
                id: i64,
                worker_id: &str,
                error: &str,
                retry_at: Option<chrono::DateTime<chrono::Utc>>,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
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
                    .bind(retry_at.unwrap_or_else(chrono::Utc::now))
                    .fetch_optional(&self.pool)
                    .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn cancel_job(
                &self,
                id: i64,
                worker_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
                Ok(sqlx::query_as(
                    "UPDATE download_history SET status = 'cancelled', completed_at = $3, worker_id = NULL \
                     WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING *",
                )
                .bind(id)
                .bind(worker_id)
                .bind(chrono::Utc::now())
                .fetch_optional(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn release_job(
                &self,
                id: i64,
                worker_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::DownloadRow>> {
                Ok(sqlx::query_as(
                    "UPDATE download_history SET status = 'pending', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
                     worker_id = NULL, progress = NULL, run_after = $3 \
                     WHERE id = $1 AND worker_id = $2 AND status = 'downloading' RETURNING *",
                )
                .bind(id)
                .bind(worker_id)
                .bind(chrono::Utc::now())
                .fetch_optional(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn recover_stale_jobs(
                &self,
                stale_before: chrono::DateTime<chrono::Utc>,
                max_attempts: i32,
                dead_worker_prefix: Option<&str>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::DownloadRow>> {
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
                .bind(chrono::Utc::now())
                .bind(dead_worker_prefix.map(|p| format!("{p}%"))) // instance ids are hex: no LIKE wildcards
                .fetch_all(&mut *tx)
                .await?;
                tx.commit().await?;
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
                if row.status.after($crate::domain::UserRequest::Retry).is_none() {
                    return Ok($crate::store::Transition::NotAllowed(row.status));
                }
                let updated: $crate::store::DownloadRow = sqlx::query_as(
                    "UPDATE download_history SET status = 'pending', attempts = 0, error = NULL, progress = NULL, \
                     run_after = $2, cancel_requested = FALSE, started_at = NULL, completed_at = NULL, worker_id = NULL \
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

            async fn publish_event(&self, payload: &str) -> $crate::store::StoreResult<bool> {
                self.publish(payload).await
            }

            async fn subscribe_events(
                &self,
            ) -> $crate::store::StoreResult<Option<futures_util::stream::BoxStream<'static, String>>> {
                self.subscribe().await
            }
        }
    };
}

pub(crate) use impl_download_store;
