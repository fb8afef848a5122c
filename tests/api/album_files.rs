//! Albums and playlists as music files: tags read back by two readers (lofty and ffprobe),
//! the square cover embedded and in `cover.jpg`, the playlist's `.m3u8`, "already have it"
//! (a second submission, a file copied in by hand, a forced download), and cancel and retry
//! on a set's parent.

use crate::both_backends;
use crate::helpers::{TestApp, assert_error};
use crate::media_server::{self, FEED_AUTHOR, FEED_ITEMS, FEED_TITLE, MediaServer};
use nas_music_downloader::jobs::album_tags::{
    CoverRead, Precedence, TrackTags, read_track_tags, write_track_tags,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::Path;

/// The tracks of set `parent`, by track number.
async fn tracks(app: &TestApp, token: &str, parent: &Value) -> Vec<Value> {
    let list = app
        .get_json("/api/downloads?per_page=100", Some(token))
        .await;
    let mut kids: Vec<Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["parent_id"] == *parent)
        .cloned()
        .collect();
    kids.sort_by_key(|k| k["track_number"].as_i64());
    kids
}

/// Submits the feed, waits for the set to expand and every track to end; returns the set's
/// id and its tracks as they ended.
async fn feed_to_the_end(app: &TestApp, token: &str, feed_url: &str) -> (Value, Vec<Value>) {
    let set = app.submit_ok(token, feed_url, None).await;
    let parent = app
        .wait_for(token, &set["id"], &["completed", "failed"], 60)
        .await;
    assert_eq!(parent["status"], "completed", "{parent}");
    assert_eq!(
        parent["set_kind"], "playlist",
        "a feed is a playlist: {parent}"
    );
    let mut ended = Vec::new();
    for kid in tracks(app, token, &set["id"]).await {
        ended.push(
            app.wait_for(token, &kid["id"], &["completed", "failed", "skipped"], 90)
                .await,
        );
    }
    (set["id"].clone(), ended)
}

/// Uploads the `set-router` fixture plugin (it claims `127.0.0.1/album/*`) as an admin.
async fn upload_set_router(app: &TestApp, admin: &str) {
    let wasm = std::fs::read(format!(
        "{}/set-router.wasm",
        env!("NAS_FIXTURE_PLUGINS_DIR")
    ))
    .unwrap();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(wasm).file_name("set-router.wasm"),
    );
    let r = app
        .client
        .post(app.url("/api/admin/plugins"))
        .bearer_auth(admin)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// The format tags and the first video stream (an embedded picture) as ffprobe sees them.
