//! `/api/webhooks` (the caller's own webhooks) and `/api/admin/webhooks` (the global ones,
//! admins only, SEC-17): list, create, change, delete, and the latest deliveries. Secrets
//! are write-only: a view says whether one is set, never what it is.

use super::error::ApiResult;
use super::guard::BearerAuth;
use crate::{
    domain::{DeliveryStatus, WebhookEvent},
    handoff::webhooks::{Owner, WebhookSpec},
    state::AppState,
    store::{DeliveryRow, WebhookPatch, WebhookRow},
};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags, param::Path, payload::Json};
use std::sync::Arc;

#[derive(Tags)]
enum WebhookTags {
    /// Webhooks: a signed JSON POST when downloads end (payload schema in the README)
    Webhooks,
}

#[derive(Debug, Object)]
pub struct WebhookView {
    pub id: i64,
    /// `true` for a global webhook (an admin's), which hears every user's downloads.
    pub global: bool,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub enabled: bool,
    /// Whether deliveries are signed (`X-Signature-256`); the secret itself is never shown.
    pub has_secret: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for WebhookView {
    fn from(r: WebhookRow) -> Self {
        Self {
            id: r.id,
            global: r.user_id.is_none(),
            events: r.events(),
            url: r.url,
            enabled: r.enabled,
            has_secret: r.secret.is_some(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct WebhookRequest {
    /// Where to POST: an http(s) URL the address policy allows (ALLOW_PRIVATE_URLS for LAN
    /// targets), at most 2048 bytes.
    #[oai(validator(max_length = 4096))]
    pub url: String,
    /// Signs each body: `X-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`. Write-only.
    #[oai(validator(min_length = 1, max_length = 256))]
    pub secret: Option<String>,
    /// Which events to send (at least one).
    #[oai(validator(min_items = 1, max_items = 3))]
    pub events: Vec<WebhookEvent>,
}

#[derive(Debug, Object)]
pub struct WebhookUpdate {
    #[oai(validator(max_length = 4096))]
    pub url: Option<String>,
    /// A new secret (write-only).
    #[oai(validator(min_length = 1, max_length = 256))]
    pub secret: Option<String>,
    /// `true`: remove the secret, deliveries are no longer signed.
    pub clear_secret: Option<bool>,
    #[oai(validator(min_items = 1, max_items = 3))]
    pub events: Option<Vec<WebhookEvent>>,
    pub enabled: Option<bool>,
}

/// One delivery of one payload and how its attempts went.
#[derive(Debug, Object)]
pub struct DeliveryView {
    pub id: i64,
    /// The payload's `delivery_id` and the `X-Webhook-Delivery` header.
    pub delivery_id: String,
    pub event: WebhookEvent,
    #[oai(nullable)]
    pub download_id: Option<i64>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due (while `pending`).
    pub next_attempt_at: DateTime<Utc>,
    /// The receiver's HTTP status on the last attempt, if it answered.
    #[oai(nullable)]
    pub last_status_code: Option<i32>,
    /// What went wrong on the last attempt (with a short summary of the answer).
    #[oai(nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    #[oai(nullable)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(r: DeliveryRow) -> Self {
        Self {
            id: r.id,
            delivery_id: r.delivery_id,
            event: r.event,
            download_id: r.download_id,
            status: r.status,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_status_code: r.last_status_code,
            last_error: r.last_error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        }
    }
}

#[derive(ApiResponse)]
enum Listed {
    #[oai(status = 200)]
    Ok(Json<Vec<WebhookView>>),
}

#[derive(ApiResponse)]
enum Created {
    #[oai(status = 201)]
    Created(Json<WebhookView>),
}

#[derive(ApiResponse)]
enum Updated {
    #[oai(status = 200)]
    Ok(Json<WebhookView>),
}

#[derive(ApiResponse)]
enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
enum Deliveries {
    /// The latest deliveries (at most 20), newest first.
    #[oai(status = 200)]
    Ok(Json<Vec<DeliveryView>>),
}

fn spec(body: WebhookRequest) -> WebhookSpec {
    WebhookSpec {
        url: body.url,
        secret: body.secret,
        events: body.events,
    }
}

fn patch(body: WebhookUpdate) -> WebhookPatch {
    WebhookPatch {
        url: body.url,
        secret: if body.clear_secret == Some(true) {
            Some(None)
        } else {
            body.secret.map(Some)
        },
        events: body.events,
        enabled: body.enabled,
    }
}

pub struct WebhooksApi;

#[OpenApi(tag = "WebhookTags::Webhooks")]
impl WebhooksApi {
    /// List your webhooks
    #[oai(path = "/api/webhooks", method = "get")]
    async fn list(&self, state: Data<&Arc<AppState>>, auth: BearerAuth) -> ApiResult<Listed> {
        let rows = state.handoff.webhooks.list(Owner::User(&auth.0)).await?;
        Ok(Listed::Ok(Json(rows.into_iter().map(Into::into).collect())))
    }

    /// Add a webhook for your downloads
    #[oai(path = "/api/webhooks", method = "post")]
    async fn create(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<WebhookRequest>,
    ) -> ApiResult<Created> {
        let row = state
            .handoff
            .webhooks
            .create(Owner::User(&auth.0), spec(body.0))
            .await?;
        Ok(Created::Created(Json(row.into())))
    }

    /// Change one of your webhooks
    #[oai(path = "/api/webhooks/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
        body: Json<WebhookUpdate>,
    ) -> ApiResult<Updated> {
        let row = state
            .handoff
            .webhooks
            .update(Owner::User(&auth.0), id.0, patch(body.0))
            .await?;
        Ok(Updated::Ok(Json(row.into())))
    }

    /// Delete one of your webhooks (and its delivery history)
    #[oai(path = "/api/webhooks/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<Deleted> {
        state
            .handoff
            .webhooks
            .delete(Owner::User(&auth.0), id.0)
            .await?;
        Ok(Deleted::NoContent)
    }

    /// The latest deliveries of one of your webhooks
    #[oai(path = "/api/webhooks/:id/deliveries", method = "get")]
    async fn deliveries(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<Deliveries> {
        let rows = state
            .handoff
            .webhooks
            .deliveries(Owner::User(&auth.0), id.0)
            .await?;
        Ok(Deliveries::Ok(Json(
            rows.into_iter().map(Into::into).collect(),
        )))
    }

    /// List the global webhooks (admins)
    #[oai(path = "/api/admin/webhooks", method = "get")]
    async fn list_global(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> ApiResult<Listed> {
        let admin = auth.0.require_admin()?;
        let rows = state.handoff.webhooks.list(Owner::Global(&admin)).await?;
        Ok(Listed::Ok(Json(rows.into_iter().map(Into::into).collect())))
    }

    /// Add a global webhook: it hears every user's downloads (admins)
    #[oai(path = "/api/admin/webhooks", method = "post")]
    async fn create_global(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<WebhookRequest>,
    ) -> ApiResult<Created> {
        let admin = auth.0.require_admin()?;
        let row = state
            .handoff
            .webhooks
            .create(Owner::Global(&admin), spec(body.0))
            .await?;
        Ok(Created::Created(Json(row.into())))
    }

    /// Change a global webhook (admins)
    #[oai(path = "/api/admin/webhooks/:id", method = "patch")]
    async fn update_global(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
        body: Json<WebhookUpdate>,
    ) -> ApiResult<Updated> {
        let admin = auth.0.require_admin()?;
        let row = state
            .handoff
            .webhooks
            .update(Owner::Global(&admin), id.0, patch(body.0))
            .await?;
        Ok(Updated::Ok(Json(row.into())))
    }

    /// Delete a global webhook (admins)
    #[oai(path = "/api/admin/webhooks/:id", method = "delete")]
    async fn delete_global(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<Deleted> {
        let admin = auth.0.require_admin()?;
        state
            .handoff
            .webhooks
            .delete(Owner::Global(&admin), id.0)
            .await?;
        Ok(Deleted::NoContent)
    }

    /// The latest deliveries of a global webhook (admins)
    #[oai(path = "/api/admin/webhooks/:id/deliveries", method = "get")]
    async fn deliveries_global(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<Deliveries> {
        let admin = auth.0.require_admin()?;
        let rows = state
            .handoff
            .webhooks
            .deliveries(Owner::Global(&admin), id.0)
            .await?;
        Ok(Deliveries::Ok(Json(
            rows.into_iter().map(Into::into).collect(),
        )))
    }
}
