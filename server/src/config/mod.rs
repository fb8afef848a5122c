//! Every setting the server reads, its environment variable, its default, and its validation.
//!
//! Layering: built-in defaults → `.env` file → process environment. Reading is pure
//! (`parse.rs`: parse, then validate; a bad value stops start-up with a message naming the
//! variable, never a silent clamp). What needs the disk — the generated key and the instance
//! id kept in DATA_DIRECTORY — happens later, in `run`, through `Identity::load`
//! (`identity.rs`). `Config::from_lookup` takes any key lookup so tests build a
//! configuration without touching the process environment.

mod access;
mod identity;
mod limits;
mod parse;
#[cfg(test)]
mod tests;
mod ytdlp_updates;

pub use access::AccessSettings;
pub use identity::{GENERATED_KEY_FILE, Identity};
pub use ytdlp_updates::{DEFAULT_PACKAGE_INDEX, YtdlpUpdateSettings};

use crate::net::AddressPolicy;
use jsonwebtoken::Algorithm;
use std::{
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

/// A secret whose `Debug` output never shows the value.
#[derive(Clone)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// The shortest key accepted, in bytes (SEC-18).
    pub const MIN_BYTES: usize = 32;
    /// Fewer different byte values than this is refused as a placeholder (SEC-18). A hex key
    /// of 32 random bytes has about 16.
    pub const MIN_DISTINCT_BYTES: usize = 8;

    pub fn new(bytes: Vec<u8>) -> Result<Self, ConfigError> {
        if bytes.len() < Self::MIN_BYTES {
            return Err(ConfigError::invalid(
                "SECRET_KEY",
                format!(
                    "must be at least {} bytes of random data (got {}); generate one with `openssl rand -hex 32`, or unset it to let the server generate and keep one",
                    Self::MIN_BYTES,
                    bytes.len()
                ),
            ));
        }
        // 32 bytes of one repeated character (or two) is a placeholder, not a key.
        let distinct = bytes
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if distinct < Self::MIN_DISTINCT_BYTES {
            return Err(ConfigError::invalid(
                "SECRET_KEY",
                format!(
                    "looks like a placeholder ({distinct} different characters); use random data, e.g. `openssl rand -hex 32`"
                ),
            ));
        }
        Ok(Self(bytes))
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// METRICS_TOKEN: a bearer token that may read `/metrics` (and nothing else), for a
/// Prometheus server that should not hold an admin's credentials. `Debug` never shows it.
#[derive(Clone)]
pub struct MetricsToken(String);

impl MetricsToken {
    /// The shortest token accepted, in characters.
    pub const MIN_CHARS: usize = 16;

    pub fn new(token: String) -> Result<Self, ConfigError> {
        let token = token.trim().to_owned();
        if token.chars().count() < Self::MIN_CHARS || token.chars().any(char::is_whitespace) {
            return Err(ConfigError::invalid(
                "METRICS_TOKEN",
                format!(
                    "must be at least {} characters without spaces; generate one with `openssl rand -hex 32`",
                    Self::MIN_CHARS
                ),
            ));
        }
        Ok(Self(token))
    }

    /// Whether `candidate` is the token, in time that does not depend on where they differ
    /// (both are hashed first, so not on their lengths either).
    pub fn matches(&self, candidate: &str) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let expected = Sha256::digest(self.0.as_bytes());
        let given = Sha256::digest(candidate.as_bytes());
        expected.ct_eq(&given).into()
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Who may create accounts through `POST /auth/register`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationPolicy {
    /// Anyone may register (the first account becomes admin).
    Open,
    /// Only an admin may create accounts; the very first account may still be registered.
    AdminOnly,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub database_url: String,
    /// SECRET_KEY; `None`: generated once and kept in DATA_DIRECTORY (see `Identity`).
    pub secret_key: Option<SecretKey>,
    pub algorithm: Algorithm,
    pub access_token_expire_minutes: i64,
    pub data_directory: PathBuf,
    pub output_directory: PathBuf,
    pub plugin_directory: PathBuf,
    /// WEB_DIRECTORY: serve the web page from this folder instead of the copy built into the
    /// binary.
    pub web_directory: Option<PathBuf>,
    pub cors_origins: Vec<String>,
    pub registration: RegistrationPolicy,
    pub address_policy: AddressPolicy,
    pub log_format: LogFormat,
    pub debug: bool,
    pub max_concurrent_downloads: usize,
    /// The tools, absolute (a bare name is looked up on PATH once, here).
    pub tools: ToolPaths,
    /// Where admins' yt-dlp updates are installed from.
    pub ytdlp_updates: YtdlpUpdateSettings,
    pub output_template: String,
    /// How a set's tracks are named (`jobs::album_layout`).
    pub album_output_template: String,
    /// PLAYLIST_FOLDER: where playlists' `.m3u8` files go, relative to the output folder;
    /// `None` (the default): next to each playlist's tracks.
    pub playlist_folder: Option<PathBuf>,
    pub plugin_call_timeout: Duration,
    pub plugin_memory_limit_bytes: usize,
    pub watch_plugins: bool,
    pub max_download_attempts: i32,
    /// HISTORY_CACHE_MB: memory for history pages kept between asks (`history_pages.rs`);
    /// 0 keeps none.
    pub history_cache_bytes: u64,
    /// How long a running job may go without a heartbeat before another worker reclaims it.
    pub job_stale_after: Duration,
    /// RESCAN_QUIET_SECONDS: how long singles must stop arriving before the media servers
    /// are asked to rescan (an album's last track asks at once).
    pub rescan_quiet: Duration,
    /// INSTANCE_ID: names this server among instances sharing a database (worker ids start
    /// with it); `None`: generated once and kept in DATA_DIRECTORY (see `Identity`).
    pub instance_id: Option<String>,
    /// METRICS_TOKEN: may read `/metrics` besides an admin; `None`: admins only.
    pub metrics_token: Option<MetricsToken>,
    /// Bounds on jobs and queues (SEC-41).
    pub job_limits: crate::domain::JobLimits,
    /// Client addresses behind proxies, registration rate, event-stream limits (SEC-45/46).
    pub access: AccessSettings,
}

/// Where the download tools are. Each defaults to `TOOLS_DIRECTORY/bin/<tool>` — the folder
/// `scripts/setup-tools.sh` fills — and can be set on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPaths {
    pub ytdlp: PathBuf,
    /// Deno, for yt-dlp's YouTube challenge scripts.
    pub js_runtime: PathBuf,
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// The tool folder's Python (`PYTHON_PATH`); managed yt-dlp environments are made with
    /// it (`python -m venv`), so they use the interpreter the tool folder was built with.
    pub python: PathBuf,
}

impl ToolPaths {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Self {
        let tools_directory = absolute(Path::new(
            &get("TOOLS_DIRECTORY").unwrap_or_else(|| ".venv".into()),
        ));
        let tool = |variable: &str, name: &str| match get(variable) {
            Some(value) => locate(Path::new(&value)),
            None => tools_directory.join("bin").join(name),
        };
        Self {
            ytdlp: tool("YTDLP_PATH", "yt-dlp"),
            js_runtime: tool("DENO_PATH", "deno"),
            ffmpeg: tool("FFMPEG_PATH", "ffmpeg"),
            ffprobe: tool("FFPROBE_PATH", "ffprobe"),
            python: tool("PYTHON_PATH", "python3"),
        }
    }
}

/// A relative path made absolute against the working folder, so a child process started
/// elsewhere means the same file.
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A tool set by the operator: a path is made absolute; a bare name is looked up on PATH once
/// (and kept as it is when it is not there, for the preflight to report missing).
fn locate(value: &Path) -> PathBuf {
    if value.components().count() > 1 {
        return absolute(value);
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(value))
                .find(|candidate| candidate.is_file())
        })
        .unwrap_or_else(|| value.to_path_buf())
}

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn invalid(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

impl Config {
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}
