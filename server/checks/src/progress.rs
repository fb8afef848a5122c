//! Live progress of a running download, as the yt-dlp line parser builds it and the server
//! stores and shows it.

use serde::{Deserialize, Serialize};

/// Where a running job is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
pub enum Phase {
    #[default]
    Resolving,
    Downloading,
    Converting,
    Tagging,
    Finalizing,
}

/// A progress snapshot. Values are finite and non-negative when present. Stored as JSON in
/// the `progress` column by the heartbeat (the names are the API's, kept by older rows).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub downloaded_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
    /// 0.0 ..= 100.0
    pub percent: Option<f64>,
    #[serde(rename = "speed")]
    pub speed_bps: Option<f64>,
    #[serde(rename = "eta")]
    pub eta_seconds: Option<f64>,
    #[serde(default)]
    pub phase: Phase,
}

impl Progress {
    pub fn phase(phase: Phase) -> Self {
        Progress {
            phase,
            ..Progress::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_written_by_earlier_versions_still_read() {
        let stored = r#"{"downloaded_bytes":10,"total_bytes":null,"percent":null,"speed":2.5,"eta":null,"phase":"converting"}"#;
        let p: Progress = serde_json::from_str(stored).unwrap();
        assert_eq!(p.speed_bps, Some(2.5));
        assert_eq!(p.phase, Phase::Converting);
    }
}
