//! `/api/plugins` and `/api/admin/plugins/*` over HTTP: listing, upload, enable, disable,
//! remove, each audited with the module's SHA-256 (SEC-21, SEC-23), and a misbehaving plugin
//! failing only its own job (SEC-20).

use crate::both_backends;
use crate::helpers::*;
use crate::media_server::MediaServer;
use reqwest::{StatusCode, multipart};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/{name}.wasm", env!("NAS_FIXTURE_PLUGINS_DIR"))).unwrap()
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = multipart::Form::new().part(
        "file",
        multipart::Part::bytes(bytes).file_name("plugin.wasm"),
    );
    app.client
        .post(app.url("/api/admin/plugins"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Sends only the head of an upload that declares `length` bytes and returns the status.
async fn declared_upload_status(app: &TestApp, token: &str, length: usize) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/admin/plugins HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = vec![0u8; 1024];
    let n = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read(&mut response),
    )
    .await
    .expect("no answer before the body was sent")
    .unwrap();
    let text = String::from_utf8_lossy(&response[..n]);
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

async fn plugins(app: &TestApp, token: &str) -> Vec<Value> {
    app.get("/api/plugins", Some(token))
        .await
        .json()
        .await
        .unwrap()
}

both_backends!(
    async fn every_user_sees_the_default_plugins(app: TestApp) {
        app.user_token("admin").await;
        let token = app.user_token("alice").await;
        let list = plugins(&app, &token).await;
        let mut names: Vec<&str> = list.iter().map(|p| p["name"].as_str().unwrap()).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "bandcamp",
                "direct-media",
                "generic",
                "soundcloud",
                "youtube"
            ]
        );
        for p in &list {
            assert_eq!(p["source"], "built_in");
            assert_eq!(p["enabled"], true);
            assert_eq!(p["sha256"].as_str().unwrap().len(), 64);
            assert!(!p["patterns"].as_array().unwrap().is_empty());
        }
    }
);

