//! The yt-dlp executor with the real pinned yt-dlp and ffmpeg.

use std::path::PathBuf;
use std::time::Duration;

use nas_music_downloader::jobs::{AudioFormat, ErrorClass, FetchAction, Phase, Progress};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::Harness;
use crate::media_server::{ALBUM, ARTIST, TITLE};

#[tokio::test]
async fn a_page_with_an_audio_tag_is_fetched_through_ytdlp() {
    let h = Harness::new().await;
    let done = h
        .run(h.ytdlp("/page.html", AudioFormat::Best))
        .await
        .unwrap();
    assert_eq!(
        done.relative_path,
        PathBuf::from("Fixture Artist/Fixture Song.mp3")
    );
    assert_eq!(done.title.as_deref(), Some(TITLE));
    assert_eq!(done.artist.as_deref(), Some(ARTIST));
    assert_eq!(done.album.as_deref(), Some(ALBUM));
    assert!(h.server.hits("/tagged.mp3") >= 1);
    h.assert_no_temp_left();
}

#[tokio::test]
async fn ytdlp_converts_to_mp3_with_ffmpeg() {
    let h = Harness::new().await;
    let done = h.run(h.ytdlp("/song.m4a", AudioFormat::Mp3)).await.unwrap();
    assert_eq!(done.relative_path.extension().unwrap(), "mp3");
    let bytes = std::fs::read(h.out.path().join(&done.relative_path)).unwrap();
    assert!(bytes.starts_with(b"ID3") || bytes[0] == 0xff, "not an mp3");
    assert!(done.duration_seconds.unwrap() > 2.5);
    h.assert_no_temp_left();
}

#[tokio::test]
async fn a_404_through_ytdlp_is_permanent_and_hides_stderr_sec_6() {
    let h = Harness::new().await;
    let err = h
        .run(h.ytdlp("/missing.html", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent, "{}", err.message);
    assert!(err.message.contains("HTTP 404"), "{}", err.message);
    assert!(
        !err.message.contains("ERROR") && !err.message.contains("127.0.0.1"),
        "{}",
        err.message
    );
    h.assert_no_temp_left();
}

#[tokio::test]
async fn a_playlist_page_is_not_completed_as_one_job_sec_6() {
    let h = Harness::new().await;
    let err = h
        .run(h.ytdlp("/playlist.html", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent, "{}", err.message);
    assert!(err.message.contains("several files"), "{}", err.message);
    h.assert_no_temp_left();
    assert!(h.files().is_empty(), "{:?}", h.files());
}

#[tokio::test]
async fn forbidden_plugin_options_never_reach_ytdlp_sec_3() {
    let h = Harness::new().await;
    let marker = h.out.path().join("pwned");
    for options in [
        vec!["--exec".to_string(), format!("touch {}", marker.display())],
        vec![format!("--exe=touch {}", marker.display())],
        vec!["-a".into(), "/etc/passwd".into()],
        vec!["--".into(), "https://evil.example/".into()],
    ] {
        let req = h.request(
            FetchAction::YtDlp {
                url: h.server.url("/page.html"),
                options,
            },
            AudioFormat::Best,
        );
        let err = h.run(req).await.unwrap_err();
        assert_eq!(err.class, ErrorClass::Permanent);
        assert!(err.message.contains("not allow"), "{}", err.message);
    }
    assert!(!marker.exists());
    assert_eq!(h.server.hits("/page.html"), 0, "yt-dlp ran");
}

#[tokio::test]
async fn an_option_looking_url_is_never_read_as_an_option_sec_1() {
    let h = Harness::new().await;
    let marker = h.out.path().join("pwned");
    let req = h.request(
        FetchAction::YtDlp {
            url: format!("--exec=touch {}", marker.display()),
            options: vec![],
        },
        AudioFormat::Best,
    );
    assert!(h.run(req).await.is_err());
    assert!(!marker.exists());
}

/// Process groups whose members mention `needle` on their command line.
fn groups_running(needle: &str) -> Vec<i32> {
    let mut groups = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let dir = entry.path();
        let Ok(cmdline) = std::fs::read(dir.join("cmdline")) else {
            continue;
        };
        if !String::from_utf8_lossy(&cmdline).contains(needle) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid pgrp …": comm may hold spaces, so split after the last ')'.
        let rest = &stat[stat.rfind(')').unwrap() + 1..];
        if let Some(pgrp) = rest.split_whitespace().nth(2).and_then(|s| s.parse().ok()) {
            groups.push(pgrp);
        }
    }
    groups
}

fn group_members(pgrp: i32) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            std::fs::read_to_string(e.path().join("stat")).is_ok_and(|stat| {
                let rest = &stat[stat.rfind(')').unwrap() + 1..];
                // Zombies of other tests' reaped children do not count; only live members.
                let mut f = rest.split_whitespace();
                let state = f.next();
                state != Some("Z") && f.nth(1).and_then(|s| s.parse::<i32>().ok()) == Some(pgrp)
            })
        })
        .count()
}

