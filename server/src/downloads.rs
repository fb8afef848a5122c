//! Download requests as the user sees them: submit a URL, list and read your history,
//! cancel, retry, delete. Runs the checks in front of the queue (SEC-1, SEC-2, SEC-4, routing
//! to a plugin) and keeps every user to their own downloads (SEC-17). The jobs themselves run
//! in `jobs::worker`, behind the `JobQueue` trait.

use crate::{
    audit::{AuditAction, AuditEvent},
    auth::CurrentUser,
    domain::{AudioFormat, DownloadChange, DownloadEvent, DownloadStatus, JobQueue},
    error::{AppError, AppResult},
    jobs::{
        beneath::{self, FileIdentity, Recorded, Removal},
        events::EventHub,
        output_path::is_plain_relative,
    },
    net::{
        AddressPolicy,
        url_policy::{check_destination, check_url_syntax},
    },
    plugins::PluginRegistry,
    store::{DownloadFilter, DownloadRow, NewSubmission, Page, PageRequest, Store, Transition},
};
use serde_json::json;
use std::{path::PathBuf, sync::Arc};

/// Users' download operations, with what they use and nothing else.
pub struct DownloadService {
    pub store: Arc<dyn Store>,
    pub events: Arc<EventHub>,
    pub queue: Arc<dyn JobQueue>,
    pub plugins: Arc<PluginRegistry>,
    pub output_directory: PathBuf,
    pub address_policy: AddressPolicy,
    /// MAX_QUEUED_DOWNLOADS_PER_USER (SEC-41).
    pub max_active_per_user: u32,
}

