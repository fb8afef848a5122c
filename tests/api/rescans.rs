//! Library rescans end to end (issue 12): a finished album (an RSS feed expanded into
//! tracks) makes exactly one rescan request to a local Subsonic stand-in (token = md5 of
//! password and salt, the protocol's parameters) and one to a local Jellyfin stand-in
//! (its header, the album folder mapped to the media server's path), and one
//! `album_completed` webhook.

use crate::both_backends;
use crate::helpers::*;
use crate::media_server::{FEED_AUTHOR, FEED_TITLE, MediaServer};
use crate::receiver::Receiver;
use md5::{Digest, Md5};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD_ON_NAVIDROME: &str = "navidrome-admin-pw";
const JELLYFIN_KEY: &str = "0123456789abcdef";
const SUBSONIC_OK: &str = r#"{"subsonic-response":{"status":"ok","version":"1.16.1"}}"#;

async fn put(app: &TestApp, token: &str, kind: &str, body: Value) -> reqwest::Response {
    with_token(
        app.client
            .put(app.url(&format!("/api/admin/media-servers/{kind}")))
            .json(&body),
        token,
    )
    .send()
    .await
    .unwrap()
}

fn with_token(b: reqwest::RequestBuilder, token: &str) -> reqwest::RequestBuilder {
    b.bearer_auth(token)
}

both_backends!(
    async fn a_finished_album_makes_one_rescan_per_media_server_and_one_album_webhook(
        app: TestApp,
    ) {
        let media = MediaServer::start().await;
        let subsonic = Receiver::start(&[], SUBSONIC_OK).await;
        let jellyfin = Receiver::start(&[], "").await;
        let hooks = Receiver::start(&[], "ok").await;
        let token = app.user_token("alice").await;

        let r = put(
            &app,
            &token,
            "subsonic",
            json!({
                "base_url": subsonic.url("/"), "username": "navidrome-admin",
                "secret": PASSWORD_ON_NAVIDROME, "library_path": "/music", "library_id": 7,
            }),
        )
        .await;
        let text = r.text().await.unwrap();
        let saved: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(saved["has_secret"], true, "{text}");
        assert_eq!(saved["library_id"], 7, "{text}");
        assert!(
            !text.contains(PASSWORD_ON_NAVIDROME),
            "the password is write-only"
        );
        let r = put(
            &app,
            &token,
            "jellyfin",
            json!({
                "base_url": jellyfin.base, "secret": JELLYFIN_KEY, "library_path": "/media/music/",
            }),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = app
            .post_json(
                "/api/webhooks",
                &json!({ "url": hooks.url("/album"), "events": ["album_completed"] }),
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);

        // "Test connection" reports what the server answered, without scanning.
        let tested = app
            .post_json(
                "/api/admin/media-servers/subsonic/test",
                &json!({}),
                Some(&token),
            )
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(tested["ok"], true, "{tested}");
        assert_eq!(tested["status"], 200);
        assert!(
            tested["summary"].as_str().unwrap().contains("\"ok\""),
            "{tested}"
        );
        assert_eq!(subsonic.seen("/rest/ping").len(), 1);
        assert!(subsonic.seen("/rest/startScan").is_empty());

        let d = app.submit_ok(&token, &media.url("/feed.xml"), None).await;
        app.wait_for(&token, &d["id"], &["completed"], 60).await;
        let list = app
            .get_json("/api/downloads?per_page=100", Some(&token))
            .await;
        let kids: Vec<Value> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["parent_id"] == d["id"])
            .cloned()
            .collect();
        assert_eq!(kids.len(), 3);
        for kid in &kids {
            let done = app
                .wait_for(&token, &kid["id"], &["completed", "failed"], 90)
                .await;
            assert_eq!(done["status"], "completed", "{done}");
        }

        let scans = subsonic.wait_for("/rest/startScan", 1, 20).await;
        let updates = jellyfin.wait_for("/Library/Media/Updated", 1, 20).await;
        let album_hooks = hooks.wait_for("/album", 1, 20).await;
        // Nothing more follows: one rescan per album, not one per track.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        assert_eq!(subsonic.seen("/rest/startScan").len(), 1);
        assert_eq!(jellyfin.seen("/Library/Media/Updated").len(), 1);
        assert_eq!(hooks.seen("/album").len(), 1);

        let scan = &scans[0];
        assert_eq!(scan.method, "GET");
        assert_eq!(scan.param("u"), Some("navidrome-admin"));
        assert_eq!(scan.param("v"), Some("1.16.1"));
        assert_eq!(scan.param("c"), Some("nas-music-downloader"));
        assert_eq!(scan.param("f"), Some("json"));
        let salt = scan.param("s").unwrap();
        assert!(salt.len() >= 6, "{salt}");
        let expected = hex::encode(Md5::digest(format!("{PASSWORD_ON_NAVIDROME}{salt}")));
        assert_eq!(
            scan.param("t"),
            Some(expected.as_str()),
            "t = md5(password + salt)"
        );
        assert!(
            scan.param("p").is_none(),
            "the password itself is never sent"
        );
        // A targeted scan names the album's folder in Navidrome's library 7.
        assert_eq!(
            scan.param("target"),
            Some(format!("7:{FEED_AUTHOR}/{FEED_TITLE}").as_str())
        );

        let update = &updates[0];
        assert_eq!(update.method, "POST");
        assert_eq!(
            update.header("authorization"),
            Some(format!("MediaBrowser Token=\"{JELLYFIN_KEY}\"").as_str())
        );
        assert_eq!(
            update.json(),
            json!({ "Updates": [{ "Path": format!("/media/music/{FEED_AUTHOR}/{FEED_TITLE}"), "UpdateType": "Created" }] })
        );

        let album = album_hooks[0].json();
        assert_eq!(album["event"], "album_completed");
        assert_eq!(album["download_id"], d["id"]);
        assert_eq!(
            album["tracks"],
            json!({ "total": 3, "completed": 3, "failed": 0, "cancelled": 0, "skipped": 0 })
        );
    }
);

