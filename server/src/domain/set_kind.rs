//! What a set of tracks is: an album (one artist's record, filed as an album folder) or a
//! playlist (tracks gathered by someone; also written out as an `.m3u8`).

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};

/// The kind of a set a plugin expanded into tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum, sqlx::Type)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum SetKind {
    Album,
    /// A playlist, channel or feed: its tracks also get a playlist file.
    Playlist,
}

impl SetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Album => "album",
            Self::Playlist => "playlist",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_api_and_the_database() {
        for kind in [SetKind::Album, SetKind::Playlist] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
