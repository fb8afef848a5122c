//! The plugin host's public types: what a resolution is, what a plugin looks like in the
//! list, and the errors of calls and admin changes.

use serde::Serialize;

/// Metadata a plugin found; every field is optional and already sanitised.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrackMetadata {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub track_number: Option<u32>,
    pub duration_seconds: Option<f64>,
    pub cover_url: Option<String>,
}

/// How to fetch one entry. URLs passed SEC-2, yt-dlp options passed the SEC-3 allowlist.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FetchAction {
    YtDlp {
        url: String,
        options: Vec<String>,
    },
    Direct {
        url: String,
    },
    /// `url` is a set: the host lists it with yt-dlp's flat listing and each entry becomes a
    /// child job run with yt-dlp and `options`. Always a resolution's only entry.
    ExpandYtDlp {
        url: String,
        options: Vec<String>,
    },
}

impl FetchAction {
    /// The URL the action fetches or lists.
    pub fn url(&self) -> &str {
        match self {
            Self::YtDlp { url, .. } | Self::Direct { url } | Self::ExpandYtDlp { url, .. } => url,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolutionKind {
    Single,
    Playlist,
    Album,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedEntry {
    pub metadata: TrackMetadata,
    pub action: FetchAction,
}

/// A validated `resolve()` result: at least one entry; exactly one for `Single`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    pub metadata: TrackMetadata,
    pub kind: ResolutionKind,
    pub entries: Vec<ResolvedEntry>,
}

/// Where the active version of a plugin came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum PluginSource {
    /// Compiled into the server.
    BuiltIn,
    /// A file placed in PLUGIN_DIRECTORY.
    Directory,
    /// Uploaded by an admin.
    Upload,
}

/// One plugin as `GET /api/plugins` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PluginSummary {
    pub name: String,
    pub version: String,
    pub description: String,
    pub patterns: Vec<String>,
    pub priority: i32,
    pub hosts: Vec<String>,
    pub enabled: bool,
    pub source: PluginSource,
    pub sha256: String,
    /// The interface version the plugin was built against, e.g. `0.3.0`.
    pub interface_version: String,
    pub loaded_at: chrono::DateTime<chrono::Utc>,
    /// The last failed reload of this plugin's file, or its last crash.
    pub last_error: Option<String>,
}

/// What an admin change did; the API audits `sha256` (SEC-23).
#[derive(Debug, Clone, Serialize)]
pub struct PluginChange {
    pub summary: PluginSummary,
    pub sha256: String,
}

/// Why an admin change was refused. `Invalid` and `Conflict` messages are for the admin.
#[derive(Debug, thiserror::Error)]
pub enum PluginAdminError {
    #[error("no plugin with that name")]
    NotFound,
    #[error("the upload is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("invalid plugin: {0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl Clone for PluginAdminError {
    fn clone(&self) -> Self {
        match self {
            Self::NotFound => Self::NotFound,
            Self::TooLarge { limit } => Self::TooLarge { limit: *limit },
            Self::Invalid(m) => Self::Invalid(m.clone()),
            Self::Conflict(m) => Self::Conflict(m.clone()),
            Self::Internal(e) => Self::Internal(anyhow::anyhow!("{e:#}")),
        }
    }
}

/// Why a `resolve()` call failed. The first five come from the plugin itself.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum PluginCallError {
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("network: {0}")]
    Network(String),
    #[error("parse: {0}")]
    Parse(String),
    #[error("{0}")]
    Other(String),
    #[error("the plugin did not finish in time")]
    Timeout,
    #[error("the plugin exceeded its memory limit")]
    OutOfMemory,
    #[error("the plugin crashed: {0}")]
    Crashed(String),
    #[error("the plugin returned invalid output: {0}")]
    InvalidOutput(String),
    #[error("no such plugin")]
    UnknownPlugin,
}

impl PluginCallError {
    /// A short message fit for the job's error column and the user.
    pub fn user_message(&self) -> String {
        match self {
            Self::Unsupported(m) => format!("This URL is not supported: {m}"),
            Self::NotFound(m) => format!("Nothing found at this URL: {m}"),
            Self::Network(m) => format!("The extractor could not reach the site: {m}"),
            Self::Parse(m) => format!("The extractor could not understand the page: {m}"),
            Self::Other(m) => format!("The extractor failed: {m}"),
            Self::Timeout => "The extractor took too long and was stopped".into(),
            Self::OutOfMemory => "The extractor used too much memory and was stopped".into(),
            Self::Crashed(m) => format!("The extractor crashed: {m}"),
            Self::InvalidOutput(m) => format!("The extractor returned something invalid: {m}"),
            Self::UnknownPlugin => "The extractor for this URL is no longer installed".into(),
        }
    }

    /// The variant's name (as serialised), for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unsupported(_) => "unsupported",
            Self::NotFound(_) => "not_found",
            Self::Network(_) => "network",
            Self::Parse(_) => "parse",
            Self::Other(_) => "other",
            Self::Timeout => "timeout",
            Self::OutOfMemory => "out_of_memory",
            Self::Crashed(_) => "crashed",
            Self::InvalidOutput(_) => "invalid_output",
            Self::UnknownPlugin => "unknown_plugin",
        }
    }

    /// Whether retrying later may help (network trouble, a slow site).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Network(_) | Self::Timeout)
    }
}

/// `info()` as validated at load time.
#[derive(Debug, Clone)]
pub(crate) struct PluginInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub patterns: Vec<String>,
    pub priority: i32,
    pub hosts: Vec<String>,
}
