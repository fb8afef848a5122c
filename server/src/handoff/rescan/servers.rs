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
/// (Jellyfin is told exactly those; Subsonic too when its library id is set, else it scans
/// its whole library).
pub async fn rescan(
    outbound: &Outbound,
    server: &MediaServerRow,
    folders: &[String],
) -> Result<Reply, OutboundError> {
    match server.kind {
        MediaServerKind::Subsonic => {
            let targets = scan_targets(server.library_id, folders);
            subsonic(outbound, server, "/rest/startScan", &targets).await
        }
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
        MediaServerKind::Subsonic => subsonic(outbound, server, "/rest/ping", &[]).await,
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

/// Navidrome's targeted scan: one `target=<library id>:<folder>` per changed folder (relative
/// to the library's root, which is OUTPUT_DIRECTORY). None without a library id, or when the
/// output folder itself changed (a single at the top level): the whole library is scanned.
pub fn scan_targets(library_id: Option<i64>, folders: &[String]) -> Vec<String> {
    let Some(id) = library_id else {
        return Vec::new();
    };
    let folders: Vec<&str> = folders.iter().map(|f| f.trim_matches('/')).collect();
    if folders.iter().any(|f| f.is_empty()) {
        return Vec::new();
    }
    folders.iter().map(|f| format!("{id}:{f}")).collect()
}

async fn subsonic(
    outbound: &Outbound,
    server: &MediaServerRow,
    path: &str,
    targets: &[String],
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
    let request = targets
        .iter()
        .fold(request, |r, target| r.query(&[("target", target.as_str())]));
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
    fn a_library_id_names_each_changed_folder_else_the_whole_library_is_scanned() {
        let folders = ["Band/Album (2024)".to_string(), "Other/Live".to_string()];
        assert_eq!(
            scan_targets(Some(3), &folders),
            ["3:Band/Album (2024)", "3:Other/Live"]
        );
        assert!(scan_targets(None, &folders).is_empty());
        // A file at the top of the output folder changes the library's root: scan it all.
        assert!(scan_targets(Some(3), &["".to_string(), "Band/Album".to_string()]).is_empty());
    }

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
