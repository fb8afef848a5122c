//! The download tools and their preflight. yt-dlp runs with its JavaScript runtime (Deno, for
//! YouTube's challenges via the yt-dlp-ejs scripts) and ffmpeg/ffprobe named explicitly, never
//! whatever happens to be on PATH. The preflight runs in the background after the server
//! listens (`/health` says `checking` until it is done) and asks yt-dlp itself what it sees.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::model::ExecutorConfig;
use super::process::{capture_output, run_to_completion};
use super::ytdlp_args::js_runtime_args;

/// How long one version probe may take (yt-dlp's Python start is the slow one).
const PROBE_TIMEOUT: Duration = Duration::from_secs(20);

/// What the preflight found. A `None` version means the tool is missing or does not run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolReport {
    pub ytdlp_version: Option<String>,
    /// The yt-dlp-ejs scripts yt-dlp loaded.
    pub ejs_version: Option<String>,
    /// The JavaScript runtime yt-dlp accepted, e.g. `deno 2.9.8`.
    pub js_runtime_version: Option<String>,
    pub ffmpeg_version: Option<String>,
    pub ffprobe_version: Option<String>,
    pub output_writable: bool,
    /// Free space in the output folder, in bytes.
    pub free_bytes: Option<u64>,
}

/// The preflight's result as it becomes known: `None` while it runs.
#[derive(Clone)]
pub struct ToolStatus(watch::Receiver<Option<Arc<ToolReport>>>);

impl ToolStatus {
    /// Starts the preflight in the background and returns its status at once.
    pub fn check_in_background(config: ExecutorConfig) -> Self {
        let (tx, rx) = watch::channel(None);
        tokio::spawn(async move {
            let report = probe_tools(&config).await;
            log_report(&config, &report);
            let _ = tx.send(Some(Arc::new(report)));
        });
        Self(rx)
    }

    /// A status that is already known (tests, benches).
    pub fn known(report: ToolReport) -> Self {
        let (_tx, rx) = watch::channel(Some(Arc::new(report)));
        Self(rx)
    }

    /// The report, or `None` while the preflight still runs.
    pub fn current(&self) -> Option<Arc<ToolReport>> {
        self.0.borrow().clone()
    }

    /// Waits until the preflight is done.
    pub async fn wait(&mut self) -> Arc<ToolReport> {
        match self.0.wait_for(Option::is_some).await {
            Ok(report) => report.clone().expect("waited for Some"),
            // The sender is gone without a report (runtime shutting down): nothing is known.
            Err(_) => Arc::new(ToolReport::default()),
        }
    }
}

/// Checks the tools and the output folder. Never fails; missing facts are `None`/`false`.
pub async fn probe_tools(config: &ExecutorConfig) -> ToolReport {
    let ytdlp = probe_ytdlp(config);
    let ffmpeg = first_line_version(&config.ffmpeg_path);
    let ffprobe = first_line_version(&config.ffprobe_path);
    let ((ytdlp_version, ejs_version, js_runtime_version), ffmpeg_version, ffprobe_version) =
        tokio::join!(ytdlp, ffmpeg, ffprobe);
    let out = config.output_directory.clone();
    let (output_writable, free_bytes) = tokio::task::spawn_blocking(move || {
        (output_is_writable(&out), super::limits::free_bytes(&out))
    })
    .await
    .unwrap_or((false, None));
    ToolReport {
        ytdlp_version,
        ejs_version,
        js_runtime_version,
        ffmpeg_version,
        ffprobe_version,
        output_writable,
        free_bytes,
    }
}

/// Runs `yt-dlp -v` with no URL: it prints its debug header (version, the ffmpeg it found,
/// optional libraries such as yt_dlp_ejs, the JavaScript runtimes it accepted) and exits.
pub async fn probe_ytdlp(
    config: &ExecutorConfig,
) -> (Option<String>, Option<String>, Option<String>) {
    let mut args: Vec<std::ffi::OsString> = vec!["--ignore-config".into(), "-v".into()];
    args.extend(js_runtime_args(&config.js_runtime_path));
    args.extend([
        "--ffmpeg-location".into(),
        config.ffmpeg_path.clone().into(),
    ]);
    let Some(stderr) = capture_stderr(&config.ytdlp_path(), &args).await else {
        return (None, None, None);
    };
    parse_ytdlp_debug_header(&stderr)
}

