//! The yt-dlp executor: runs the pinned yt-dlp on one URL into the job's temp folder,
//! turning its progress lines into `Progress` and its exit into a file or a classified error.

use std::path::{Path, PathBuf};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::direct::check_fetch_url;
use super::errors::{classify_ytdlp_stderr, egress_refused, protocol_refused};
use super::model::{AudioFormat, ExecutionError, ExecutorConfig, Phase, Progress};
use super::process::{RunOutcome, group_command, resolve_program, run_supervised};
use super::progress::{MAX_LINE_BYTES, Throttle, YtDlpLine, parse_ytdlp_line};
use super::ytdlp_args::{YtDlpInvocation, build_args};
use crate::domain::ytdlp_options::validate_plugin_options;

/// yt-dlp's exit status when a breaking match filter stopped it.
const YTDLP_CANCELLED_STATUS: i32 = 101;

/// Runs yt-dlp and returns the single finished file inside `temp_dir` (SEC-6).
pub async fn run_ytdlp(
    config: &ExecutorConfig,
    url: &str,
    plugin_options: &[String],
    format: AudioFormat,
    temp_dir: &Path,
    progress: &watch::Sender<Progress>,
    cancel: &CancellationToken,
) -> Result<PathBuf, ExecutionError> {
    check_fetch_url(url, &config.address_policy).await?;
    let options = validate_plugin_options(plugin_options).map_err(|e| {
        tracing::error!(error = %e, "plugin asked for a refused yt-dlp option");
        ExecutionError::permanent(
            "The extractor plugin asked for a yt-dlp option the server does not allow",
        )
    })?;
    // yt-dlp wants a real path; when ffmpeg cannot be found, pass the configured value and
    // let yt-dlp report it if this job needs ffmpeg at all.
    let ffmpeg = resolve_program(&config.ffmpeg_path).unwrap_or_else(|| config.ffmpeg_path.clone());
    // SEC-40: this job's credential on the egress proxy; dropped (and revoked) on return.
    let egress = config.egress.register_job(config.address_policy.clone());
    let args = build_args(&YtDlpInvocation {
        url,
        temp_dir,
        ffmpeg_location: &ffmpeg,
        js_runtime: &config.js_runtime_path,
        format,
        plugin_options: &options,
        max_file_bytes: config.limits.max_file_bytes,
        proxy: egress.proxy_url(),
    });
    // No `current_dir`: a relative YTDLP_PATH stays relative to the server's working folder.
    let mut cmd = group_command(&config.ytdlp_path(), &args);
    // Whatever yt-dlp starts (ffmpeg, Deno) finds the proxy in its environment as well.
    for key in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"] {
        cmd.env(key, egress.proxy_url());
    }

    let mut throttle = Throttle::new();
    let mut reported: Option<String> = None;
    let mut refused: Option<ExecutionError> = None;
    let on_line = |line: &str| match parse_ytdlp_line(line) {
        YtDlpLine::Progress(p) => {
            if throttle.admit(&p) {
                progress.send_replace(p);
            }
        }
        YtDlpLine::Postprocess { converting } => {
            let p = Progress::phase(if converting {
                Phase::Converting
            } else {
                Phase::Finalizing
            });
            if throttle.admit(&p) {
                progress.send_replace(p);
            }
        }
        YtDlpLine::Done { filepath, .. } => reported = Some(filepath),
        YtDlpLine::Other => {
            tracing::debug!(target: "ytdlp", line);
            refused = refused.take().or_else(|| refused_by_limits(line));
        }
    };
    let outcome = run_supervised(cmd, config.cancel_grace, cancel, MAX_LINE_BYTES, on_line)
        .await
        .map_err(|e| ytdlp_did_not_start(config, &e))?;
    let (status, stderr_tail) = match outcome {
        RunOutcome::Cancelled => return Err(ExecutionError::cancelled()),
        RunOutcome::Exited {
            status,
            stderr_tail,
        } => (status, stderr_tail),
    };
    // SEC-40: a refused request fails the job with one message, whatever yt-dlp made of it
    // (a 403, a tunnel error, a missing thumbnail, or even success without it).
    if egress.refused() {
        tracing::warn!(%status, stderr = %stderr_tail, "yt-dlp tried to reach a refused address");
        return Err(egress_refused());
    }
    drop(egress);
    // 101 is yt-dlp's "download cancelled" status. `--print` makes it quiet, so the filter's
    // own message is not printed; among the options the host passes, only the protocol rule
    // (`--break-match-filters`, SEC-40) can cancel a download.
    if status.code() == Some(YTDLP_CANCELLED_STATUS) {
        tracing::warn!(%status, stderr = %stderr_tail, "yt-dlp refused the chosen format's protocol");
        return Err(protocol_refused());
    }
    if !status.success() {
        // SEC-6: stderr goes to the log; the user gets the classified message.
        let error = classify_ytdlp_stderr(&stderr_tail);
        tracing::warn!(%status, stderr = %stderr_tail, classified = %error.message, "yt-dlp failed");
        return Err(error);
    }
    if !stderr_tail.trim().is_empty() {
        tracing::debug!(stderr = %stderr_tail, "yt-dlp warnings");
    }
    // yt-dlp exits 0 after skipping a live stream or an oversized format.
    if let Some(error) = refused {
        return Err(error);
    }
    single_finished_file(temp_dir, reported.as_deref()).await
}

