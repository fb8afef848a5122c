//! Executor tests with the real pinned yt-dlp and real ffmpeg against a local media server.
//! The tools come from `$TOOLS_DIRECTORY` or the repository's `.venv` (`scripts/setup-tools.sh`).

#[path = "../support/egress_scenarios.rs"]
mod egress_scenarios;
#[path = "../support/media_server.rs"]
mod media_server;
#[path = "../support/ytdlp_wheels.rs"]
mod ytdlp_wheels;

mod direct;
mod egress;
mod managed_ytdlp;
mod ytdlp;

use std::path::{Path, PathBuf};
use std::time::Duration;

use media_server::MediaServer;
use nas_music_downloader::domain::JobLimits;
use nas_music_downloader::jobs::{
    AudioFormat, ExecutionError, ExecutionRequest, ExecutorConfig, FetchAction, Finished, Progress,
    TrackMetadataHint, temp_root,
};
use nas_music_downloader::net::AddressPolicy;
use nas_music_downloader::net::egress_proxy::EgressProxy;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// The pinned yt-dlp; fails loudly rather than skipping, so CI cannot pass without it.
pub fn ytdlp_path() -> PathBuf {
    media_server::tool("yt-dlp")
}

pub struct Harness {
    pub out: tempfile::TempDir,
    pub config: ExecutorConfig,
    pub server: MediaServer,
}

impl Harness {
    pub async fn new() -> Harness {
        let out = tempfile::tempdir().unwrap();
        let config = ExecutorConfig {
            ytdlp: nas_music_downloader::jobs::YtdlpSelection::fixed(ytdlp_path()),
            js_runtime_path: media_server::tool("deno"),
            ffmpeg_path: media_server::ffmpeg_path(),
            ffprobe_path: media_server::tool("ffprobe"),
            output_directory: out.path().to_path_buf(),
            output_template: "{artist}/{title}.{ext}".into(),
            album_output_template: nas_music_downloader::jobs::DEFAULT_ALBUM_OUTPUT_TEMPLATE.into(),
            // Tests serve from 127.0.0.1, which the default policy refuses (SEC-4).
            address_policy: AddressPolicy::AllowPrivate,
            egress: EgressProxy::start(CancellationToken::new())
                .await
                .expect("start the egress proxy"),
            cancel_grace: Duration::from_secs(3),
            limits: JobLimits {
                max_file_bytes: 50 * 1024 * 1024,
                min_free_bytes: 0,
                ..JobLimits::default()
            },
        };
        Harness {
            out,
            config,
            server: MediaServer::start().await,
        }
    }

    pub fn request(&self, action: FetchAction, format: AudioFormat) -> ExecutionRequest {
        ExecutionRequest {
            job_id: uuid::Uuid::new_v4(),
            source_url: action.url().to_owned(),
            action,
            metadata: TrackMetadataHint::default(),
            format,
            user: "alice".into(),
        }
    }

    pub fn direct(&self, path: &str, format: AudioFormat) -> ExecutionRequest {
        self.request(
            FetchAction::Direct {
                url: self.server.url(path),
            },
            format,
        )
    }

    pub fn ytdlp(&self, path: &str, format: AudioFormat) -> ExecutionRequest {
        self.request(
            FetchAction::YtDlp {
                url: self.server.url(path),
                options: vec![],
            },
            format,
        )
    }

    pub async fn run(&self, request: ExecutionRequest) -> Result<Finished, ExecutionError> {
        let (tx, _rx) = watch::channel(Progress::default());
        nas_music_downloader::jobs::execute(&self.config, request, tx, CancellationToken::new())
            .await
    }

    /// Every file under the output directory, relative, hidden temp folder included.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        walk(self.out.path(), self.out.path(), &mut found);
        found.sort();
        found
    }

    /// SEC-7/SEC-30: nothing of the job is left in the temp area.
    pub fn assert_no_temp_left(&self) {
        let root = temp_root(self.out.path());
        let left: Vec<_> = std::fs::read_dir(&root)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "temp folders left behind: {left:?}");
    }
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(root, &path, found);
        } else {
            found.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}
