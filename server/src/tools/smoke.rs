//! The smoke test a yt-dlp candidate must pass before it is switched to: `--version`, then a
//! flat listing of a feed and a download of the audio it lists, both through the server's
//! own argument builders (`list_set`, `run_ytdlp`) and the egress proxy (SEC-1, SEC-3,
//! SEC-40), served by the test's own loopback web server. The address policy allows
//! 127.0.0.1 only for this test (SEC-4), whatever `ALLOW_PRIVATE_URLS` says.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::fixture_server::FixtureServer;
use super::model::{Refusal, UpdateStep};
use crate::domain::{AudioFormat, Progress};
use crate::jobs::process::run_to_completion;
use crate::jobs::ytdlp::run_ytdlp;
use crate::jobs::ytdlp_listing::list_set;
use crate::jobs::{ExecutorConfig, YtdlpSelection};
use crate::net::AddressPolicy;

/// How long `--version` may take (a cold Python start on a slow NAS).
const VERSION_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the listing and the download may take each.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);
/// The fixture audio, made once with the tool folder's ffmpeg.
const FIXTURE_NAME: &str = "smoke-tone.mp3";

/// Runs the smoke test on `candidate`; `Ok` carries the version it reported.
pub async fn smoke_test(
    base: &ExecutorConfig,
    candidate: &Path,
    work_dir: &Path,
) -> Result<String, Refusal> {
    let version = version_of(candidate)
        .await
        .ok_or_else(|| Refusal::new(UpdateStep::Version, "yt-dlp --version did not answer"))?;
    let audio = fixture_audio(base, work_dir).await.map_err(|e| {
        tracing::error!(error = %e, "could not make the smoke test's audio file");
        Refusal::new(
            UpdateStep::Download,
            "could not prepare the smoke test's audio file",
        )
    })?;
    let server = FixtureServer::start(audio).await.map_err(|e| {
        tracing::error!(error = %e, "could not start the smoke test's web server");
        Refusal::new(
            UpdateStep::Listing,
            "could not start the smoke test's web server",
        )
    })?;
    let mut config = base.clone();
    config.ytdlp = YtdlpSelection::fixed(candidate);
    // SEC-4/SEC-40: only loopback beyond the public internet, for this test's server.
    config.address_policy = AddressPolicy::AllowNetworks(Arc::from(vec![
        "127.0.0.1/32".parse().expect("a valid network"),
    ]));
    config.limits.time_limit = STEP_TIMEOUT;
    let cancel = CancellationToken::new();

    let listing = list_set(&config, &server.url("/feed.xml"), &[], 5, &cancel)
        .await
        .map_err(|e| Refusal::new(UpdateStep::Listing, e.message))?;
    let entry = listing
        .entries
        .first()
        .map(|e| e.url.clone())
        .ok_or_else(|| Refusal::new(UpdateStep::Listing, "the feed's listing was empty"))?;

    let temp = tempfile::Builder::new()
        .prefix("smoke-")
        .tempdir_in(work_dir)
        .map_err(|_| Refusal::new(UpdateStep::Download, "could not make a temp folder"))?;
    let (progress, _) = watch::channel(Progress::default());
    let download = run_ytdlp(
        &config,
        &entry,
        &[],
        AudioFormat::Best,
        temp.path(),
        &progress,
        &cancel,
    );
    let file = tokio::time::timeout(STEP_TIMEOUT, download)
        .await
        .map_err(|_| Refusal::new(UpdateStep::Download, "the download took too long"))?
        .map_err(|e| Refusal::new(UpdateStep::Download, e.message))?;
    let size = tokio::fs::metadata(&file)
        .await
        .map(|m| m.len())
        .unwrap_or(0);
    if size == 0 {
        return Err(Refusal::new(
            UpdateStep::Download,
            "the downloaded file was empty",
        ));
    }
    Ok(version)
}

/// `yt-dlp --version`'s first line, when it exits 0 and prints a plausible version.
pub async fn version_of(program: &Path) -> Option<String> {
    let out = run_to_completion(program, &["--version"], VERSION_TIMEOUT).await?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().next()?.trim();
    let plausible = !line.is_empty()
        && line.len() <= 64
        && line
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '@'));
    plausible.then(|| line.to_owned())
}

/// A one-second tone, made once with the tool folder's ffmpeg and kept in `work_dir`.
async fn fixture_audio(base: &ExecutorConfig, work_dir: &Path) -> std::io::Result<Vec<u8>> {
    let path = work_dir.join(FIXTURE_NAME);
    if let Ok(bytes) = tokio::fs::read(&path).await
        && !bytes.is_empty()
    {
        return Ok(bytes);
    }
    let partial: PathBuf = work_dir.join(format!("{FIXTURE_NAME}.part.mp3"));
    let args: Vec<std::ffi::OsString> = [
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=440:duration=1",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "32k",
    ]
    .iter()
    .map(Into::into)
    .chain([partial.clone().into_os_string()])
    .collect();
    let made = run_to_completion(&base.ffmpeg_path, &args, VERSION_TIMEOUT).await;
    if !made.is_some_and(|o| o.status.success()) {
        return Err(std::io::Error::other("ffmpeg could not make the tone"));
    }
    tokio::fs::rename(&partial, &path).await?;
    tokio::fs::read(&path).await
}