/// What yt-dlp says on stdout when `--match-filter !is_live` or `--max-filesize` (SEC-41)
/// made it skip the download.
fn refused_by_limits(line: &str) -> Option<ExecutionError> {
    if line.contains("does not pass filter") && line.contains("is_live") {
        Some(ExecutionError::permanent(
            "This is a live stream; live streams are not downloaded",
        ))
    } else if line.contains("larger than max-filesize") {
        Some(ExecutionError::permanent(
            "The file is larger than the server's size limit (MAX_FILE_SIZE_MB)",
        ))
    } else {
        None
    }
}

/// SEC-6: exactly one regular file must be left in the temp folder (no `.part`), and if
/// yt-dlp reported a path, it must be that file.
pub async fn single_finished_file(
    temp_dir: &Path,
    reported: Option<&str>,
) -> Result<PathBuf, ExecutionError> {
    let mut files = Vec::new();
    let mut entries = tokio::fs::read_dir(temp_dir)
        .await
        .map_err(|e| super::errors::classify_io(&e))?;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let Ok(kind) = entry.file_type().await else {
            continue;
        };
        if kind.is_file() {
            files.push(entry.path());
        }
    }
    let unfinished = files.iter().any(|f| {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        matches!(ext, "part" | "ytdl" | "temp") || f.to_string_lossy().contains(".part-Frag")
    });
    if files.len() != 1 || unfinished {
        tracing::warn!(
            count = files.len(),
            ?files,
            "yt-dlp exited 0 without exactly one finished file"
        );
        return Err(if files.is_empty() {
            ExecutionError::permanent("The download produced no audio file")
        } else {
            ExecutionError::permanent(
                "The download produced several files: a playlist must be split into single entries",
            )
        });
    }
    let file = files.remove(0);
    if let Some(reported) = reported {
        let same = match (Path::new(reported).canonicalize(), file.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        };
        if !same {
            tracing::warn!(reported, found = %file.display(), "yt-dlp reported another file than it left");
            return Err(ExecutionError::permanent(
                "The download produced an unexpected file",
            ));
        }
    }
    Ok(file)
}

/// yt-dlp could not be started (not installed, or `YTDLP_PATH` wrong): the cause goes to the
/// log, the user is told what the admin should do. Shared by downloads and set listings.
pub(super) fn ytdlp_did_not_start(
    config: &ExecutorConfig,
    error: &std::io::Error,
) -> ExecutionError {
    tracing::error!(error = %error, ytdlp = %config.ytdlp_path().display(), "could not start yt-dlp");
    ExecutionError::permanent(
        "yt-dlp is missing on the server: ask the admin to run scripts/setup-tools.sh or set YTDLP_PATH",
    )
}
