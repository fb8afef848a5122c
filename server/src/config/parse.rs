//! Reading the settings: parse each variable, then validate it. Nothing here touches the
//! disk (see `identity.rs` for what does). A bad value is an error naming its variable; no
//! value is silently clamped into range.
//!
//! Hand-written rather than `envy`/`figment`: every variable needs its own range or shape
//! check and a message that says how to fix it, booleans accept `1/0/yes/no/on/off`, and the
//! lookup is a closure so tests pass a map. The helpers below are the whole "library".

use super::{
    Config, ConfigError, LogFormat, MetricsToken, RegistrationPolicy, SecretKey, ToolPaths,
};
use crate::net::AddressPolicy;
use jsonwebtoken::Algorithm;
use std::{path::PathBuf, time::Duration};

impl Config {
    /// Reads `.env` (if present) and the process environment.
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
        let secret_key = get("SECRET_KEY")
            .map(|key| SecretKey::new(key.into_bytes()))
            .transpose()?;
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
        // At most 30 days.
        let access_token_expire_minutes: i64 =
            in_range(&get, "ACCESS_TOKEN_EXPIRE_MINUTES", 30, 1..=60 * 24 * 30)?;
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
        let max_concurrent_downloads: usize =
            in_range(&get, "MAX_CONCURRENT_DOWNLOADS", 2, 1..=32)?;
        let output_template =
            get("OUTPUT_TEMPLATE").unwrap_or_else(|| "{artist}/{title}.{ext}".into());
        if !output_template.ends_with(".{ext}") {
            return Err(ConfigError::invalid(
                "OUTPUT_TEMPLATE",
                "must end with .{ext}",
            ));
        }
        let album_output_template = get("ALBUM_OUTPUT_TEMPLATE")
            .unwrap_or_else(|| crate::jobs::DEFAULT_ALBUM_OUTPUT_TEMPLATE.into());
        crate::jobs::album_layout::check_album_template(&album_output_template)
            .map_err(|e| ConfigError::invalid("ALBUM_OUTPUT_TEMPLATE", e))?;
        let playlist_folder = match get("PLAYLIST_FOLDER").filter(|f| !f.trim().is_empty()) {
            None => None,
            Some(folder) => {
                let path = PathBuf::from(folder.trim());
                if !crate::jobs::output_path::is_plain_relative(&path) {
                    return Err(ConfigError::invalid(
                        "PLAYLIST_FOLDER",
                        "must be a folder inside OUTPUT_DIRECTORY, written relative to it (no leading /, no ..)",
                    ));
                }
                Some(path)
            }
        };
        let plugin_timeout_ms: u64 =
            in_range(&get, "PLUGIN_CALL_TIMEOUT_MS", 15_000, 10..=600_000)?;
        let max_download_attempts: i32 = in_range(&get, "MAX_DOWNLOAD_ATTEMPTS", 3, 1..=20)?;
        let history_cache_mib: u64 = in_range(
            &get,
            "HISTORY_CACHE_MB",
            crate::history_pages::CAPACITY_BYTES >> 20,
            0..=1024,
        )?;
        let job_stale_after_seconds: f64 =
            in_range(&get, "JOB_STALE_AFTER_SECONDS", 60.0, 0.5..=86_400.0)?;
        let rescan_quiet_seconds: f64 =
            in_range(&get, "RESCAN_QUIET_SECONDS", 30.0, 0.1..=3_600.0)?;
        let instance_id = match get("INSTANCE_ID") {
            Some(id)
                if id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') =>
            {
                Some(id)
            }
            Some(_) => {
                return Err(ConfigError::invalid(
                    "INSTANCE_ID",
                    "at most 64 letters, digits and '-'",
                ));
            }
            None => None,
        };
        let plugin_memory_mib: usize = in_range(
            &get,
            "PLUGIN_MEMORY_LIMIT_MIB",
            crate::plugins::DEFAULT_MEMORY_LIMIT_BYTES >> 20,
            1..=4096,
        )?;
        // SEC-40: `false` (public addresses only), `true` (any address), or a comma-separated
        // list of the non-public networks that may be reached (CIDR).
        let address_policy = match get("ALLOW_PRIVATE_URLS") {
            None => AddressPolicy::PublicOnly,
            Some(raw) => AddressPolicy::parse(&raw)
                .map_err(|e| ConfigError::invalid("ALLOW_PRIVATE_URLS", e.to_string()))?,
        };
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
            address_policy,
            log_format,
            debug: parse_bool(&get, "DEBUG", false)?,
            max_concurrent_downloads,
            tools: ToolPaths::from_lookup(&get),
            ytdlp_updates: super::YtdlpUpdateSettings::from_lookup(&get)?,
            output_template,
            album_output_template,
            playlist_folder,
            plugin_call_timeout: Duration::from_millis(plugin_timeout_ms),
            plugin_memory_limit_bytes: plugin_memory_mib * 1024 * 1024,
            watch_plugins: parse_bool(&get, "WATCH_PLUGINS", true)?,
            max_download_attempts,
            history_cache_bytes: history_cache_mib << 20,
            job_stale_after: Duration::from_secs_f64(job_stale_after_seconds),
            rescan_quiet: Duration::from_secs_f64(rescan_quiet_seconds),
            instance_id,
            metrics_token: get("METRICS_TOKEN").map(MetricsToken::new).transpose()?,
            job_limits: crate::domain::JobLimits::from_lookup(&get)?,
            access: super::AccessSettings::from_lookup(&get)?,
        })
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

/// A number that must lie in `range` (the message says which range).
pub(super) fn in_range<T>(
    get: &impl Fn(&str) -> Option<String>,
    key: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    let value = parse(get, key, default)?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(ConfigError::invalid(
            key,
            format!(
                "{value} is out of range; use {} to {}",
                range.start(),
                range.end()
            ),
        ))
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
