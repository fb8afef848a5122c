//! The native executor for direct media links: a streaming HTTP download through the
//! guarded client (SEC-4), size-capped, with progress, into the job's temp folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::errors::{classify_http_status, classify_io, classify_reqwest};
use super::model::{ExecutionError, ExecutorConfig, Phase, Progress};
use super::output_path::extension_allowed;
use super::progress::Throttle;
use crate::net::url_policy::{UrlRejection, check_destination};
use crate::net::{check_url_syntax, guarded_client_builder};

/// The guarded client the native executor uses.
pub fn direct_client(config: &ExecutorConfig) -> Result<reqwest::Client, ExecutionError> {
    guarded_client_builder(config.address_policy.clone(), None)
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| {
            tracing::error!(error = %e, "could not build the HTTP client");
            ExecutionError::transient("The server could not start the download, will retry")
        })
}

/// Checks a URL a plugin returned before anything fetches it: shape (SEC-2) and
/// destination (SEC-4). The guarded resolver never sees IP-literal hosts, so they are
/// checked here; yt-dlp's own connections are not guarded, so its first hop is checked too.
pub async fn check_fetch_url(
    raw_url: &str,
    policy: &crate::net::AddressPolicy,
) -> Result<url::Url, ExecutionError> {
    let url = check_url_syntax(raw_url)
        .map_err(|_| ExecutionError::permanent("The extractor returned an invalid media URL"))?;
    match check_destination(&url, policy).await {
        Ok(_) => Ok(url),
        Err(UrlRejection::Unresolvable) => Err(ExecutionError::transient(
            "Could not resolve the site's address, will retry",
        )),
        Err(_) => Err(ExecutionError::permanent(
            "The link points at a private or refused address",
        )),
    }
}

/// Downloads a checked direct link into `temp_dir` and makes sure it is real audio.
pub async fn run_direct(
    config: &ExecutorConfig,
    raw_url: &str,
    temp_dir: &Path,
    progress: &watch::Sender<Progress>,
    cancel: &CancellationToken,
) -> Result<PathBuf, ExecutionError> {
    let url = check_fetch_url(raw_url, &config.address_policy).await?;
    let client = direct_client(config)?;
    let file = download_to(
        &client,
        url,
        temp_dir,
        config.limits.max_file_bytes,
        progress,
        cancel,
    )
    .await?;
    let sniffed = file.clone();
    let plausible = tokio::task::spawn_blocking(move || content_matches_audio(&sniffed))
        .await
        .unwrap_or(false);
    if !plausible {
        tracing::info!(file = %file.display(), "direct download is not recognisable audio");
        return Err(ExecutionError::permanent(
            "The link does not point to an audio or video file",
        ));
    }
    Ok(file)
}

/// A server can label anything `audio/mpeg`. For the formats lofty knows, the content must
/// look like that kind of audio; containers lofty cannot read (webm, mkv, …) pass on their
/// Content-Type alone.
pub fn content_matches_audio(path: &Path) -> bool {
    const LOFTY_KNOWS: &[&str] = &[
        "mp3", "m4a", "m4b", "mp4", "aac", "flac", "ogg", "oga", "opus", "wav", "aif", "aiff",
    ];
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !LOFTY_KNOWS.contains(&ext) {
        return true;
    }
    // `Probe::new` on a bare reader guesses from the content only, never from the name.
    std::fs::File::open(path)
        .ok()
        .and_then(|f| {
            lofty::probe::Probe::new(std::io::BufReader::new(f))
                .guess_file_type()
                .ok()
        })
        .is_some_and(|p| p.file_type().is_some())
}

