//! Where managed yt-dlp updates come from (`tools::YtdlpManager`): a package index
//! (`YTDLP_PACKAGE_INDEX`, PyPI by default) or a local folder of wheels
//! (`YTDLP_WHEEL_DIRECTORY`, installed with `--no-index`, for offline sites and tests).

use std::path::{Path, PathBuf};

use super::ConfigError;

/// The default package index: PyPI.
pub const DEFAULT_PACKAGE_INDEX: &str = "https://pypi.org";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YtdlpUpdateSettings {
    /// The index's root, without a trailing `/`: pip reads `<index>/simple`, the newest
    /// version is read from `<index>/pypi/yt-dlp/json`.
    pub index_url: String,
    /// When set, pip installs only from this folder (`--no-index --find-links`).
    pub wheel_directory: Option<PathBuf>,
    /// `YTDLP_AUTO_UPDATE=daily` (the default) or `off`: once a day, install the newest
    /// release through the same smoke test, and audit the result for admins.
    pub auto_update: bool,
}

impl YtdlpUpdateSettings {
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let index_url = get("YTDLP_PACKAGE_INDEX")
            .unwrap_or_else(|| DEFAULT_PACKAGE_INDEX.into())
            .trim_end_matches('/')
            .to_owned();
        let parsed = url::Url::parse(&index_url).map_err(|_| {
            ConfigError::invalid(
                "YTDLP_PACKAGE_INDEX",
                "an http(s) URL such as https://pypi.org",
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ConfigError::invalid(
                "YTDLP_PACKAGE_INDEX",
                "an http(s) URL such as https://pypi.org",
            ));
        }
        let wheel_directory = get("YTDLP_WHEEL_DIRECTORY")
            .filter(|v| !v.is_empty())
            .map(|v| std::path::absolute(Path::new(&v)).unwrap_or_else(|_| PathBuf::from(v)));
        let auto_update = match get("YTDLP_AUTO_UPDATE").as_deref() {
            None | Some("daily") => true,
            Some("off") => false,
            Some(_) => {
                return Err(ConfigError::invalid(
                    "YTDLP_AUTO_UPDATE",
                    "daily (the default) or off",
                ));
            }
        };
        Ok(Self {
            index_url,
            wheel_directory,
            auto_update,
        })
    }
}
