//! The audio format a user asks for.

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

/// The audio format to keep: `best` keeps the source's audio without re-encoding.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, Enum, sqlx::Type,
)]
#[serde(rename_all = "lowercase")]
#[oai(rename = "DownloadFormat", rename_all = "lowercase")]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum AudioFormat {
    /// Whatever the source offers, never re-encoded.
    #[default]
    Best,
    Mp3,
    M4a,
    Opus,
    Flac,
}

impl AudioFormat {
    pub const ALL: [AudioFormat; 5] = [Self::Best, Self::Mp3, Self::M4a, Self::Opus, Self::Flac];

    /// The file extension a conversion to this format produces (`None` for `Best`).
    pub fn extension(self) -> Option<&'static str> {
        match self {
            AudioFormat::Best => None,
            AudioFormat::Mp3 => Some("mp3"),
            AudioFormat::M4a => Some("m4a"),
            AudioFormat::Opus => Some("opus"),
            AudioFormat::Flac => Some("flac"),
        }
    }

    /// The API's and the database's spelling.
    pub fn as_str(self) -> &'static str {
        self.extension().unwrap_or("best")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_api_and_the_database() {
        for f in AudioFormat::ALL {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
    }
}
