//! `/api/admin/tools*`: the download tools' versions, and the managed yt-dlp's update and
//! rollback (`tools::YtdlpManager`). Admins only (SEC-17, SEC-48: versions and paths are
//! shown to admins only); every update, refused update and rollback is audited.

use super::{error::ApiResult, guard::BearerAuth};
use crate::{
    audit::{AuditAction, AuditEvent},
    error::AppError,
    state::AppState,
    tools::{Channel, EnvRecord, LastUpdate, ToolsError, UpdateOutcome, UpdateRequest, UpdateStep},
};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use serde_json::json;
use std::sync::Arc;

/// One yt-dlp environment.
#[derive(Debug, Object)]
pub struct YtdlpEnvironment {
    /// The managed environment's id; `null`: the tool folder's yt-dlp (`TOOLS_DIRECTORY`).
    #[oai(nullable)]
    pub id: Option<String>,
    #[oai(nullable)]
    pub version: Option<String>,
}

impl From<EnvRecord> for YtdlpEnvironment {
    fn from(r: EnvRecord) -> Self {
        Self {
            id: r.id,
            version: r.version,
        }
    }
}

/// The tools in use and the managed yt-dlp's state.
#[derive(Debug, Object)]
pub struct ToolsOverview {
    /// The yt-dlp new downloads run (`null`: it does not answer).
    #[oai(nullable)]
    pub ytdlp_version: Option<String>,
    /// The yt-dlp-ejs scripts that yt-dlp loads (YouTube's challenges).
    #[oai(nullable)]
    pub ejs_version: Option<String>,
    /// The JavaScript runtime yt-dlp accepted, e.g. `deno 2.9.8`.
    #[oai(nullable)]
    pub js_runtime_version: Option<String>,
    /// The active environment.
    pub active: YtdlpEnvironment,
    /// What a rollback returns to (`null`: nothing).
    #[oai(nullable)]
    pub previous: Option<YtdlpEnvironment>,
    /// The newest yt-dlp release on the package index (`null`: unknown, e.g. unreachable).
    #[oai(nullable)]
    pub newest_ytdlp: Option<String>,
    /// Whether an update or rollback is running.
    pub updating: bool,
    /// The last update since the server started (`null`: none).
    #[oai(nullable)]
    pub last_update: Option<YtdlpUpdateResult>,
}

/// What to install.
#[derive(Debug, Object)]
pub struct YtdlpUpdateBody {
    /// A release such as `2026.10.26`; omitted: the newest of the channel.
    #[oai(validator(max_length = 64))]
    pub version: Option<String>,
    /// `stable` (default) or `nightly` (yt-dlp's nightly builds, pre-releases on PyPI).
    pub channel: Option<Channel>,
}

