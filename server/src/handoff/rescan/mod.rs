//! Library rescans: the admin's media-server settings (audited; secrets write-only) and the
//! debouncer that turns finished downloads into one rescan request per server: when an
//! album's last track has ended, or when singles stop arriving for `quiet` (a burst of
//! singles is one rescan, not one per file). The debouncer lives in this instance's memory.

mod debounce;
mod servers;

pub use servers::{Reply, media_path, subsonic_token};

use super::outbound::{Outbound, OutboundError};
use crate::{
    audit::{AuditAction, AuditEvent},
    auth::Admin,
    domain::{DownloadStatus, MediaServerKind},
    error::{AppError, AppResult},
    metrics::HandoffMetrics,
    net::check_url_syntax,
    store::{DownloadRow, MediaServerRow, Store},
};
use debounce::{Arrival, Debounce};
use serde_json::json;
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{sync::Notify, time::Instant};
use tokio_util::sync::CancellationToken;

/// A media server as the admin sets it; `secret: None` keeps the stored one.
#[derive(Debug, Clone)]
pub struct MediaServerSpec {
    pub base_url: String,
    pub username: Option<String>,
    pub secret: Option<String>,
    pub library_path: String,
    pub library_id: Option<i64>,
    pub enabled: bool,
}

pub struct RescanService {
    pub store: Arc<dyn Store>,
    pub outbound: Outbound,
    pub metrics: HandoffMetrics,
    pub quiet: Duration,
    pending: Mutex<Debounce>,
    changed: Notify,
}

impl RescanService {
    /// `quiet`: how long singles must stop arriving before they are announced.
    pub fn new(
        store: Arc<dyn Store>,
        outbound: Outbound,
        metrics: HandoffMetrics,
        quiet: Duration,
    ) -> Self {
        Self {
            store,
            outbound,
            metrics,
            quiet,
            pending: Mutex::new(Debounce::default()),
            changed: Notify::new(),
        }
    }

    /// Takes note of a download that ended; `album_done` when it was its album's last track.
    pub fn note(&self, row: &DownloadRow, album_done: bool) {
        let folder = (row.status == DownloadStatus::Completed)
            .then_some(row.file_path.as_deref())
            .flatten()
            .map(|path| {
                std::path::Path::new(path)
                    .parent()
                    .map(|p| p.to_string_lossy().replace('\\', "/"))
                    .unwrap_or_default()
            });
        let arrival = Arrival {
            folder,
            single: row.parent_id.is_none(),
            album_done,
        };
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).note(
            arrival,
            Instant::now(),
            self.quiet,
        );
        self.changed.notify_one();
    }

    /// Announces pending folders when they are due, until `stop`.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        loop {
            let due = self.pending.lock().unwrap_or_else(|e| e.into_inner()).due();
            let wait = async {
                match due {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.changed.notified() => continue,
                _ = wait => {}
            }
            let folders = self
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take_due(Instant::now());
            if let Some(folders) = folders {
                self.announce(&folders).await;
            }
        }
    }

    async fn announce(&self, folders: &[String]) {
        let servers = match self.store.media_servers().await {
            Ok(servers) => servers,
            Err(err) => {
                tracing::warn!(error = ?err, "reading the media servers failed; rescan skipped");
                return;
            }
        };
        for server in servers.iter().filter(|s| s.enabled) {
            let result = servers::rescan(&self.outbound, server, folders).await;
            let ok = matches!(&result, Ok(reply) if reply.ok);
            self.metrics.rescan(server.kind.as_str(), ok);
            match result {
                Ok(reply) => tracing::info!(
                    server = server.kind.as_str(), ok, status = reply.answer.status,
                    answer = %reply.answer.summary, folders = folders.len(), "library rescan requested"
                ),
                Err(err) => {
                    tracing::warn!(server = server.kind.as_str(), error = %err, "library rescan failed")
                }
            }
        }
    }

    pub async fn list(&self, _admin: &Admin) -> AppResult<Vec<MediaServerRow>> {
        Ok(self.store.media_servers().await?)
    }

    pub async fn save(
        &self,
        admin: &Admin,
        kind: MediaServerKind,
        spec: MediaServerSpec,
    ) -> AppResult<MediaServerRow> {
        check_url_syntax(&spec.base_url)
            .map_err(|e| AppError::Validation(format!("Invalid server URL: {e}")))?;
        if !spec.library_path.starts_with('/') {
            return Err(AppError::Validation(
                "library_path is the media server's absolute path for the download folder, such as /music"
                    .into(),
            ));
        }
        if kind == MediaServerKind::Subsonic && spec.username.as_deref().is_none_or(str::is_empty) {
            return Err(AppError::Validation(
                "A Subsonic server needs a username".into(),
            ));
        }
        let stored = self.store.media_servers().await?;
        let secret = match (spec.secret, stored.iter().find(|s| s.kind == kind)) {
            (Some(secret), _) if !secret.is_empty() => secret,
            (None, Some(existing)) => existing.secret.clone(),
            _ => {
                return Err(AppError::Validation(
                    "Give the password (Subsonic) or API key (Jellyfin)".into(),
                ));
            }
        };
        let audit = AuditEvent::new(
            AuditAction::MediaServerUpdated,
            &admin.0.actor,
            json!({
                "kind": kind.as_str(),
                "host": url::Url::parse(&spec.base_url).ok().and_then(|u| u.host_str().map(str::to_owned)),
                "library_path": spec.library_path,
                "enabled": spec.enabled,
            }),
        );
        let row = MediaServerRow {
            kind,
            base_url: spec.base_url,
            username: spec.username.filter(|u| !u.is_empty()),
            secret,
            library_path: spec.library_path,
            library_id: spec
                .library_id
                .filter(|_| kind == MediaServerKind::Subsonic),
            enabled: spec.enabled,
            updated_at: chrono::Utc::now(),
        };
        Ok(self.store.save_media_server(row, audit).await?)
    }

    pub async fn delete(&self, admin: &Admin, kind: MediaServerKind) -> AppResult<()> {
        let audit = AuditEvent::new(
            AuditAction::MediaServerDeleted,
            &admin.0.actor,
            json!({ "kind": kind.as_str() }),
        );
        if self.store.delete_media_server(kind, audit).await? {
            Ok(())
        } else {
            Err(AppError::NotFound(
                "No such media server is configured".into(),
            ))
        }
    }

    /// Calls the server without scanning and says what it answered.
    pub async fn test(
        &self,
        _admin: &Admin,
        kind: MediaServerKind,
    ) -> AppResult<Result<Reply, OutboundError>> {
        let stored = self.store.media_servers().await?;
        let server = stored
            .iter()
            .find(|s| s.kind == kind)
            .ok_or_else(|| AppError::NotFound("No such media server is configured".into()))?;
        Ok(servers::test_connection(&self.outbound, server).await)
    }
}
