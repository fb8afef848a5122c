//! Start-up's choice of yt-dlp (`tools::YtdlpManager::start`): the active managed
//! environment recorded in `DATA_DIRECTORY/tools/yt-dlp/state.json` when it answers
//! `--version`, else the tool folder's. The choice is the executor's shared selection.

use std::path::PathBuf;

use nas_music_downloader::config::{DEFAULT_PACKAGE_INDEX, YtdlpUpdateSettings};
use nas_music_downloader::jobs::YtdlpSelection;
use nas_music_downloader::tools::{EnvRecord, EnvState, Environments, YtdlpManager};

use crate::{Harness, ytdlp_path};

#[tokio::test]
async fn start_up_uses_the_active_managed_ytdlp_when_it_answers_else_the_tool_folders() {
    let harness = Harness::new().await;
    let data = tempfile::tempdir().unwrap();
    let envs = Environments::new(
        data.path(),
        ytdlp_path(),
        PathBuf::from("python3"),
        YtdlpUpdateSettings {
            index_url: DEFAULT_PACKAGE_INDEX.into(),
            wheel_directory: None,
            auto_update: false,
        },
    );
    // A managed environment whose yt-dlp is the pinned one, linked in (no pip needed).
    let bin = envs.root().join("env-a").join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let managed = bin.join("yt-dlp");
    std::os::unix::fs::symlink(ytdlp_path(), &managed).unwrap();
    let state = EnvState {
        active: Some(EnvRecord {
            id: Some("env-a".into()),
            version: Some("2026.10.26".into()),
        }),
        previous: Some(EnvRecord {
            id: None,
            version: None,
        }),
    };
    envs.save_state(&state).await.unwrap();

    let manager = YtdlpManager::start(envs.clone(), harness.config.clone()).await;
    assert_eq!(manager.active().path, managed);
    assert_eq!(manager.active().version.as_deref(), Some("2026.10.26"));
    // Jobs read the same selection.
    assert_eq!(harness.config.ytdlp_path(), managed);
    assert_eq!(manager.state().await, state);

    // The managed yt-dlp no longer runs: the tool folder's is used, and the state is kept
    // for an admin's rollback or update.
    std::fs::remove_file(&managed).unwrap();
    let mut config = harness.config.clone();
    config.ytdlp = YtdlpSelection::fixed(ytdlp_path());
    let manager = YtdlpManager::start(envs, config.clone()).await;
    assert_eq!(manager.active().path, ytdlp_path());
    assert_eq!(config.ytdlp_path(), ytdlp_path());
}
