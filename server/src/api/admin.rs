//! `/api/admin/*` for users and the audit log. Every handler first obtains an `Admin`
//! (403 otherwise, SEC-17). Plugin administration lives in `plugins.rs`.

use super::{
    error::ApiResult,
    guard::BearerAuth,
    models::{UserResponse, page_count},
};
use crate::{
    audit::AuditAction,
    error::AppError,
    state::AppState,
    store::{AuditFilter, AuditRow, PageRequest, UserPatch},
};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi, Tags,
    param::{Path, Query},
    payload::Json,
};
use std::sync::Arc;

#[derive(Tags)]
pub(super) enum AdminTags {
    /// Administration (admins only)
    Admin,
}

#[derive(Debug, Object)]
pub struct UserPage {
    pub items: Vec<UserResponse>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: i64,
}

#[derive(Debug, Object)]
pub struct UserUpdate {
    /// Enable or disable the account; takes effect on its next request.
    #[oai(nullable)]
    pub is_active: Option<bool>,
    /// Grant or revoke admin rights; takes effect on its next request.
    #[oai(nullable)]
    pub is_admin: Option<bool>,
}

#[derive(Debug, Object)]
pub struct AuditEntry {
    pub id: i64,
    #[oai(nullable)]
    pub user_id: Option<i64>,
    #[oai(nullable)]
    pub username: Option<String>,
    pub action: AuditAction,
    #[oai(nullable)]
    pub ip_address: Option<String>,
    #[oai(nullable)]
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        Self {
            id: r.id,
            user_id: r.user_id,
            username: r.username,
            action: r.action,
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            details: r.details.0,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct AuditPage {
    pub items: Vec<AuditEntry>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: i64,
}

#[derive(ApiResponse)]
enum UsersListed {
    #[oai(status = 200)]
    Ok(Json<UserPage>),
}

#[derive(ApiResponse)]
enum UserUpdated {
    #[oai(status = 200)]
    Ok(Json<UserResponse>),
}

#[derive(ApiResponse)]
enum AuditListed {
    #[oai(status = 200)]
    Ok(Json<AuditPage>),
}

pub struct AdminApi;

#[OpenApi(tag = "AdminTags::Admin")]
impl AdminApi {
    /// List user accounts
    #[oai(path = "/api/admin/users", method = "get")]
    async fn list_users(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        #[oai(
            default = "default_page",
            validator(minimum(value = "1"), maximum(value = "1000000"))
        )]
        page: Query<u32>,
        #[oai(
            default = "default_per_page",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        per_page: Query<u32>,
    ) -> ApiResult<UsersListed> {
        auth.0.require_admin()?;
        let request = PageRequest {
            page: page.0,
            per_page: per_page.0,
        };
        let result = state.store.list_users(request).await?;
        Ok(UsersListed::Ok(Json(UserPage {
            items: result.items.into_iter().map(Into::into).collect(),
            total: result.total,
            page: page.0,
            per_page: per_page.0,
            pages: page_count(result.total, per_page.0),
        })))
    }

    /// Enable, disable, promote or demote a user
    ///
    /// Refuses (409) to leave the system without an active admin. Disabling a user also
    /// stops their downloads: pending ones are cancelled, running ones stop.
    #[oai(path = "/api/admin/users/:id", method = "patch")]
    async fn update_user(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
        body: Json<UserUpdate>,
    ) -> ApiResult<UserUpdated> {
        let admin = auth.0.require_admin()?;
        let patch = UserPatch {
            is_active: body.0.is_active,
            is_admin: body.0.is_admin,
        };
        if patch.is_active.is_none() && patch.is_admin.is_none() {
            return Err(AppError::Validation(
                "Nothing to change: give is_active or is_admin".into(),
            )
            .into());
        }
        let disabling = patch.is_active == Some(false);
        let user = state.accounts.update_user(&admin, id.0, patch).await?;
        if disabling {
            state.downloads.stop_all_of(user.id).await?;
        }
        Ok(UserUpdated::Ok(Json(user.into())))
    }

    /// Read the audit log
    ///
    /// Newest first; filter by `user_id` and `action`.
    #[oai(path = "/api/admin/audit", method = "get")]
    async fn list_audit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        #[oai(
            default = "default_page",
            validator(minimum(value = "1"), maximum(value = "1000000"))
        )]
        page: Query<u32>,
        #[oai(
            default = "default_per_page",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        per_page: Query<u32>,
        user_id: Query<Option<i64>>,
        action: Query<Option<AuditAction>>,
    ) -> ApiResult<AuditListed> {
        auth.0.require_admin()?;
        let request = PageRequest {
            page: page.0,
            per_page: per_page.0,
        };
        let result = state
            .store
            .list_audit(
                AuditFilter {
                    user_id: user_id.0,
                    action: action.0,
                },
                request,
            )
            .await?;
        Ok(AuditListed::Ok(Json(AuditPage {
            items: result.items.into_iter().map(Into::into).collect(),
            total: result.total,
            page: page.0,
            per_page: per_page.0,
            pages: page_count(result.total, per_page.0),
        })))
    }
}

pub(crate) fn default_page() -> u32 {
    1
}

pub(crate) fn default_per_page() -> u32 {
    20
}
