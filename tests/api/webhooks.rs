//! Webhooks end to end (issue 12): configuration (owned, validated, audited), the signed,
//! versioned payload a local receiver gets, retries after a 500, a dead receiver that never
//! touches the download, and the address policy on targets.

use crate::both_backends;
use crate::helpers::*;
use crate::media_server::MediaServer;
use crate::receiver::{Receiver, dead_address};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "receiver-shared-secret";

/// The payload fields and their JSON types, read from the README's table (between the
/// `webhook-payload-fields` markers): the documentation is what the test checks against.
fn documented_fields() -> Vec<(String, String)> {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("<!-- webhook-payload-fields -->")
        .expect("README documents the payload");
    let end = readme[start..]
        .find("<!-- /webhook-payload-fields -->")
        .unwrap()
        + start;
    readme[start..end]
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_owned(), cells.get(2)?.to_string()))
        })
        .collect()
}

/// Checks `payload` has exactly the documented fields, each of its documented type.
fn assert_matches_documented_schema(payload: &Value) {
    let fields = documented_fields();
    assert!(fields.len() >= 20, "{fields:?}");
    let object = payload.as_object().expect("an object");
    let mut keys: Vec<&String> = object.keys().collect();
    keys.sort();
    let mut documented: Vec<&String> = fields.iter().map(|(n, _)| n).collect();
    documented.sort();
    assert_eq!(keys, documented, "{payload}");
    for (name, kind) in &fields {
        let value = &object[name];
        let ok = match value {
            Value::Null => kind.contains("null"),
            Value::Number(n) if n.is_i64() => kind.contains("integer") || kind.contains("number"),
            Value::Number(_) => kind.contains("number"),
            Value::String(_) => kind.contains("string"),
            Value::Object(_) => kind.contains("object"),
            Value::Bool(_) => kind.contains("boolean"),
            Value::Array(_) => kind.contains("array"),
        };
        assert!(ok, "{name} is documented as {kind}, got {value}");
    }
}