/// Starts a yt-dlp job on the endless stream and waits until it is downloading. Returns the
/// job, its cancel token and the yt-dlp process group.
async fn start_endless_ytdlp_job(
    h: &Harness,
) -> (
    tokio::task::JoinHandle<
        Result<nas_music_downloader::jobs::Finished, nas_music_downloader::jobs::ExecutionError>,
    >,
    CancellationToken,
    i32,
) {
    let url = h.server.url("/slow.mp3");
    let (tx, mut rx) = watch::channel(Progress::default());
    let cancel = CancellationToken::new();
    let config = h.config.clone();
    let req = h.request(
        FetchAction::YtDlp {
            url: url.clone(),
            options: vec![],
        },
        AudioFormat::Best,
    );
    let job_cancel = cancel.clone();
    let job = tokio::spawn(async move {
        nas_music_downloader::jobs::execute(&config, req, tx, job_cancel).await
    });
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            {
                let p = rx.borrow_and_update();
                if p.phase == Phase::Downloading && p.downloaded_bytes.unwrap_or(0) > 0 {
                    break;
                }
            }
            rx.changed().await.expect("job ended before downloading");
        }
    })
    .await
    .expect("yt-dlp reported no download progress");
    let groups = groups_running(&url);
    assert_eq!(
        groups.len(),
        1,
        "expected one yt-dlp process for {url}: {groups:?}"
    );
    (job, cancel, groups[0])
}

#[tokio::test]
async fn an_aborted_job_future_still_kills_the_group_and_removes_its_temp_sec_7() {
    let h = Harness::new().await;
    let (job, _cancel, pgrp) = start_endless_ytdlp_job(&h).await;
    job.abort();
    assert!(job.await.unwrap_err().is_cancelled());
    // SIGKILL is delivered at once; give the kernel a moment to reap the members.
    for _ in 0..50 {
        if group_members(pgrp) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        group_members(pgrp),
        0,
        "process group {pgrp} still has members"
    );
    h.assert_no_temp_left();
    assert!(h.files().is_empty(), "{:?}", h.files());
}

#[tokio::test]
async fn cancel_stops_the_whole_ytdlp_group_and_leaves_nothing_sec_7() {
    let h = Harness::new().await;
    let url = h.server.url("/slow.mp3");
    let (job, cancel, pgrp) = start_endless_ytdlp_job(&h).await;

    cancel.cancel();
    let err = tokio::time::timeout(Duration::from_secs(20), job)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Cancelled);
    assert_eq!(
        group_members(pgrp),
        0,
        "process group {pgrp} still has members"
    );
    assert!(groups_running(&url).is_empty());
    h.assert_no_temp_left();
    assert!(h.files().is_empty(), "{:?}", h.files());
}

#[tokio::test]
async fn preflight_reports_every_tool_as_ytdlp_sees_it() {
    let h = Harness::new().await;
    let report = nas_music_downloader::jobs::probe_tools(&h.config).await;
    assert!(
        report
            .ytdlp_version
            .as_deref()
            .is_some_and(|v| v.starts_with("20")),
        "{report:?}"
    );
    // yt-dlp accepted the configured Deno and found the pinned yt-dlp-ejs scripts.
    assert!(
        report
            .js_runtime_version
            .as_deref()
            .is_some_and(|v| v.starts_with("deno ")),
        "{report:?}"
    );
    assert!(report.ejs_version.is_some(), "{report:?}");
    assert!(report.ffmpeg_version.is_some(), "{report:?}");
    assert!(report.ffprobe_version.is_some(), "{report:?}");
    assert!(report.output_writable);
    assert!(report.free_bytes.unwrap() > 0);
}