/// When a user whose queue is full may try again: a guess, since it depends on how fast
/// their downloads finish.
const QUEUE_FULL_RETRY_SECS: u64 = 60;

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
        force: bool,
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
        // SEC-41: one user cannot fill the queue. Counted before the insert, so a burst can
        // pass the cap by the few submissions in flight.
        let active = self.store.count_active_downloads(user.user.id).await?;
        if active >= i64::from(self.max_active_per_user) {
            return Err(AppError::Limited {
                detail: format!(
                    "You have {active} downloads queued or running, the most this server allows; submit more when some have finished"
                ),
                retry_after_secs: QUEUE_FULL_RETRY_SECS,
            });
        }
        let audit = AuditEvent::new(
            AuditAction::DownloadRequested,
            &user.actor,
            json!({ "url": url.as_str(), "format": format.as_str(), "plugin": plugin, "force": force }),
        );
        let submission = NewSubmission {
            user_id: user.user.id,
            url: url.to_string(),
            format,
            plugin,
            force,
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

    /// Stops every active download of a user whose account was disabled: pending ones are
    /// cancelled at once, running ones stop (here at once, elsewhere at their next heartbeat).
    pub async fn stop_all_of(&self, user_id: i64) -> AppResult<()> {
        for row in self.store.stop_user_downloads(user_id).await? {
            if row.status == DownloadStatus::Downloading {
                self.queue.cancel_local(row.id);
            }
            self.events.publish_row(&row, None).await;
        }
        Ok(())
    }

    pub async fn list(
        &self,
        user: &CurrentUser,
        filter: DownloadFilter,
        page: PageRequest,
    ) -> AppResult<Page<DownloadRow>> {
        let mut page = self
            .store
            .list_downloads(user.user.id, filter, page)
            .await?;
        crate::store::attach_track_counts(&*self.store, user.user.id, &mut page.items).await?;
        Ok(page)
    }

    pub async fn get(&self, user: &CurrentUser, id: i64) -> AppResult<DownloadRow> {
        let mut row = self
            .store
            .download_for_user(id, user.user.id)
            .await?
            .ok_or_else(not_found)?;
        crate::store::attach_track_counts(
            &*self.store,
            user.user.id,
            std::slice::from_mut(&mut row),
        )
        .await?;
        Ok(row)
    }

    /// Cancels a pending download at once; a running one is stopped by its worker (SEC-7). A
    /// set's cancel acts on its unfinished tracks.
    pub async fn cancel(&self, user: &CurrentUser, id: i64) -> AppResult<DownloadRow> {
        let audit = AuditEvent::new(
            AuditAction::DownloadCancelled,
            &user.actor,
            json!({ "download_id": id }),
        );
        let (row, tracks) = transition(
            self.store.request_cancel(id, user.user.id, audit).await?,
            "cancelled",
        )?;
        for changed in tracks.iter().chain(std::iter::once(&row)) {
            self.queue.cancel_local(changed.id);
            self.events.publish_row(changed, None).await;
        }
        self.get(user, id).await
    }

    /// Queues a failed, cancelled or skipped download again (skipped: downloads it anyway). A
    /// set's retry acts on its failed and cancelled tracks.
    pub async fn retry(&self, user: &CurrentUser, id: i64) -> AppResult<DownloadRow> {
        let audit = AuditEvent::new(
            AuditAction::DownloadRetried,
            &user.actor,
            json!({ "download_id": id }),
        );
        let (row, tracks) = transition(
            self.store.retry_download(id, user.user.id, audit).await?,
            "retried",
        )?;
        for changed in tracks.iter().chain(std::iter::once(&row)) {
            self.events.publish_row(changed, None).await;
        }
        self.queue.wake();
        self.get(user, id).await
    }

    /// Deletes a download from the history; with `delete_file`, also its file (a set: its
    /// tracks' files), which must lie inside OUTPUT_DIRECTORY (SEC-5) and still be the file
    /// the download wrote (SEC-43). A running download is stopped by its worker, which
    /// finds its row gone.
    pub async fn delete(&self, user: &CurrentUser, id: i64, delete_file: bool) -> AppResult<()> {
        let existing = self.get(user, id).await?;
        // A set's files are its tracks' (the set itself has none).
        let candidates = match delete_file {
            false => Vec::new(),
            true if existing.parent_id.is_none() => {
                let mut rows = self.store.set_tracks(id).await?;
                rows.push(existing.clone());
                rows
            }
            true => vec![existing.clone()],
        };
        // Only files a download wrote: a skipped track's path is the library's own file.
        // Said in the audit entry: how many files are still the ones these downloads wrote
        // (checked again when each is removed).
        let mut files = Vec::new();
        for row in candidates
            .iter()
            .filter(|r| r.status == DownloadStatus::Completed)
        {
            if let Some(relative) = &row.file_path {
                let file = OwnFile::of(row, relative)?;
                if self.file_is_ours(&file).await? {
                    files.push(file);
                }
            }
        }
        let audit = AuditEvent::new(
            AuditAction::DownloadDeleted,
            &user.actor,
            json!({
                "download_id": id,
                "url": existing.url,
                "file_deleted": !files.is_empty(),
                "files_deleted": files.len(),
            }),
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
        for file in files {
            self.remove_own_file(file).await?;
        }
        Ok(())
    }

    /// Whether the file at the download's path is still the one it wrote, reached without
    /// following symlinks (SEC-43).
    async fn file_is_ours(&self, file: &OwnFile) -> AppResult<bool> {
        let (root, f) = (self.output_directory.clone(), file.clone());
        let found = tokio::task::spawn_blocking(move || beneath::identity(&root, &f.relative))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("file check: {e}")))?;
        Ok(found.is_ok_and(|found| file.recorded.matches(found)))
    }

    /// Removes the download's file if it is still the one it wrote (SEC-43).
    async fn remove_own_file(&self, file: OwnFile) -> AppResult<()> {
        let root = self.output_directory.clone();
        let removed = tokio::task::spawn_blocking(move || {
            beneath::remove_if_same(&root, &file.relative, file.recorded)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("file removal: {e}")))?;
        match removed {
            Ok(Removal::Removed | Removal::Missing) => Ok(()),
            Ok(Removal::NotTheSameFile) => {
                tracing::warn!("a deleted download's path now holds another file; left alone");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not remove a deleted download's file");
                Err(AppError::Conflict(
                    "The download was removed from your history, but its file could not be deleted"
                        .into(),
                ))
            }
        }
    }
}

/// A completed download's file as recorded: where, and which file (SEC-43). Also what
/// `media` opens to stream it.
#[derive(Clone)]
pub(crate) struct OwnFile {
    pub(crate) relative: PathBuf,
    pub(crate) recorded: Recorded,
}

impl OwnFile {
    /// The stored path must be plain and relative (SEC-5).
    pub(crate) fn of(row: &DownloadRow, relative: &str) -> AppResult<Self> {
        let relative = PathBuf::from(relative);
        if !is_plain_relative(&relative) {
            return Err(AppError::Conflict(
                "The file's path is not inside the output folder".into(),
            ));
        }
        Ok(Self {
            relative,
            recorded: Recorded {
                // Stored as the bits of an i64 (see `jobs::worker::outcome`).
                identity: FileIdentity {
                    device: row.file_device.unwrap_or_default() as u64,
                    inode: row.file_inode.unwrap_or_default() as u64,
                    size: row.file_size.unwrap_or_default() as u64,
                },
                identity_known: row.file_device.is_some() && row.file_inode.is_some(),
            },
        })
    }
}

/// The row a request changed (a set: the set, and the tracks it changed).
fn transition(t: Transition, verb: &str) -> AppResult<(DownloadRow, Vec<DownloadRow>)> {
    match t {
        Transition::Done(row) => Ok((*row, Vec::new())),
        Transition::SetTracks(set, tracks) => Ok((*set, tracks)),
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