fn signature(body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn create_hook(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let r = app.post_json(path, &body, Some(token)).await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Waits until the webhook's newest delivery is in one of `wanted`.
async fn wait_for_delivery(app: &TestApp, token: &str, path: &str, wanted: &[&str]) -> Value {
    for _ in 0..400 {
        let list = app.get_json(path, Some(token)).await;
        if let Some(first) = list.as_array().and_then(|l| l.first())
            && wanted.contains(&first["status"].as_str().unwrap_or(""))
        {
            return first.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no delivery reached {wanted:?} at {path}");
}

both_backends!(
    async fn a_completed_download_is_posted_signed_in_the_documented_schema_and_retried_after_a_500(
        app: TestApp,
    ) {
        let media = MediaServer::start().await;
        let receiver = Receiver::start(&[500], "{}").await;
        let token = app.user_token("alice").await;
        let hook = create_hook(
            &app,
            &token,
            "/api/webhooks",
            json!({ "url": receiver.url("/hook?k=v"), "secret": SECRET, "events": ["completed", "failed"] }),
        )
        .await;
        assert_eq!(hook["has_secret"], true);
        assert!(
            hook.get("secret").is_none(),
            "the secret is write-only: {hook}"
        );
        assert_eq!(hook["global"], false);

        let d = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        let done = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 90)
            .await;
        assert_eq!(done["status"], "completed", "{done}");

        // The first attempt got a 500; the retry (after about 2 s) is delivered.
        let seen = receiver.wait_for("/hook", 2, 30).await;
        assert_eq!(seen.len(), 2, "delivered once after the retry");
        let (first, second) = (&seen[0], &seen[1]);
        assert_eq!(first.body, second.body, "a retry sends the same bytes");
        assert_eq!(first.method, "POST");
        assert_eq!(first.param("k"), Some("v"));
        assert_eq!(first.header("content-type"), Some("application/json"));
        assert_eq!(first.header("x-webhook-event"), Some("completed"));
        assert_eq!(
            first.header("x-signature-256").unwrap(),
            signature(&first.body),
            "HMAC-SHA256 of the body with the secret"
        );
        let payload = first.json();
        assert_matches_documented_schema(&payload);
        assert_eq!(
            first.header("x-webhook-delivery").unwrap(),
            payload["delivery_id"]
        );
        assert_eq!(
            second.header("x-webhook-delivery"),
            first.header("x-webhook-delivery")
        );
        assert_eq!(payload["schema_version"], 1);
        assert_eq!(payload["event"], "completed");
        assert_eq!(payload["download_id"], d["id"]);
        assert_eq!(payload["user"]["username"], "alice");
        assert_eq!(payload["url"], media.url("/tagged.mp3"));
        assert_eq!(payload["status"], "completed");
        assert_eq!(
            payload["file_path"], done["file_path"],
            "relative to the output folder"
        );
        assert_eq!(payload["file_size"], done["file_size"]);
        assert_eq!(payload["title"], done["title"]);
        assert!(payload["error_class"].is_null() && payload["tracks"].is_null());

        let delivery = wait_for_delivery(
            &app,
            &token,
            &format!("/api/webhooks/{}/deliveries", hook["id"]),
            &["delivered"],
        )
        .await;
        assert_eq!(delivery["attempts"], 2, "{delivery}");
        assert_eq!(delivery["last_status_code"], 200, "{delivery}");
        assert_eq!(delivery["delivery_id"], payload["delivery_id"]);

        // Finished deliveries are purged by age (the delivery worker does it hourly).
        let store = nas_music_downloader::store::connect(&app.database_url)
            .await
            .unwrap();
        let later = chrono::Utc::now() + chrono::Duration::days(1);
        assert_eq!(store.purge_deliveries(later).await.unwrap(), 1);
        let listed = app
            .get_json(
                &format!("/api/webhooks/{}/deliveries", hook["id"]),
                Some(&token),
            )
            .await;
        assert_eq!(listed, json!([]));

        // The attempts are counted by outcome.
        let metrics = app
            .get("/metrics", Some(&token))
            .await
            .text()
            .await
            .unwrap();
        for outcome in ["retrying", "delivered"] {
            let line = format!("nas_webhook_deliveries_total{{outcome=\"{outcome}\"}} 1");
            assert!(metrics.contains(&line), "{line} not in the scrape");
        }
    }
);

both_backends!(
    async fn a_dead_receiver_never_changes_the_download_s_status(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let hook = create_hook(
            &app,
            &token,
            "/api/webhooks",
            json!({ "url": format!("{}/hook", dead_address().await), "events": ["completed"] }),
        )
        .await;
        let d = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        let done = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 90)
            .await;
        assert_eq!(done["status"], "completed", "{done}");
        let delivery = wait_for_delivery(
            &app,
            &token,
            &format!("/api/webhooks/{}/deliveries", hook["id"]),
            &["pending"],
        )
        .await;
        // Wait for the first attempt to be recorded.
        let mut delivery = delivery;
        for _ in 0..100 {
            if delivery["last_error"].is_string() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            delivery = app
                .get_json(
                    &format!("/api/webhooks/{}/deliveries", hook["id"]),
                    Some(&token),
                )
                .await[0]
                .clone();
        }
        assert_eq!(delivery["status"], "pending", "retried later: {delivery}");
        assert_eq!(delivery["last_error"], "could not connect", "{delivery}");
        assert!(delivery["last_status_code"].is_null());
        let again = app
            .get_json(&format!("/api/downloads/{}", d["id"]), Some(&token))
            .await;
        assert_eq!(again["status"], "completed");
        assert_eq!(again["file_path"], done["file_path"]);
    }
);

both_backends!(
    async fn a_global_webhook_hears_every_user_s_failures_with_their_error_class(app: TestApp)
    with ["MAX_DOWNLOAD_ATTEMPTS" => "1"] {
        let media = MediaServer::start().await;
        let receiver = Receiver::start(&[], "ok").await;
        let admin = app.user_token("admin").await;
        let bob = app.user_token("bob").await;
        create_hook(
            &app,
            &admin,
            "/api/admin/webhooks",
            json!({ "url": receiver.url("/all"), "events": ["failed"] }),
        )
        .await;
        let d = app.submit_ok(&bob, &media.url("/missing.mp3"), None).await;
        let done = app.wait_for(&bob, &d["id"], &["completed", "failed"], 90).await;
        assert_eq!(done["status"], "failed", "{done}");
        let seen = receiver.wait_for("/all", 1, 20).await;
        let payload = seen[0].json();
        assert_matches_documented_schema(&payload);
        assert!(seen[0].header("x-signature-256").is_none(), "no secret, no signature");
        assert_eq!(payload["event"], "failed");
        assert_eq!(payload["user"]["username"], "bob");
        assert_eq!(payload["status"], "failed");
        assert_eq!(payload["error"], done["error"]);
        assert!(payload["error_class"].is_string(), "{payload}");
        assert!(payload["file_path"].is_null());
        // Bob sees none of the global webhooks.
        assert_eq!(app.get_json("/api/webhooks", Some(&bob)).await, json!([]));
    }
);

both_backends!(
    async fn a_webhook_target_on_a_network_that_is_not_allowed_is_refused_sec_4(app: TestApp)
    with ["ALLOW_PRIVATE_URLS" => "127.0.0.1/32"] {
        let receiver = Receiver::start(&[], "ok").await;
        let token = app.user_token("alice").await;
        let port = receiver.base.rsplit(':').next().unwrap().to_owned();
        for refused in [
            format!("http://127.0.0.2:{port}/hook"),
            "http://10.0.0.1/hook".to_owned(),
            "http://169.254.169.254/latest".to_owned(),
        ] {
            let r = app
                .post_json("/api/webhooks", &json!({ "url": refused, "events": ["completed"] }), Some(&token))
                .await;
            let detail = assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
            assert!(detail.contains("ALLOW_PRIVATE_URLS"), "{refused}: {detail}");
        }
        // The allowed network is accepted.
        create_hook(
            &app,
            &token,
            "/api/webhooks",
            json!({ "url": receiver.url("/hook"), "events": ["completed"] }),
        )
        .await;
        assert!(receiver.seen("/hook").is_empty());
    }
);

both_backends!(
    async fn webhooks_are_validated_owned_and_audited_sec_17_sec_34(app: TestApp) {
        let admin = app.user_token("admin").await;
        let bob = app.user_token("bob").await;
        let bad = [
            json!({ "url": "ftp://example.com/x", "events": ["completed"] }),
            json!({ "url": "https://example.com/x", "events": [] }),
            json!({ "url": "https://example.com/x", "events": ["exploded"] }),
            json!({ "url": "https://example.com/x", "events": ["completed"], "secret": "" }),
            json!({ "url": format!("https://example.com/{}", "x".repeat(3000)), "events": ["completed"] }),
            json!({ "events": ["completed"] }),
            json!("not an object"),
        ];
        for body in bad {
            let r = app.post_json("/api/webhooks", &body, Some(&bob)).await;
            assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let hook = create_hook(
            &app,
            &bob,
            "/api/webhooks",
            json!({ "url": "https://example.com/hook", "secret": "s3cret", "events": ["completed", "album_completed"] }),
        )
        .await;
        let id = &hook["id"];
        // Another user's webhook does not exist for them; admin routes need an admin.
        for path in [format!("/api/webhooks/{id}/deliveries")] {
            assert_error(app.get(&path, Some(&admin)).await, StatusCode::NOT_FOUND).await;
        }
        assert_error(
            app.delete(&format!("/api/webhooks/{id}"), Some(&admin))
                .await,
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_error(
            app.get("/api/admin/webhooks", Some(&bob)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_error(
            app.get("/api/webhooks/99999/deliveries", Some(&bob)).await,
            StatusCode::NOT_FOUND,
        )
        .await;

        let r = app
            .patch_json(
                &format!("/api/webhooks/{id}"),
                &json!({ "clear_secret": true, "enabled": false }),
                Some(&bob),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let changed: Value = r.json().await.unwrap();
        assert_eq!(changed["has_secret"], false);
        assert_eq!(changed["enabled"], false);
        assert_eq!(
            app.get_json("/api/webhooks", Some(&bob))
                .await
                .as_array()
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            app.delete(&format!("/api/webhooks/{id}"), Some(&bob))
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(app.get_json("/api/webhooks", Some(&bob)).await, json!([]));

        let audit = app
            .get_json("/api/admin/audit?per_page=100", Some(&admin))
            .await;
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["action"].as_str())
            .filter(|a| a.starts_with("webhook_"))
            .collect();
        assert_eq!(
            actions,
            ["webhook_deleted", "webhook_updated", "webhook_created"]
        );
        let created = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "webhook_created")
            .unwrap();
        assert_eq!(created["details"]["host"], "example.com");
        assert!(!created["details"].to_string().contains("s3cret"));
    }
);

both_backends!(
    async fn the_database_accepts_every_audit_action_the_server_knows(app: TestApp) {
        // The migrations spell the audit actions out in a CHECK; a name missing there would
        // turn that action into a 500 (0006 lists 0005's `library_rescanned` and its own).
        use nas_music_downloader::audit::{Actor, AuditAction, AuditEvent};
        let store = nas_music_downloader::store::connect(&app.database_url)
            .await
            .unwrap();
        for action in AuditAction::ALL {
            store
                .record_audit(AuditEvent::new(action, &Actor::default(), json!({})))
                .await
                .unwrap_or_else(|e| panic!("{action:?}: {e:?}"));
        }
    }
);
