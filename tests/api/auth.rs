//! `/auth/*`: the original contract, and SEC-10 … SEC-15 over real HTTP.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    async fn registering_returns_201_with_the_user_and_never_the_hash(app: TestApp) {
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": "alice", "email": "Alice@Example.com", "password": PASSWORD, "full_name": "Alice A"}),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let text = r.text().await.unwrap();
        assert!(!text.contains("hash") && !text.contains("$2b$"), "{text}");
        let user: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(user["username"], "alice");
        assert_eq!(user["email"], "alice@example.com");
        assert_eq!(user["full_name"], "Alice A");
        assert_eq!(user["is_active"], true);
        assert!(user["id"].is_i64());
        assert!(user["created_at"].is_string());
    }
);

both_backends!(
    async fn the_first_user_becomes_admin_and_later_ones_do_not(app: TestApp) {
        let first: Value = app.register("first", PASSWORD).await.json().await.unwrap();
        let second: Value = app.register("second", PASSWORD).await.json().await.unwrap();
        assert_eq!(first["is_admin"], true);
        assert_eq!(second["is_admin"], false);
    }
);

both_backends!(
    async fn a_taken_username_and_a_taken_email_get_the_same_409_sec_45(app: TestApp) {
        assert_eq!(
            app.register("alice", PASSWORD).await.status(),
            StatusCode::CREATED
        );
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": "alice", "email": "other@example.com", "password": PASSWORD}),
                None,
            )
            .await;
        let username_taken = assert_error(r, StatusCode::CONFLICT).await;
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": "alice2", "email": "ALICE@example.com", "password": PASSWORD}),
                None,
            )
            .await;
        let email_taken = assert_error(r, StatusCode::CONFLICT).await;
        assert_eq!(
            username_taken, email_taken,
            "the answer tells which one is taken"
        );
        assert_eq!(username_taken, "Username or email already registered");
        // Differing only in case is taken too: they would share a folder on an SMB share.
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": "ALICE", "email": "third@example.com", "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(assert_error(r, StatusCode::CONFLICT).await, username_taken);
    }
);

