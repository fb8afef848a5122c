//! Download requests as the user sees them: submit a URL, list and read your history,
//! cancel, retry, delete. Runs the checks in front of the queue (SEC-1, SEC-2, SEC-4, routing
//! to a plugin) and keeps every user to their own downloads (SEC-17). The jobs themselves run
//! in `jobs::worker`, behind the `JobQueue` trait.

use crate::{
    audit::{AuditAction, AuditEvent},
    auth::CurrentUser,
    domain::{AudioFormat, DownloadChange, DownloadEvent, JobQueue},
    error::{AppError, AppResult},
    jobs::events::EventHub,
    net::{
        AddressPolicy,
        url_policy::{check_destination, check_url_syntax},
    },
    plugins::PluginRegistry,
    store::{DownloadFilter, DownloadRow, NewSubmission, Page, PageRequest, Store, Transition},
};
use serde_json::json;
use std::{
    path::{Component, Path, PathBuf},
    sync::Arc,
};

/// Users' download operations, with what they use and nothing else.
pub struct DownloadService {
    pub store: Arc<dyn Store>,
    pub events: Arc<EventHub>,
    pub queue: Arc<dyn JobQueue>,
    pub plugins: Arc<PluginRegistry>,
    pub output_directory: PathBuf,
    pub address_policy: AddressPolicy,
}

/// What `submit` did.
pub enum Submitted {
    Created(DownloadRow),
    /// The same URL and format is already active for this user.
    Existing(DownloadRow),
}

impl DownloadService {
    /// Validates a URL and queues it (SEC-1, SEC-2, SEC-4; 422 when no plugin claims it).
    pub async fn submit(
        &self,
        user: &CurrentUser,
        raw_url: &str,
        format: AudioFormat,
    ) -> AppResult<Submitted> {
        let url = check_url_syntax(raw_url.trim())
            .map_err(|e| AppError::Validation(capitalise(&e.to_string())))?;
        check_destination(&url, &self.address_policy)
            .await
            .map_err(|e| AppError::Validation(capitalise(&e.to_string())))?;
        let plugin = self
            .plugins
            .route(&url)
            .ok_or_else(|| AppError::Validation("No extractor plugin handles this URL".into()))?;
        let audit = AuditEvent::new(
            AuditAction::DownloadRequested,
            &user.actor,
            json!({ "url": url.as_str(), "format": format.as_str(), "plugin": plugin }),
        );
        let submission = NewSubmission {
            user_id: user.user.id,
            url: url.to_string(),
            format,
            plugin,
        };
        let (row, created) = self.store.create_download(submission, audit).await?;
        if created {
            self.events.publish_row(&row, None).await;
            self.queue.wake();
            Ok(Submitted::Created(row))
        } else {
            Ok(Submitted::Existing(row))
        }
    }

    pub async fn list(
        &self,
        user: &CurrentUser,
        filter: DownloadFilter,
        page: PageRequest,
    ) -> AppResult<Page<DownloadRow>> {
        Ok(self
            .store
            .list_downloads(user.user.id, filter, page)
            .await?)
    }

    pub async fn get(&self, user: &CurrentUser, id: i64) -> AppResult<DownloadRow> {
        self.store
            .download_for_user(id, user.user.id)
            .await?
            .ok_or_else(not_found)
    }

    /// Cancels a pending download at once; a running one is stopped by its worker (SEC-7).
    pub async fn cancel(&self, user: &CurrentUser, id: i64) -> AppResult<DownloadRow> {
        let audit = AuditEvent::new(
            AuditAction::DownloadCancelled,
            &user.actor,
            json!({ "download_id": id }),
        );
        let row = transition(
            self.store.request_cancel(id, user.user.id, audit).await?,
            "cancelled",
        )?;
        self.queue.cancel_local(id);
        self.events.publish_row(&row, None).await;
        Ok(row)
    }

    pub async fn retry(&self, user: &CurrentUser, id: i64) -> AppResult<DownloadRow> {
        let audit = AuditEvent::new(
            AuditAction::DownloadRetried,
            &user.actor,
            json!({ "download_id": id }),
        );
        let row = transition(
            self.store.retry_download(id, user.user.id, audit).await?,
            "retried",
        )?;
        self.events.publish_row(&row, None).await;
        self.queue.wake();
        Ok(row)
    }

    /// Deletes a download from the history; with `delete_file`, also its file, which must lie
    /// inside OUTPUT_DIRECTORY (SEC-5). A running download is stopped by its worker, which
    /// finds its row gone.
    pub async fn delete(&self, user: &CurrentUser, id: i64, delete_file: bool) -> AppResult<()> {
        let existing = self.get(user, id).await?;
        let file = match (&existing.file_path, delete_file) {
            (Some(relative), true) => Some(file_inside(&self.output_directory, relative)?),
            _ => None,
        };
        let audit = AuditEvent::new(
            AuditAction::DownloadDeleted,
            &user.actor,
            json!({ "download_id": id, "url": existing.url, "file_deleted": file.is_some() }),
        );
        self.store
            .delete_download(id, user.user.id, audit)
            .await?
            .ok_or_else(not_found)?;
        self.queue.cancel_local(id);
        let deleted = DownloadEvent {
            user_id: user.user.id,
            download_id: id,
            change: DownloadChange::Deleted,
        };
        self.events.publish(deleted, None).await;
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
        Ok(())
    }
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
