//! Download requests as the user sees them: submit a URL, list and read your history,
//! cancel, retry, delete. Runs the checks in front of the queue (SEC-1, SEC-2, SEC-4, routing
//! to a plugin) and keeps every user to their own downloads (SEC-17). The jobs themselves run
//! in `jobs::worker`.

use crate::{
    audit::{AuditAction, AuditEvent},
    auth::CurrentUser,
    error::{AppError, AppResult},
    jobs::{AudioFormat, events::DownloadEvent},
    net::url_policy::{check_destination, check_url_syntax},
    state::AppState,
    store::{DownloadFilter, DownloadRow, NewDownload, Page, PageRequest, Transition, status},
};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Component, Path, PathBuf};

/// Live progress of a running download.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Object, PartialEq)]
pub struct ProgressView {
    pub downloaded_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
    /// 0–100.
    pub percent: Option<f64>,
    /// Bytes per second.
    pub speed: Option<f64>,
    /// Seconds left.
    pub eta: Option<f64>,
    /// `resolving`, `downloading`, `converting`, `tagging` or `finalizing`.
    pub phase: String,
}

/// A download as its owner sees it (the REST and SSE shape).
#[derive(Debug, Clone, Serialize, Deserialize, Object)]
#[oai(rename = "Download")]
pub struct DownloadView {
    pub id: i64,
    pub url: String,
    /// The extractor plugin that handles the URL.
    pub plugin: Option<String>,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    /// Seconds.
    pub duration: Option<f64>,
    /// `best`, `mp3`, `m4a`, `opus` or `flac`.
    pub format: String,
    /// `pending`, `downloading`, `completed`, `failed` or `cancelled`.
    pub status: String,
    pub progress: Option<ProgressView>,
    /// Relative to the output folder.
    pub file_path: Option<String>,
    pub file_size: Option<i64>,
    /// What went wrong, with a hint.
    pub error: Option<String>,
    pub attempts: i32,
    /// The playlist or album this track came from.
    pub parent_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<DownloadRow> for DownloadView {
    fn from(r: DownloadRow) -> Self {
        Self {
            id: r.id,
            url: r.url,
            plugin: r.plugin,
            title: r.title,
            artist: r.artist,
            album: r.album,
            duration: r.duration,
            format: r.format,
            progress: if r.status == status::DOWNLOADING {
                r.progress.and_then(|p| serde_json::from_value(p.0).ok())
            } else {
                None
            },
            status: r.status,
            file_path: r.file_path,
            file_size: r.file_size,
            error: r.error,
            attempts: r.attempts,
            parent_id: r.parent_id,
            created_at: r.created_at,
            started_at: r.started_at,
            completed_at: r.completed_at,
        }
    }
}

/// What `submit` did.
pub enum Submitted {
    Created(DownloadView),
    /// The same URL and format is already active for this user.
    Existing(DownloadView),
}

/// Validates a URL and queues it (SEC-1, SEC-2, SEC-4; 422 when no plugin claims it).
pub async fn submit(
    state: &AppState,
    user: &CurrentUser,
    raw_url: &str,
    format: AudioFormat,
) -> AppResult<Submitted> {
    let url = check_url_syntax(raw_url.trim())
        .map_err(|e| AppError::Validation(capitalise(&e.to_string())))?;
    check_destination(&url, state.config.address_policy)
        .await
        .map_err(|e| AppError::Validation(capitalise(&e.to_string())))?;
    let plugin = state
        .plugins
        .route(&url)
        .ok_or_else(|| AppError::Validation("No extractor plugin handles this URL".into()))?;
    let audit = AuditEvent::new(
        AuditAction::DownloadRequested,
        &user.actor,
        json!({ "url": url.as_str(), "format": format.as_str(), "plugin": plugin }),
    );
    let (row, created) = state
        .store
        .create_download(
            NewDownload {
                user_id: user.user.id,
                url: url.to_string(),
                format: format.as_str().into(),
                plugin: Some(plugin),
                ..NewDownload::default()
            },
            audit,
        )
        .await?;
    let view = DownloadView::from(row);
    if created {
        publish(state, user.user.id, view.clone()).await;
        state.runner.wake();
        Ok(Submitted::Created(view))
    } else {
        Ok(Submitted::Existing(view))
    }
}

pub async fn list(
    state: &AppState,
    user: &CurrentUser,
    filter: DownloadFilter,
    page: PageRequest,
) -> AppResult<Page<DownloadView>> {
    if let Some(s) = &filter.status
        && !status::ALL.contains(&s.as_str())
    {
        return Err(AppError::Validation(format!(
            "Unknown status {s:?}; use one of {}",
            status::ALL.join(", ")
        )));
    }
    let page = state
        .store
        .list_downloads(user.user.id, filter, page)
        .await?;
    Ok(Page {
        items: page.items.into_iter().map(Into::into).collect(),
        total: page.total,
    })
}

pub async fn get(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<DownloadView> {
    state
        .store
        .download_for_user(id, user.user.id)
        .await?
        .map(Into::into)
        .ok_or_else(not_found)
}

/// Cancels a pending download at once; a running one is stopped by its worker (SEC-7).
pub async fn cancel(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<DownloadView> {
    let audit = AuditEvent::new(
        AuditAction::DownloadCancelled,
        &user.actor,
        json!({ "download_id": id }),
    );
    let row = transition(
        state.store.request_cancel(id, user.user.id, audit).await?,
        "cancelled",
    )?;
    let view = DownloadView::from(row);
    publish(state, user.user.id, view.clone()).await;
    Ok(view)
}

pub async fn retry(state: &AppState, user: &CurrentUser, id: i64) -> AppResult<DownloadView> {
    let audit = AuditEvent::new(
        AuditAction::DownloadRetried,
        &user.actor,
        json!({ "download_id": id }),
    );
    let row = transition(
        state.store.retry_download(id, user.user.id, audit).await?,
        "retried",
    )?;
    let view = DownloadView::from(row);
    publish(state, user.user.id, view.clone()).await;
    state.runner.wake();
    Ok(view)
}

/// Deletes a download from the history; with `delete_file`, also its file, which must lie
/// inside OUTPUT_DIRECTORY (SEC-5). A running download is stopped by its worker, which
/// finds its row gone.
pub async fn delete(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    delete_file: bool,
) -> AppResult<()> {
    let existing = state
        .store
        .download_for_user(id, user.user.id)
        .await?
        .ok_or_else(not_found)?;
    let file = match (&existing.file_path, delete_file) {
        (Some(relative), true) => Some(file_inside(&state.config.output_directory, relative)?),
        _ => None,
    };
    let audit = AuditEvent::new(
        AuditAction::DownloadDeleted,
        &user.actor,
        json!({ "download_id": id, "url": existing.url, "file_deleted": file.is_some() }),
    );
    let row = state
        .store
        .delete_download(id, user.user.id, audit)
        .await?
        .ok_or_else(not_found)?;
    if let Some(path) = file {
        match tokio::fs::remove_file(&path).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not remove a deleted download's file");
                return Err(AppError::Conflict(
                    "The download was removed from your history, but its file could not be deleted"
                        .into(),
                ));
            }
        }
    }
    let mut view = DownloadView::from(row);
    view.status = "deleted".into();
    publish(state, user.user.id, view).await;
    Ok(())
}

pub async fn publish(state: &AppState, user_id: i64, download: DownloadView) {
    state
        .events
        .publish(DownloadEvent { user_id, download })
        .await;
}

/// Resolves a stored relative path inside the output folder, component-wise (SEC-5).
fn file_inside(output_directory: &Path, relative: &str) -> AppResult<PathBuf> {
    let relative = Path::new(relative);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(AppError::Conflict(
            "The file's path is not inside the output folder".into(),
        ));
    }
    let root = output_directory
        .canonicalize()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("output directory: {e}")))?;
    let path = root.join(relative);
    match path.canonicalize() {
        Ok(real) if real.starts_with(&root) => Ok(real),
        Ok(_) => Err(AppError::Conflict(
            "The file's path is not inside the output folder".into(),
        )),
        // Already gone: nothing to delete, but the path is still checked lexically above.
        Err(_) => Ok(path),
    }
}

fn transition(t: Transition, verb: &str) -> AppResult<DownloadRow> {
    match t {
        Transition::Done(row) => Ok(*row),
        Transition::NotFound => Err(not_found()),
        Transition::NotAllowed(current) => Err(AppError::Conflict(format!(
            "A {current} download cannot be {verb}"
        ))),
    }
}

fn not_found() -> AppError {
    AppError::NotFound("Download not found".into())
}

fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
