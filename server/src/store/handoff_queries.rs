//! Hand-off persistence: webhooks (a user's own, or global with `user_id` NULL), their
//! durable delivery queue, and the media-server settings. Shared SQL for both backends (see
//! `account_queries.rs` for why a macro); the claim differs like the job queue's: PostgreSQL
//! adds `FOR UPDATE SKIP LOCKED`, SQLite relies on its `BEGIN IMMEDIATE` write lock.
//!
//! `owner` arguments are `Some(user_id)` for a user's webhooks and `None` for the global
//! ones; a webhook is only found through its owner (another user's is "not found", SEC-17).

use super::{
    AttemptResult, ClaimedDelivery, DeliveryRow, MediaServerRow, NewDelivery, NewWebhook,
    StoreResult, WebhookPatch, WebhookRow,
};
use crate::{audit::AuditEvent, domain::MediaServerKind};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

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
        kind: MediaServerKind,
        audit: AuditEvent,
    ) -> StoreResult<bool>;
}

/// The delivery claim; `$lock` is what the backend adds to the row choice.
macro_rules! claim_delivery_sql {
    ($lock:literal) => {
        concat!(
            "UPDATE webhook_deliveries SET status = 'delivering', claimed_by = $1, claimed_at = $2, ",
            "attempts = attempts + 1 WHERE id = (SELECT id FROM webhook_deliveries ",
            "WHERE (status = 'pending' AND next_attempt_at <= $2) ",
            "OR (status = 'delivering' AND claimed_at < $3) ",
            "ORDER BY next_attempt_at, id LIMIT 1",
            $lock,
            ") RETURNING id, webhook_id, delivery_id, event, download_id, payload, status, attempts, ",
            "next_attempt_at, last_status_code, last_error, created_at, finished_at"
        )
    };
}
pub(crate) use claim_delivery_sql;

const DELIVERY_COLUMNS: &str = "id, webhook_id, delivery_id, event, download_id, payload, status, \
    attempts, next_attempt_at, last_status_code, last_error, created_at, finished_at";

/// `recent_deliveries`' statement.
pub(crate) fn recent_deliveries_sql() -> String {
    format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
         ORDER BY id DESC LIMIT $2"
    )
}

