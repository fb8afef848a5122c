//! Playing downloads in the page: signed media links, the file streamed in byte ranges, the
//! cover served by the server, and a set's tracks. Only the owner's own file, and only while
//! it is the file the download placed (SEC-17, SEC-43).

use crate::both_backends;
use crate::helpers::{TestApp, assert_error};
use crate::media_server::{FEED_ITEMS, MediaServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A completed download of the tagged fixture for a new user: (token, download, file bytes).
async fn completed_track(
    app: &TestApp,
    media: &MediaServer,
    user: &str,
) -> (String, Value, Vec<u8>) {
    let token = app.user_token(user).await;
    let d = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
    let done = app
        .wait_for(&token, &d["id"], &["completed", "failed"], 60)
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    let bytes = std::fs::read(
        app.output_dir
            .path()
            .join(done["file_path"].as_str().unwrap()),
    )
    .unwrap();
    (token, done, bytes)
}

/// `POST /api/downloads/media-links` for one id: (file_url, cover_url).
async fn links(app: &TestApp, token: &str, id: &Value) -> (String, String) {
    let r = app
        .post_json(
            "/api/downloads/media-links",
            &json!({ "ids": [id] }),
            Some(token),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let link = &body["items"][0];
    assert_eq!(link["id"], *id);
    assert!(body["expires_at"].is_string(), "{body}");
    (
        link["file_url"].as_str().unwrap().into(),
        link["cover_url"].as_str().unwrap().into(),
    )
}

async fn get_range(app: &TestApp, url: &str, range: &str) -> reqwest::Response {
    app.client
        .get(app.url(url))
        .header("Range", range)
        .send()
        .await
        .unwrap()
}

both_backends!(
    async fn the_owner_streams_the_file_whole_or_in_byte_ranges(app: TestApp) {
        let media = MediaServer::start().await;
        let (token, d, bytes) = completed_track(&app, &media, "alice").await;
        let (file_url, _) = links(&app, &token, &d["id"]).await;
        assert!(
            !file_url.contains(&token),
            "the session token never goes into a URL"
        );

        // The whole file, no Authorization header needed (an <audio src>).
        let whole = app.client.get(app.url(&file_url)).send().await.unwrap();
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(whole.headers()["content-type"], "audio/mpeg");
        assert_eq!(whole.headers()["accept-ranges"], "bytes");
        let etag = whole.headers()["etag"].to_str().unwrap().to_owned();
        assert!(whole.headers().contains_key("last-modified"));
        assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());

        // One range, an open range, a suffix.
        let size = bytes.len();
        let part = get_range(&app, &file_url, "bytes=10-99").await;
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            part.headers()["content-range"],
            format!("bytes 10-99/{size}").as_str()
        );
        assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[10..100]);
        let tail = get_range(&app, &file_url, "bytes=-16").await;
        assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(tail.bytes().await.unwrap().as_ref(), &bytes[size - 16..]);
        let open = get_range(&app, &file_url, &format!("bytes={}-", size - 5)).await;
        assert_eq!(open.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(open.bytes().await.unwrap().len(), 5);

        // Outside the file: 416 with the size, as JSON.
        let beyond = get_range(&app, &file_url, &format!("bytes={size}-")).await;
        assert_eq!(
            beyond.headers()["content-range"],
            format!("bytes */{size}").as_str()
        );
        assert_error(beyond, StatusCode::RANGE_NOT_SATISFIABLE).await;
        // Not understood: the whole file.
        let odd = get_range(&app, &file_url, "bytes=0-1,5-9").await;
        assert_eq!(odd.status(), StatusCode::OK);
        // A stale If-Range: the whole (new) file; the current ETag: the range.
        let stale = app
            .client
            .get(app.url(&file_url))
            .header("Range", "bytes=0-9")
            .header("If-Range", "\"old\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::OK);
        let current = app
            .client
            .get(app.url(&file_url))
            .header("Range", "bytes=0-9")
            .header("If-Range", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(current.status(), StatusCode::PARTIAL_CONTENT);
        let cached = app
            .client
            .get(app.url(&file_url))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    }
);

both_backends!(
    async fn another_user_gets_404_for_the_file_and_cover_sec_17(app: TestApp) {
        let media = MediaServer::start().await;
        let (_, d, _) = completed_track(&app, &media, "alice").await;
        let mallory = app.user_token("mallory").await;
        // Mallory's own signed link for Alice's id: signed for Mallory, so not Alice's file.
        let (file_url, cover_url) = links(&app, &mallory, &d["id"]).await;
        assert_error(app.get(&file_url, None).await, StatusCode::NOT_FOUND).await;
        assert_error(app.get(&cover_url, None).await, StatusCode::NOT_FOUND).await;
        let tracks = app
            .get(
                &format!("/api/downloads/{}/tracks", d["id"]),
                Some(&mallory),
            )
            .await;
        assert_error(tracks, StatusCode::NOT_FOUND).await;
    }
);

both_backends!(
    async fn forged_expired_missing_and_revoked_media_links_are_refused_sec_10_sec_11(
        app: TestApp,
    ) {
        let media = MediaServer::start().await;
        let (token, d, _) = completed_track(&app, &media, "alice").await;
        let (file_url, _) = links(&app, &token, &d["id"]).await;
        let base = file_url.split('?').next().unwrap().to_owned();
        let link = file_url.split("token=").nth(1).unwrap().to_owned();
        let parts: Vec<&str> = link.split('.').collect();
        assert_eq!(parts.len(), 5, "{link}");
        let now = chrono::Utc::now().timestamp();
        let forged = [
            // No token, an empty one, garbage.
            String::new(),
            "?token=".into(),
            "?token=not-a-link".into(),
            // Another user id, the same signature.
            format!(
                "?token=999.{}.{}.{}.{}",
                parts[1], parts[2], parts[3], parts[4]
            ),
            // Expired an hour ago, and pushed a day ahead: the signature no longer matches.
            format!(
                "?token={}.{}.{}.{}.{}",
                parts[0],
                parts[1],
                parts[2],
                now - 3600,
                parts[4]
            ),
            format!(
                "?token={}.{}.{}.{}.{}",
                parts[0],
                parts[1],
                parts[2],
                now + 86_400,
                parts[4]
            ),
        ];
        for query in &forged {
            let r = app.get(&format!("{base}{query}"), None).await;
            assert_error(r, StatusCode::UNAUTHORIZED).await;
        }
        // Another download's path with this download's link.
        let other = format!(
            "/api/downloads/{}/file?token={link}",
            d["id"].as_i64().unwrap() + 1
        );
        assert_error(app.get(&other, None).await, StatusCode::UNAUTHORIZED).await;
        // The link works until its session is logged out (SEC-11).
        assert_eq!(app.get(&file_url, None).await.status(), StatusCode::OK);
        let out = app
            .post_json("/auth/logout", &json!({}), Some(&token))
            .await;
        assert!(out.status().is_success());
        assert_error(app.get(&file_url, None).await, StatusCode::UNAUTHORIZED).await;
    }
);

both_backends!(
    async fn a_symlink_swapped_in_place_of_the_file_is_not_followed_sec_43(app: TestApp) {
        let media = MediaServer::start().await;
        let (token, d, _) = completed_track(&app, &media, "alice").await;
        let (file_url, _) = links(&app, &token, &d["id"]).await;
        let placed = app.output_dir.path().join(d["file_path"].as_str().unwrap());
        // A secret of the very same size takes the file's name as a symlink.
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            secret.path(),
            vec![b's'; std::fs::metadata(&placed).unwrap().len() as usize],
        )
        .unwrap();
        // Made while the placed file exists, so it cannot reuse its inode number.
        let other = placed.with_extension("other");
        std::fs::copy(secret.path(), &other).unwrap();
        std::fs::remove_file(&placed).unwrap();
        std::os::unix::fs::symlink(secret.path(), &placed).unwrap();
        assert_error(app.get(&file_url, None).await, StatusCode::NOT_FOUND).await;
        // Nor another regular file put there under the same name (renamed over the symlink).
        std::fs::rename(&other, &placed).unwrap();
        assert_error(app.get(&file_url, None).await, StatusCode::NOT_FOUND).await;
    }
);

both_backends!(
    async fn the_cover_is_a_square_jpeg_served_by_the_server(app: TestApp) {
        let media = MediaServer::start().await;
        let (token, d, _) = completed_track(&app, &media, "alice").await;
        let (_, cover_url) = links(&app, &token, &d["id"]).await;
        // The fixture has no picture and its folder no cover.jpg yet.
        assert_error(app.get(&cover_url, None).await, StatusCode::NOT_FOUND).await;
        // A 600×300 PNG as the folder's cover.jpg: served as a square JPEG, at most 480 px.
        let mut png = Vec::new();
        image::DynamicImage::new_rgb8(600, 300)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let folder = app.output_dir.path().join(d["file_path"].as_str().unwrap());
        std::fs::write(folder.parent().unwrap().join("cover.jpg"), &png).unwrap();
        let r = app.get(&cover_url, None).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        let jpeg = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
        assert_eq!((jpeg.width(), jpeg.height()), (300, 300));
    }
);

both_backends!(
    async fn a_feed_lists_its_tracks_in_order_and_each_plays(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/feed.xml"), None).await;
        let set = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 60)
            .await;
        assert_eq!(set["status"], "completed", "{set}");
        let listed = app
            .get_json(&format!("/api/downloads/{}/tracks", d["id"]), Some(&token))
            .await;
        let tracks = listed["items"].as_array().unwrap();
        assert_eq!(listed["total"], 3, "{listed}");
        let titles: Vec<&str> = tracks
            .iter()
            .map(|t| t["title"].as_str().unwrap())
            .collect();
        assert_eq!(titles, FEED_ITEMS);
        let first = app
            .wait_for(&token, &tracks[0]["id"], &["completed", "failed"], 90)
            .await;
        assert_eq!(first["status"], "completed", "{first}");
        let (file_url, _) = links(&app, &token, &first["id"]).await;
        let part = get_range(&app, &file_url, "bytes=0-1").await;
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        // The set itself has no file; a track has no tracks.
        let (set_file, _) = links(&app, &token, &d["id"]).await;
        assert_error(app.get(&set_file, None).await, StatusCode::NOT_FOUND).await;
        let none = app
            .get_json(
                &format!("/api/downloads/{}/tracks", first["id"]),
                Some(&token),
            )
            .await;
        assert_eq!(none["total"], 0);
    }
);

both_backends!(
    async fn bad_media_link_requests_get_a_clear_4xx_sec_34(app: TestApp) {
        let token = app.user_token("alice").await;
        for body in [
            json!({ "ids": [] }),
            json!({ "ids": (0..101).collect::<Vec<i64>>() }),
            json!({ "ids": "x" }),
            json!({}),
        ] {
            let r = app
                .post_json("/api/downloads/media-links", &body, Some(&token))
                .await;
            assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        assert_error(
            app.get("/api/downloads/abc/file?token=x", None).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        let long = format!("/api/downloads/1/cover?token={}", "a".repeat(600));
        assert_error(app.get(&long, None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
);