/// Streams `url` to `temp_dir/download.<ext>`. Refuses bodies over `max_bytes`, bodies
/// larger than their Content-Length, and content that is not audio or video (SEC-5).
pub async fn download_to(
    client: &reqwest::Client,
    url: url::Url,
    temp_dir: &Path,
    max_bytes: u64,
    progress: &watch::Sender<Progress>,
    cancel: &CancellationToken,
) -> Result<PathBuf, ExecutionError> {
    let request = client.get(url).send();
    let mut response = tokio::select! {
        _ = cancel.cancelled() => return Err(ExecutionError::cancelled()),
        r = request => r.map_err(|e| log_reqwest("request", &e))?,
    };
    let status = response.status();
    if !status.is_success() {
        return Err(classify_http_status(status.as_u16()));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ext = media_extension(content_type, response.url()).ok_or_else(|| {
        tracing::info!(content_type, url = %response.url(), "direct link is not audio or video");
        ExecutionError::permanent("The link does not point to an audio or video file")
    })?;
    let total = response.content_length();
    if total.is_some_and(|t| t > max_bytes) {
        return Err(too_large(max_bytes));
    }

    let path = temp_dir.join(format!("{}.{ext}", super::ytdlp_args::TEMP_STEM));
    let mut file = tokio::fs::File::create(&path)
        .await
        .map_err(|e| classify_io(&e))?;
    let mut throttle = Throttle::new();
    let started = Instant::now();
    let mut downloaded: u64 = 0;
    loop {
        let chunk = tokio::select! {
            _ = cancel.cancelled() => return Err(ExecutionError::cancelled()),
            c = response.chunk() => c.map_err(|e| log_reqwest("body", &e))?,
        };
        let Some(chunk) = chunk else { break };
        downloaded = downloaded.saturating_add(chunk.len() as u64);
        if downloaded > max_bytes {
            return Err(too_large(max_bytes));
        }
        if total.is_some_and(|t| downloaded > t) {
            tracing::warn!(downloaded, ?total, "body longer than its Content-Length");
            return Err(ExecutionError::permanent(
                "The site sent more data than it announced",
            ));
        }
        file.write_all(&chunk).await.map_err(|e| classify_io(&e))?;
        let p = snapshot(downloaded, total, started);
        if throttle.admit(&p) {
            progress.send_replace(p);
        }
    }
    file.flush().await.map_err(|e| classify_io(&e))?;
    if total.is_some_and(|t| downloaded < t) {
        return Err(ExecutionError::transient(
            "The download was cut short, will retry",
        ));
    }
    progress.send_replace(snapshot(downloaded, total.or(Some(downloaded)), started));
    Ok(path)
}

fn snapshot(downloaded: u64, total: Option<u64>, started: Instant) -> Progress {
    let secs = started.elapsed().as_secs_f64();
    let speed = (secs > 0.0).then(|| downloaded as f64 / secs);
    let eta = match (total, speed) {
        (Some(t), Some(s)) if s > 0.0 => Some(t.saturating_sub(downloaded) as f64 / s),
        _ => None,
    };
    Progress {
        downloaded_bytes: Some(downloaded),
        total_bytes: total,
        percent: total
            .filter(|t| *t > 0)
            .map(|t| (downloaded as f64 / t as f64 * 100.0).min(100.0)),
        speed_bps: speed,
        eta_seconds: eta,
        phase: Phase::Downloading,
    }
}

fn too_large(max: u64) -> ExecutionError {
    ExecutionError::permanent(format!(
        "The file is larger than the server allows ({} MiB)",
        max / (1024 * 1024)
    ))
}

fn log_reqwest(stage: &str, e: &reqwest::Error) -> ExecutionError {
    let classified = classify_reqwest(e);
    tracing::warn!(stage, error = %e, classified = %classified.message, "direct download failed");
    classified
}

/// The file extension for a response: from a specific audio/video Content-Type, else from
/// the URL's path when the type is generic. Only allowlisted extensions are returned.
pub fn media_extension(content_type: &str, url: &url::Url) -> Option<&'static str> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let from_type = match mime.as_str() {
        "audio/mpeg" | "audio/mp3" | "audio/mpeg3" | "audio/x-mpeg" => Some("mp3"),
        "audio/mp4" | "audio/x-m4a" | "audio/m4a" | "audio/aac-mp4" => Some("m4a"),
        "audio/aac" | "audio/x-aac" => Some("aac"),
        "audio/flac" | "audio/x-flac" => Some("flac"),
        "audio/ogg" | "application/ogg" | "audio/vorbis" => Some("ogg"),
        "audio/opus" => Some("opus"),
        "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave" => Some("wav"),
        "audio/webm" => Some("webm"),
        "audio/aiff" | "audio/x-aiff" => Some("aiff"),
        "video/mp4" => Some("mp4"),
        "video/webm" => Some("webm"),
        "video/x-matroska" => Some("mkv"),
        "audio/x-matroska" => Some("mka"),
        _ => None,
    };
    if from_type.is_some() {
        return from_type;
    }
    let generic = mime.is_empty()
        || mime == "application/octet-stream"
        || mime == "binary/octet-stream"
        || mime.starts_with("audio/")
        || mime.starts_with("video/");
    if !generic {
        return None; // an HTML page or JSON is not a media file, whatever its URL says
    }
    let last = url.path_segments()?.next_back()?;
    let (_, ext) = last.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    super::output_path::ALLOWED_EXTENSIONS
        .iter()
        .copied()
        .find(|a| *a == ext && extension_allowed(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_comes_from_type_then_url_sec_5() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert_eq!(media_extension("audio/mpeg", &u("http://x/a")), Some("mp3"));
        assert_eq!(
            media_extension("audio/flac; q=1", &u("http://x/a.mp3")),
            Some("flac")
        );
        assert_eq!(
            media_extension("application/octet-stream", &u("http://x/a.M4A")),
            Some("m4a")
        );
        assert_eq!(
            media_extension("", &u("http://x/song.opus?x=1")),
            Some("opus")
        );
        assert_eq!(media_extension("text/html", &u("http://x/a.mp3")), None);
        assert_eq!(
            media_extension("application/octet-stream", &u("http://x/a.sh")),
            None
        );
        assert_eq!(
            media_extension("application/octet-stream", &u("http://x/")),
            None
        );
    }
}
