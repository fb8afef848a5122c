//! Audio conversion with ffmpeg for natively downloaded files (yt-dlp converts its own).
//! Runs from an argv in its own process group and stops with the job (SEC-7).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::model::{AudioFormat, ExecutionError};
use super::process::{RunOutcome, group_command, run_supervised};

/// The encoder arguments for each target format; quality picked for music listening.
fn codec_args(format: AudioFormat) -> Option<&'static [&'static str]> {
    Some(match format {
        AudioFormat::Best => return None,
        AudioFormat::Mp3 => &["-c:a", "libmp3lame", "-q:a", "2"],
        AudioFormat::M4a => &["-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart"],
        AudioFormat::Opus => &["-c:a", "libopus", "-b:a", "128k"],
        AudioFormat::Flac => &["-c:a", "flac"],
    })
}

/// The ffmpeg argv converting `input` to `output`. `-protocol_whitelist file` keeps a
/// hostile "audio" file (an HLS playlist served as audio/mpeg, say) from making ffmpeg fetch
/// other URLs (SEC-4); the `file:` prefix stops a name from being read as a protocol.
pub fn ffmpeg_args(input: &Path, output: &Path, format: AudioFormat) -> Option<Vec<String>> {
    let codec = codec_args(format)?;
    let mut args: Vec<String> = [
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-protocol_whitelist",
        "file",
        "-i",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("file:{}", input.display()));
    for s in ["-map", "0:a:0", "-vn", "-map_metadata", "0"] {
        args.push(s.into());
    }
    args.extend(codec.iter().map(|s| s.to_string()));
    args.push(format!("file:{}", output.display()));
    Some(args)
}

/// Converts `input` into `format` next to it, removes the input and returns the new path.
/// An input that already has the target extension is kept as it is (no re-encode).
pub async fn convert(
    ffmpeg: &Path,
    input: &Path,
    format: AudioFormat,
    grace: Duration,
    cancel: &CancellationToken,
) -> Result<PathBuf, ExecutionError> {
    let Some(ext) = format.extension() else {
        return Ok(input.to_path_buf());
    };
    let current = input.extension().and_then(|e| e.to_str()).unwrap_or("");
    if current.eq_ignore_ascii_case(ext) {
        return Ok(input.to_path_buf());
    }
    let output = input.with_file_name(format!("converted.{ext}"));
    let ffmpeg = super::process::resolve_program(ffmpeg).unwrap_or_else(|| ffmpeg.to_path_buf());
    let args = ffmpeg_args(input, &output, format).unwrap_or_default();
    let outcome = run_supervised(group_command(&ffmpeg, &args), grace, cancel, 4096, |_| {})
        .await
        .map_err(|e| {
            tracing::error!(error = %e, ffmpeg = %ffmpeg.display(), "could not start ffmpeg");
            ExecutionError::permanent(
                "ffmpeg is missing on the server: ask the admin to install it",
            )
        })?;
    match outcome {
        RunOutcome::Cancelled => Err(ExecutionError::cancelled()),
        RunOutcome::Exited {
            status,
            stderr_tail,
        } if !status.success() => {
            tracing::warn!(%status, stderr = %stderr_tail, "ffmpeg conversion failed");
            let _ = tokio::fs::remove_file(&output).await;
            Err(ExecutionError::permanent(format!(
                "Could not convert the audio to {ext}: the downloaded file may be damaged"
            )))
        }
        RunOutcome::Exited { .. } => {
            let _ = tokio::fs::remove_file(input).await;
            Ok(output)
        }
    }
}
