//! The newest yt-dlp on the package index, read from its JSON API
//! (`<index>/pypi/yt-dlp/json`, `info.version`) with the server's guarded client (SEC-4).
//! `None` when the index cannot be reached or answers something else.

use std::time::Duration;

use crate::net::AddressPolicy;
use crate::net::guarded_client::guarded_client_builder;
use crate::net::url_policy::check_literal_host;

const INDEX_TIMEOUT: Duration = Duration::from_secs(5);
/// PyPI's document for yt-dlp lists every release; a few MiB at most.
const MAX_INDEX_BYTES: usize = 16 * 1024 * 1024;

/// The newest yt-dlp release the index offers.
pub async fn newest_ytdlp(index_url: &str, policy: &AddressPolicy) -> Option<String> {
    let url = url::Url::parse(&format!("{index_url}/pypi/yt-dlp/json")).ok()?;
    check_literal_host(&url, policy).ok()?;
    let client = guarded_client_builder(policy.clone(), None)
        .timeout(INDEX_TIMEOUT)
        .build()
        .ok()?;
    let mut response = client.get(url).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_INDEX_BYTES {
            return None;
        }
    }
    let doc: serde_json::Value = serde_json::from_slice(&body).ok()?;
    let version = doc.pointer("/info/version")?.as_str()?;
    super::model::check_version(version).ok()?;
    Some(version.to_owned())
}
