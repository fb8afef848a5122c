//! The managed yt-dlp (`/api/admin/tools*`): candidates come from a local wheel folder built
//! from the pinned yt-dlp with patched versions (`ytdlp_wheels`), are smoke-tested through
//! the server's own argv and egress proxy (SEC-1, SEC-40) and switched to without a restart;
//! broken ones change nothing; rollback restores the previous one; admins only (SEC-17).

use crate::both_backends;
use crate::helpers::{TestApp, assert_error};
use crate::media_server::MediaServer;
use crate::ytdlp_wheels::{BROKEN_DOWNLOAD, BROKEN_VERSION, GOOD, wheel_directory};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The tool folder's pinned yt-dlp (scripts/tools-requirements.txt).
const PINNED: &str = "2026.10.26";

async fn update(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app
        .post_json("/api/admin/tools/ytdlp/update", &body, Some(token))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The managed environments' folders (not `state.json` or the smoke test's fixture).
fn environments(app: &TestApp) -> Vec<String> {
    let root = app.data_dir().join("tools").join("yt-dlp");
    let mut names: Vec<String> = std::fs::read_dir(root)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn audit_count(app: &TestApp, admin: &str, action: &str) -> usize {
    let page = app
        .get_json(&format!("/api/admin/audit?action={action}"), Some(admin))
        .await;
    page["items"].as_array().map(Vec::len).unwrap_or(0)
}

both_backends!(
    async fn an_update_from_a_local_wheel_passes_the_smoke_test_and_switches_without_a_restart(app: TestApp)
    with ["YTDLP_WHEEL_DIRECTORY" => wheel_directory()] {
        let media = MediaServer::start().await;
        let admin = app.user_token("admin").await;
        let before = app.get_json("/api/admin/tools", Some(&admin)).await;
        assert_eq!(before["ytdlp_version"], PINNED, "{before}");
        assert_eq!(before["active"]["id"], Value::Null, "{before}");
        assert_eq!(before["previous"], Value::Null);
        assert_eq!(before["ejs_version"], "0.8.0");

        let done = update(&app, &admin, json!({ "version": GOOD })).await;
        assert_eq!(done["switched"], true, "{done}");
        assert_eq!(done["to_version"], GOOD);
        assert_eq!(done["from_version"], PINNED);

        let after = app.get_json("/api/admin/tools", Some(&admin)).await;
        assert_eq!(after["ytdlp_version"], GOOD, "{after}");
        assert_eq!(after["previous"]["version"], PINNED);
        assert_eq!(after["last_update"]["switched"], true);
        assert_eq!(environments(&app).len(), 1);
        assert_eq!(audit_count(&app, &admin, "tool_updated").await, 1);

        // The same running server downloads with the new yt-dlp and records which one ran.
        let d = app.submit_ok(&admin, &media.url("/page.html"), None).await;
        let d = app.wait_for(&admin, &d["id"], &["completed", "failed"], 60).await;
        assert_eq!(d["status"], "completed", "{d}");
        assert_eq!(d["ytdlp_version"], GOOD, "{d}");
        // A direct download ran no yt-dlp.
        let direct = app.submit_ok(&admin, &media.url("/song.flac"), None).await;
        let direct = app.wait_for(&admin, &direct["id"], &["completed", "failed"], 60).await;
        assert_eq!(direct["status"], "completed", "{direct}");
        assert_eq!(direct["ytdlp_version"], Value::Null, "{direct}");

        // Rollback restores the tool folder's yt-dlp; the managed one becomes the previous.
        let r = app.post_json("/api/admin/tools/ytdlp/rollback", &json!({}), Some(&admin)).await;
        assert_eq!(r.status(), StatusCode::OK);
        let back: Value = r.json().await.unwrap();
        assert_eq!(back["to_version"], PINNED, "{back}");
        assert_eq!(back["from_version"], GOOD);
        let now = app.get_json("/api/admin/tools", Some(&admin)).await;
        assert_eq!(now["ytdlp_version"], PINNED, "{now}");
        assert_eq!(now["active"]["id"], Value::Null);
        assert_eq!(now["previous"]["version"], GOOD);
        assert_eq!(audit_count(&app, &admin, "tool_rolled_back").await, 1);
        let d = app.submit_ok(&admin, &media.url("/page.html?again=1"), None).await;
        let d = app.wait_for(&admin, &d["id"], &["completed", "failed"], 60).await;
        assert_eq!(d["ytdlp_version"], PINNED, "{d}");
    }
);

both_backends!(
    async fn broken_candidates_are_refused_and_nothing_changes(app: TestApp)
    with ["YTDLP_WHEEL_DIRECTORY" => wheel_directory()] {
        let admin = app.user_token("admin").await;

        let refused = update(&app, &admin, json!({ "version": BROKEN_VERSION })).await;
        assert_eq!(refused["switched"], false, "{refused}");
        assert_eq!(refused["failed_step"], "version", "{refused}");

        let refused = update(&app, &admin, json!({ "version": BROKEN_DOWNLOAD })).await;
        assert_eq!(refused["switched"], false, "{refused}");
        assert_eq!(refused["failed_step"], "download", "{refused}");
        let reason = refused["reason"].as_str().unwrap();
        assert!(!reason.contains(app.data_dir().to_str().unwrap()), "{reason}");

        let missing = update(&app, &admin, json!({ "version": "2099.9.9" })).await;
        assert_eq!(missing["failed_step"], "install", "{missing}");
        assert!(missing["reason"].as_str().unwrap().contains("2099.9.9"), "{missing}");

        let now = app.get_json("/api/admin/tools", Some(&admin)).await;
        assert_eq!(now["ytdlp_version"], PINNED, "{now}");
        assert_eq!(now["previous"], Value::Null);
        assert_eq!(environments(&app), Vec::<String>::new(), "refused candidates are deleted");
        assert_eq!(audit_count(&app, &admin, "tool_update_refused").await, 3);
        assert_eq!(audit_count(&app, &admin, "tool_updated").await, 0);

        // Nothing to roll back to.
        let r = app.post_json("/api/admin/tools/ytdlp/rollback", &json!({}), Some(&admin)).await;
        assert_error(r, StatusCode::CONFLICT).await;
    }
);

/// A stand-in package index answering PyPI's JSON API for yt-dlp with `version`.
async fn package_index(version: &'static str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = [0u8; 4096];
            let n = stream.read(&mut head).await.unwrap_or(0);
            let asked = String::from_utf8_lossy(&head[..n]).into_owned();
            let body = if asked.starts_with("GET /pypi/yt-dlp/json ") {
                json!({ "info": { "name": "yt-dlp", "version": version } }).to_string()
            } else {
                String::new()
            };
            let status = if body.is_empty() {
                "404 Not Found"
            } else {
                "200 OK"
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    format!("http://{address}")
}

both_backends!(
    async fn the_newest_release_is_read_from_the_package_index_and_unknown_when_unreachable(app: TestApp)
    with ["YTDLP_PACKAGE_INDEX" => "http://127.0.0.1:9"] {
        let admin = app.user_token("admin").await;
        let shown = app.get_json("/api/admin/tools", Some(&admin)).await;
        assert_eq!(shown["newest_ytdlp"], Value::Null, "{shown}");
        assert_eq!(shown["updating"], false);
        // The same lookup the daily check makes, against a stand-in index.
        let index = package_index("2099.12.31").await;
        let policy = nas_music_downloader::net::AddressPolicy::AllowPrivate;
        let newest = nas_music_downloader::tools::package_index::newest_ytdlp(&index, &policy).await;
        assert_eq!(newest.as_deref(), Some("2099.12.31"));
        // SEC-4: the server's guarded client refuses loopback unless the policy allows it.
        let public = nas_music_downloader::net::AddressPolicy::PublicOnly;
        assert_eq!(nas_music_downloader::tools::package_index::newest_ytdlp(&index, &public).await, None);
    }
);

both_backends!(
    async fn tools_are_for_admins_and_bad_requests_get_4xx_sec_17_sec_34(app: TestApp)
    with ["YTDLP_WHEEL_DIRECTORY" => wheel_directory()] {
        let admin = app.user_token("admin").await;
        let alice = app.user_token("alice").await;
        let r = app.get("/api/admin/tools", Some(&alice)).await;
        assert_error(r, StatusCode::FORBIDDEN).await;
        for path in ["/api/admin/tools/ytdlp/update", "/api/admin/tools/ytdlp/rollback"] {
            let r = app.post_json(path, &json!({}), Some(&alice)).await;
            assert_error(r, StatusCode::FORBIDDEN).await;
        }
        for body in [
            json!({ "version": "--index-url=http://evil.example" }),
            json!({ "version": "1.0; rm -rf /" }),
            json!({ "channel": "beta" }),
            json!({ "version": "" }),
            json!({ "version": "2026.10.26", "channel": 1 }),
        ] {
            let r = app.post_json("/api/admin/tools/ytdlp/update", &body, Some(&admin)).await;
            assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        assert_eq!(environments(&app), Vec::<String>::new());
    }
);

both_backends!(
    async fn a_second_update_while_one_runs_gets_409(app: TestApp)
    with ["YTDLP_WHEEL_DIRECTORY" => wheel_directory()] {
        let admin = app.user_token("admin").await;
        let first = {
            let (client, url, token) = (app.client.clone(), app.url("/api/admin/tools/ytdlp/update"), admin.clone());
            tokio::spawn(async move {
                client.post(url).bearer_auth(token).json(&json!({ "version": GOOD })).send().await.unwrap()
            })
        };
        // The first update installs for seconds; wait until the server says it runs.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !app.get_json("/api/admin/tools", Some(&admin)).await["updating"].as_bool().unwrap() {
            assert!(std::time::Instant::now() < deadline, "the first update never showed as running");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let second = app.post_json("/api/admin/tools/ytdlp/update", &json!({}), Some(&admin)).await;
        assert_error(second, StatusCode::CONFLICT).await;
        let rollback = app.post_json("/api/admin/tools/ytdlp/rollback", &json!({}), Some(&admin)).await;
        assert_error(rollback, StatusCode::CONFLICT).await;
        let first: Value = first.await.unwrap().json().await.unwrap();
        assert_eq!(first["switched"], true, "{first}");
    }
);
