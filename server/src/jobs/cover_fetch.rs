//! A track's thumbnail (the plugin's or the set listing's cover URL), fetched for its cover
//! art when the file brings none. Checked like a direct link (SEC-2, SEC-4: the URL's
//! shape, its destination, and the guarded client on every connection and redirect), bounded
//! in time and size, and never the job's failure: a cover that cannot be had is no cover.

use std::time::Duration;

use futures_util::StreamExt;

use super::cover_art::{CoverArt, MAX_INPUT_BYTES};
use super::direct::{check_fetch_url, direct_client};
use super::model::ExecutorConfig;

/// The whole fetch, from connecting to the last byte.
const FETCH_LIMIT: Duration = Duration::from_secs(20);

/// The square JPEG made from the image at `url`, or `None` (logged) when it cannot be had.
pub async fn fetch_cover(config: &ExecutorConfig, url: &str) -> Option<CoverArt> {
    let bytes = match tokio::time::timeout(FETCH_LIMIT, fetch_bytes(config, url)).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return None,
        Err(_) => {
            tracing::info!("the cover image took too long; no cover");
            return None;
        }
    };
    tokio::task::spawn_blocking(move || CoverArt::from_image_bytes(&bytes))
        .await
        .ok()?
        .inspect_err(|e| tracing::info!(error = %e, "the cover image is not usable"))
        .ok()
}

async fn fetch_bytes(config: &ExecutorConfig, raw_url: &str) -> Option<Vec<u8>> {
    let url = check_fetch_url(raw_url, &config.address_policy)
        .await
        .inspect_err(|e| tracing::info!(error = %e, "the cover URL is refused"))
        .ok()?;
    let response = direct_client(config)
        .ok()?
        .get(url)
        .send()
        .await
        .inspect_err(|e| tracing::info!(error = %e, "could not fetch the cover image"))
        .ok()?;
    if !response.status().is_success() {
        tracing::info!(status = %response.status(), "the cover image was not served");
        return None;
    }
    let mut body = Vec::new();
    let mut chunks = response.bytes_stream();
    while let Some(chunk) = chunks.next().await {
        body.extend_from_slice(&chunk.ok()?);
        if body.len() > MAX_INPUT_BYTES {
            tracing::info!("the cover image is too large; no cover");
            return None;
        }
    }
    Some(body)
}
