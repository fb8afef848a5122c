//! The native executor: direct links, tags, conversion, size limits, redirects, cancel.

use std::path::{Component, PathBuf};
use std::time::Duration;

use nas_music_downloader::jobs::direct::{direct_client, download_to};
use nas_music_downloader::jobs::{AudioFormat, ErrorClass, Progress, TrackMetadataHint};
use nas_music_downloader::net::AddressPolicy;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::Harness;
use crate::media_server::{self, ALBUM, ARTIST, TITLE};

#[tokio::test]
async fn a_direct_mp3_arrives_byte_identical_with_its_tags_read() {
    let h = Harness::new().await;
    let done = h
        .run(h.direct("/tagged.mp3", AudioFormat::Best))
        .await
        .unwrap();
    assert_eq!(
        done.relative_path,
        PathBuf::from("Fixture Artist/Fixture Song.mp3")
    );
    let original = std::fs::read(&media_server::fixtures().tagged_mp3).unwrap();
    let got = std::fs::read(h.out.path().join(&done.relative_path)).unwrap();
    assert!(got == original, "bytes differ");
    assert_eq!(done.size_bytes, original.len() as u64);
    assert_eq!(done.title.as_deref(), Some(TITLE));
    assert_eq!(done.artist.as_deref(), Some(ARTIST));
    assert_eq!(done.album.as_deref(), Some(ALBUM));
    let secs = done.duration_seconds.unwrap();
    assert!((2.5..3.5).contains(&secs), "duration {secs}");
    h.assert_no_temp_left();
}

#[tokio::test]
async fn missing_tags_are_filled_from_the_plugin_hint() {
    let h = Harness::new().await;
    let mut req = h.direct("/untagged.mp3", AudioFormat::Best);
    req.metadata = TrackMetadataHint {
        title: Some("Hint Title".into()),
        artist: Some("Hint Artist".into()),
        album: Some("Hint Album".into()),
        cover_url: None,
        album_track: None,
    };
    let done = h.run(req).await.unwrap();
    assert_eq!(
        done.relative_path,
        PathBuf::from("Hint Artist/Hint Title.mp3")
    );
    assert_eq!(done.title.as_deref(), Some("Hint Title"));
    assert_eq!(done.album.as_deref(), Some("Hint Album"));
    let tags = nas_music_downloader::jobs::tags::read_tags(&h.out.path().join(&done.relative_path));
    assert_eq!(tags.artist.as_deref(), Some("Hint Artist"));
}

#[tokio::test]
async fn m4a_and_flac_keep_their_format_and_tags() {
    let h = Harness::new().await;
    let m4a = h
        .run(h.direct("/song.m4a", AudioFormat::Best))
        .await
        .unwrap();
    assert_eq!(
        m4a.relative_path,
        PathBuf::from("Fixture Artist/Fixture M4A.m4a")
    );
    assert_eq!(m4a.album.as_deref(), Some(ALBUM));
    let flac = h
        .run(h.direct("/song.flac", AudioFormat::Best))
        .await
        .unwrap();
    assert_eq!(
        flac.relative_path,
        PathBuf::from("Fixture Artist/Fixture FLAC.flac")
    );
    assert!(flac.duration_seconds.unwrap() > 2.5);
}

#[tokio::test]
async fn a_flac_link_is_converted_to_mp3_with_ffmpeg() {
    let h = Harness::new().await;
    let done = h
        .run(h.direct("/song.flac", AudioFormat::Mp3))
        .await
        .unwrap();
    assert_eq!(
        done.relative_path,
        PathBuf::from("Fixture Artist/Fixture FLAC.mp3")
    );
    let bytes = std::fs::read(h.out.path().join(&done.relative_path)).unwrap();
    assert!(bytes.starts_with(b"ID3") || bytes[0] == 0xff, "not an mp3");
    assert_eq!(done.title.as_deref(), Some("Fixture FLAC"));
    h.assert_no_temp_left();
}

#[tokio::test]
async fn the_same_title_twice_never_overwrites_sec_5() {
    let h = Harness::new().await;
    let first = h
        .run(h.direct("/tagged.mp3", AudioFormat::Best))
        .await
        .unwrap();
    let second = h
        .run(h.direct("/redirect", AudioFormat::Best))
        .await
        .unwrap();
    assert_eq!(
        first.relative_path,
        PathBuf::from("Fixture Artist/Fixture Song.mp3")
    );
    assert_eq!(
        second.relative_path,
        PathBuf::from("Fixture Artist/Fixture Song (2).mp3")
    );
}

