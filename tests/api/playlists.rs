//! Playlists end to end: the generic plugin turns a page with several `<audio>` links into a
//! completed parent and one child download per link, each fetched directly.

use crate::both_backends;
use crate::media_server::MediaServer;
use serde_json::Value;

both_backends!(
    async fn a_page_with_two_audio_links_becomes_a_parent_with_two_downloaded_children(
        app: TestApp,
    ) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app
            .submit_ok(&token, &media.url("/playlist.html"), None)
            .await;
        assert_eq!(d["plugin"], "generic");
        let parent = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 30)
            .await;
        assert_eq!(parent["status"], "completed", "{parent}");
        assert_eq!(parent["title"], "Fixture Playlist");
        assert!(parent["file_path"].is_null(), "{parent}");
        assert!(parent["parent_id"].is_null());

        let list: Value = app
            .get("/api/downloads", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        let children: Vec<&Value> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["parent_id"] == d["id"])
            .collect();
        assert_eq!(children.len(), 2, "{list}");
        let mut urls: Vec<&str> = children
            .iter()
            .map(|c| c["url"].as_str().unwrap())
            .collect();
        urls.sort();
        assert_eq!(urls, [media.url("/song.m4a"), media.url("/tagged.mp3")]);

        let mut files = Vec::new();
        for child in children {
            let done = app
                .wait_for(&token, &child["id"], &["completed", "failed"], 60)
                .await;
            assert_eq!(done["status"], "completed", "{done}");
            let path = done["file_path"].as_str().unwrap().to_owned();
            assert!(app.output_dir.path().join(&path).is_file(), "{path}");
            assert!(done["file_size"].as_i64().unwrap() > 1000);
            files.push(path);
        }
        files.sort();
        assert_ne!(files[0], files[1], "each child has its own file");
        // A page's playlist gets its playlist file beside its tracks.
        let folder = std::path::Path::new(&files[0]).parent().unwrap();
        let m3u = folder
            .join("Fixture Playlist.m3u8")
            .to_string_lossy()
            .into_owned();
        app.wait_for_output_file(&m3u, 10).await;
        files.push(m3u);
        files.sort();
        assert_eq!(
            app.output_files(),
            files,
            "only the children's files, no temp files"
        );
    }
);
