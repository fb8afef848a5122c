//! Downloads end to end: the real server, real plugins, real yt-dlp and ffmpeg, against a
//! local media server. SEC-1, SEC-2, SEC-4, SEC-5, SEC-6, SEC-7, SEC-17, SEC-33, SEC-34.

use crate::both_backends;
use crate::helpers::*;
use crate::media_server::{self, MediaServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    async fn a_direct_link_downloads_natively_with_identical_bytes_and_its_tags_read(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        assert_eq!(d["plugin"], "direct-media");
        let done = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 30)
            .await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["title"], media_server::TITLE);
        assert_eq!(done["artist"], media_server::ARTIST);
        assert_eq!(done["album"], media_server::ALBUM);
        let path = done["file_path"].as_str().unwrap();
        assert_eq!(
            path,
            format!("{}/{}.mp3", media_server::ARTIST, media_server::TITLE)
        );
        let written = std::fs::read(app.output_dir.path().join(path)).unwrap();
        let original = std::fs::read(&media_server::fixtures().tagged_mp3).unwrap();
        assert_eq!(written, original, "bytes differ");
        assert_eq!(done["file_size"], written.len() as u64);
        assert!(done["completed_at"].is_string());
        assert_eq!(
            app.output_files(),
            vec![path.to_owned()],
            "no temp files left behind"
        );
    }
);

both_backends!(
    async fn a_web_page_with_an_audio_tag_downloads_through_yt_dlp(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/page.html"), None).await;
        assert_eq!(d["plugin"], "generic");
        let done = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 60)
            .await;
        assert_eq!(done["status"], "completed", "{done}");
        let path = done["file_path"].as_str().unwrap();
        assert!(app.output_dir.path().join(path).is_file());
        assert!(done["file_size"].as_i64().unwrap() > 1000);
    }
);

#[tokio::test]
async fn asking_for_mp3_converts_with_ffmpeg() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let media = MediaServer::start().await;
    let token = app.user_token("alice").await;
    let d = app
        .submit_ok(&token, &media.url("/song.flac"), Some("mp3"))
        .await;
    let done = app
        .wait_for(&token, &d["id"], &["completed", "failed"], 60)
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["format"], "mp3");
    let path = done["file_path"].as_str().unwrap();
    assert!(path.ends_with(".mp3"), "{path}");
    let head = std::fs::read(app.output_dir.path().join(path)).unwrap();
    assert!(head.starts_with(b"ID3") || head[0] == 0xFF, "not an mp3");
}