/// How an update ended.
#[derive(Debug, Clone, Object)]
pub struct YtdlpUpdateResult {
    /// Whether new downloads now run the candidate.
    pub switched: bool,
    /// The version before (switched) — `null` when unknown.
    #[oai(nullable)]
    pub from_version: Option<String>,
    /// The version switched to; `null` when refused.
    #[oai(nullable)]
    pub to_version: Option<String>,
    /// The step that failed; `null` when switched.
    #[oai(nullable)]
    pub failed_step: Option<UpdateStep>,
    /// A short reason for the refusal (no server paths, no raw tool output).
    #[oai(nullable)]
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<LastUpdate> for YtdlpUpdateResult {
    fn from(l: LastUpdate) -> Self {
        match l.outcome {
            UpdateOutcome::Switched { from, to } => Self {
                switched: true,
                from_version: from,
                to_version: Some(to),
                failed_step: None,
                reason: None,
                at: l.at,
            },
            UpdateOutcome::Refused(r) => Self {
                switched: false,
                from_version: None,
                to_version: None,
                failed_step: Some(r.step),
                reason: Some(r.reason),
                at: l.at,
            },
        }
    }
}

/// A rollback's result.
#[derive(Debug, Object)]
pub struct YtdlpRollbackResult {
    #[oai(nullable)]
    pub from_version: Option<String>,
    pub to_version: String,
}

#[derive(ApiResponse)]
enum ToolsShown {
    #[oai(status = 200)]
    Ok(Json<ToolsOverview>),
}

#[derive(ApiResponse)]
enum UpdateAnswered {
    /// The update ran: `switched` says whether it was applied or refused.
    #[oai(status = 200)]
    Ok(Json<YtdlpUpdateResult>),
}

#[derive(ApiResponse)]
enum RolledBack {
    #[oai(status = 200)]
    Ok(Json<YtdlpRollbackResult>),
}

fn api_error(e: ToolsError) -> AppError {
    match e {
        ToolsError::Busy | ToolsError::NoPrevious | ToolsError::PreviousBroken(_) => {
            AppError::Conflict(e.to_string())
        }
        ToolsError::BadVersion(_) => AppError::Validation(e.to_string()),
        ToolsError::State(cause) => AppError::Internal(anyhow::anyhow!(cause)),
    }
}

fn audit_action(outcome: &UpdateOutcome) -> AuditAction {
    match outcome {
        UpdateOutcome::Switched { .. } => AuditAction::ToolUpdated,
        UpdateOutcome::Refused(_) => AuditAction::ToolUpdateRefused,
    }
}

fn audit_details(outcome: &UpdateOutcome, request: &UpdateRequest) -> serde_json::Value {
    match outcome {
        UpdateOutcome::Switched { from, to } => {
            json!({ "tool": "yt-dlp", "from": from, "to": to, "channel": request.channel })
        }
        UpdateOutcome::Refused(r) => json!({ "tool": "yt-dlp", "requested": request.version,
            "channel": request.channel, "step": r.step, "reason": r.reason }),
    }
}

pub struct ToolsApi;

#[OpenApi(tag = "super::admin::AdminTags::Admin")]
impl ToolsApi {
    /// The download tools in use
    ///
    /// yt-dlp, yt-dlp-ejs and JavaScript runtime versions as the running yt-dlp reports them,
    /// the active and previous yt-dlp environments, the newest yt-dlp on the package index,
    /// and the last update's result.
    #[oai(path = "/api/admin/tools", method = "get")]
    async fn tools(&self, state: Data<&Arc<AppState>>, auth: BearerAuth) -> ApiResult<ToolsShown> {
        auth.0.require_admin()?;
        let manager = &state.ytdlp;
        let active = manager.active();
        let env_state = manager.state().await;
        let probe = manager.probe();
        let newest = crate::tools::package_index::newest_ytdlp(
            &state.config.ytdlp_updates.index_url,
            &state.config.address_policy,
        );
        let ((ytdlp_version, ejs_version, js_runtime_version), newest_ytdlp) =
            tokio::join!(probe, newest);
        Ok(ToolsShown::Ok(Json(ToolsOverview {
            ytdlp_version: ytdlp_version.or_else(|| active.version.clone()),
            ejs_version,
            js_runtime_version,
            active: env_state
                .active
                .map(Into::into)
                .unwrap_or(YtdlpEnvironment {
                    id: None,
                    version: active.version.clone(),
                }),
            previous: env_state.previous.map(Into::into),
            newest_ytdlp,
            updating: manager.is_busy(),
            last_update: manager.last_update().map(Into::into),
        })))
    }

    /// Update yt-dlp
    ///
    /// Installs the requested yt-dlp into a new environment in the data volume, smoke-tests
    /// it (its version, a listing and a download of a local fixture through the server's own
    /// arguments and egress proxy) and switches new downloads to it only when every step
    /// passed; running downloads keep their yt-dlp. A refused candidate changes nothing; the
    /// answer names the failing step. 409 while another update or rollback runs.
    #[oai(path = "/api/admin/tools/ytdlp/update", method = "post")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<YtdlpUpdateBody>,
    ) -> ApiResult<UpdateAnswered> {
        let admin = auth.0.require_admin()?;
        let request = UpdateRequest {
            version: body.0.version.clone(),
            channel: body.0.channel.unwrap_or_default(),
        };
        // Detached: a client that goes away mid-install neither stops pip half-way nor skips
        // the audit entry.
        let (manager, store, actor) = (state.ytdlp.clone(), state.store.clone(), admin.0.actor);
        let outcome = tokio::spawn(async move {
            let outcome = manager.update(&request).await.map_err(api_error)?;
            store
                .record_audit(AuditEvent::new(
                    audit_action(&outcome),
                    &actor,
                    audit_details(&outcome, &request),
                ))
                .await?;
            Ok::<_, AppError>(outcome)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the update task ended early: {e}")))??;
        let result = state
            .ytdlp
            .last_update()
            .filter(|l| l.outcome == outcome)
            .unwrap_or(LastUpdate {
                at: Utc::now(),
                outcome,
            });
        Ok(UpdateAnswered::Ok(Json(result.into())))
    }

    /// Roll yt-dlp back
    ///
    /// Switches new downloads back to the previous yt-dlp (checked with `--version`
    /// first); the one it replaces becomes the previous. 409 when there is no
    /// previous one or an update is running.
    #[oai(path = "/api/admin/tools/ytdlp/rollback", method = "post")]
    async fn rollback(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> ApiResult<RolledBack> {
        let admin = auth.0.require_admin()?;
        let (from, to) = state.ytdlp.rollback().await.map_err(api_error)?;
        state
            .store
            .record_audit(AuditEvent::new(
                AuditAction::ToolRolledBack,
                &admin.0.actor,
                json!({ "tool": "yt-dlp", "from": from, "to": to }),
            ))
            .await?;
        Ok(RolledBack::Ok(Json(YtdlpRollbackResult {
            from_version: from,
            to_version: to,
        })))
    }
}
