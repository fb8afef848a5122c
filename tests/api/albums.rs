//! Sets expanded on the host: the generic plugin hands an RSS feed to yt-dlp's flat listing,
//! and each item becomes its own numbered album track in the album folder.

use crate::both_backends;
use crate::media_server::{FEED_AUTHOR, FEED_ITEMS, FEED_TITLE, MediaServer};
use serde_json::Value;

/// Tracks themselves carry no summary.
fn kids_now_have_no_summary(listed: &Value, parent: &Value) -> bool {
    listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["parent_id"] == *parent)
        .all(|i| i["tracks"].is_null())
}

both_backends!(
    async fn a_feed_becomes_one_numbered_album_track_per_item_in_the_album_folder_sec_2_sec_40(
        app: TestApp,
    ) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/feed.xml"), None).await;
        assert_eq!(d["plugin"], "generic");
        let parent = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 60)
            .await;
        assert_eq!(parent["status"], "completed", "{parent}");
        assert_eq!(parent["title"], FEED_TITLE);
        assert_eq!(parent["album"], FEED_TITLE);
        assert!(parent["file_path"].is_null(), "{parent}");

        let kids = app.set_tracks(&token, &d["id"]).await;
        assert_eq!(kids.len(), 3, "{kids:?}");
        let sources = ["/covered.mp3", "/untagged.mp3", "/song.m4a"];
        let extensions = ["mp3", "mp3", "m4a"];
        let mut expected_files = Vec::new();
        for (i, kid) in kids.iter().enumerate() {
            let n = i as i64 + 1;
            assert_eq!(kid["track_number"], n, "{kid}");
            assert_eq!(kid["track_total"], 3, "{kid}");
            assert_eq!(kid["title"], FEED_ITEMS[i], "{kid}");
            assert_eq!(kid["album"], FEED_TITLE, "{kid}");
            assert_eq!(kid["album_artist"], FEED_AUTHOR, "{kid}");
            assert_eq!(kid["set_title"], FEED_TITLE, "{kid}");
            assert!(
                kid["disc_number"].is_null() && kid["year"].is_null(),
                "{kid}"
            );
            // The entry's own URL, yt-dlp's smuggled data removed (SEC-2 checked).
            assert_eq!(kid["url"], media.url(sources[i]), "{kid}");
            let done = app
                .wait_for(&token, &kid["id"], &["completed", "failed"], 90)
                .await;
            assert_eq!(done["status"], "completed", "{done}");
            let path = done["file_path"].as_str().unwrap().to_owned();
            assert_eq!(
                path,
                format!(
                    "{FEED_AUTHOR}/{FEED_TITLE}/{n:02} - {}.{}",
                    FEED_ITEMS[i], extensions[i]
                )
            );
            assert_eq!(done["title"], FEED_ITEMS[i], "the listing names the track");
            assert!(app.output_dir.path().join(&path).is_file(), "{path}");
            expected_files.push(path);
        }
        // The first track's cover stands for the album; a feed is a playlist, so it also gets
        // its playlist file (`album_files.rs` checks both).
        expected_files.push(format!("{FEED_AUTHOR}/{FEED_TITLE}/cover.jpg"));
        expected_files.push(format!("{FEED_AUTHOR}/{FEED_TITLE}/{FEED_TITLE}.m3u8"));
        expected_files.sort();
        app.wait_for_output_file(&format!("{FEED_AUTHOR}/{FEED_TITLE}/{FEED_TITLE}.m3u8"), 30)
            .await;
        let mut files = app.output_files();
        files.sort();
        assert_eq!(files, expected_files, "no temp files left");
        // The parent is the album: its status summarises its tracks.
        let album = app
            .get_json(&format!("/api/downloads/{}", d["id"]), Some(&token))
            .await;
        assert_eq!(
            album["tracks"],
            serde_json::json!({"total": 3, "completed": 3, "failed": 0, "cancelled": 0, "skipped": 0, "active": 0}),
            "{album}"
        );
        let listed = app.get_json("/api/downloads", Some(&token)).await;
        let row = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == d["id"])
            .unwrap();
        // The page's row is the row read on its own, field for field (SQLite's page is built
        // as JSON from its own column list, which once left out `set_kind`).
        assert_eq!(row, &album, "listed vs read");
        assert_eq!(row["set_kind"], "playlist");
        assert!(kids_now_have_no_summary(&listed, &d["id"]));
        // The plugin read the feed once, yt-dlp listed it once (through the job's egress
        // proxy, SEC-40), and each episode was fetched by its own job.
        assert!(media.hits("/feed.xml") >= 2);
        for source in sources {
            assert!(media.hits(source) >= 1, "{source}");
        }
    }
);

both_backends!(
    async fn feed_entries_on_refused_addresses_never_become_jobs_sec_2_sec_4(app: TestApp)
    with ["ALLOW_PRIVATE_URLS" => "127.0.0.1/32", "MAX_DOWNLOAD_ATTEMPTS" => "1"] {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app
            .submit_ok(&token, &media.url("/feed-private.xml"), None)
            .await;
        let parent = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 60)
            .await;
        assert_eq!(parent["status"], "completed", "{parent}");
        let kids = app.set_tracks(&token, &d["id"]).await;
        assert_eq!(kids.len(), 1, "the 0.0.0.0 entry is left out: {kids:?}");
        assert_eq!(kids[0]["url"], media.url("/tagged.mp3"));
        assert_eq!(kids[0]["track_number"], 1);
        let done = app
            .wait_for(&token, &kids[0]["id"], &["completed", "failed"], 90)
            .await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(media.hits("/untagged.mp3"), 0);
    }
);

both_backends!(
    async fn a_feed_over_the_entry_cap_is_refused_whole_sec_41(app: TestApp)
    with ["MAX_PLAYLIST_ENTRIES" => "2", "MAX_DOWNLOAD_ATTEMPTS" => "1"] {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/feed.xml"), None).await;
        let parent = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 60)
            .await;
        assert_eq!(parent["status"], "failed", "{parent}");
        let error = parent["error"].as_str().unwrap();
        assert!(error.contains("MAX_PLAYLIST_ENTRIES"), "{error}");
        assert!(error.contains('3'), "{error}");
        assert!(app.set_tracks(&token, &d["id"]).await.is_empty());
        assert_eq!(media.hits("/tagged.mp3"), 0, "nothing was fetched");
    }
);
