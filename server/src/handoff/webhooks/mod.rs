//! Webhooks: users configure their own, admins global ones (every user's downloads). This
//! file owns the configuration (validated, each change audited in the same transaction);
//! `enqueue.rs` turns a download's end into queued deliveries, `delivery.rs` sends them,
//! `payload.rs` is the versioned schema and `signature.rs` the HMAC header.

mod delivery;
mod enqueue;
pub mod payload;
pub mod signature;

pub use delivery::{DeliveryWorker, RETRY_POLICY, RetryPolicy};

use super::outbound::Outbound;
use crate::{
    audit::{Actor, AuditAction, AuditEvent},
    auth::{Admin, CurrentUser},
    domain::WebhookEvent,
    error::{AppError, AppResult},
    net::{UrlRejection, check_url_syntax, url_policy::check_destination},
    store::{DeliveryRow, NewWebhook, Store, WebhookPatch, WebhookRow},
};
use serde_json::json;
use std::sync::Arc;

/// The most webhooks one user (or the global list) may have.
pub const MAX_WEBHOOKS: usize = 20;
/// The longest secret accepted, in bytes.
pub const MAX_SECRET_BYTES: usize = 256;
/// How many of a webhook's recent deliveries its owner sees.
pub const RECENT_DELIVERIES: i64 = 20;

/// Whose webhooks an operation is about: the caller's own, or (with an admin's proof) the
/// global ones.
#[derive(Clone, Copy)]
pub enum Owner<'a> {
    User(&'a CurrentUser),
    Global(&'a Admin),
}

impl Owner<'_> {
    fn user_id(&self) -> Option<i64> {
        match self {
            Owner::User(user) => Some(user.user.id),
            Owner::Global(_) => None,
        }
    }

    fn actor(&self) -> &Actor {
        match self {
            Owner::User(user) => &user.actor,
            Owner::Global(admin) => &admin.0.actor,
        }
    }

    fn scope(&self) -> &'static str {
        match self {
            Owner::User(_) => "user",
            Owner::Global(_) => "global",
        }
    }
}

/// What a webhook is set to, as given by its owner.
#[derive(Debug, Clone)]
pub struct WebhookSpec {
    pub url: String,
    pub secret: Option<String>,
    pub events: Vec<WebhookEvent>,
}

pub struct WebhookService {
    pub store: Arc<dyn Store>,
    pub outbound: Outbound,
}

impl WebhookService {
    pub async fn list(&self, owner: Owner<'_>) -> AppResult<Vec<WebhookRow>> {
        Ok(self.store.list_webhooks(owner.user_id()).await?)
    }

    pub async fn create(&self, owner: Owner<'_>, spec: WebhookSpec) -> AppResult<WebhookRow> {
        self.check_url(&spec.url).await?;
        check_secret(spec.secret.as_deref())?;
        let events = check_events(spec.events)?;
        if self.store.list_webhooks(owner.user_id()).await?.len() >= MAX_WEBHOOKS {
            return Err(AppError::Validation(format!(
                "At most {MAX_WEBHOOKS} webhooks; delete one first"
            )));
        }
        let audit = self.audit(
            owner,
            AuditAction::WebhookCreated,
            json!({ "host": host_of(&spec.url), "events": events, "secret_set": spec.secret.is_some() }),
        );
        let new = NewWebhook {
            user_id: owner.user_id(),
            url: spec.url,
            secret: spec.secret,
            events,
        };
        Ok(self.store.create_webhook(new, audit).await?)
    }

    /// Changes what is given; `secret: Some(None)` removes the secret.
    pub async fn update(
        &self,
        owner: Owner<'_>,
        id: i64,
        mut patch: WebhookPatch,
    ) -> AppResult<WebhookRow> {
        if let Some(url) = &patch.url {
            self.check_url(url).await?;
        }
        if let Some(secret) = &patch.secret {
            check_secret(secret.as_deref())?;
        }
        if let Some(events) = patch.events.take() {
            patch.events = Some(check_events(events)?);
        }
        let audit = self.audit(
            owner,
            AuditAction::WebhookUpdated,
            json!({
                "webhook_id": id,
                "host": patch.url.as_deref().map(host_of),
                "events": patch.events,
                "enabled": patch.enabled,
                "secret_changed": patch.secret.is_some(),
            }),
        );
        self.store
            .update_webhook(id, owner.user_id(), patch, audit)
            .await?
            .ok_or_else(not_found)
    }

    pub async fn delete(&self, owner: Owner<'_>, id: i64) -> AppResult<()> {
        let audit = self.audit(
            owner,
            AuditAction::WebhookDeleted,
            json!({ "webhook_id": id }),
        );
        if self
            .store
            .delete_webhook(id, owner.user_id(), audit)
            .await?
        {
            Ok(())
        } else {
            Err(not_found())
        }
    }

    /// The webhook's latest deliveries, newest first (only its owner sees them).
    pub async fn deliveries(&self, owner: Owner<'_>, id: i64) -> AppResult<Vec<DeliveryRow>> {
        let hook = self
            .store
            .webhook(id, owner.user_id())
            .await?
            .ok_or_else(not_found)?;
        Ok(self
            .store
            .recent_deliveries(hook.id, RECENT_DELIVERIES)
            .await?)
    }

    fn audit(
        &self,
        owner: Owner<'_>,
        action: AuditAction,
        mut details: serde_json::Value,
    ) -> AuditEvent {
        details["scope"] = owner.scope().into();
        AuditEvent::new(action, owner.actor(), details)
    }

    /// Shape (SEC-2) and destination (SEC-4) now, so a mistake is said at once; delivery
    /// checks again, since a name may resolve elsewhere later. A name that does not resolve
    /// yet is accepted (a receiver being set up), and fails its deliveries until it does.
    async fn check_url(&self, raw: &str) -> AppResult<()> {
        let url = check_url_syntax(raw)
            .map_err(|e| AppError::Validation(format!("Invalid webhook URL: {e}")))?;
        match check_destination(&url, &self.outbound.policy).await {
            Ok(_) | Err(UrlRejection::Unresolvable) => Ok(()),
            Err(UrlRejection::PrivateAddress) => Err(AppError::Validation(
                "The webhook URL points at an address this server does not allow (ALLOW_PRIVATE_URLS)"
                    .into(),
            )),
            Err(e) => Err(AppError::Validation(format!("Invalid webhook URL: {e}"))),
        }
    }
}

fn not_found() -> AppError {
    AppError::NotFound("Webhook not found".into())
}

fn check_secret(secret: Option<&str>) -> AppResult<()> {
    match secret {
        Some(s) if s.is_empty() || s.len() > MAX_SECRET_BYTES => Err(AppError::Validation(
            format!("A webhook secret has 1 to {MAX_SECRET_BYTES} bytes"),
        )),
        _ => Ok(()),
    }
}

fn check_events(mut events: Vec<WebhookEvent>) -> AppResult<Vec<WebhookEvent>> {
    events.sort_by_key(|e| e.as_str());
    events.dedup();
    if events.is_empty() {
        return Err(AppError::Validation(
            "Choose at least one event: completed, failed, album_completed".into(),
        ));
    }
    Ok(events)
}

/// Only the host goes into the audit log: a URL's path or query may carry a token.
fn host_of(raw: &str) -> Option<String> {
    url::Url::parse(raw)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
}
