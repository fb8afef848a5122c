//! The managed yt-dlp's vocabulary: what an admin asks for (`UpdateRequest`), where an
//! update stopped (`UpdateStep`), and what it ended in (`UpdateOutcome`).

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

/// Which yt-dlp releases an update may pick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Channel {
    /// Releases only (`yt-dlp==X`, or the newest release).
    #[default]
    Stable,
    /// yt-dlp's nightly builds, published to PyPI as pre-releases (`pip install --pre`).
    Nightly,
}

/// What to install: a version (checked to be a plain PEP 440 version) or the newest of a
/// channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRequest {
    pub version: Option<String>,
    pub channel: Channel,
}

/// The step of an update or rollback that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum UpdateStep {
    /// Making the environment or pip's install.
    Install,
    /// `yt-dlp --version`.
    Version,
    /// The flat listing of the smoke test's feed.
    Listing,
    /// The download of the smoke test's audio file.
    Download,
    /// Recording the switch (the state file in the data folder).
    Switch,
}

/// Why a candidate was refused, safe to show to admins: no subprocess output beyond pip's
/// own one-line error, no server paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub step: UpdateStep,
    pub reason: String,
}

impl Refusal {
    pub fn new(step: UpdateStep, reason: impl Into<String>) -> Self {
        Self {
            step,
            reason: reason.into(),
        }
    }
}

/// How an update ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// The candidate passed the smoke test; new jobs run it.
    Switched { from: Option<String>, to: String },
    /// Nothing changed.
    Refused(Refusal),
}

/// Why an update or rollback could not start at all.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ToolsError {
    #[error("an update or rollback of yt-dlp is already running")]
    Busy,
    #[error("there is no previous yt-dlp to roll back to")]
    NoPrevious,
    #[error("{0:?} is not a version number (for example 2026.10.26)")]
    BadVersion(String),
    #[error("the previous yt-dlp no longer runs: {0}")]
    PreviousBroken(String),
    #[error("could not record the switch of yt-dlp")]
    State(#[source] std::sync::Arc<std::io::Error>),
}

/// A PEP 440 version as an admin may type it: digits, letters, `.`, `!`, `+`, `-`, at most 64
/// characters, starting with a digit. Keeps anything pip would read as an option or a URL out
/// of its argument list.
pub fn check_version(version: &str) -> Result<(), ToolsError> {
    let ok = !version.is_empty()
        && version.len() <= 64
        && version.starts_with(|c: char| c.is_ascii_digit())
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '!' | '+' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ToolsError::BadVersion(version.chars().take(80).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_versions_reach_pip() {
        for good in ["2026.10.26", "2026.11.1.232516.dev0", "1!2.0+local"] {
            assert!(check_version(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "--index-url=http://evil",
            "2026.1 ; os",
            "latest",
            "x/../y",
            "1==2",
            &"1".repeat(65),
        ] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
