//! `/api/admin/users` and `/api/admin/audit`; SEC-12 and SEC-17.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    async fn non_admins_get_403_on_every_admin_operation_sec_17(app: TestApp) {
        app.user_token("admin").await;
        let user = app.user_token("alice").await;
        assert_error(
            app.get("/api/admin/users", Some(&user)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_error(
            app.get("/api/admin/audit", Some(&user)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let r = app
            .patch_json(
                "/api/admin/users/1",
                &json!({"is_admin": false}),
                Some(&user),
            )
            .await;
        assert_error(r, StatusCode::FORBIDDEN).await;
        let r = app
            .patch_json(
                "/api/admin/users/2",
                &json!({"is_admin": true}),
                Some(&user),
            )
            .await;
        assert_error(r, StatusCode::FORBIDDEN).await;
    }
);

both_backends!(
    async fn admins_list_users_with_pagination(app: TestApp) {
        let admin = app.user_token("admin").await;
        for name in ["bob", "carol", "dave"] {
            app.register(name, PASSWORD).await;
        }
        let page: Value = app
            .get("/api/admin/users?page=2&per_page=3", Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["total"], 4);
        assert_eq!(page["pages"], 2);
        assert_eq!(page["page"], 2);
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert_eq!(page["items"][0]["username"], "dave");
        assert!(!page.to_string().contains("hashed_password"));
    }
);

both_backends!(
    async fn disabling_a_user_takes_effect_on_their_next_request_sec_12(app: TestApp) {
        let admin = app.user_token("admin").await;
        let alice = app.user_token("alice").await;
        let me: Value = app
            .get("/auth/me", Some(&alice))
            .await
            .json()
            .await
            .unwrap();
        let r = app
            .patch_json(
                &format!("/api/admin/users/{}", me["id"]),
                &json!({"is_active": false}),
                Some(&admin),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.json::<Value>().await.unwrap()["is_active"], false);
        assert_error(
            app.get("/auth/me", Some(&alice)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(
            app.login("alice", PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
        // Re-enabled, the same token works again (it was never revoked, only refused).
        app.patch_json(
            &format!("/api/admin/users/{}", me["id"]),
            &json!({"is_active": true}),
            Some(&admin),
        )
        .await;
        assert_eq!(
            app.get("/auth/me", Some(&alice)).await.status(),
            StatusCode::OK
        );
    }
);

both_backends!(
    async fn demoting_an_admin_takes_effect_on_the_next_request_sec_12(app: TestApp) {
        let root = app.user_token("root").await;
        let second = app.user_token("second").await;
        let me: Value = app
            .get("/auth/me", Some(&second))
            .await
            .json()
            .await
            .unwrap();
        let path = format!("/api/admin/users/{}", me["id"]);
        app.patch_json(&path, &json!({"is_admin": true}), Some(&root))
            .await;
        assert_eq!(
            app.get("/api/admin/users", Some(&second)).await.status(),
            StatusCode::OK
        );
        app.patch_json(&path, &json!({"is_admin": false}), Some(&root))
            .await;
        assert_error(
            app.get("/api/admin/users", Some(&second)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
    }
);

both_backends!(
    async fn the_last_active_admin_cannot_be_demoted_or_disabled(app: TestApp) {
        let root = app.user_token("root").await;
        let me: Value = app.get("/auth/me", Some(&root)).await.json().await.unwrap();
        let path = format!("/api/admin/users/{}", me["id"]);
        assert_error(
            app.patch_json(&path, &json!({"is_admin": false}), Some(&root))
                .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_error(
            app.patch_json(&path, &json!({"is_active": false}), Some(&root))
                .await,
            StatusCode::CONFLICT,
        )
        .await;
        assert_eq!(
            app.get("/api/admin/users", Some(&root)).await.status(),
            StatusCode::OK
        );
    }
);

both_backends!(
    async fn bad_admin_input_gets_4xx_json_sec_34(app: TestApp) {
        let root = app.user_token("root").await;
        assert_error(
            app.patch_json(
                "/api/admin/users/999",
                &json!({"is_active": false}),
                Some(&root),
            )
            .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_error(
            app.patch_json(
                "/api/admin/users/abc",
                &json!({"is_active": false}),
                Some(&root),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_error(
            app.patch_json("/api/admin/users/1", &json!({}), Some(&root))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_error(
            app.patch_json(
                "/api/admin/users/1",
                &json!({"is_active": "yes"}),
                Some(&root),
            )
            .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        for query in [
            "per_page=0",
            "per_page=101",
            "page=0",
            "page=-1",
            "page=x",
            "action=drop_tables",
            "user_id=abc",
        ] {
            let r = app
                .get(&format!("/api/admin/audit?{query}"), Some(&root))
                .await;
            assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        // Far past the end is an empty page, not an error.
        let page: Value = app
            .get("/api/admin/audit?page=100000&per_page=100", Some(&root))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(page["items"].as_array().unwrap().len(), 0);
    }
);

both_backends!(
    async fn the_audit_log_records_who_did_what_from_where_and_filters(app: TestApp) {
        let root = app.user_token("root").await;
        let alice = app.user_token("alice").await;
        app.post_json("/auth/logout", &json!({}), Some(&alice))
            .await;
        let alice_id = app
            .get("/api/admin/users", Some(&root))
            .await
            .json::<Value>()
            .await
            .unwrap()["items"][1]["id"]
            .clone();
        app.patch_json(
            &format!("/api/admin/users/{alice_id}"),
            &json!({"is_admin": true}),
            Some(&root),
        )
        .await;

        let all: Value = app
            .get("/api/admin/audit?per_page=100", Some(&root))
            .await
            .json()
            .await
            .unwrap();
        let actions: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "user_updated",
                "logout",
                "login_succeeded",
                "user_registered",
                "login_succeeded",
                "user_registered"
            ]
        );
        let update = &all["items"][0];
        assert_eq!(update["username"], "root");
        assert_eq!(update["details"]["target_user_id"], alice_id);
        assert_eq!(update["details"]["is_admin"], true);
        assert_eq!(update["ip_address"], "127.0.0.1");
        assert!(update["user_agent"].is_string() || update["user_agent"].is_null());

        let mine: Value = app
            .get(&format!("/api/admin/audit?user_id={alice_id}"), Some(&root))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(mine["total"], 3, "{mine}");
        let logouts: Value = app
            .get("/api/admin/audit?action=logout", Some(&root))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(logouts["total"], 1);
        let paged: Value = app
            .get("/api/admin/audit?per_page=2&page=3", Some(&root))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(paged["pages"], 3);
        assert_eq!(paged["items"][0]["action"], "login_succeeded");
    }
);

both_backends!(
    async fn disabling_a_user_stops_their_running_and_queued_downloads_sec_12(app: TestApp)
    with ["MAX_CONCURRENT_DOWNLOADS" => "1", "MAX_RUNNING_DOWNLOADS_PER_USER" => "1"] {
        let media = crate::media_server::MediaServer::start().await;
        let admin = app.user_token("admin").await;
        let alice = app.user_token("alice").await;
        let running = app.submit_ok(&alice, &media.url("/slow.mp3?n=1"), None).await;
        let queued = app.submit_ok(&alice, &media.url("/slow.mp3?n=2"), None).await;
        app.wait_for(&alice, &running["id"], &["downloading"], 15).await;
        let me = app.get_json("/auth/me", Some(&alice)).await;
        let r = app.set_user_active(&admin, &me["id"], false).await;
        assert_eq!(r.status(), StatusCode::OK);
        // Re-enabled to read the outcome with the same token.
        app.set_user_active(&admin, &me["id"], true).await;
        let first = app.wait_for(&alice, &running["id"], &["cancelled", "failed", "completed"], 15).await;
        assert_eq!(first["status"], "cancelled", "{first}");
        let second = app.get_json(&format!("/api/downloads/{}", queued["id"]), Some(&alice)).await;
        assert_eq!(second["status"], "cancelled", "{second}");
        assert_eq!(app.output_files(), Vec::<String>::new());
    }
);
