//! The daily yt-dlp check (`YTDLP_AUTO_UPDATE=daily`): once a day, when the package index
//! offers a release other than the one running, it is installed through the same smoke test
//! as an admin's update, and the outcome (switched or refused) goes into the audit log,
//! where admins see it. The first check runs a day after start, so a restart loop cannot
//! turn into an install loop.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::manager::YtdlpManager;
use super::model::{Channel, UpdateOutcome, UpdateRequest};
use super::package_index::newest_ytdlp;
use crate::audit::{Actor, AuditAction, AuditEvent};
use crate::net::AddressPolicy;
use crate::store::Store;

const CHECK_INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);

/// What the daily check uses.
pub struct AutoUpdate {
    pub manager: Arc<YtdlpManager>,
    pub store: Arc<dyn Store>,
    pub index_url: String,
    pub address_policy: AddressPolicy,
}

impl AutoUpdate {
    /// Checks once a day until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(CHECK_INTERVAL) => {}
            }
            self.check_once().await;
        }
    }

    /// Installs the index's newest release when it is not the one running.
    pub async fn check_once(&self) {
        let Some(newest) = newest_ytdlp(&self.index_url, &self.address_policy).await else {
            tracing::info!("daily yt-dlp check: the package index did not answer");
            return;
        };
        if self.manager.active().version.as_deref() == Some(newest.as_str()) {
            return;
        }
        let request = UpdateRequest {
            version: Some(newest.clone()),
            channel: Channel::Stable,
        };
        let (action, details) = match self.manager.update(&request).await {
            Ok(UpdateOutcome::Switched { from, to }) => (
                AuditAction::ToolUpdated,
                json!({ "tool": "yt-dlp", "from": from, "to": to, "automatic": true }),
            ),
            Ok(UpdateOutcome::Refused(r)) => (
                AuditAction::ToolUpdateRefused,
                json!({ "tool": "yt-dlp", "requested": newest, "step": r.step,
                        "reason": r.reason, "automatic": true }),
            ),
            // An admin's update or rollback is running: try again tomorrow.
            Err(e) => {
                tracing::info!(error = %e, "daily yt-dlp check skipped");
                return;
            }
        };
        let event = AuditEvent::new(action, &Actor::default(), details);
        if let Err(e) = self.store.record_audit(event).await {
            tracing::error!(error = ?e, "could not audit the daily yt-dlp update");
        }
    }
}
