//! The two media-server protocols: how to ask for a rescan and how to test the connection.
//!
//! - Subsonic/OpenSubsonic/Navidrome: `GET {base}/rest/startScan` (test: `/rest/ping`) with
//!   `u`, `t` = md5(password + salt), `s` = a fresh random salt, `v=1.16.1`,
//!   `c=nas-music-downloader`, `f=json`. Navidrome needs an admin user for `startScan`. The
//!   answer is HTTP 200 either way; `subsonic-response.status` says `ok` or `failed`.
//! - Jellyfin: `POST {base}/Library/Media/Updated` with
//!   `{"Updates":[{"Path": …, "UpdateType": "Created"}]}` (test: `GET {base}/System/Info`),
//!   header `Authorization: MediaBrowser Token="<key>"`.

use crate::{
    domain::MediaServerKind,
    handoff::outbound::{Answer, Outbound, OutboundError},
    store::MediaServerRow,
};
use md5::{Digest, Md5};

pub const SUBSONIC_API_VERSION: &str = "1.16.1";
pub const SUBSONIC_CLIENT: &str = "nas-music-downloader";

/// The Subsonic token for `password` and `salt`: hex md5(password + salt).
pub fn subsonic_token(password: &str, salt: &str) -> String {
    hex::encode(Md5::digest(format!("{password}{salt}").as_bytes()))
}

/// A media-server call's result: what the server answered, and whether that means success.
#[derive(Debug, Clone)]
pub struct Reply {
    pub ok: bool,
    pub answer: Answer,
}

/// The media server's path of `folder` (relative to OUTPUT_DIRECTORY, `/`-separated).
pub fn media_path(library_path: &str, folder: &str) -> String {
    let base = library_path.trim_end_matches('/');
    if folder.is_empty() {
        base.to_owned()
    } else {
        format!("{base}/{}", folder.trim_start_matches('/'))
    }
}

fn endpoint(server: &MediaServerRow, path: &str) -> String {
    format!("{}{path}", server.base_url.trim_end_matches('/'))
}

/// Asks the server to rescan; `folders` (relative to OUTPUT_DIRECTORY) say what changed
/// (Jellyfin is told exactly those; Subsonic scans its whole library).
pub async fn rescan(
    outbound: &Outbound,
    server: &MediaServerRow,
    folders: &[String],
) -> Result<Reply, OutboundError> {
    match server.kind {
        MediaServerKind::Subsonic => subsonic(outbound, server, "/rest/startScan").await,
        MediaServerKind::Jellyfin => {
            let updates: Vec<_> = folders
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "Path": media_path(&server.library_path, f),
                        "UpdateType": "Created",
                    })
                })
                .collect();
            let (url, client) = outbound
                .prepare(&endpoint(server, "/Library/Media/Updated"))
                .await?;
            let request = client
                .post(url)
                .header("Authorization", jellyfin_auth(&server.secret))
                .json(&serde_json::json!({ "Updates": updates }));
            let answer = outbound.send(request).await?;
            Ok(Reply {
                ok: (200..300).contains(&answer.status),
                answer,
            })
        }
    }
}

/// Checks that the server answers and accepts the credentials, without scanning.
pub async fn test_connection(
    outbound: &Outbound,
    server: &MediaServerRow,
) -> Result<Reply, OutboundError> {
    match server.kind {
        MediaServerKind::Subsonic => subsonic(outbound, server, "/rest/ping").await,
        MediaServerKind::Jellyfin => {
            let (url, client) = outbound.prepare(&endpoint(server, "/System/Info")).await?;
            let request = client
                .get(url)
                .header("Authorization", jellyfin_auth(&server.secret));
            let answer = outbound.send(request).await?;
            Ok(Reply {
                ok: (200..300).contains(&answer.status),
                answer,
            })
        }
    }
}

fn jellyfin_auth(key: &str) -> String {
    format!("MediaBrowser Token=\"{key}\"")
}

async fn subsonic(
    outbound: &Outbound,
    server: &MediaServerRow,
    path: &str,
) -> Result<Reply, OutboundError> {
    let salt = hex::encode(rand::random::<[u8; 8]>());
    let token = subsonic_token(&server.secret, &salt);
    let (url, client) = outbound.prepare(&endpoint(server, path)).await?;
    let request = client.get(url).query(&[
        ("u", server.username.as_deref().unwrap_or("")),
        ("t", token.as_str()),
        ("s", salt.as_str()),
        ("v", SUBSONIC_API_VERSION),
        ("c", SUBSONIC_CLIENT),
        ("f", "json"),
    ]);
    let answer = outbound.send(request).await?;
    // Subsonic answers 200 even when it refuses; the body says which.
    let ok = answer.status == 200
        && answer
            .summary
            .replace(' ', "")
            .contains("\"status\":\"ok\"");
    Ok(Reply { ok, answer })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subsonic_token_is_md5_of_password_and_salt() {
        // The example of the Subsonic API documentation.
        assert_eq!(
            subsonic_token("sesame", "c19b2d"),
            "26719a1196d2a940705a59634eb18eab"
        );
    }

    #[test]
    fn folders_map_under_the_library_path() {
        assert_eq!(media_path("/music/", "A/B (2020)"), "/music/A/B (2020)");
        assert_eq!(media_path("/music", ""), "/music");
    }
}
