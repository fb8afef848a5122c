//! Lists a set (album, playlist, channel, feed) with yt-dlp's flat listing, under the same
//! rules as a download: argv built by the host (SEC-1, SEC-3), the first hop checked and
//! every request through the job's egress proxy (SEC-4, SEC-40), the whole process group
//! supervised and stopped on cancel (SEC-7), bounded in time (SEC-41). The JSON is read by
//! `set_listing`.

use tokio_util::sync::CancellationToken;

use super::direct::check_fetch_url;
use super::errors::{classify_ytdlp_stderr, egress_refused};
use super::model::{ExecutionError, ExecutorConfig};
use super::process::{RunOutcome, group_command, run_supervised};
use super::set_listing::{ListingError, MAX_LISTING_BYTES, SetListing, parse_flat_listing};
use super::ytdlp::ytdlp_did_not_start;
use super::ytdlp_args::{ListingInvocation, build_listing_args};
use crate::domain::ytdlp_options::validate_plugin_options;
use crate::net::url_policy::check_literal_host;

/// Runs the flat listing of `url` and returns its entries (at most `max_entries + 1` read in
/// full; `listed` says how many there are). Entry URLs whose literal host the address
/// policy refuses are dropped here; names are checked when each entry runs (SEC-4).
pub async fn list_set(
    config: &ExecutorConfig,
    url: &str,
    plugin_options: &[String],
    max_entries: usize,
    cancel: &CancellationToken,
) -> Result<SetListing, ExecutionError> {
    check_fetch_url(url, &config.address_policy).await?;
    let options = validate_plugin_options(plugin_options).map_err(|e| {
        tracing::error!(error = %e, "plugin asked for a refused yt-dlp option");
        ExecutionError::permanent(
            "The extractor plugin asked for a yt-dlp option the server does not allow",
        )
    })?;
    // SEC-40: this listing's credential on the egress proxy; revoked when dropped.
    let egress = config.egress.register_job(config.address_policy.clone());
    let args = build_listing_args(&ListingInvocation {
        url,
        js_runtime: &config.js_runtime_path,
        plugin_options: &options,
        proxy: egress.proxy_url(),
    });
    let mut cmd = group_command(&config.ytdlp_path(), &args);
    for key in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"] {
        cmd.env(key, egress.proxy_url());
    }
    let mut json: Option<String> = None;
    let on_line = |line: &str| {
        if json.is_none() && line.starts_with('{') {
            json = Some(line.to_owned());
        }
    };
    let run = run_supervised(cmd, config.cancel_grace, cancel, MAX_LISTING_BYTES, on_line);
    let outcome = match tokio::time::timeout(config.limits.time_limit, run).await {
        Err(_) => {
            return Err(ExecutionError::permanent(
                "Listing this set took longer than the server's time limit",
            ));
        }
        Ok(started) => started.map_err(|e| ytdlp_did_not_start(config, &e))?,
    };
    let (status, stderr_tail) = match outcome {
        RunOutcome::Cancelled => return Err(ExecutionError::cancelled()),
        RunOutcome::Exited {
            status,
            stderr_tail,
        } => (status, stderr_tail),
    };
    if egress.refused() {
        tracing::warn!(%status, stderr = %stderr_tail, "yt-dlp's listing tried to reach a refused address");
        return Err(egress_refused());
    }
    drop(egress);
    if !status.success() {
        // SEC-6: stderr goes to the log; the user gets the classified message.
        let error = classify_ytdlp_stderr(&stderr_tail);
        tracing::warn!(%status, stderr = %stderr_tail, classified = %error.message, "yt-dlp's listing failed");
        return Err(error);
    }
    let json = json.unwrap_or_default();
    let mut listing = parse_flat_listing(&json, max_entries).map_err(|e| {
        tracing::warn!(error = %e, bytes = json.len(), "yt-dlp's listing was not usable");
        match e {
            ListingError::NotJson | ListingError::NotASet => {
                ExecutionError::permanent("This URL is not a set of tracks yt-dlp can list")
            }
            ListingError::Empty => {
                ExecutionError::permanent("This set lists no tracks that can be downloaded")
            }
        }
    })?;
    // SEC-4: an entry pointing at a refused literal address (127.0.0.1, 10.x, [::1], …)
    // never becomes a job.
    let before = listing.entries.len();
    listing.entries.retain(|entry| {
        url::Url::parse(&entry.url)
            .ok()
            .is_some_and(|u| check_literal_host(&u, &config.address_policy).is_ok())
    });
    let refused = before - listing.entries.len();
    if refused > 0 {
        tracing::warn!(
            refused,
            "set entries pointing at refused addresses were left out"
        );
        listing.dropped += refused;
    }
    if listing.entries.is_empty() {
        return Err(ExecutionError::permanent(
            "This set lists no tracks that can be downloaded",
        ));
    }
    Ok(listing)
}
