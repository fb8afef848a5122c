//! Every setting the server reads, its environment variable, its default, and its validation.
//!
//! Layering: built-in defaults → `.env` file → process environment. `Config::from_lookup`
//! takes any key lookup so tests can build a configuration without touching the process
//! environment. A bad value stops start-up with a message naming the variable.

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
    pub secret_key: SecretKey,
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
    pub output_template: String,
    pub plugin_call_timeout: Duration,
    pub plugin_memory_limit_bytes: usize,
    pub watch_plugins: bool,
    pub max_download_attempts: i32,
    /// How long a running job may go without a heartbeat before another worker reclaims it.
    pub job_stale_after: Duration,
    /// Names this server among instances sharing a database (worker ids start with it).
    pub instance_id: String,
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
    fn invalid(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

/// The file, inside DATA_DIRECTORY, that keeps a generated signing key across restarts.
pub const GENERATED_KEY_FILE: &str = "secret_key";

impl Config {
    /// Reads `.env` (if present) and the process environment. With no `SECRET_KEY`, a key is
    /// generated once and kept in DATA_DIRECTORY with 0600 permissions.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds the configuration from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_directory =
            PathBuf::from(get("DATA_DIRECTORY").unwrap_or_else(|| "./data".into()));
        let output_directory =
            PathBuf::from(get("OUTPUT_DIRECTORY").unwrap_or_else(|| "./downloads".into()));
        let plugin_directory = get("PLUGIN_DIRECTORY")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_directory.join("plugins"));
        let database_url = get("DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                data_directory.join("nas-music-downloader.db").display()
            )
        });
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::invalid(
                "DATABASE_URL",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let secret_key = match get("SECRET_KEY") {
            Some(key) => SecretKey::new(key.into_bytes())?,
            None => load_or_generate_key(&data_directory)?,
        };
        let algorithm = match get("ALGORITHM").as_deref().unwrap_or("HS256") {
            "HS256" => Algorithm::HS256,
            "HS384" => Algorithm::HS384,
            "HS512" => Algorithm::HS512,
            other => {
                return Err(ConfigError::invalid(
                    "ALGORITHM",
                    format!("{other:?} is not supported; use HS256, HS384 or HS512"),
                ));
            }
        };
        let access_token_expire_minutes: i64 = parse(&get, "ACCESS_TOKEN_EXPIRE_MINUTES", 30)?;
        if !(1..=60 * 24 * 30).contains(&access_token_expire_minutes) {
            return Err(ConfigError::invalid(
                "ACCESS_TOKEN_EXPIRE_MINUTES",
                "must be between 1 and 43200 (30 days)",
            ));
        }
        let log_format = match get("LOG_FORMAT").as_deref().unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::invalid(
                    "LOG_FORMAT",
                    format!("{other:?} is not supported; use text or json"),
                ));
            }
        };
        let cors_origins = get("CORS_ORIGINS")
            .unwrap_or_else(|| "http://localhost:5173,http://localhost:3000".into())
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect::<Vec<_>>();
        for origin in &cors_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://")) || origin == "*" {
                return Err(ConfigError::invalid(
                    "CORS_ORIGINS",
                    format!("{origin:?} is not an http(s) origin (wildcards are not allowed)"),
                ));
            }
        }
        let max_concurrent_downloads: usize = parse(&get, "MAX_CONCURRENT_DOWNLOADS", 2)?;
        if !(1..=32).contains(&max_concurrent_downloads) {
            return Err(ConfigError::invalid(
                "MAX_CONCURRENT_DOWNLOADS",
                "must be between 1 and 32",
            ));
        }
        let output_template =
            get("OUTPUT_TEMPLATE").unwrap_or_else(|| "{artist}/{title}.{ext}".into());
        if !output_template.ends_with(".{ext}") {
            return Err(ConfigError::invalid(
                "OUTPUT_TEMPLATE",
                "must end with .{ext}",
            ));
        }
        let plugin_timeout_ms: u64 = parse(&get, "PLUGIN_CALL_TIMEOUT_MS", 15_000)?;
        let plugin_memory_mib: usize = parse(
            &get,
            "PLUGIN_MEMORY_LIMIT_MIB",
            crate::plugins::DEFAULT_MEMORY_LIMIT_BYTES >> 20,
        )?;
        if !(1..=4096).contains(&plugin_memory_mib) {
            return Err(ConfigError::invalid(
                "PLUGIN_MEMORY_LIMIT_MIB",
                "must be between 1 and 4096",
            ));
        }
        let data_directory_for_id = data_directory.clone();
        Ok(Self {
            host: get("HOST").unwrap_or_else(|| "0.0.0.0".into()),
            port: parse(&get, "PORT", 8000)?,
            database_url,
            secret_key,
            algorithm,
            access_token_expire_minutes,
            web_directory: get("WEB_DIRECTORY").map(PathBuf::from),
            data_directory,
            output_directory,
            plugin_directory,
            cors_origins,
            registration: if parse_bool(&get, "ALLOW_REGISTRATION", true)? {
                RegistrationPolicy::Open
            } else {
                RegistrationPolicy::AdminOnly
            },
            address_policy: if parse_bool(&get, "ALLOW_PRIVATE_URLS", false)? {
                AddressPolicy::AllowPrivate
            } else {
                AddressPolicy::PublicOnly
            },
            log_format,
            debug: parse_bool(&get, "DEBUG", false)?,
            max_concurrent_downloads,
            tools: ToolPaths::from_lookup(&get),
            output_template,
            plugin_call_timeout: Duration::from_millis(plugin_timeout_ms.max(10)),
            plugin_memory_limit_bytes: plugin_memory_mib * 1024 * 1024,
            watch_plugins: parse_bool(&get, "WATCH_PLUGINS", true)?,
            max_download_attempts: parse(&get, "MAX_DOWNLOAD_ATTEMPTS", 3)?,
            job_stale_after: Duration::from_secs_f64(
                parse(&get, "JOB_STALE_AFTER_SECONDS", 60.0f64)?.max(0.5),
            ),
            instance_id: match get("INSTANCE_ID") {
                Some(id)
                    if !id.is_empty()
                        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
                {
                    id
                }
                Some(_) => {
                    return Err(ConfigError::invalid(
                        "INSTANCE_ID",
                        "letters, digits and '-' only",
                    ));
                }
                None => load_or_create_instance_id(&data_directory_for_id)?,
            },
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn parse<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match get(key) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| ConfigError::invalid(key, format!("{raw:?} is not a valid number"))),
    }
}

