//! SEC-40 with the real yt-dlp and ffmpeg: whatever a page leads yt-dlp to goes through the
//! egress proxy, and a refused address is never reached.

use nas_music_downloader::jobs::{AudioFormat, ErrorClass, FetchAction};
use nas_music_downloader::net::AddressPolicy;

use crate::Harness;
use crate::egress_scenarios::{Canary, SCENARIOS, Scenarios};

async fn harness_allowing(networks: &str) -> Harness {
    let mut h = Harness::new().await;
    h.config.address_policy = AddressPolicy::parse(networks).unwrap();
    h
}

fn ytdlp_on(h: &Harness, url: String) -> nas_music_downloader::jobs::ExecutionRequest {
    h.request(
        FetchAction::YtDlp {
            url,
            options: vec![],
        },
        AudioFormat::Best,
    )
}

#[tokio::test]
async fn redirects_refreshes_segments_embeds_and_ffmpeg_never_reach_a_refused_address_sec_40() {
    let canary = Canary::start().await;
    let scenarios = Scenarios::start(&canary).await;
    let h = harness_allowing("127.0.0.1/32").await;
    let mut messages = Vec::new();
    for path in SCENARIOS {
        let err = h
            .run(ytdlp_on(&h, scenarios.url(path)))
            .await
            .expect_err(path);
        assert_eq!(err.class, ErrorClass::Permanent, "{path}: {}", err.message);
        assert_eq!(canary.hits(), 0, "{path} reached the canary");
        messages.push((path, err.message));
    }
    // One message, whichever way the source tried: a scanner learns nothing from it.
    for (path, message) in &messages {
        assert!(
            message.contains("an address this server does not allow"),
            "{path}: {message}"
        );
        assert_eq!(message, &messages[0].1, "{path}");
    }
    h.assert_no_temp_left();
}

#[tokio::test]
async fn the_same_sources_reach_the_canary_when_its_network_is_allowed_sec_40() {
    // The control: without it, the test above could pass because nothing works at all.
    let canary = Canary::start().await;
    let scenarios = Scenarios::start(&canary).await;
    let h = harness_allowing("127.0.0.1/32,127.0.0.2/32").await;
    for path in SCENARIOS {
        let before = canary.hits();
        let result = h.run(ytdlp_on(&h, scenarios.url(path))).await;
        assert!(
            canary.hits() > before,
            "{path} did not reach the allowed canary: {result:?}"
        );
        if let Err(e) = &result {
            assert!(
                !e.message.contains("does not allow"),
                "{path}: {}",
                e.message
            );
        }
    }
    // The plain cases download the canary's mp3.
    let done = h
        .run(ytdlp_on(&h, scenarios.url("/embed.html")))
        .await
        .unwrap();
    assert_eq!(done.relative_path.extension().unwrap(), "mp3");
}

#[tokio::test]
async fn a_non_http_stream_is_refused_before_any_connection_sec_40() {
    let canary = Canary::start().await;
    let scenarios = Scenarios::start(&canary).await;
    // Even with every address allowed, rtmp would bypass the proxy: refused by protocol.
    let h = harness_allowing("true").await;
    let err = h
        .run(ytdlp_on(&h, scenarios.url("/rtmp.html")))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent);
    assert!(err.message.contains("protocol"), "{}", err.message);
    assert_eq!(canary.hits(), 0, "rtmp reached the canary");
}

#[tokio::test]
async fn a_thumbnail_on_a_refused_address_fails_the_job_without_reaching_it_sec_40() {
    let canary = Canary::start().await;
    let scenarios = Scenarios::start(&canary).await;
    let with_thumbnail = |h: &Harness| {
        h.request(
            FetchAction::YtDlp {
                url: scenarios.url("/thumbnail.html"),
                options: vec!["--embed-thumbnail".into()],
            },
            AudioFormat::Best,
        )
    };
    // The audio itself is allowed; yt-dlp would go on without the thumbnail, but the job
    // fails with the same message as any other refusal.
    let h = harness_allowing("127.0.0.1/32").await;
    let err = h.run(with_thumbnail(&h)).await.unwrap_err();
    assert!(
        err.message
            .contains("an address this server does not allow"),
        "{}",
        err.message
    );
    assert_eq!(canary.hits(), 0, "the thumbnail was fetched");
    assert!(h.files().is_empty(), "{:?}", h.files());
    // The control: allowed, the thumbnail request does reach the canary.
    let h = harness_allowing("127.0.0.1/32,127.0.0.2/32").await;
    let _ = h.run(with_thumbnail(&h)).await;
    assert!(canary.hits() > 0, "the thumbnail was never requested");
}
