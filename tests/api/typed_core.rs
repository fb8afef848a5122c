//! Rules the database itself keeps (one active submission per URL, only known states) and
//! what the live event stream promises (numbered events, deletions, ids only between
//! instances). Issue 9.

use crate::both_backends;
use crate::helpers::{create_postgres_database, postgres_available};
use crate::media_server::MediaServer;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

both_backends!(
    async fn concurrent_submissions_of_one_url_queue_it_once(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        // An endless stream: the first submission stays active while the others arrive.
        let url = media.url("/slow.mp3");
        let answers = futures_util::future::join_all((0..16).map(|_| {
            let client = app.client.clone();
            let endpoint = app.url("/api/download");
            let (token, url) = (token.clone(), url.clone());
            async move {
                let r = client
                    .post(endpoint)
                    .bearer_auth(token)
                    .json(&json!({ "url": url }))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                (status, r.json::<Value>().await.unwrap())
            }
        }))
        .await;
        let created = answers
            .iter()
            .filter(|(s, _)| *s == StatusCode::ACCEPTED)
            .count();
        assert_eq!(created, 1, "{answers:?}");
        let ids: std::collections::HashSet<_> =
            answers.iter().map(|(_, d)| d["id"].clone()).collect();
        assert_eq!(
            ids.len(),
            1,
            "every answer names the one download: {answers:?}"
        );
        assert!(answers.iter().all(|(s, _)| s.is_success()));
        let list: Value = app
            .get("/api/downloads?per_page=100", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["total"], 1, "{list}");
        // While it runs, the listing carries the progress its heartbeats saved.
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let list: Value = app
                .get("/api/downloads", Some(&token))
                .await
                .json()
                .await
                .unwrap();
            let item = &list["items"][0];
            if item["progress"]["phase"] == "downloading" {
                assert_eq!(item["status"], "downloading", "{item}");
                assert!(
                    item["progress"]["downloaded_bytes"].as_u64().is_some(),
                    "{item}"
                );
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no progress listed: {item}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let id = ids.into_iter().next().unwrap();
        let r = app.act_on(&token, &id, "cancel").await;
        assert_eq!(r.status(), StatusCode::OK);
        app.wait_for(&token, &id, &["cancelled"], 20).await;
        // Finished: the same URL may be queued again.
        let again = app.submit(&token, &url, None).await;
        assert_eq!(again.status(), StatusCode::ACCEPTED);
    }
);

both_backends!(
    async fn retrying_while_the_same_url_is_active_again_is_a_conflict(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let url = media.url("/slow.mp3");
        let first = app.submit_ok(&token, &url, None).await;
        app.act_on(&token, &first["id"], "cancel").await;
        app.wait_for(&token, &first["id"], &["cancelled"], 20).await;
        let second = app.submit_ok(&token, &url, None).await;
        let r = app.act_on(&token, &first["id"], "retry").await;
        let detail = crate::helpers::assert_error(r, StatusCode::CONFLICT).await;
        assert!(detail.contains("already queued or running"), "{detail}");
        app.act_on(&token, &second["id"], "cancel").await;
    }
);

both_backends!(
    async fn the_event_stream_numbers_its_events_and_announces_deletions(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let stream = app
            .client
            .get(app.url("/api/downloads/events"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let d = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        app.wait_for(&token, &d["id"], &["completed"], 30).await;
        let r = app
            .delete(&format!("/api/downloads/{}", d["id"]), Some(&token))
            .await;
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let mut body = stream.bytes_stream();
        let mut text = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while !text.contains("event: deleted") || !text.ends_with("\n\n") {
            let chunk = tokio::time::timeout_at(deadline, body.next())
                .await
                .expect("no deleted event")
                .unwrap()
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        let events: Vec<&str> = text
            .split("\n\n")
            .filter(|e| !e.trim().is_empty())
            .collect();
        let ids: Vec<u64> = events
            .iter()
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("id: ")))
            .map(|id| id.trim().parse().unwrap())
            .collect();
        assert_eq!(ids.len(), events.len(), "every event has an id: {text}");
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "increasing: {ids:?}");
        let last = events.last().unwrap();
        assert!(last.contains("event: deleted"), "{text}");
        assert!(
            last.contains(&format!("data: {{\"id\":{}}}", d["id"])),
            "{last}"
        );
        assert!(!text.contains("\"status\":\"deleted\""), "{text}");
    }
);

both_backends!(
    async fn unknown_filters_are_refused_with_the_names_that_exist(app: TestApp) {
        let token = app.user_token("alice").await;
        let r = app.get("/api/downloads?status=deleted", Some(&token)).await;
        let detail = crate::helpers::assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(detail.contains("status"), "{detail}");
        let r = app
            .get("/api/downloads?status=completed", Some(&token))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
);

/// A user and three downloads of one URL as an older version could leave them: two active
/// (the select-then-insert race), one finished.
const BEFORE_0002: &str = "\
INSERT INTO users (username, email, hashed_password, is_active, is_admin, session_generation, created_at) \
VALUES ('alice', 'alice@example.org', 'x', TRUE, TRUE, 0, '2026-01-01T00:00:00+00:00'); \
INSERT INTO download_history (user_id, url, format, status, attempts, run_after, cancel_requested, created_at) VALUES \
(1, 'https://a.example/x', 'best', 'pending', 0, '2026-01-01T00:00:00+00:00', FALSE, '2026-01-01T00:00:00+00:00'), \
(1, 'https://a.example/x', 'best', 'pending', 0, '2026-01-01T00:00:00+00:00', FALSE, '2026-01-01T00:00:00+00:00'), \
(1, 'https://a.example/x', 'best', 'completed', 1, '2026-01-01T00:00:00+00:00', FALSE, '2026-01-01T00:00:00+00:00');";

const INSERT_WITH_STATUS: &str = "INSERT INTO download_history (user_id, url, format, status, attempts, \
run_after, cancel_requested, created_at) VALUES (1, 'https://a.example/y', 'best', $1, 0, \
'2026-01-01T00:00:00+00:00', FALSE, '2026-01-01T00:00:00+00:00')";

const AFTER_0002: &str = "SELECT status FROM download_history ORDER BY id";

/// What both backends must show after the upgrade: the oldest active duplicate kept, the
/// other cancelled, unknown states and a second active copy refused.
macro_rules! assert_upgraded {
    ($pool:expr) => {{
        let statuses: Vec<String> = sqlx::query_scalar(AFTER_0002)
            .fetch_all($pool)
            .await
            .unwrap();
        assert_eq!(statuses, ["pending", "cancelled", "completed"]);
        let unknown = sqlx::query(INSERT_WITH_STATUS)
            .bind("deleted")
            .execute($pool)
            .await;
        assert!(unknown.is_err(), "the database refuses unknown states");
        let duplicate = sqlx::query("UPDATE download_history SET status = 'pending' WHERE id = 3")
            .execute($pool)
            .await;
        assert!(
            duplicate.is_err(),
            "a second active copy of one URL is refused"
        );
        sqlx::query(INSERT_WITH_STATUS)
            .bind("failed")
            .execute($pool)
            .await
            .unwrap();
    }};
}

#[tokio::test]
async fn upgrading_a_sqlite_database_keeps_the_oldest_active_duplicate_and_adds_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/old.db?mode=rwc", dir.path().display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let mut first = sqlx::migrate!("../migrations/sqlite");
    first.migrations = first.migrations[..1].to_vec().into();
    first.run(&pool).await.unwrap();
    sqlx::raw_sql(BEFORE_0002).execute(&pool).await.unwrap();
    pool.close().await;

    nas_music_downloader::store::connect(&url).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    assert_upgraded!(&pool);
}

#[tokio::test]
async fn upgrading_a_postgres_database_keeps_the_oldest_active_duplicate_and_adds_the_rules() {
    if !postgres_available().await {
        return;
    }
    let (_name, url) = create_postgres_database().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut first = sqlx::migrate!("../migrations/postgres");
    first.migrations = first.migrations[..1].to_vec().into();
    first.run(&pool).await.unwrap();
    sqlx::raw_sql(BEFORE_0002).execute(&pool).await.unwrap();

    nas_music_downloader::store::connect(&url).await.unwrap();
    assert_upgraded!(&pool);
}

both_backends!(
    async fn a_page_and_its_total_agree_also_past_the_end(app: TestApp) {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        for i in 0..3 {
            let d = app
                .submit_ok(&token, &media.url(&format!("/tagged.mp3?n={i}")), None)
                .await;
            app.wait_for(&token, &d["id"], &["completed"], 30).await;
        }
        let page = |query: &'static str| {
            let app = &app;
            let token = token.clone();
            async move {
                app.get(&format!("/api/downloads?{query}"), Some(&token))
                    .await
                    .json::<Value>()
                    .await
                    .unwrap()
            }
        };
        let second = page("page=2&per_page=2").await;
        assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
        assert_eq!(
            (second["total"].clone(), second["pages"].clone()),
            (json!(3), json!(2))
        );
        let beyond = page("page=9&per_page=2").await;
        assert_eq!(beyond["items"], json!([]));
        assert_eq!(beyond["total"], 3, "{beyond}");
        let none = page("q=no-such-title").await;
        assert_eq!(
            (none["total"].clone(), none["items"].clone()),
            (json!(0), json!([]))
        );
    }
);