fn ffprobe(path: &Path) -> Value {
    let out = std::process::Command::new(media_server::tool("ffprobe"))
        .args(["-v", "error", "-show_entries"])
        .arg("format_tags:stream=codec_type,width,height:stream_disposition=attached_pic")
        .args(["-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe runs");
    assert!(out.status.success(), "ffprobe failed on {}", path.display());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The tag `key` of ffprobe's output, whatever the case ffprobe gave its name.
fn probe_tag<'a>(probe: &'a Value, key: &str) -> Option<&'a str> {
    probe["format"]["tags"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
}

fn square_picture(probe: &Value) -> Option<(i64, i64)> {
    let video = probe["streams"]
        .as_array()?
        .iter()
        .find(|s| s["codec_type"] == "video")?;
    Some((video["width"].as_i64()?, video["height"].as_i64()?))
}

both_backends!(
    async fn an_album_arrives_tagged_with_a_square_cover_and_its_playlist_and_comes_back_skipped(
        app: TestApp,
    ) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let feed = media.url("/feed.xml");
        let (_, first) = feed_to_the_end(&app, &token, &feed).await;
        let folder = format!("{FEED_AUTHOR}/{FEED_TITLE}");
        let mut paths = Vec::new();
        for (i, track) in first.iter().enumerate() {
            assert_eq!(track["status"], "completed", "{track}");
            let relative = track["file_path"].as_str().unwrap().to_owned();
            let file = app.output_dir.path().join(&relative);
            // lofty
            let read = read_track_tags(&file, CoverRead::Load).unwrap();
            let n = i as u32 + 1;
            assert_eq!(
                read.tags.title.as_deref(),
                Some(FEED_ITEMS[i]),
                "{relative}"
            );
            assert_eq!(read.tags.album.as_deref(), Some(FEED_TITLE));
            assert_eq!(read.tags.album_artist.as_deref(), Some(FEED_AUTHOR));
            assert_eq!((read.tags.track, read.tags.track_total), (Some(n), Some(3)));
            assert_eq!(read.tags.source_url.as_deref(), track["url"].as_str());
            // ffprobe, an independent reader
            let probe = ffprobe(&file);
            assert_eq!(probe_tag(&probe, "title"), Some(FEED_ITEMS[i]), "{probe}");
            assert_eq!(probe_tag(&probe, "album"), Some(FEED_TITLE), "{probe}");
            assert_eq!(
                probe_tag(&probe, "album_artist"),
                Some(FEED_AUTHOR),
                "{probe}"
            );
            let number = probe_tag(&probe, "track").unwrap_or_default();
            assert_eq!(number, format!("{n}/3"), "{probe}");
            if i == 0 {
                // The 320×180 cover of the first item, centre-cropped to a square JPEG.
                assert!(
                    read.front_cover
                        .as_deref()
                        .is_some_and(|c| c.starts_with(&[0xFF, 0xD8]))
                );
                assert_eq!(square_picture(&probe), Some((180, 180)), "{probe}");
            }
            paths.push(relative);
        }
        let cover = app.output_dir.path().join(format!("{folder}/cover.jpg"));
        assert_eq!(square_picture(&ffprobe(&cover)), Some((180, 180)));

        // The feed is a playlist: an extended M3U beside its tracks, relative paths in order.
        let m3u = app
            .wait_for_output_file(&format!("{folder}/{FEED_TITLE}.m3u8"), 10)
            .await;
        let text = std::fs::read_to_string(&m3u).unwrap();
        let listed: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.rsplit('/').next().unwrap().to_owned())
            .collect();
        assert_eq!(listed, names, "{text}");
        assert!(
            text.starts_with("#EXTM3U\n#EXTINF:3,Fixture Host - Episode One\n"),
            "{text}"
        );

        // Submitted again: every track is already in the library, nothing is fetched.
        let fetched: Vec<usize> = ["/covered.mp3", "/untagged.mp3", "/song.m4a"]
            .iter()
            .map(|p| media.hits(p))
            .collect();
        let files_before = app.output_files();
        let (again, second) = feed_to_the_end(&app, &token, &feed).await;
        for (track, path) in second.iter().zip(&paths) {
            assert_eq!(track["status"], "skipped", "{track}");
            assert_eq!(track["file_path"], *path, "the file it matched");
        }
        let refetched: Vec<usize> = ["/covered.mp3", "/untagged.mp3", "/song.m4a"]
            .iter()
            .map(|p| media.hits(p))
            .collect();
        assert_eq!(refetched, fetched, "no track was fetched again");
        let set = app
            .get_json(&format!("/api/downloads/{again}"), Some(&token))
            .await;
        assert_eq!(set["tracks"]["skipped"], 3, "{set}");
        assert_eq!(set["tracks"]["completed"], 0, "{set}");
        assert_eq!(app.output_files(), files_before, "no copy was added");
        // The playlist still lists every track.
        let rewritten = std::fs::read_to_string(&m3u).unwrap();
        assert_eq!(rewritten, text);

        // Deleting a skipped track "with its file" never removes the library's file, which
        // this download did not write (SEC-43).
        let r = app
            .delete(
                &format!("/api/downloads/{}?delete_file=true", second[0]["id"]),
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert!(app.output_dir.path().join(&paths[0]).is_file());

        // Deleting the first set with its files removes its tracks' files.
        let r = app
            .delete(
                &format!("/api/downloads/{}?delete_file=true", first[0]["parent_id"]),
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        for path in &paths {
            assert!(!app.output_dir.path().join(path).exists(), "{path}");
        }
    }
);

both_backends!(
    async fn a_track_copied_in_by_hand_is_found_after_a_rescan_and_a_retry_downloads_it_anyway(
        app: TestApp,
    ) {
        let media = MediaServer::start().await;
        let admin = app.user_token("alice").await;
        let bob = app.user_token("bob").await;
        // Episode Two, tagged by whoever copied it in, under a name of their own.
        let hand = app.output_dir.path().join("Hand/episode two.mp3");
        std::fs::create_dir_all(hand.parent().unwrap()).unwrap();
        std::fs::copy(&media_server::fixtures().untagged_mp3, &hand).unwrap();
        let tags = TrackTags {
            title: Some(FEED_ITEMS[1].into()),
            artist: Some(FEED_AUTHOR.into()),
            ..TrackTags::default()
        };
        write_track_tags(&hand, &tags, None, Precedence::PreferGiven).unwrap();

        // Rescanning is for admins (SEC-17) and is audited.
        let refused = app
            .post_json("/api/admin/library/rescan", &json!({}), Some(&bob))
            .await;
        assert_error(refused, StatusCode::FORBIDDEN).await;
        let r = app
            .post_json("/api/admin/library/rescan", &json!({}), Some(&admin))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let scan: Value = r.json().await.unwrap();
        assert_eq!(scan["indexed"], 1, "{scan}");
        let audit = app
            .get_json("/api/admin/audit?action=library_rescanned", Some(&admin))
            .await;
        assert_eq!(audit["total"], 1, "{audit}");

        let (_, ended) = feed_to_the_end(&app, &bob, &media.url("/feed.xml")).await;
        let statuses: Vec<&str> = ended
            .iter()
            .map(|t| t["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["completed", "skipped", "completed"]);
        assert_eq!(ended[1]["file_path"], "Hand/episode two.mp3");
        assert_eq!(
            media.hits("/untagged.mp3"),
            0,
            "the track in the library was not fetched"
        );
        // The playlist lists the library's copy where it is.
        let m3u = app
            .wait_for_output_file(&format!("{FEED_AUTHOR}/{FEED_TITLE}/{FEED_TITLE}.m3u8"), 10)
            .await;
        let text = std::fs::read_to_string(m3u).unwrap();
        assert!(text.contains("\n../../Hand/episode two.mp3\n"), "{text}");

        // Retrying the skipped track forces it: fetched and filed in the album folder.
        let r = app.act_on(&bob, &ended[1]["id"], "retry").await;
        assert_eq!(r.status(), StatusCode::OK);
        let forced = app
            .wait_for(
                &bob,
                &ended[1]["id"],
                &["completed", "failed", "skipped"],
                90,
            )
            .await;
        assert_eq!(forced["status"], "completed", "{forced}");
        assert_eq!(
            forced["file_path"],
            format!("{FEED_AUTHOR}/{FEED_TITLE}/02 - {}.mp3", FEED_ITEMS[1])
        );
        assert!(media.hits("/untagged.mp3") > 0, "fetched this time");
        assert!(hand.is_file(), "the hand-copied file is left alone");
    }
);

both_backends!(
    async fn a_set_is_cancelled_and_retried_through_its_unfinished_tracks(app: TestApp)
    with ["MAX_CONCURRENT_DOWNLOADS" => "1"] {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        // Three tracks that never finish on their own: one runs, two wait.
        let set = app.submit_ok(&token, &media.url("/slow-feed.xml"), None).await;
        app.wait_for(&token, &set["id"], &["completed"], 60).await;
        let kids = tracks(&app, &token, &set["id"]).await;
        assert_eq!(kids.len(), 3);
        app.wait_for(&token, &kids[0]["id"], &["downloading"], 60).await;

        let r = app.act_on(&token, &set["id"], "cancel").await;
        assert_eq!(r.status(), StatusCode::OK);
        let answered: Value = r.json().await.unwrap();
        assert_eq!(answered["id"], set["id"]);
        for kid in &kids {
            app.wait_for(&token, &kid["id"], &["cancelled"], 60).await;
        }
        let cancelled = app
            .get_json(&format!("/api/downloads/{}", set["id"]), Some(&token))
            .await;
        assert_eq!(cancelled["tracks"]["cancelled"], 3, "{cancelled}");
        assert_eq!(cancelled["tracks"]["active"], 0, "{cancelled}");
        // Nothing left to cancel: a clear 409.
        let again = app.act_on(&token, &set["id"], "cancel").await;
        assert_error(again, StatusCode::CONFLICT).await;

        let r = app.act_on(&token, &set["id"], "retry").await;
        assert_eq!(r.status(), StatusCode::OK);
        let retried: Value = r.json().await.unwrap();
        assert_eq!(retried["tracks"]["active"], 3, "{retried}");
        app.wait_for(&token, &kids[0]["id"], &["downloading"], 60).await;
        // Leave nothing running.
        let r = app.act_on(&token, &set["id"], "cancel").await;
        assert_eq!(r.status(), StatusCode::OK);
        for kid in &kids {
            app.wait_for(&token, &kid["id"], &["cancelled"], 60).await;
        }
    }
);

both_backends!(
    async fn m3u_and_pls_lists_become_playlists_of_direct_downloads_with_their_own_m3u(
        app: TestApp,
    ) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let (set, ended) = feed_to_the_end(&app, &token, &media.url("/list.m3u")).await;
        assert_eq!(ended.len(), 2, "{ended:?}");
        for (n, track) in ended.iter().enumerate() {
            assert_eq!(track["status"], "completed", "{track}");
            assert_eq!(track["track_number"], n as i64 + 1);
            assert_eq!(track["set_title"], "Fixture List");
        }
        assert_eq!(ended[0]["url"], media.url("/tagged.mp3"));
        assert_eq!(ended[1]["url"], media.url("/song.m4a"));
        // Fetched directly, not as an HLS stream by yt-dlp.
        assert_eq!(
            app.get_json(&format!("/api/downloads/{set}"), Some(&token))
                .await["plugin"],
            "generic"
        );
        let first = ended[0]["file_path"].as_str().unwrap();
        let folder = Path::new(first).parent().unwrap();
        let m3u = app
            .wait_for_output_file(&folder.join("Fixture List.m3u8").to_string_lossy(), 10)
            .await;
        let text = std::fs::read_to_string(m3u).unwrap();
        assert_eq!(
            text.lines().filter(|l| !l.starts_with('#')).count(),
            2,
            "{text}"
        );

        let (_, pls) = feed_to_the_end(&app, &token, &media.url("/list.pls")).await;
        assert_eq!(pls.len(), 1);
        assert_eq!(pls[0]["status"], "completed", "{}", pls[0]);
        assert_eq!(pls[0]["url"], media.url("/song.flac"));
    }
);

both_backends!(
    async fn a_site_plugin_routes_an_album_to_host_expansion_and_names_it(app: TestApp) {
        let media = MediaServer::start().await;
        let admin = app.user_token("alice").await;
        // The fixture plugin claims `/album/…` the way the YouTube and Bandcamp plugins claim
        // their albums: by handing the URL to the host's listing, with the album's names.
        upload_set_router(&app, &admin).await;

        let set = app
            .submit_ok(&admin, &media.url("/album/feed.xml"), None)
            .await;
        assert_eq!(set["plugin"], "fixture-set-router");
        let parent = app
            .wait_for(&admin, &set["id"], &["completed", "failed"], 60)
            .await;
        assert_eq!(parent["status"], "completed", "{parent}");
        assert_eq!(parent["set_kind"], "album");
        let folder = "Fixture Band/Fixture Set Album";
        let kids = tracks(&app, &admin, &set["id"]).await;
        assert_eq!(kids.len(), 3);
        for (i, kid) in kids.iter().enumerate() {
            let done = app
                .wait_for(&admin, &kid["id"], &["completed", "failed", "skipped"], 90)
                .await;
            assert_eq!(done["status"], "completed", "{done}");
            let path = done["file_path"].as_str().unwrap();
            assert!(
                path.starts_with(&format!("{folder}/{:02} - {}.", i + 1, FEED_ITEMS[i])),
                "{path}"
            );
            let read = read_track_tags(&app.output_dir.path().join(path), CoverRead::Load).unwrap();
            assert_eq!(read.tags.album.as_deref(), Some("Fixture Set Album"));
            assert_eq!(read.tags.album_artist.as_deref(), Some("Fixture Band"));
            assert_eq!(read.tags.track, Some(i as u32 + 1));
            assert!(
                read.front_cover.is_some(),
                "every track has a cover: {path}"
            );
        }
        // An album is its folder: a cover.jpg, and no playlist file.
        assert!(
            app.output_dir
                .path()
                .join(folder)
                .join("cover.jpg")
                .is_file()
        );
        assert!(
            !app.output_files().iter().any(|f| f.ends_with(".m3u8")),
            "{:?}",
            app.output_files()
        );
    }
);

both_backends!(
    async fn a_set_listing_obeys_the_egress_policy_like_a_download_sec_40(app: TestApp)
    with ["ALLOW_PRIVATE_URLS" => "127.0.0.1/32", "MAX_DOWNLOAD_ATTEMPTS" => "1"] {
        let media = MediaServer::start().await;
        let admin = app.user_token("alice").await;
        upload_set_router(&app, &admin).await;
        // The set's URL answers with a redirect to 0.0.0.0, which the policy refuses: yt-dlp's
        // listing goes through the egress proxy and never gets there.
        let set = app
            .submit_ok(&admin, &media.url("/album/redirect-private"), None)
            .await;
        let parent = app.wait_for(&admin, &set["id"], &["completed", "failed"], 60).await;
        assert_eq!(parent["status"], "failed", "{parent}");
        assert!(tracks(&app, &admin, &set["id"]).await.is_empty());
        assert!(media.hits("/album/redirect-private") >= 1);
        assert_eq!(media.hits("/album/private-feed.xml"), 0, "the refused address was not reached");
    }
);

both_backends!(
    async fn playlist_files_can_be_gathered_in_one_folder(app: TestApp)
    with ["PLAYLIST_FOLDER" => "Playlists"] {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let (_, ended) = feed_to_the_end(&app, &token, &media.url("/list.m3u")).await;
        let m3u = app.wait_for_output_file("Playlists/Fixture List.m3u8", 10).await;
        let text = std::fs::read_to_string(m3u).unwrap();
        let listed: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        let expected: Vec<String> = ended
            .iter()
            .map(|t| format!("../{}", t["file_path"].as_str().unwrap()))
            .collect();
        assert_eq!(listed, expected, "{text}");
    }
);