both_backends!(
    async fn bad_registrations_get_422_with_a_json_detail_sec_13_sec_34(app: TestApp) {
        let cases = [
            json!({"username": "bob", "email": "bob@example.com", "password": "short"}),
            // 73 bytes: refused, never silently truncated (SEC-13).
            json!({"username": "bob", "email": "bob@example.com", "password": "a".repeat(73)}),
            json!({"username": "bob", "email": "not-an-email", "password": PASSWORD}),
            json!({"username": "b", "email": "bob@example.com", "password": PASSWORD}),
            json!({"username": "bob/../x", "email": "bob@example.com", "password": PASSWORD}),
            json!({"username": "bob", "password": PASSWORD}),
            json!({"username": 5, "email": "bob@example.com", "password": PASSWORD}),
            json!([1, 2, 3]),
        ];
        for body in cases {
            let r = app.post_json("/auth/register", &body, None).await;
            assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let malformed = app
            .client
            .post(app.url("/auth/register"))
            .header("content-type", "application/json")
            .body("{\"username\": ")
            .send()
            .await
            .unwrap();
        assert_error(malformed, StatusCode::UNPROCESSABLE_ENTITY).await;
        // 72 bytes is the longest accepted password.
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": "bob", "email": "bob@example.com", "password": "é".repeat(36)}),
                None,
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
);

both_backends!(
    async fn login_returns_a_bearer_token_and_records_last_login(app: TestApp) {
        app.register("alice", PASSWORD).await;
        let r = app.login("alice", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["token_type"], "bearer");
        assert_eq!(body["expires_in"], 30 * 60);
        let token = body["access_token"].as_str().unwrap();
        let me: Value = app.get("/auth/me", Some(token)).await.json().await.unwrap();
        assert_eq!(me["username"], "alice");
        assert!(me["last_login"].is_string());
        for field in [
            "id",
            "email",
            "full_name",
            "is_admin",
            "is_active",
            "created_at",
        ] {
            assert!(me.get(field).is_some(), "{field} missing");
        }
    }
);

both_backends!(
    async fn login_accepts_the_full_oauth2_password_form(app: TestApp) {
        app.register("alice", PASSWORD).await;
        let r = app
            .client
            .post(app.url("/auth/login"))
            .form(&[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", PASSWORD),
                ("scope", ""),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let missing = app
            .client
            .post(app.url("/auth/login"))
            .form(&[("username", "alice")])
            .send()
            .await
            .unwrap();
        assert_error(missing, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
);

both_backends!(
    async fn failed_logins_look_the_same_for_unknown_wrong_and_disabled_sec_14(app: TestApp) {
        let admin = app.user_token("admin").await;
        let victim: Value = app.register("victim", PASSWORD).await.json().await.unwrap();
        app.register("alice", PASSWORD).await;
        let r = app.set_user_active(&admin, &victim["id"], false).await;
        assert_eq!(r.status(), StatusCode::OK);

        let mut answers = Vec::new();
        for (user, password) in [
            ("nobody", PASSWORD),
            ("alice", "wrong-password"),
            ("victim", PASSWORD),
        ] {
            let started = std::time::Instant::now();
            let r = app.login(user, password).await;
            let elapsed = started.elapsed();
            let status = r.status();
            let body = r.text().await.unwrap();
            answers.push((status, body, elapsed));
        }
        for (status, body, _) in &answers {
            assert_eq!(*status, StatusCode::UNAUTHORIZED);
            assert_eq!(body, &answers[0].1);
        }
        // Unknown users are checked against a dummy hash, so they are not answered much faster.
        let unknown = answers[0].2.as_secs_f64();
        let wrong = answers[1].2.as_secs_f64();
        assert!(
            unknown > wrong * 0.3,
            "unknown user {unknown:.3}s vs wrong password {wrong:.3}s"
        );
    }
);

both_backends!(
    async fn repeated_failures_are_throttled_with_429_and_retry_after_and_audited_sec_15(
        app: TestApp,
    ) {
        let admin = app.user_token("admin").await;
        app.register("alice", PASSWORD).await;
        for _ in 0..5 {
            assert_eq!(
                app.login("alice", "wrong-password").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let r = app.login("alice", PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&retry), "{retry}");
        assert!(r.json::<Value>().await.unwrap()["detail"].is_string());
        // Another account from the same address is not locked.
        assert_eq!(app.login("admin", PASSWORD).await.status(), StatusCode::OK);

        let failures: Value = app
            .get("/api/admin/audit?action=login_failed", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(failures["total"], 5);
        let entry = &failures["items"][0];
        assert_eq!(entry["details"]["username"], "alice");
        assert_eq!(entry["ip_address"], "127.0.0.1");
        let throttled: Value = app
            .get("/api/admin/audit?action=login_throttled", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(throttled["total"], 1);
    }
);

both_backends!(
    async fn a_logged_out_token_is_refused_afterwards_sec_11(app: TestApp) {
        let token = app.user_token("alice").await;
        assert_eq!(
            app.get("/auth/me", Some(&token)).await.status(),
            StatusCode::OK
        );
        let r = app
            .post_json("/auth/logout", &json!({}), Some(&token))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_error(
            app.get("/auth/me", Some(&token)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_error(
            app.post_json("/auth/logout", &json!({}), Some(&token))
                .await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        // A new login works.
        let fresh = app.user_token("alice").await;
        assert_eq!(
            app.get("/auth/me", Some(&fresh)).await.status(),
            StatusCode::OK
        );
    }
);

both_backends!(
    async fn a_password_change_revokes_every_other_session_sec_12(app: TestApp) {
        let phone = app.user_token("alice").await;
        let laptop = app.user_token("alice").await;
        let r = app
            .post_json(
                "/auth/password",
                &json!({"current_password": PASSWORD, "new_password": "a-brand-new-password"}),
                Some(&laptop),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let new_token = r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_error(
            app.get("/auth/me", Some(&phone)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_error(
            app.get("/auth/me", Some(&laptop)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(
            app.get("/auth/me", Some(&new_token)).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            app.login("alice", PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.login("alice", "a-brand-new-password").await.status(),
            StatusCode::OK
        );
        // A wrong current password changes nothing.
        let r = app
            .post_json(
                "/auth/password",
                &json!({"current_password": "nope-nope-nope", "new_password": "another-password"}),
                Some(&new_token),
            )
            .await;
        assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
);

both_backends!(
    async fn with_registration_closed_only_an_admin_creates_accounts(app: TestApp) with ["ALLOW_REGISTRATION" => "false"] {
        // The very first account can still be created, so a fresh install can be set up.
        let admin = app.user_token("admin").await;
        let detail = assert_error(app.register("stranger", PASSWORD).await, StatusCode::FORBIDDEN).await;
        assert!(detail.contains("closed"), "{detail}");
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": "friend", "email": "friend@example.com", "password": PASSWORD}),
                Some(&admin),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        let login = app.login("friend", PASSWORD).await;
        let friend = login.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
        let r = app
            .post_json(
                "/auth/register",
                &json!({"username": "friend2", "email": "friend2@example.com", "password": PASSWORD}),
                Some(&friend),
            )
            .await;
        assert_error(r, StatusCode::FORBIDDEN).await;
    }
);

#[tokio::test]
async fn expired_blacklist_rows_are_purged_sec_11() {
    use nas_music_downloader::audit::{Actor, AuditAction, AuditEvent};
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    app.user_token("alice").await;
    let store = nas_music_downloader::store::connect(&app.database_url)
        .await
        .unwrap();
    let event = || AuditEvent::new(AuditAction::Logout, &Actor::default(), json!({}));
    let past = chrono::Utc::now() - chrono::Duration::minutes(5);
    let future = chrono::Utc::now() + chrono::Duration::minutes(5);
    store
        .blacklist_token("old", 1, past, event())
        .await
        .unwrap();
    store
        .blacklist_token("live", 1, future, event())
        .await
        .unwrap();
    assert_eq!(
        store
            .purge_expired_tokens(chrono::Utc::now())
            .await
            .unwrap(),
        1
    );
    assert!(!store.is_token_blacklisted("old").await.unwrap());
    assert!(store.is_token_blacklisted("live").await.unwrap());
}

both_backends!(
    async fn a_default_format_applies_to_requests_that_name_none(app: TestApp) {
        let media = crate::media_server::MediaServer::start().await;
        let token = app.user_token("alice").await;
        let me = app.get_json("/auth/me", Some(&token)).await;
        assert_eq!(me["default_format"], "best", "{me}");

        for bad in [
            json!({"default_format": "wav"}),
            json!({}),
            json!({"default_format": 3}),
        ] {
            let r = app.patch_json("/auth/me", &bad, Some(&token)).await;
            assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let r = app
            .patch_json("/auth/me", &json!({"default_format": "mp3"}), Some(&token))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let me: Value = r.json().await.unwrap();
        assert_eq!(me["default_format"], "mp3");
        assert_eq!(
            app.get_json("/auth/me", Some(&token)).await["default_format"],
            "mp3"
        );

        // No format named: the account's; a named one still wins.
        let d = app.submit_ok(&token, &media.url("/song.m4a"), None).await;
        assert_eq!(d["format"], "mp3");
        let kept = app
            .submit_ok(&token, &media.url("/song.flac"), Some("best"))
            .await;
        assert_eq!(kept["format"], "best");
        let done = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 60)
            .await;
        assert_eq!(done["status"], "completed", "{done}");
        assert!(
            done["file_path"].as_str().unwrap().ends_with(".mp3"),
            "{done}"
        );
    }
);