both_backends!(
    async fn media_server_settings_are_admin_only_validated_and_audited_sec_17_sec_34(
        app: TestApp,
    ) {
        let admin = app.user_token("admin").await;
        let bob = app.user_token("bob").await;
        let good = json!({ "base_url": "http://127.0.0.1:9", "username": "u", "secret": "p", "library_path": "/music" });
        assert_error(
            put(&app, &bob, "subsonic", good.clone()).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        for (kind, body) in [
            ("plex", good.clone()),
            (
                "subsonic",
                json!({ "base_url": "gopher://x", "username": "u", "secret": "p", "library_path": "/music" }),
            ),
            (
                "subsonic",
                json!({ "base_url": "http://127.0.0.1:9", "secret": "p", "library_path": "/music" }),
            ),
            (
                "subsonic",
                json!({ "base_url": "http://127.0.0.1:9", "username": "u", "library_path": "/music" }),
            ),
            (
                "jellyfin",
                json!({ "base_url": "http://127.0.0.1:9", "secret": "k", "library_path": "music" }),
            ),
            (
                "subsonic",
                json!({ "base_url": "http://127.0.0.1:9", "username": "u", "secret": "p", "library_path": "/music", "library_id": 0 }),
            ),
        ] {
            assert_error(
                put(&app, &admin, kind, body).await,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
        assert_eq!(
            put(&app, &admin, "subsonic", good).await.status(),
            StatusCode::OK
        );
        // A change without the secret keeps the stored one.
        let r = put(&app, &admin, "subsonic", json!({ "base_url": "http://127.0.0.1:9", "username": "u", "library_path": "/srv/music", "enabled": false })).await;
        assert_eq!(r.status(), StatusCode::OK);
        let listed = app.get_json("/api/admin/media-servers", Some(&admin)).await;
        assert_eq!(listed[0]["library_path"], "/srv/music");
        assert_eq!(listed[0]["has_secret"], true);
        assert_eq!(listed[0]["enabled"], false);
        // Nothing listens on port 9: the test says so instead of failing.
        let tested = app
            .post_json(
                "/api/admin/media-servers/subsonic/test",
                &json!({}),
                Some(&admin),
            )
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(tested["ok"], false, "{tested}");
        assert!(tested["status"].is_null());
        assert_error(
            app.post_json(
                "/api/admin/media-servers/jellyfin/test",
                &json!({}),
                Some(&admin),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(
            app.delete("/api/admin/media-servers/subsonic", Some(&admin))
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
        let audit = app
            .get_json("/api/admin/audit?per_page=100", Some(&admin))
            .await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("media_server_"))
            .collect();
        assert_eq!(
            actions,
            [
                "media_server_deleted",
                "media_server_updated",
                "media_server_updated"
            ]
        );
        assert!(!audit.to_string().contains("\"secret\""));
    }
);

both_backends!(
    async fn a_media_server_on_a_network_that_is_not_allowed_is_never_reached_sec_4(app: TestApp)
    with ["ALLOW_PRIVATE_URLS" => "127.0.0.1/32"] {
        let lan = Receiver::start_on("127.0.0.2", &[], SUBSONIC_OK).await;
        let token = app.user_token("admin").await;
        let r = put(&app, &token, "subsonic", json!({
            "base_url": lan.base, "username": "u", "secret": "p", "library_path": "/music",
        })).await;
        assert_eq!(r.status(), StatusCode::OK);
        let tested = app
            .post_json("/api/admin/media-servers/subsonic/test", &json!({}), Some(&token))
            .await
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(tested["ok"], false, "{tested}");
        assert!(tested["summary"].as_str().unwrap().contains("ALLOW_PRIVATE_URLS"), "{tested}");
        assert!(lan.seen("/rest/ping").is_empty(), "the refused address was reached");
    }
);

both_backends!(
    async fn a_burst_of_singles_makes_one_rescan_once_they_stop_arriving(app: TestApp)
    with ["RESCAN_QUIET_SECONDS" => "6"] {
        let media = MediaServer::start().await;
        let jellyfin = Receiver::start(&[], "").await;
        let token = app.user_token("alice").await;
        let r = put(&app, &token, "jellyfin", json!({
            "base_url": jellyfin.base, "secret": JELLYFIN_KEY, "library_path": "/music",
        })).await;
        assert_eq!(r.status(), StatusCode::OK);
        let a = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        let b = app.submit_ok(&token, &media.url("/song.m4a"), None).await;
        let mut folders = Vec::new();
        for d in [&a, &b] {
            let done = app.wait_for(&token, &d["id"], &["completed", "failed"], 90).await;
            assert_eq!(done["status"], "completed", "{done}");
            let path = done["file_path"].as_str().unwrap();
            folders.push(format!("/music/{}", path.rsplit_once('/').map_or("", |(dir, _)| dir)));
        }
        assert!(jellyfin.seen("/Library/Media/Updated").is_empty(), "not before the quiet period");
        let updates = jellyfin.wait_for("/Library/Media/Updated", 1, 20).await;
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        assert_eq!(jellyfin.seen("/Library/Media/Updated").len(), 1, "one rescan for the burst");
        let mut paths: Vec<String> = updates[0].json()["Updates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["Path"].as_str().unwrap().to_owned())
            .collect();
        paths.sort();
        folders.sort();
        folders.dedup();
        assert_eq!(paths, folders);
    }
);