#[tokio::test]
async fn preflight_reports_a_missing_runtime_and_ffmpeg_as_missing() {
    let mut h = Harness::new().await;
    h.config.js_runtime_path = "/nonexistent/deno".into();
    h.config.ffmpeg_path = "/nonexistent/ffmpeg".into();
    let report = nas_music_downloader::jobs::probe_tools(&h.config).await;
    assert!(report.ytdlp_version.is_some(), "{report:?}");
    assert_eq!(report.js_runtime_version, None);
    assert_eq!(report.ffmpeg_version, None);
}

#[tokio::test]
async fn ytdlp_is_not_started_for_refused_addresses_sec_4() {
    let mut h = Harness::new().await;
    h.config.address_policy = nas_music_downloader::net::AddressPolicy::PublicOnly;
    let err = h
        .run(h.ytdlp("/page.html", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent);
    assert!(err.message.contains("private"), "{}", err.message);
    assert_eq!(h.server.hits("/page.html"), 0);
}

#[tokio::test]
async fn every_allowlisted_option_passes_plugin_checks_and_runs_in_ytdlp_sec_3() {
    use futures_util::StreamExt;
    use nas_music_downloader::domain::ytdlp_options::ALLOWED;
    let h = Harness::new().await;
    let h = &h;
    // One run per option (with its documented example value), a few at a time.
    let runs = futures_util::stream::iter(ALLOWED.iter().map(|option| {
        let mut options = vec![option.name.to_string()];
        options.extend(option.example.map(str::to_string));
        assert_eq!(
            nas_music_downloader::plugins::check_yt_dlp_options(&options),
            Ok(()),
            "plugin validation refuses {options:?}"
        );
        let request = h.request(
            FetchAction::YtDlp {
                url: h.server.url("/tagged.mp3"),
                options: options.clone(),
            },
            AudioFormat::Best,
        );
        async move { (options, h.run(request).await) }
    }))
    .buffer_unordered(3)
    .collect::<Vec<_>>()
    .await;
    let failed: Vec<_> = runs
        .iter()
        .filter_map(|(options, result)| result.as_ref().err().map(|e| (options, e)))
        .collect();
    assert!(failed.is_empty(), "yt-dlp runs that failed: {failed:?}");
    h.assert_no_temp_left();
}

#[tokio::test]
async fn an_endless_stream_through_ytdlp_stops_at_the_size_limit_sec_41() {
    let mut h = Harness::new().await;
    h.config.limits.max_file_bytes = 100_000;
    let started = std::time::Instant::now();
    let err = h
        .run(h.ytdlp("/slow.mp3", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent, "{}", err.message);
    assert!(
        err.message.contains("larger than the server's limit"),
        "{}",
        err.message
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    h.assert_no_temp_left();
    assert!(h.files().is_empty(), "{:?}", h.files());
}

#[tokio::test]
async fn a_live_stream_is_refused_before_anything_is_fetched_sec_41() {
    let h = Harness::new().await;
    let err = h
        .run(h.ytdlp("/live.m3u8", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent, "{}", err.message);
    assert!(err.message.contains("live stream"), "{}", err.message);
    assert_eq!(h.server.hits("/seg100.ts"), 0, "no segment was fetched");
    h.assert_no_temp_left();
}

#[tokio::test]
async fn a_file_announced_over_the_size_limit_is_not_downloaded_sec_41() {
    let mut h = Harness::new().await;
    h.config.limits.max_file_bytes = 1000;
    let err = h
        .run(h.ytdlp("/tagged.mp3", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent, "{}", err.message);
    assert!(
        err.message.contains("larger than the server's size limit"),
        "{}",
        err.message
    );
    h.assert_no_temp_left();
    assert!(h.files().is_empty(), "{:?}", h.files());
}