/// (yt-dlp version, yt-dlp-ejs version, JavaScript runtime) from `yt-dlp -v`'s header:
/// `[debug] yt-dlp version stable@2026.10.26 from …`,
/// `[debug] Optional libraries: …, yt_dlp_ejs-0.8.0`, `[debug] JS runtimes: deno-2.9.8`.
pub fn parse_ytdlp_debug_header(stderr: &str) -> (Option<String>, Option<String>, Option<String>) {
    let field = |prefix: &str| {
        stderr
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .map(str::trim)
    };
    let version = field("[debug] yt-dlp version ")
        .and_then(|rest| rest.split_whitespace().next())
        .map(|v| v.rsplit('@').next().unwrap_or(v).to_owned());
    let ejs = field("[debug] Optional libraries:").and_then(|libs| {
        libs.split(", ")
            .find_map(|lib| lib.trim().strip_prefix("yt_dlp_ejs-"))
            .map(str::to_owned)
    });
    let runtime = field("[debug] JS runtimes:")
        .filter(|r| *r != "none")
        .map(|r| r.replacen('-', " ", 1));
    (version, ejs, runtime)
}

/// `ffmpeg -version` → "6.0-static" (the third word of its first line).
async fn first_line_version(program: &Path) -> Option<String> {
    let out = capture_output(program, &["-hide_banner", "-version"], PROBE_TIMEOUT).await?;
    out.lines()
        .next()?
        .split_whitespace()
        .nth(2)
        .map(str::to_owned)
}

/// Runs `program args` (at most PROBE_TIMEOUT) and returns what it printed on stderr,
/// whatever its exit status.
async fn capture_stderr(program: &Path, args: &[std::ffi::OsString]) -> Option<String> {
    let out = run_to_completion(program, args, PROBE_TIMEOUT).await?;
    Some(String::from_utf8_lossy(&out.stderr).into_owned())
}

fn log_report(config: &ExecutorConfig, report: &ToolReport) {
    let fix = "run scripts/setup-tools.sh, or set TOOLS_DIRECTORY or the tool's *_PATH";
    let ytdlp_path = config.ytdlp_path();
    let tools: [(&str, &Option<String>, &PathBuf, &str); 4] = [
        (
            "yt-dlp",
            &report.ytdlp_version,
            &ytdlp_path,
            "only direct media links will download",
        ),
        (
            "JavaScript runtime (deno)",
            &report.js_runtime_version,
            &config.js_runtime_path,
            "YouTube downloads will fail",
        ),
        (
            "ffmpeg",
            &report.ffmpeg_version,
            &config.ffmpeg_path,
            "format conversion will fail",
        ),
        (
            "ffprobe",
            &report.ffprobe_version,
            &config.ffprobe_path,
            "yt-dlp cannot convert or embed covers",
        ),
    ];
    for (name, version, path, consequence) in tools {
        match version {
            Some(v) => {
                tracing::info!(tool = name, version = %v, path = %path.display(), "tool found")
            }
            None => {
                tracing::warn!(tool = name, path = %path.display(), "{name} not found: {consequence} ({fix})")
            }
        }
    }
    match &report.ejs_version {
        Some(v) => tracing::info!(tool = "yt-dlp-ejs", version = %v, "tool found"),
        None if report.ytdlp_version.is_some() => tracing::warn!(
            "yt-dlp-ejs is not installed beside yt-dlp: YouTube downloads will fail ({fix})"
        ),
        None => {}
    }
    if !report.output_writable {
        tracing::error!(dir = %config.output_directory.display(), "OUTPUT_DIRECTORY is not writable");
    }
    if let Some(free) = report.free_bytes {
        tracing::info!(free_mib = free >> 20, dir = %config.output_directory.display(), "output folder");
    }
}

fn output_is_writable(out: &Path) -> bool {
    let root = super::temp_dirs::temp_root(out);
    if std::fs::create_dir_all(&root).is_err() {
        return false;
    }
    tempfile::tempfile_in(&root).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_versions_from_ytdlp_debug_header() {
        let header = "[debug] Command-line config: ['-v']\n\
            [debug] yt-dlp version stable@2026.10.26 from yt-dlp/yt-dlp [c91f8de0b] (pip)\n\
            [debug] exe versions: ffmpeg 6.0-static (setts), ffprobe 6.0-static\n\
            [debug] Optional libraries: brotli-1.2.1, certifi-2026.10.19, mutagen-1.48.1, sqlite3-3.40.1, yt_dlp_ejs-0.8.0\n\
            [debug] JS runtimes: deno-2.9.8\n";
        assert_eq!(
            parse_ytdlp_debug_header(header),
            (
                Some("2026.10.26".into()),
                Some("0.8.0".into()),
                Some("deno 2.9.8".into())
            )
        );
    }

    #[test]
    fn a_missing_runtime_and_missing_scripts_read_as_none() {
        let header = "[debug] yt-dlp version 2026.10.26 [c91f8de0b]\n\
            [debug] Optional libraries: certifi-2026.10.19\n\
            [debug] JS runtimes: none\n";
        assert_eq!(
            parse_ytdlp_debug_header(header),
            (Some("2026.10.26".into()), None, None)
        );
        assert_eq!(parse_ytdlp_debug_header(""), (None, None, None));
    }
}