macro_rules! impl_handoff_store {
    ($store:ty, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::HandoffStore for $store {
            #[tracing::instrument(skip_all)]
            async fn create_webhook(
                &self,
                new: $crate::store::NewWebhook,
                mut audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::WebhookRow> {
                let mut tx = self.begin_write().await?;
                let now = chrono::Utc::now();
                let row: $crate::store::WebhookRow = sqlx::query_as(
                    "INSERT INTO webhooks (user_id, url, secret, events, enabled, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING *",
                )
                .bind(new.user_id)
                .bind(&new.url)
                .bind(new.secret.as_deref())
                .bind($crate::store::event_names(&new.events))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                audit.details["webhook_id"] = row.id.into();
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(row)
            }

            #[tracing::instrument(skip_all)]
            async fn list_webhooks(
                &self,
                owner: Option<i64>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::WebhookRow>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM webhooks WHERE user_id IS NOT DISTINCT FROM $1 ORDER BY id",
                )
                .bind(owner)
                .fetch_all(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn webhook(
                &self,
                id: i64,
                owner: Option<i64>,
            ) -> $crate::store::StoreResult<Option<$crate::store::WebhookRow>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM webhooks WHERE id = $1 AND user_id IS NOT DISTINCT FROM $2",
                )
                .bind(id)
                .bind(owner)
                .fetch_optional(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn update_webhook(
                &self,
                id: i64,
                owner: Option<i64>,
                patch: $crate::store::WebhookPatch,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<Option<$crate::store::WebhookRow>> {
                let mut tx = self.begin_write().await?;
                let events = patch.events.as_deref().map($crate::store::event_names);
                let row: Option<$crate::store::WebhookRow> = sqlx::query_as(
                    "UPDATE webhooks SET url = COALESCE($3, url), \
                     secret = CASE WHEN $4 THEN $5 ELSE secret END, \
                     events = COALESCE($6, events), enabled = COALESCE($7, enabled), updated_at = $8 \
                     WHERE id = $1 AND user_id IS NOT DISTINCT FROM $2 RETURNING *",
                )
                .bind(id)
                .bind(owner)
                .bind(patch.url.as_deref())
                .bind(patch.secret.is_some())
                .bind(patch.secret.clone().flatten())
                .bind(events)
                .bind(patch.enabled)
                .bind(chrono::Utc::now())
                .fetch_optional(&mut *tx)
                .await?;
                if row.is_none() {
                    tx.rollback().await?;
                    return Ok(None);
                }
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(row)
            }

            #[tracing::instrument(skip_all)]
            async fn delete_webhook(
                &self,
                id: i64,
                owner: Option<i64>,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let gone = sqlx::query(
                    "DELETE FROM webhooks WHERE id = $1 AND user_id IS NOT DISTINCT FROM $2",
                )
                .bind(id)
                .bind(owner)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if gone == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(true)
            }

            #[tracing::instrument(skip_all)]
            async fn webhooks_hearing(
                &self,
                user_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::WebhookRow>> {
                Ok(sqlx::query_as(
                    "SELECT * FROM webhooks WHERE enabled AND (user_id = $1 OR user_id IS NULL) ORDER BY id",
                )
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn enqueue_deliveries(
                &self,
                deliveries: Vec<$crate::store::NewDelivery>,
            ) -> $crate::store::StoreResult<u64> {
                if deliveries.is_empty() {
                    return Ok(0);
                }
                let mut tx = self.begin_write().await?;
                let now = chrono::Utc::now();
                let mut queued = 0;
                for d in deliveries {
                    queued += sqlx::query(
                        "INSERT INTO webhook_deliveries (webhook_id, delivery_id, event, download_id, \
                         dedupe_key, payload, status, attempts, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7) \
                         ON CONFLICT (webhook_id, dedupe_key) DO NOTHING",
                    )
                    .bind(d.webhook_id)
                    .bind(&d.delivery_id)
                    .bind(d.event.as_str())
                    .bind(d.download_id)
                    .bind(d.dedupe_key.as_deref())
                    .bind(&d.payload)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                }
                tx.commit().await?;
                Ok(queued)
            }

            #[tracing::instrument(skip_all)]
            async fn claim_delivery(
                &self,
                worker_id: &str,
                now: chrono::DateTime<chrono::Utc>,
                stale_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Option<$crate::store::ClaimedDelivery>> {
                let mut tx = self.begin_write().await?;
                let claimed: Option<$crate::store::DeliveryRow> =
                    sqlx::query_as(Self::CLAIM_DELIVERY_SQL)
                        .bind(worker_id)
                        .bind(now)
                        .bind(stale_before)
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some(delivery) = claimed else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                let target: (String, Option<String>) =
                    sqlx::query_as("SELECT url, secret FROM webhooks WHERE id = $1")
                        .bind(delivery.webhook_id)
                        .fetch_one(&mut *tx)
                        .await?;
                tx.commit().await?;
                Ok(Some($crate::store::ClaimedDelivery {
                    delivery,
                    url: target.0,
                    secret: target.1,
                }))
            }

            #[tracing::instrument(skip_all)]
            async fn finish_delivery(
                &self,
                id: i64,
                worker_id: &str,
                result: $crate::store::AttemptResult,
            ) -> $crate::store::StoreResult<()> {
                let now = chrono::Utc::now();
                let finished = (result.next != $crate::domain::DeliveryStatus::Pending).then_some(now);
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = $3, next_attempt_at = COALESCE($4, next_attempt_at), \
                     last_status_code = $5, last_error = $6, finished_at = $7, claimed_by = NULL, claimed_at = NULL \
                     WHERE id = $1 AND claimed_by = $2",
                )
                .bind(id)
                .bind(worker_id)
                .bind(result.next.as_str())
                .bind(result.retry_at)
                .bind(result.status_code)
                .bind(result.error.as_deref())
                .bind(finished)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn purge_deliveries(
                &self,
                before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let gone = sqlx::query(
                    "DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed') AND finished_at < $1",
                )
                .bind(before)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
                Ok(gone)
            }

            #[tracing::instrument(skip_all)]
            async fn recent_deliveries(
                &self,
                webhook_id: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::DeliveryRow>> {
                Ok(sqlx::query_as(&$crate::store::handoff_queries::recent_deliveries_sql())
                    .bind(webhook_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn media_servers(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::MediaServerRow>> {
                Ok(sqlx::query_as("SELECT * FROM media_servers ORDER BY kind")
                    .fetch_all(&self.pool)
                    .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn save_media_server(
                &self,
                row: $crate::store::MediaServerRow,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::MediaServerRow> {
                let mut tx = self.begin_write().await?;
                let saved: $crate::store::MediaServerRow = sqlx::query_as(
                    "INSERT INTO media_servers (kind, base_url, username, secret, library_path, enabled, updated_at, library_id) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (kind) DO UPDATE SET \
                     base_url = excluded.base_url, username = excluded.username, secret = excluded.secret, \
                     library_path = excluded.library_path, enabled = excluded.enabled, updated_at = excluded.updated_at, \
                     library_id = excluded.library_id RETURNING *",
                )
                .bind(row.kind.as_str())
                .bind(&row.base_url)
                .bind(row.username.as_deref())
                .bind(&row.secret)
                .bind(&row.library_path)
                .bind(row.enabled)
                .bind(chrono::Utc::now())
                .bind(row.library_id)
                .fetch_one(&mut *tx)
                .await?;
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(saved)
            }

            #[tracing::instrument(skip_all)]
            async fn delete_media_server(
                &self,
                kind: $crate::domain::MediaServerKind,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let gone = sqlx::query("DELETE FROM media_servers WHERE kind = $1")
                    .bind(kind.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if gone == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}
pub(crate) use impl_handoff_store;
