//! Sends queued webhook deliveries: claims one at a time from the database (any instance
//! may; PostgreSQL `SKIP LOCKED`, SQLite's write lock), posts the stored payload through the
//! pinned, policy-checked client (`outbound.rs`), and records the answer. A failure is
//! retried with capped exponential backoff until the attempts are spent; a target the
//! address policy refuses fails at once (retrying cannot change the policy).

use super::signature::{DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign};
use crate::{
    domain::DeliveryStatus,
    handoff::outbound::{Answer, Outbound, OutboundError},
    metrics::{DeliveryOutcome, HandoffMetrics},
    store::{AttemptResult, ClaimedDelivery, Store},
};
use std::{sync::Arc, time::Duration};
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;

/// When attempts happen.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: i32,
    pub base: Duration,
    pub cap: Duration,
}

/// 12 attempts over about two hours: 2 s, 4 s, 8 s … capped at one hour.
pub const RETRY_POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 12,
    base: Duration::from_secs(2),
    cap: Duration::from_secs(3600),
};

/// How long an idle worker waits before looking for deliveries queued elsewhere.
const IDLE_POLL: Duration = Duration::from_secs(1);
/// A claim older than this belongs to an instance that died: the delivery is taken again.
const STALE_CLAIM: Duration = Duration::from_secs(300);
/// Deliveries sent at once per instance.
const CONCURRENCY: usize = 4;
/// Finished deliveries are kept this long (their owners see the latest ones), then deleted.
const KEEP_FINISHED: Duration = Duration::from_secs(30 * 24 * 3600);
/// How often finished deliveries past `KEEP_FINISHED` are deleted.
const PURGE_EVERY: Duration = Duration::from_secs(3600);

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, with ±20 % jitter so retries spread out.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1).clamp(0, 20) as u32));
        exp.min(self.cap).mul_f64(0.8 + rand::random::<f64>() * 0.4)
    }
}

pub struct DeliveryWorker {
    pub store: Arc<dyn Store>,
    pub outbound: Outbound,
    pub metrics: HandoffMetrics,
    pub worker_id: String,
    pub retry: RetryPolicy,
    pub wake: Notify,
}

impl DeliveryWorker {
    /// Tells an idle worker that deliveries were queued.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Sends deliveries until `stop`; an attempt in flight finishes (its timeout bounds it).
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let slots = Arc::new(Semaphore::new(CONCURRENCY));
        let mut tasks = tokio::task::JoinSet::new();
        let mut next_purge = tokio::time::Instant::now();
        loop {
            while tasks.try_join_next().is_some() {}
            if tokio::time::Instant::now() >= next_purge {
                next_purge += PURGE_EVERY;
                self.purge().await;
            }
            let permit = tokio::select! {
                _ = stop.cancelled() => break,
                permit = slots.clone().acquire_owned() => permit.expect("semaphore never closes"),
            };
            let now = chrono::Utc::now();
            let stale = now - chrono::Duration::from_std(STALE_CLAIM).unwrap_or_default();
            match self.store.claim_delivery(&self.worker_id, now, stale).await {
                Ok(Some(claimed)) => {
                    let worker = self.clone();
                    tasks.spawn(async move {
                        worker.attempt(claimed).await;
                        drop(permit);
                    });
                    continue;
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = ?err, "claiming a webhook delivery failed"),
            }
            drop(permit);
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Keeps the delivery table from growing without end.
    async fn purge(&self) {
        let before =
            chrono::Utc::now() - chrono::Duration::from_std(KEEP_FINISHED).unwrap_or_default();
        match self.store.purge_deliveries(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, "old webhook deliveries deleted"),
            Err(err) => tracing::warn!(error = ?err, "deleting old webhook deliveries failed"),
        }
    }

    async fn attempt(&self, claimed: ClaimedDelivery) {
        let delivery = &claimed.delivery;
        let sent = self.post(&claimed).await;
        let (outcome, result) = match sent {
            Ok(answer) if (200..300).contains(&answer.status) => (
                DeliveryOutcome::Delivered,
                AttemptResult {
                    status_code: Some(i32::from(answer.status)),
                    error: None,
                    next: DeliveryStatus::Delivered,
                    retry_at: None,
                },
            ),
            Ok(answer) => self.retry_or_fail(
                delivery.attempts,
                Some(i32::from(answer.status)),
                format!("HTTP {}: {}", answer.status, answer.summary),
            ),
            Err(err @ (OutboundError::Refused | OutboundError::InvalidUrl)) => (
                DeliveryOutcome::Refused,
                AttemptResult {
                    status_code: None,
                    error: Some(err.to_string()),
                    next: DeliveryStatus::Failed,
                    retry_at: None,
                },
            ),
            Err(err) => self.retry_or_fail(delivery.attempts, None, err.to_string()),
        };
        tracing::info!(
            delivery = %delivery.delivery_id,
            webhook = delivery.webhook_id,
            attempt = delivery.attempts,
            status = result.next.as_str(),
            code = ?result.status_code,
            "webhook delivery attempt"
        );
        self.metrics.delivery(outcome);
        if let Err(err) = self
            .store
            .finish_delivery(delivery.id, &self.worker_id, result)
            .await
        {
            tracing::warn!(error = ?err, delivery = delivery.id, "recording a webhook delivery failed");
        }
    }

    fn retry_or_fail(
        &self,
        attempts: i32,
        status_code: Option<i32>,
        error: String,
    ) -> (DeliveryOutcome, AttemptResult) {
        let error: String = error.chars().take(300).collect();
        if attempts >= self.retry.max_attempts {
            return (
                DeliveryOutcome::Failed,
                AttemptResult {
                    status_code,
                    error: Some(error),
                    next: DeliveryStatus::Failed,
                    retry_at: None,
                },
            );
        }
        let wait = chrono::Duration::from_std(self.retry.backoff(attempts)).unwrap_or_default();
        (
            DeliveryOutcome::Retrying,
            AttemptResult {
                status_code,
                error: Some(error),
                next: DeliveryStatus::Pending,
                retry_at: Some(chrono::Utc::now() + wait),
            },
        )
    }

    async fn post(&self, claimed: &ClaimedDelivery) -> Result<Answer, OutboundError> {
        let (url, client) = self.outbound.prepare(&claimed.url).await?;
        let body = claimed.delivery.payload.clone().into_bytes();
        let mut request = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(EVENT_HEADER, claimed.delivery.event.as_str())
            .header(DELIVERY_HEADER, &claimed.delivery.delivery_id);
        if let Some(secret) = &claimed.secret {
            request = request.header(SIGNATURE_HEADER, sign(secret, &body));
        }
        self.outbound.send(request.body(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let first = RETRY_POLICY.backoff(1).as_millis();
        assert!((1_600..=2_400).contains(&first), "{first}");
        let late = RETRY_POLICY.backoff(40).as_secs();
        assert!(late <= 4_320, "{late}");
    }
}