#[tokio::test]
async fn hostile_titles_land_inside_the_output_directory_sec_5() {
    let h = Harness::new().await;
    for (title, artist) in [
        ("../../escape", "../.."),
        ("/etc/passwd", "/etc"),
        ("..\\x\0\n", "."),
    ] {
        let mut req = h.direct("/untagged.mp3", AudioFormat::Best);
        req.metadata = TrackMetadataHint {
            title: Some(title.into()),
            artist: Some(artist.into()),
            album: None,
            cover_url: None,
            album_track: None,
        };
        let done = h.run(req).await.unwrap();
        let full = h
            .out
            .path()
            .join(&done.relative_path)
            .canonicalize()
            .unwrap();
        assert!(
            full.starts_with(h.out.path().canonicalize().unwrap()),
            "{full:?}"
        );
        let plain = done
            .relative_path
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        assert!(plain, "{:?}", done.relative_path);
    }
}

#[tokio::test]
async fn a_404_fails_permanently_with_a_clear_message() {
    let h = Harness::new().await;
    let err = h
        .run(h.direct("/missing.mp3", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent);
    assert!(
        err.message.contains("Not found (HTTP 404)"),
        "{}",
        err.message
    );
    h.assert_no_temp_left();
    assert!(h.files().is_empty(), "{:?}", h.files());
}

#[tokio::test]
async fn non_media_content_is_refused_sec_5() {
    let h = Harness::new().await;
    let err = h
        .run(h.direct("/not-audio.mp3", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent);
    assert!(
        err.message.contains("not point to an audio"),
        "{}",
        err.message
    );
    let err = h
        .run(h.direct("/fake.mp3", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent);
    assert!(
        err.message.contains("not point to an audio"),
        "{}",
        err.message
    );
    let err = h
        .run(h.direct("/download.bin", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent);
    assert!(h.files().is_empty());
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let mut h = Harness::new().await;
    h.config.limits.max_file_bytes = 1000;
    let err = h
        .run(h.direct("/tagged.mp3", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent);
    assert!(
        err.message.contains("larger than the server allows"),
        "{}",
        err.message
    );
    // Without a Content-Length the limit is enforced while streaming.
    let err = h
        .run(h.direct("/slow.mp3", AudioFormat::Best))
        .await
        .unwrap_err();
    assert!(
        err.message.contains("larger than the server allows"),
        "{}",
        err.message
    );
    h.assert_no_temp_left();
}

#[tokio::test]
async fn loopback_links_are_refused_by_default_sec_4() {
    let mut h = Harness::new().await;
    h.config.address_policy = AddressPolicy::PublicOnly;
    let err = h
        .run(h.direct("/tagged.mp3", AudioFormat::Best))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent);
    assert!(err.message.contains("private"), "{}", err.message);
    assert_eq!(h.server.hits("/tagged.mp3"), 0);
}

#[tokio::test]
async fn redirect_hops_to_private_addresses_are_refused_sec_4() {
    let mut h = Harness::new().await;
    h.config.address_policy = AddressPolicy::PublicOnly;
    // The first hop is an IP literal the client itself does not check (the executor's
    // check_destination does, and is bypassed here on purpose), so only the redirect
    // policy stands between the hop and 0.0.0.0.
    let client = direct_client(&h.config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (tx, _rx) = watch::channel(Progress::default());
    let url = url::Url::parse(&h.server.url("/redirect-private")).unwrap();
    let err = download_to(
        &client,
        url,
        dir.path(),
        1 << 20,
        &tx,
        &CancellationToken::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent, "{}", err.message);
    assert_eq!(h.server.hits("/redirect-private"), 1);
    assert_eq!(
        h.server.hits("/tagged.mp3"),
        0,
        "the refused hop was followed"
    );
}

#[tokio::test]
async fn cancelling_a_direct_download_leaves_no_partial_file_sec_7() {
    let h = Harness::new().await;
    let (tx, mut rx) = watch::channel(Progress::default());
    let cancel = CancellationToken::new();
    let config = h.config.clone();
    let req = h.direct("/slow.mp3", AudioFormat::Best);
    let job_cancel = cancel.clone();
    let job = tokio::spawn(async move {
        nas_music_downloader::jobs::execute(&config, req, tx, job_cancel).await
    });
    tokio::time::timeout(Duration::from_secs(20), async {
        while rx.borrow_and_update().downloaded_bytes.unwrap_or(0) == 0 {
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("no progress from the slow stream");
    cancel.cancel();
    let err = tokio::time::timeout(Duration::from_secs(10), job)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Cancelled);
    h.assert_no_temp_left();
    assert!(h.files().is_empty(), "{:?}", h.files());
}

#[tokio::test]
async fn leftover_temp_folders_are_listed_and_removed_sec_30() {
    let h = Harness::new().await;
    let id = uuid::Uuid::new_v4();
    let dir = nas_music_downloader::jobs::create_job_temp_dir(h.out.path(), id).unwrap();
    std::fs::write(dir.join("download.mp3.part"), b"partial").unwrap();
    std::fs::create_dir_all(nas_music_downloader::jobs::temp_root(h.out.path()).join("not-a-job"))
        .unwrap();
    let listed = nas_music_downloader::jobs::list_job_temps(h.out.path())
        .await
        .unwrap();
    assert_eq!(listed, vec![id]);
    nas_music_downloader::jobs::remove_job_temp(&h.config, id)
        .await
        .unwrap();
    assert!(!dir.exists());
    // Removing twice (or a job that never had a folder) is not an error.
    nas_music_downloader::jobs::remove_job_temp(&h.config, id)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_file_without_a_picture_gets_the_tracks_thumbnail_as_a_square_cover_sec_4() {
    use nas_music_downloader::jobs::album_tags::{CoverRead, read_track_tags};
    // The media server's loopback address only: 0.0.0.0 is refused.
    let mut h = Harness::new().await;
    h.config.address_policy =
        nas_music_downloader::net::AddressPolicy::parse("127.0.0.1/32").unwrap();
    let mut req = h.direct("/untagged.mp3", AudioFormat::Best);
    req.metadata.title = Some("With Thumbnail".into());
    req.metadata.cover_url = Some(h.server.url("/cover.jpg"));
    let done = h.run(req).await.unwrap();
    let read = read_track_tags(&h.out.path().join(&done.relative_path), CoverRead::Load).unwrap();
    let cover = read.front_cover.expect("the thumbnail is embedded");
    let (w, h_px) = jpeg_size(&cover);
    assert_eq!((w, h_px), (180, 180), "centre-cropped to a square");
    assert_eq!(h.server.hits("/cover.jpg"), 1);

    // A thumbnail on a refused address is never fetched, and the track still completes.
    let mut req = h.direct("/untagged.mp3?n=2", AudioFormat::Best);
    req.metadata.title = Some("Refused Thumbnail".into());
    req.metadata.cover_url = Some(format!("http://0.0.0.0:{}/cover.jpg", h.server.port));
    let done = h.run(req).await.unwrap();
    let read = read_track_tags(&h.out.path().join(&done.relative_path), CoverRead::Load).unwrap();
    assert!(read.front_cover.is_none());
    assert_eq!(h.server.hits("/cover.jpg"), 1, "not reached");

    // A file that brings its own picture costs no thumbnail fetch.
    let mut req = h.direct("/covered.mp3", AudioFormat::Best);
    req.metadata.cover_url = Some(h.server.url("/cover.jpg?own"));
    let done = h.run(req).await.unwrap();
    let read = read_track_tags(&h.out.path().join(&done.relative_path), CoverRead::Load).unwrap();
    assert!(read.front_cover.is_some());
    assert_eq!(
        h.server.hits("/cover.jpg"),
        1,
        "the thumbnail was not fetched"
    );
}

/// The width and height in a JPEG's first start-of-frame marker.
fn jpeg_size(jpeg: &[u8]) -> (u16, u16) {
    let mut i = 2;
    while i + 9 < jpeg.len() {
        let marker = jpeg[i + 1];
        let len = u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]) as usize;
        if (0xC0..=0xC3).contains(&marker) {
            let height = u16::from_be_bytes([jpeg[i + 5], jpeg[i + 6]]);
            let width = u16::from_be_bytes([jpeg[i + 7], jpeg[i + 8]]);
            return (width, height);
        }
        i += 2 + len;
    }
    panic!("no start-of-frame marker");
}
