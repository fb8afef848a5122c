//! The state every request handler and background task shares, passed explicitly
//! (`Data<&Arc<AppState>>`), never global.

use crate::{
    auth::AccountService, config::Config, downloads::DownloadService, plugin_admin::PluginAdmin,
    plugins::PluginRegistry, store::Store,
};
use std::sync::Arc;

pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    /// Accounts and sessions: register, log in and out, passwords, admin user changes.
    pub accounts: AccountService,
    /// Admin changes to plugins (audited).
    pub plugin_admin: PluginAdmin,
    pub plugins: Arc<PluginRegistry>,
    /// Users' downloads: submit, list, cancel, retry, delete, and their live updates.
    pub downloads: DownloadService,
    /// History pages as last sent, while the user's history is unchanged (`history_pages.rs`).
    pub history_pages: crate::history_pages::HistoryPages,
    /// Reading downloaded files: streaming, covers, a set's tracks, signed media links.
    pub media: crate::media::MediaService,
    /// The tool preflight (yt-dlp, its JavaScript runtime, ffmpeg, ffprobe, the output
    /// folder), running in the background after start.
    pub tools: crate::jobs::ToolStatus,
    /// The managed yt-dlp: updates, rollbacks, the one jobs run.
    pub ytdlp: Arc<crate::tools::YtdlpManager>,
    /// Open live event streams per user, capped (SEC-46).
    pub event_streams: crate::auth::StreamSlots,
    /// Cancelled when the server shuts down (ends event streams).
    pub shutdown: tokio_util::sync::CancellationToken,
    /// Webhooks and media-server rescans (issue 12).
    pub handoff: Arc<crate::handoff::Handoff>,
    /// What `/metrics` exports; the HTTP middleware records into it.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The library index ("already have it"); admins rescan it.
    pub library: Arc<crate::library::LibraryIndex>,
}
