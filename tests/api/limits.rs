//! Bounded jobs and fair queues (SEC-41): an endless stream stops at the time limit and
//! leaves nothing behind, one user's long queue does not hold back another user's job, a
//! user's queue and running jobs are capped, a playlist larger than the cap is refused, and
//! no job starts on a volume below its free-space floor.

use crate::both_backends;
use crate::helpers::assert_error;
use crate::media_server::MediaServer;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Every download of `token`'s owner, newest first.
async fn downloads(app: &crate::helpers::TestApp, token: &str) -> Vec<Value> {
    let list = app
        .get_json("/api/downloads?per_page=100", Some(token))
        .await;
    list["items"].as_array().unwrap().clone()
}

/// How many of `token`'s owner's downloads are pending.
async fn pending(app: &crate::helpers::TestApp, token: &str) -> i64 {
    let list = app
        .get_json("/api/downloads?per_page=1&status=pending", Some(token))
        .await;
    list["total"].as_i64().unwrap()
}

fn count(items: &[Value], status: &str) -> usize {
    items.iter().filter(|d| d["status"] == status).count()
}

both_backends!(
    async fn an_endless_stream_fails_at_the_time_limit_and_leaves_no_file_sec_41(app: TestApp)
    with ["JOB_TIME_LIMIT_SECONDS" => "2"] {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let started = Instant::now();
        let d = app.submit_ok(&token, &media.url("/slow.mp3"), None).await;
        let done = app.wait_for(&token, &d["id"], &["completed", "failed"], 30).await;
        assert_eq!(done["status"], "failed", "{done}");
        let error = done["error"].as_str().unwrap();
        assert!(error.contains("longer than the server's limit of 2 s"), "{error}");
        assert!(!error.contains("will retry"), "a stream does not get shorter: {error}");
        assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
        assert!(media.hits("/slow.mp3") >= 1, "the stream was really fetched");
        assert_eq!(app.output_files(), Vec::<String>::new(), "a partial file was left");
    }
);

both_backends!(
    async fn one_users_long_queue_does_not_hold_back_another_users_job_sec_41(app: TestApp)
    with ["MAX_CONCURRENT_DOWNLOADS" => "1", "JOB_TIME_LIMIT_SECONDS" => "2"] {
        let media = MediaServer::start().await;
        let alice = app.user_token("alice").await;
        let bob = app.user_token("bob").await;
        // 500 endless streams, each of which holds the only slot until the time limit.
        for n in 0..500 {
            let r = app.submit(&alice, &media.url(&format!("/slow.mp3?n={n}")), None).await;
            assert_eq!(r.status(), StatusCode::ACCEPTED, "submission {n}");
        }
        let d = app.submit_ok(&bob, &media.url("/tagged.mp3"), None).await;
        // Counted after bob's submission: an alice job that started before it (her running
        // job may end at any moment) is not the claim order under test.
        let before = pending(&app, &alice).await;
        let done = app.wait_for(&bob, &d["id"], &["completed", "failed"], 30).await;
        assert_eq!(done["status"], "completed", "{done}");
        // Bob's job took the first slot that came free: while it waited and ran, at most one
        // of alice's jobs left her queue (the one after his).
        let after = pending(&app, &alice).await;
        assert!(before - after <= 1, "alice's queue ran ahead of bob: {before} then {after} pending");
        assert!(after >= 400, "the test needs alice's queue to stay long: {after}");
    }
);

both_backends!(
    async fn a_full_queue_is_refused_with_429_and_other_users_are_unaffected_sec_41(app: TestApp)
    with ["MAX_QUEUED_DOWNLOADS_PER_USER" => "2", "MAX_CONCURRENT_DOWNLOADS" => "1"] {
        let media = MediaServer::start().await;
        let alice = app.user_token("alice").await;
        app.submit_ok(&alice, &media.url("/slow.mp3?n=1"), None).await;
        app.submit_ok(&alice, &media.url("/slow.mp3?n=2"), None).await;
        let r = app.submit(&alice, &media.url("/slow.mp3?n=3"), None).await;
        assert_eq!(r.headers()["retry-after"], "60");
        let detail = assert_error(r, StatusCode::TOO_MANY_REQUESTS).await;
        assert!(detail.contains("2 downloads queued or running"), "{detail}");
        let bob = app.user_token("bob").await;
        app.submit_ok(&bob, &media.url("/slow.mp3?n=3"), None).await;
        assert_eq!(downloads(&app, &alice).await.len(), 2, "nothing was queued for alice");
    }
);

both_backends!(
    async fn a_user_runs_at_most_the_running_cap_while_others_use_free_slots_sec_41(app: TestApp)
    with ["MAX_RUNNING_DOWNLOADS_PER_USER" => "1", "MAX_CONCURRENT_DOWNLOADS" => "2"] {
        let media = MediaServer::start().await;
        let alice = app.user_token("alice").await;
        let bob = app.user_token("bob").await;
        app.submit_ok(&alice, &media.url("/slow.mp3?n=1"), None).await;
        app.submit_ok(&alice, &media.url("/slow.mp3?n=2"), None).await;
        let b = app.submit_ok(&bob, &media.url("/slow.mp3?n=3"), None).await;
        app.wait_for(&bob, &b["id"], &["downloading"], 15).await;
        // Give a wrongly free slot time to be claimed, then look.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let mine = downloads(&app, &alice).await;
        assert_eq!(count(&mine, "downloading"), 1, "{mine:?}");
        assert_eq!(count(&mine, "pending"), 1, "{mine:?}");
    }
);

both_backends!(
    async fn a_playlist_over_the_entry_cap_is_refused_whole_sec_41(app: TestApp)
    with ["MAX_PLAYLIST_ENTRIES" => "1"] {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/playlist.html"), None).await;
        let done = app.wait_for(&token, &d["id"], &["completed", "failed"], 30).await;
        assert_eq!(done["status"], "failed", "{done}");
        let error = done["error"].as_str().unwrap();
        assert!(error.contains("2 entries") && error.contains("at most 1"), "{error}");
        assert_eq!(downloads(&app, &token).await.len(), 1, "no child was queued");
    }
);

both_backends!(
    async fn no_job_starts_while_the_volume_is_below_its_free_space_floor_sec_41(app: TestApp)
    with ["MIN_FREE_SPACE_MB" => "1073741824"] {
        let media = MediaServer::start().await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let still = app.wait_for(&token, &d["id"], &["pending"], 1).await;
        assert_eq!(still["status"], "pending");
        assert_eq!(media.hits("/tagged.mp3"), 0, "nothing was fetched");
    }
);