fn parse_bool(
    get: &impl Fn(&str) -> Option<String>,
    key: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::invalid(
            key,
            format!("{v:?} is not true or false"),
        )),
    }
}

/// A stable id for this server, kept in DATA_DIRECTORY, so that after a crash it recognises
/// the jobs it was running (SEC-30).
fn load_or_create_instance_id(data_directory: &Path) -> Result<String, ConfigError> {
    let path = data_directory.join("instance_id");
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(id.to_owned());
        }
    }
    let fail = |e: std::io::Error| {
        ConfigError::invalid(
            "DATA_DIRECTORY",
            format!("cannot write {}: {e}", path.display()),
        )
    };
    std::fs::create_dir_all(data_directory).map_err(fail)?;
    let id = hex::encode(rand::random::<[u8; 8]>());
    std::fs::write(&path, &id).map_err(fail)?;
    Ok(id)
}

/// Reads the generated key from DATA_DIRECTORY, creating it (32 random bytes, hex, mode 0600)
/// on first start so restarts keep sessions valid and no shared default ever exists.
fn load_or_generate_key(data_directory: &Path) -> Result<SecretKey, ConfigError> {
    use std::io::Write;
    let path = data_directory.join(GENERATED_KEY_FILE);
    let fail = |e: std::io::Error| {
        ConfigError::invalid(
            "SECRET_KEY",
            format!(
                "not set, and the generated key at {} cannot be used: {e}",
                path.display()
            ),
        )
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return SecretKey::new(existing.trim().as_bytes().to_vec());
    }
    std::fs::create_dir_all(data_directory).map_err(fail)?;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let encoded = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => file.write_all(encoded.as_bytes()).map_err(fail)?,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(&path).map_err(fail)?;
            return SecretKey::new(existing.trim().as_bytes().to_vec());
        }
        Err(e) => return Err(fail(e)),
    }
    SecretKey::new(encoded.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const KEY: (&str, &str) = ("SECRET_KEY", "0123456789abcdef0123456789abcdef");

    #[test]
    fn defaults_need_no_environment() {
        let dir = tempdir();
        let c = config(&[("DATA_DIRECTORY", dir.to_str().unwrap())]).unwrap();
        assert_eq!(c.port, 8000);
        assert_eq!(c.host, "0.0.0.0");
        assert_eq!(c.access_token_expire_minutes, 30);
        assert_eq!(c.algorithm, Algorithm::HS256);
        assert!(c.database_url.starts_with("sqlite://"));
        assert_eq!(c.plugin_directory, dir.join("plugins"));
        assert_eq!(c.registration, RegistrationPolicy::Open);
        assert_eq!(c.address_policy, AddressPolicy::PublicOnly);
        assert_eq!(c.web_directory, None, "the embedded page by default");
        let tools = std::env::current_dir().unwrap().join(".venv/bin");
        assert_eq!(c.tools.ytdlp, tools.join("yt-dlp"));
        assert_eq!(c.tools.js_runtime, tools.join("deno"));
        assert_eq!(c.tools.ffmpeg, tools.join("ffmpeg"));
        assert_eq!(c.tools.ffprobe, tools.join("ffprobe"));
    }

    #[test]
    fn tools_come_from_tools_directory_unless_set_one_by_one() {
        let c = config(&[
            KEY,
            ("TOOLS_DIRECTORY", "/opt/tools"),
            ("FFMPEG_PATH", "/usr/local/bin/ffmpeg"),
            ("DENO_PATH", "relative/deno"),
            ("FFPROBE_PATH", "no-such-tool-anywhere"),
        ])
        .unwrap();
        assert_eq!(c.tools.ytdlp, Path::new("/opt/tools/bin/yt-dlp"));
        assert_eq!(c.tools.ffmpeg, Path::new("/usr/local/bin/ffmpeg"));
        assert_eq!(
            c.tools.js_runtime,
            std::env::current_dir().unwrap().join("relative/deno")
        );
        assert_eq!(c.tools.ffprobe, Path::new("no-such-tool-anywhere"));
    }

    #[test]
    fn weak_secret_key_is_refused_sec_18() {
        let err = config(&[("SECRET_KEY", "short")]).unwrap_err();
        assert_eq!(err.variable, "SECRET_KEY");
        assert!(err.message.contains("at least 32 bytes"));
    }

    #[test]
    fn missing_secret_key_is_generated_once_and_kept_private_sec_18() {
        let dir = tempdir();
        let vars = [("DATA_DIRECTORY", dir.to_str().unwrap())];
        let first = config(&vars).unwrap();
        let second = config(&vars).unwrap();
        assert_eq!(first.secret_key.expose(), second.secret_key.expose());
        assert!(first.secret_key.expose().len() >= 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join(GENERATED_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(format!("{:?}", first.secret_key), "SecretKey(<redacted>)");
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (var, value) in [
            ("PORT", "eighty"),
            ("ALGORITHM", "none"),
            ("ALGORITHM", "RS256"),
            ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
            ("DEBUG", "maybe"),
            ("DATABASE_URL", "mysql://x"),
            ("CORS_ORIGINS", "*"),
            ("LOG_FORMAT", "xml"),
            ("OUTPUT_TEMPLATE", "{title}"),
        ] {
            let err = config(&[KEY, (var, value)]).unwrap_err();
            assert_eq!(err.variable, var, "{var}={value}");
        }
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("nmd-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
