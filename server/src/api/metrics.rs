//! `GET /metrics`: the Prometheus scrape. A plain poem route outside the OpenAPI document
//! (its body is the Prometheus text format, not JSON). Readable with an admin's bearer
//! token, or with METRICS_TOKEN when one is set; anything else gets the usual JSON errors
//! (401 without or with a bad token, 403 for a signed-in user who is not an admin).

use super::{
    error::{ApiError, unauthorized},
    guard,
};
use crate::{
    jobs::ToolReport,
    metrics::{CONTENT_TYPE, ScrapeFacts, ToolVersion},
    state::AppState,
};
use poem::{Request, Response, handler, http::header, web::Data};
use poem_openapi::auth::Bearer;
use std::sync::Arc;

#[handler]
pub async fn scrape(req: &Request, state: Data<&Arc<AppState>>) -> poem::Result<Response> {
    authorize(req, &state).await?;
    let queue_depth = match state.store.count_pending_downloads().await {
        Ok(depth) => Some(depth),
        // A scrape while the database is down still reports the rest.
        Err(err) => {
            tracing::warn!(error = ?err, "metrics: counting pending downloads failed");
            None
        }
    };
    let tools = state
        .tools
        .current()
        .map(|report| tool_versions(&report))
        .unwrap_or_default();
    let body = state
        .metrics
        .encode(ScrapeFacts { queue_depth, tools })
        .map_err(|err| {
            ApiError::from(crate::error::AppError::Internal(anyhow::anyhow!(
                "encoding metrics: {err}"
            )))
        })?;
    Ok(Response::builder()
        .content_type(CONTENT_TYPE)
        .header(header::CACHE_CONTROL, "no-store")
        .body(body))
}

/// METRICS_TOKEN, else an admin's session.
async fn authorize(req: &Request, state: &AppState) -> poem::Result<()> {
    let Some(token) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    else {
        return Err(unauthorized("Not authenticated"));
    };
    if state
        .config
        .metrics_token
        .as_ref()
        .is_some_and(|expected| expected.matches(token))
    {
        return Ok(());
    }
    let current = guard::authenticate(
        req,
        Bearer {
            token: token.to_owned(),
        },
    )
    .await?;
    current.require_admin().map_err(ApiError::from)?;
    Ok(())
}

/// The versions the preflight found; a missing tool has none.
fn tool_versions(report: &ToolReport) -> Vec<ToolVersion> {
    [
        ("yt-dlp", &report.ytdlp_version),
        ("yt-dlp-ejs", &report.ejs_version),
        ("js-runtime", &report.js_runtime_version),
        ("ffmpeg", &report.ffmpeg_version),
        ("ffprobe", &report.ffprobe_version),
    ]
    .into_iter()
    .filter_map(|(tool, version)| {
        version.as_ref().map(|version| ToolVersion {
            tool,
            version: version.clone(),
        })
    })
    .collect()
}
