//! Start-up's choice of yt-dlp (`tools::YtdlpManager::start`): the active managed
//! environment recorded in `DATA_DIRECTORY/tools/yt-dlp/state.json` when it answers
//! `--version`, else the tool folder's. The choice is the executor's shared selection.

use std::path::PathBuf;

use nas_music_downloader::config::{DEFAULT_PACKAGE_INDEX, YtdlpUpdateSettings};
use nas_music_downloader::jobs::YtdlpSelection;
use nas_music_downloader::tools::{EnvRecord, EnvState, Environments, YtdlpManager};

use crate::{Harness, ytdlp_path};
use nas_music_downloader::audit::AuditAction;
use nas_music_downloader::net::AddressPolicy;
use nas_music_downloader::store::{AuditFilter, PageRequest};
use nas_music_downloader::tools::auto_update::AutoUpdate;
use std::sync::Arc;

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

/// A stand-in package index whose JSON API names `version` as yt-dlp's newest release.
async fn package_index(version: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head).await;
            let body = format!(r#"{{"info":{{"name":"yt-dlp","version":"{version}"}}}}"#);
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn the_daily_check_installs_the_newest_release_once_and_audits_it() {
    let harness = Harness::new().await;
    let data = tempfile::tempdir().unwrap();
    let store = nas_music_downloader::store::connect(&format!(
        "sqlite://{}/audit.db",
        data.path().display()
    ))
    .await
    .unwrap();
    let index = package_index(crate::ytdlp_wheels::GOOD).await;
    let envs = Environments::new(
        data.path(),
        ytdlp_path(),
        crate::media_server::tool("python3"),
        YtdlpUpdateSettings {
            index_url: index.clone(),
            wheel_directory: Some(crate::ytdlp_wheels::wheel_directory().into()),
            auto_update: true,
        },
    );
    let manager = Arc::new(YtdlpManager::start(envs, harness.config.clone()).await);
    let check = AutoUpdate {
        manager: manager.clone(),
        store: store.clone(),
        index_url: index,
        address_policy: AddressPolicy::AllowPrivate,
    };
    check.check_once().await;
    assert_eq!(
        manager.active().version.as_deref(),
        Some(crate::ytdlp_wheels::GOOD)
    );
    assert_eq!(
        harness.config.ytdlp.current().version.as_deref(),
        Some(crate::ytdlp_wheels::GOOD)
    );
    // Already current: the next day's check changes nothing.
    check.check_once().await;
    let audit = store
        .list_audit(
            AuditFilter {
                user_id: None,
                action: Some(AuditAction::ToolUpdated),
            },
            PageRequest {
                page: 1,
                per_page: 10,
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 1);
    assert_eq!(audit.items[0].details.0["automatic"], true);
    assert_eq!(audit.items[0].details.0["to"], crate::ytdlp_wheels::GOOD);
}
