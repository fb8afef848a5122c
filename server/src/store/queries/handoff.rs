//! Hand-off persistence: webhooks (a user's own, or global with `user_id` NULL), their
//! durable delivery queue, and the media-server settings. Compiled once per backend like
//! every file of `queries/` (see `accounts.rs`); the claim differs like the job queue's:
//! PostgreSQL adds `FOR UPDATE SKIP LOCKED` (`ROW_LOCK`), SQLite relies on its
//! `BEGIN IMMEDIATE` write lock.
//!
//! `owner` arguments are `Some(user_id)` for a user's webhooks and `None` for the global
//! ones; a webhook is only found through its owner (another user's is "not found", SEC-17).

use super::Store;
use crate::{
    audit::AuditEvent,
    domain::{DeliveryStatus, MediaServerKind},
    store::{
        AttemptResult, ClaimedDelivery, DeliveryRow, HandoffStore, MediaServerRow, NewDelivery,
        NewWebhook, StoreResult, WebhookPatch, WebhookRow, event_names,
    },
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

/// The `webhook_deliveries` columns a `DeliveryRow` reads.
const DELIVERY_COLUMNS: &str = "id, webhook_id, delivery_id, event, download_id, payload, status, \
    attempts, next_attempt_at, last_status_code, last_error, created_at, finished_at";

/// The delivery claim: the oldest due delivery, or one whose claim went stale (`$3`); the
/// backend's `ROW_LOCK` is added to the row choice.
static CLAIM_DELIVERY_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE webhook_deliveries SET status = 'delivering', claimed_by = $1, claimed_at = $2, \
         attempts = attempts + 1 WHERE id = (SELECT id FROM webhook_deliveries \
         WHERE (status = 'pending' AND next_attempt_at <= $2) \
         OR (status = 'delivering' AND claimed_at < $3) \
         ORDER BY next_attempt_at, id LIMIT 1{lock}\
         ) RETURNING {DELIVERY_COLUMNS}",
        lock = Store::ROW_LOCK,
    )
});

#[async_trait]
impl HandoffStore for Store {
    #[tracing::instrument(skip_all)]
    async fn create_webhook(
        &self,
        new: NewWebhook,
        mut audit: AuditEvent,
    ) -> StoreResult<WebhookRow> {
        let mut tx = self.begin_write().await?;
        let now = Utc::now();
        let row: WebhookRow = sqlx::query_as(
            "INSERT INTO webhooks (user_id, url, secret, events, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING *",
        )
        .bind(new.user_id)
        .bind(&new.url)
        .bind(new.secret.as_deref())
        .bind(event_names(&new.events))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        audit.details["webhook_id"] = row.id.into();
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(row)
    }

    #[tracing::instrument(skip_all)]
    async fn list_webhooks(&self, owner: Option<i64>) -> StoreResult<Vec<WebhookRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM webhooks WHERE user_id IS NOT DISTINCT FROM $1 ORDER BY id",
        )
        .bind(owner)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn webhook(&self, id: i64, owner: Option<i64>) -> StoreResult<Option<WebhookRow>> {
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
        patch: WebhookPatch,
        audit: AuditEvent,
    ) -> StoreResult<Option<WebhookRow>> {
        let mut tx = self.begin_write().await?;
        let events = patch.events.as_deref().map(event_names);
        let row: Option<WebhookRow> = sqlx::query_as(
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
        .bind(Utc::now())
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
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let gone =
            sqlx::query("DELETE FROM webhooks WHERE id = $1 AND user_id IS NOT DISTINCT FROM $2")
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
    async fn webhooks_hearing(&self, user_id: i64) -> StoreResult<Vec<WebhookRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM webhooks WHERE enabled AND (user_id = $1 OR user_id IS NULL) ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn enqueue_deliveries(&self, deliveries: Vec<NewDelivery>) -> StoreResult<u64> {
        if deliveries.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin_write().await?;
        let now = Utc::now();
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
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> StoreResult<Option<ClaimedDelivery>> {
        let mut tx = self.begin_write().await?;
        let claimed: Option<DeliveryRow> = sqlx::query_as(CLAIM_DELIVERY_SQL.as_str())
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
        Ok(Some(ClaimedDelivery {
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
        result: AttemptResult,
    ) -> StoreResult<()> {
        let now = Utc::now();
        let finished = (result.next != DeliveryStatus::Pending).then_some(now);
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
    async fn purge_deliveries(&self, before: DateTime<Utc>) -> StoreResult<u64> {
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
    ) -> StoreResult<Vec<DeliveryRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE webhook_id = $1 \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn media_servers(&self) -> StoreResult<Vec<MediaServerRow>> {
        Ok(sqlx::query_as("SELECT * FROM media_servers ORDER BY kind")
            .fetch_all(&self.pool)
            .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn save_media_server(
        &self,
        row: MediaServerRow,
        audit: AuditEvent,
    ) -> StoreResult<MediaServerRow> {
        let mut tx = self.begin_write().await?;
        let saved: MediaServerRow = sqlx::query_as(
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
        .bind(Utc::now())
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
        kind: MediaServerKind,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
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