both_backends!(
    async fn only_admins_change_plugins_sec_23(app: TestApp) {
        app.user_token("admin").await;
        let user = app.user_token("alice").await;
        assert_error(
            upload(&app, &user, fixture("legacy-v0-1")).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let r = app
            .patch_json(
                "/api/admin/plugins/generic",
                &json!({"enabled": false}),
                Some(&user),
            )
            .await;
        assert_error(r, StatusCode::FORBIDDEN).await;
        assert_error(
            app.delete("/api/admin/plugins/generic", Some(&user)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert!(
            plugins(&app, &user)
                .await
                .iter()
                .all(|p| p["enabled"] == true)
        );
    }
);

both_backends!(
    async fn an_uploaded_plugin_serves_its_urls_and_every_change_is_audited_with_its_sha256_sec_23(
        app: TestApp,
    ) {
        let admin = app.user_token("admin").await;
        let bytes = fixture("legacy-v0-1");
        let sha = hex::encode(Sha256::digest(&bytes));
        let r = upload(&app, &admin, bytes).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let plugin: Value = r.json().await.unwrap();
        assert_eq!(plugin["source"], "upload");
        assert_eq!(plugin["sha256"], sha);
        let name = plugin["name"].as_str().unwrap().to_owned();
        assert!(
            plugins(&app, &admin)
                .await
                .iter()
                .any(|p| p["name"] == name)
        );

        let r = app
            .patch_json(
                &format!("/api/admin/plugins/{name}"),
                &json!({"enabled": false}),
                Some(&admin),
            )
            .await;
        assert_eq!(r.json::<Value>().await.unwrap()["enabled"], false);
        let r = app
            .patch_json(
                &format!("/api/admin/plugins/{name}"),
                &json!({"enabled": true}),
                Some(&admin),
            )
            .await;
        assert_eq!(r.json::<Value>().await.unwrap()["enabled"], true);
        assert_eq!(
            app.delete(&format!("/api/admin/plugins/{name}"), Some(&admin))
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
        assert!(
            !plugins(&app, &admin)
                .await
                .iter()
                .any(|p| p["name"] == name)
        );

        let audit: Value = app
            .get("/api/admin/audit?per_page=10", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        let plugin_entries: Vec<&Value> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"].as_str().unwrap().starts_with("plugin_"))
            .collect();
        let actions: Vec<&str> = plugin_entries
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "plugin_removed",
                "plugin_enabled",
                "plugin_disabled",
                "plugin_uploaded"
            ]
        );
        for entry in plugin_entries {
            assert_eq!(entry["details"]["sha256"], sha);
            assert_eq!(entry["details"]["plugin"], name);
            assert_eq!(entry["username"], "admin");
        }
    }
);

both_backends!(
    async fn a_bad_upload_is_refused_and_changes_nothing_sec_21(app: TestApp) {
        let admin = app.user_token("admin").await;
        let before = plugins(&app, &admin).await;
        for junk in [
            b"not wasm at all".to_vec(),
            vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
            Vec::new(),
        ] {
            let detail = assert_error(
                upload(&app, &admin, junk).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            assert!(detail.starts_with("Invalid plugin"), "{detail}");
        }
        // A declared size over the limit is answered 413 before the body is read (sending
        // the body anyway would race the server closing the connection).
        assert_eq!(
            declared_upload_status(&app, &admin, 21 * 1024 * 1024).await,
            413
        );
        let missing_field = app
            .client
            .post(app.url("/api/admin/plugins"))
            .bearer_auth(&admin)
            .multipart(multipart::Form::new().text("other", "x"))
            .send()
            .await
            .unwrap();
        assert_error(missing_field, StatusCode::UNPROCESSABLE_ENTITY).await;
        let after = plugins(&app, &admin).await;
        assert_eq!(before.len(), after.len());
        let audit: Value = app
            .get("/api/admin/audit?action=plugin_uploaded", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(audit["total"], 0);
    }
);

both_backends!(
    async fn built_in_plugins_can_be_disabled_but_not_removed(app: TestApp) {
        let admin = app.user_token("admin").await;
        assert_error(
            app.delete("/api/admin/plugins/generic", Some(&admin)).await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_error(
            app.delete("/api/admin/plugins/no-such-plugin", Some(&admin))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        let r = app
            .patch_json(
                "/api/admin/plugins/no-such-plugin",
                &json!({"enabled": false}),
                Some(&admin),
            )
            .await;
        assert_error(r, StatusCode::NOT_FOUND).await;
        let r = app
            .patch_json(
                "/api/admin/plugins/generic",
                &json!({"enabled": "no"}),
                Some(&admin),
            )
            .await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
);

both_backends!(
    async fn disabling_a_plugin_reroutes_its_urls(app: TestApp) {
        let media = MediaServer::start().await;
        let admin = app.user_token("admin").await;
        app.patch_json(
            "/api/admin/plugins/direct-media",
            &json!({"enabled": false}),
            Some(&admin),
        )
        .await;
        let d = app.submit_ok(&admin, &media.url("/tagged.mp3"), None).await;
        assert_eq!(d["plugin"], "generic");
        app.wait_for(&admin, &d["id"], &["completed", "failed"], 60)
            .await;
    }
);

both_backends!(
    async fn a_plugin_that_loops_forever_fails_only_its_own_job_sec_20_and_only_admins_read_why_sec_48(app: TestApp) with ["PLUGIN_CALL_TIMEOUT_MS" => "1000"] {
        let media = MediaServer::start().await;
        let admin = app.user_token("admin").await;
        assert_eq!(upload(&app, &admin, fixture("loop-forever")).await.status(), StatusCode::CREATED);
        let stuck = app.submit_ok(&admin, "http://loop.fixture.test/track", None).await;
        let fine = app.submit_ok(&admin, &media.url("/tagged.mp3"), None).await;
        let failed = app.wait_for(&admin, &stuck["id"], &["failed", "completed"], 60).await;
        assert_eq!(failed["status"], "failed");
        let error = failed["error"].as_str().unwrap().to_lowercase();
        assert!(error.contains("too long"), "{error}");
        let ok = app.wait_for(&admin, &fine["id"], &["completed", "failed"], 60).await;
        assert_eq!(ok["status"], "completed");
        assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
        // The plugin's last error can name server paths: only admins read it.
        let last_error = |list: Vec<Value>| {
            list.into_iter()
                .find_map(|p| p["last_error"].as_str().map(str::to_owned))
                .expect("the looping plugin's error is listed")
        };
        let user = app.user_token("bob").await;
        let for_admin = last_error(plugins(&app, &admin).await);
        let for_user = last_error(plugins(&app, &user).await);
        assert_eq!(for_user, "The plugin reported an error; an admin can see the details");
        assert_ne!(for_admin, for_user);
    }
);

both_backends!(
    async fn the_api_keeps_answering_while_two_plugins_loop_to_their_deadline_sec_42(app: TestApp)
    with ["PLUGIN_CALL_TIMEOUT_MS" => "4000", "MAX_CONCURRENT_DOWNLOADS" => "2", "MAX_DOWNLOAD_ATTEMPTS" => "1"] {
        use std::time::{Duration, Instant};
        let admin = app.user_token("admin").await;
        assert_eq!(upload(&app, &admin, fixture("loop-forever")).await.status(), StatusCode::CREATED);
        let a = app.submit_ok(&admin, "http://loop.fixture.test/a", None).await;
        let b = app.submit_ok(&admin, "http://loop.fixture.test/b", None).await;
        app.wait_for(&admin, &a["id"], &["downloading"], 10).await;
        app.wait_for(&admin, &b["id"], &["downloading"], 10).await;
        // The test's runtime has two workers, the same ones the server and both plugin
        // calls run on: a call that never yielded would hold one for its whole deadline.
        let mut latencies = Vec::new();
        let until = Instant::now() + Duration::from_millis(2000);
        while Instant::now() < until {
            let asked = Instant::now();
            assert_eq!(app.get("/health", None).await.status(), StatusCode::OK);
            latencies.push(asked.elapsed());
        }


        for d in [&a, &b] {
            let now: serde_json::Value = app.get(&format!("/api/downloads/{}", d["id"]), Some(&admin)).await.json().await.unwrap();
            assert_eq!(now["status"], "downloading", "the plugin call ended before the measurement did: {now}");
        }
        latencies.sort();
        let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
        assert!(latencies.len() >= 20, "only {} answers in 2 s", latencies.len());
        assert!(p99 < Duration::from_millis(100), "p99 {p99:?} over {} requests", latencies.len());
        let failed = app.wait_for(&admin, &a["id"], &["failed", "completed"], 30).await;
        assert!(failed["error"].as_str().unwrap().to_lowercase().contains("too long"), "{failed}");
    }
);