both_backends!(
    async fn a_404_fails_with_a_classified_message_and_can_be_retried(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app
            .submit_ok(&token, &media.url("/missing.mp3"), None)
            .await;
        let failed = app
            .wait_for(&token, &d["id"], &["failed", "completed"], 30)
            .await;
        assert_eq!(failed["status"], "failed");
        let error = failed["error"].as_str().unwrap();
        assert!(
            error.contains("404") || error.to_lowercase().contains("not found"),
            "{error}"
        );
        assert!(
            !error.contains("Traceback") && !error.contains("/tmp"),
            "raw output leaked: {error}"
        );
        // Retry puts it back in the queue (it fails again: the file still is not there).
        let r = app
            .post_json(
                &format!("/api/downloads/{}/retry", d["id"]),
                &json!({}),
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let again = app.wait_for(&token, &d["id"], &["failed"], 30).await;
        assert_eq!(again["attempts"], 1);
        // A completed or pending download cannot be retried.
        let ok = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        app.wait_for(&token, &ok["id"], &["completed"], 30).await;
        let r = app
            .post_json(
                &format!("/api/downloads/{}/retry", ok["id"]),
                &json!({}),
                Some(&token),
            )
            .await;
        assert_error(r, StatusCode::CONFLICT).await;
    }
);

both_backends!(
    async fn cancelling_a_running_download_stops_it_and_leaves_no_partial_file_sec_7(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/slow.mp3"), None).await;
        let running = app.wait_for(&token, &d["id"], &["downloading"], 30).await;
        assert_eq!(running["status"], "downloading");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let r = app
            .post_json(
                &format!("/api/downloads/{}/cancel", d["id"]),
                &json!({}),
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let cancelled = app.wait_for(&token, &d["id"], &["cancelled"], 15).await;
        assert!(cancelled["file_path"].is_null());
        // The temp folder is removed with its partial file.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !app.output_files().is_empty() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(app.output_files(), Vec::<String>::new());
        // Cancelling again is a conflict, not a 500.
        let r = app
            .post_json(
                &format!("/api/downloads/{}/cancel", d["id"]),
                &json!({}),
                Some(&token),
            )
            .await;
        assert_error(r, StatusCode::CONFLICT).await;
    }
);

both_backends!(
    async fn deleting_with_delete_file_removes_the_row_and_the_file(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let keep = app.submit_ok(&token, &media.url("/song.m4a"), None).await;
        let drop = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        let kept = app.wait_for(&token, &keep["id"], &["completed"], 30).await;
        let dropped = app.wait_for(&token, &drop["id"], &["completed"], 30).await;
        let r = app
            .delete(
                &format!("/api/downloads/{}?delete_file=true", drop["id"]),
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert!(
            !app.output_dir
                .path()
                .join(dropped["file_path"].as_str().unwrap())
                .exists()
        );
        let r = app
            .delete(&format!("/api/downloads/{}", keep["id"]), Some(&token))
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        assert!(
            app.output_dir
                .path()
                .join(kept["file_path"].as_str().unwrap())
                .exists()
        );
        assert_error(
            app.get(&format!("/api/downloads/{}", keep["id"]), Some(&token))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let admin = app.user_token("alice").await;
        let audit: Value = app
            .get("/api/admin/audit?action=download_deleted", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(audit["total"], 2);
    }
);

both_backends!(
    async fn users_never_see_or_touch_each_others_downloads_sec_17(app: TestApp) {
        let media = MediaServer::start().await;
        let alice = app.user_token("alice").await;
        let bob = app.user_token("bob").await;
        let d = app.submit_ok(&alice, &media.url("/slow.mp3"), None).await;
        let id = &d["id"];
        assert_error(
            app.get(&format!("/api/downloads/{id}"), Some(&bob)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_error(
            app.post_json(
                &format!("/api/downloads/{id}/cancel"),
                &json!({}),
                Some(&bob),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_error(
            app.post_json(
                &format!("/api/downloads/{id}/retry"),
                &json!({}),
                Some(&bob),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_error(
            app.delete(&format!("/api/downloads/{id}?delete_file=true"), Some(&bob))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let list: Value = app
            .get("/api/downloads", Some(&bob))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 0);
        let list: Value = app
            .get("/api/downloads", Some(&alice))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 1);
        app.post_json(
            &format!("/api/downloads/{id}/cancel"),
            &json!({}),
            Some(&alice),
        )
        .await;
    }
);

both_backends!(
    async fn dangerous_or_bad_urls_are_refused_with_422_and_nothing_runs_sec_1_sec_2(app: TestApp) {
        let token = app.user_token("alice").await;
        let long = format!("https://example.com/{}", "a".repeat(2100));
        for url in [
            "--exec=touch pwned",
            "--batch-file=/etc/passwd",
            "-o/tmp/x",
            "file:///etc/passwd",
            "ftp://example.com/a.mp3",
            "javascript:alert(1)",
            "https://exa mple.com/a.mp3",
            "https://example.com/a\n--exec=x",
            "",
            long.as_str(),
        ] {
            let detail = assert_error(
                app.submit(&token, url, None).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert!(!detail.is_empty());
        }
        for body in [
            json!({"url": 5}),
            json!({}),
            json!({"url": "https://example.com/a.mp3", "format": "wav"}),
        ] {
            assert_error(
                app.post_json("/api/download", &body, Some(&token)).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        let list: Value = app
            .get("/api/downloads", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 0, "nothing was queued");
        assert!(!std::path::Path::new("pwned").exists());
    }
);

both_backends!(
    async fn private_addresses_are_refused_unless_allowed_sec_4(app: TestApp) with ["ALLOW_PRIVATE_URLS" => "false"] {
        let token = app.user_token("alice").await;
        for url in [
            "http://127.0.0.1:9/a.mp3",
            "http://localhost:9/a.mp3",
            "http://10.0.0.1/a.mp3",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/a.mp3",
            "http://0.0.0.0/a.mp3",
        ] {
            let detail = assert_error(app.submit(&token, url, None).await, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(detail.contains("private"), "{url}: {detail}");
        }
    }
);

both_backends!(
    async fn a_url_no_plugin_handles_is_422(app: TestApp) {
        let admin = app.user_token("admin").await;
        let r = app
            .patch_json(
                "/api/admin/plugins/generic",
                &json!({"enabled": false}),
                Some(&admin),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let detail = assert_error(
            app.submit(&admin, "http://127.0.0.1:9/some/page", None)
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(detail.contains("plugin"), "{detail}");
    }
);

both_backends!(
    async fn submitting_the_same_active_url_twice_returns_the_existing_download(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let first = app.submit_ok(&token, &media.url("/slow.mp3"), None).await;
        let again = app.submit(&token, &media.url("/slow.mp3"), None).await;
        assert_eq!(again.status(), StatusCode::OK);
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["id"], first["id"]);
        // Another format is another download.
        let other = app
            .submit(&token, &media.url("/slow.mp3"), Some("mp3"))
            .await;
        assert_eq!(other.status(), StatusCode::ACCEPTED);
        let other: Value = other.json().await.unwrap();
        for id in [&first["id"], &other["id"]] {
            app.post_json(
                &format!("/api/downloads/{id}/cancel"),
                &json!({}),
                Some(&token),
            )
            .await;
        }
    }
);

both_backends!(
    async fn the_history_paginates_filters_and_searches_sec_34(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let a = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        let b = app
            .submit_ok(&token, &media.url("/missing.mp3"), None)
            .await;
        let c = app.submit_ok(&token, &media.url("/song.m4a"), None).await;
        app.wait_for(&token, &a["id"], &["completed"], 30).await;
        app.wait_for(&token, &b["id"], &["failed"], 30).await;
        app.wait_for(&token, &c["id"], &["completed"], 30).await;
        let page: Value = app
            .get("/api/downloads?page=1&per_page=2", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 3);
        assert_eq!(page["pages"], 2);
        assert_eq!(page["items"][0]["id"], c["id"], "newest first");
        let failed: Value = app
            .get("/api/downloads?status=failed", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(failed["total"], 1);
        let found: Value = app
            .get("/api/downloads?q=fixture%20m4a", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(found["total"], 1, "{found}");
        let literal: Value = app
            .get("/api/downloads?q=%25", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(literal["total"], 0, "% is taken literally");
        for query in [
            "per_page=0",
            "per_page=101",
            "page=0",
            "status=bogus",
            "page=abc",
        ] {
            assert_error(
                app.get(&format!("/api/downloads?{query}"), Some(&token))
                    .await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        assert_error(
            app.get("/api/downloads/999999", Some(&token)).await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_error(
            app.get("/api/downloads/abc", Some(&token)).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
);

both_backends!(
    async fn live_events_stream_progress_and_the_final_status_to_the_owner_only(app: TestApp) {
        use futures_util::StreamExt;
        let media = MediaServer::start().await;
        let alice = app.user_token("alice").await;
        let bob = app.user_token("bob").await;
        let open = |token: String| {
            let client = app.client.clone();
            let url = app.url("/api/downloads/events");
            async move { client.get(url).bearer_auth(token).send().await.unwrap() }
        };
        let alice_stream = open(alice.clone()).await;
        assert_eq!(alice_stream.status(), StatusCode::OK);
        assert!(
            alice_stream.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let bob_stream = open(bob.clone()).await;
        let d = app.submit_ok(&alice, &media.url("/tagged.mp3"), None).await;

        let mut body = alice_stream.bytes_stream();
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while !text.contains("\"status\":\"completed\"") {
            let chunk = tokio::time::timeout_at(deadline, body.next())
                .await
                .expect("no completed event")
                .unwrap()
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(text.contains("event: download"), "{text}");
        assert!(text.contains(&format!("\"id\":{}", d["id"])));
        assert!(text.contains("\"progress\":{"), "progress events: {text}");
        // Bob's stream carried none of Alice's events.
        let mut bob_body = bob_stream.bytes_stream();
        let got =
            tokio::time::timeout(std::time::Duration::from_millis(300), bob_body.next()).await;
        if let Ok(Some(Ok(chunk))) = got {
            assert!(
                !String::from_utf8_lossy(&chunk).contains("\"id\""),
                "bob saw an event"
            );
        }
        // No token, no stream.
        let anon = app
            .client
            .get(app.url("/api/downloads/events"))
            .send()
            .await
            .unwrap();
        assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
    }
);

#[tokio::test]
async fn concurrent_submissions_on_sqlite_never_surface_database_is_locked_sec_33() {
    let app = spawn_app_with(Backend::Sqlite, &[("MAX_CONCURRENT_DOWNLOADS", "4")])
        .await
        .unwrap();
    let media = MediaServer::start().await;
    let token = app.user_token("alice").await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let client = app.client.clone();
        let url = app.url("/api/download");
        let media_url = media.url(&format!("/tagged.mp3?n={i}"));
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"url": media_url}))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert!(!body.contains("locked"));
        ids.push(serde_json::from_str::<Value>(&body).unwrap()["id"].clone());
    }
    for id in &ids {
        let d = app.wait_for(&token, id, &["completed", "failed"], 60).await;
        assert_eq!(d["status"], "completed", "{d}");
    }
    // Forty downloads of the same song: one file each, none overwritten (SEC-5).
    assert_eq!(app.output_files().len(), 40);
}
