//! Abuse of sign-in and of live streams (SEC-45, SEC-46): who a client is behind a proxy,
//! the registration limit, bounded bcrypt work, and streams that end when their session does.
//! SQLite only: nothing here depends on the backend, and each test is CPU-bound on bcrypt.

use crate::both_backends;
use crate::helpers::{Backend, PASSWORD, TestApp, assert_error, spawn_app_with};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn sqlite_app(extra: &[(&str, &str)]) -> TestApp {
    spawn_app_with(Backend::Sqlite, extra).await.unwrap()
}

async fn login_from(app: &TestApp, forwarded_for: &str, user: &str, password: &str) -> Response {
    app.client
        .post(app.url("/auth/login"))
        .header("X-Forwarded-For", forwarded_for)
        .form(&[("username", user), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn register_from(app: &TestApp, forwarded_for: &str, user: &str) -> Response {
    app.client
        .post(app.url("/auth/register"))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"username": user, "email": format!("{user}@example.com"), "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

fn retry_after(r: &Response) -> u64 {
    r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_apart_sec_45() {
    let app = sqlite_app(&[("TRUSTED_PROXIES", "127.0.0.1/32, ::1")]).await;
    app.register("alice", PASSWORD).await;
    for _ in 0..5 {
        let r = login_from(&app, "203.0.113.1", "alice", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, "203.0.113.1", "alice", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The real user, behind the same proxy, is another client.
    let r = login_from(&app, "198.51.100.7", "alice", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    // A client cannot escape by prepending its own entry: the proxy's is the rightmost.
    let r = login_from(&app, "198.51.100.7, 203.0.113.1", "alice", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trusted_proxies_x_forwarded_for_is_ignored_sec_45() {
    let app = sqlite_app(&[]).await;
    app.register("alice", PASSWORD).await;
    for i in 0..5 {
        let r = login_from(&app, &format!("203.0.113.{i}"), "alice", "wrong-password").await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = login_from(&app, "198.51.100.7", "alice", PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one peer, one client"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_is_limited_per_address_with_429_and_retry_after_sec_45() {
    let app = sqlite_app(&[
        ("REGISTRATIONS_PER_HOUR", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    for user in ["first", "second", "third"] {
        assert_eq!(
            register_from(&app, "203.0.113.1", user).await.status(),
            StatusCode::CREATED
        );
    }
    let r = register_from(&app, "203.0.113.1", "fourth").await;
    let wait = retry_after(&r);
    assert!((3500..=3600).contains(&wait), "Retry-After {wait}");
    let detail = assert_error(r, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(detail.contains("Too many registrations"), "{detail}");
    // Another address of the same IPv6 /64 is the same client; another /64 is not.
    for (n, address) in ["2001:db8:1:1::1", "2001:db8:1:1::2", "2001:db8:1:1::3"]
        .iter()
        .enumerate()
    {
        let r = register_from(&app, address, &format!("six{n}")).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = register_from(&app, "2001:db8:1:1:ffff::9", "six4").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = register_from(&app, "2001:db8:1:2::1", "six5").await;
    assert_eq!(r.status(), StatusCode::CREATED);
    // An admin creating accounts is not limited.
    let admin = login_from(&app, "192.0.2.1", "first", PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .client
        .post(app.url("/auth/register"))
        .header("X-Forwarded-For", "203.0.113.1")
        .bearer_auth(&admin)
        .json(&json!({"username": "made", "email": "made@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_burst_runs_few_hashes_before_it_is_throttled_sec_45() {
    let app = sqlite_app(&[]).await;
    app.register("alice", PASSWORD).await;
    let burst: Vec<_> = (0..24)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/auth/login"));
            tokio::spawn(async move {
                client
                    .post(url)
                    .form(&[("username", "alice"), ("password", "wrong-password")])
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut refused = 0;
    let mut throttled = 0;
    for task in burst {
        match task.await.unwrap() {
            StatusCode::UNAUTHORIZED => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}"),
        }
    }
    // Five free failures, plus at most the hashes already running when the fifth landed.
    let slots = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    assert!(
        refused <= 5 + slots,
        "{refused} passwords checked in the burst"
    );
    assert_eq!(refused + throttled, 24);
}

/// Opens the event stream and returns a task that reads it to its end and says when.
async fn watch_stream(app: &TestApp, token: &str) -> tokio::task::JoinHandle<Instant> {
    let mut r = app.get("/api/downloads/events", Some(token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    tokio::spawn(async move {
        while let Ok(Some(_)) = r.chunk().await {}
        Instant::now()
    })
}

/// Waits for the stream to end; the time from `revoked` to its end.
async fn closes_within(stream: tokio::task::JoinHandle<Instant>, revoked: Instant) -> Duration {
    let ended = tokio::time::timeout(Duration::from_secs(10), stream)
        .await
        .expect("the stream is still open 10 s after its session was revoked")
        .unwrap();
    ended.duration_since(revoked)
}

const FAST_RECHECK: (&str, &str) = ("EVENT_STREAM_RECHECK_SECONDS", "0.2");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_stream_closes_after_logout_sec_46() {
    let app = sqlite_app(&[FAST_RECHECK]).await;
    let token = app.user_token("alice").await;
    let other = app.user_token("alice").await;
    let stream = watch_stream(&app, &token).await;
    let kept = watch_stream(&app, &other).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !stream.is_finished(),
        "the stream stays open while signed in"
    );
    let r = app
        .post_json("/auth/logout", &json!({}), Some(&token))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let took = closes_within(stream, Instant::now()).await;
    assert!(
        took < Duration::from_secs(3),
        "closed {took:?} after logout"
    );
    assert!(!kept.is_finished(), "another session's stream stays open");
    let r = app.get("/api/downloads/events", Some(&token)).await;
    assert_error(r, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_stream_closes_when_its_account_is_disabled_sec_46() {
    let app = sqlite_app(&[FAST_RECHECK]).await;
    let admin = app.user_token("admin").await;
    let token = app.user_token("bob").await;
    let bob = app.get_json("/auth/me", Some(&token)).await;
    let stream = watch_stream(&app, &token).await;
    let r = app.set_user_active(&admin, &bob["id"], false).await;
    assert_eq!(r.status(), StatusCode::OK);
    let took = closes_within(stream, Instant::now()).await;
    assert!(
        took < Duration::from_secs(3),
        "closed {took:?} after disabling"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_closes_the_other_sessions_streams_sec_46() {
    let app = sqlite_app(&[FAST_RECHECK]).await;
    let phone = app.user_token("alice").await;
    let laptop = app.user_token("alice").await;
    let stream = watch_stream(&app, &phone).await;
    let r = app
        .post_json(
            "/auth/password",
            &json!({"current_password": PASSWORD, "new_password": "a-brand-new-password"}),
            Some(&laptop),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let took = closes_within(stream, Instant::now()).await;
    assert!(
        took < Duration::from_secs(3),
        "closed {took:?} after the change"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_per_user_are_capped_with_429_sec_46() {
    let app = sqlite_app(&[("MAX_EVENT_STREAMS_PER_USER", "2")]).await;
    let token = app.user_token("alice").await;
    let other = app.user_token("bob").await;
    let first = app.get("/api/downloads/events", Some(&token)).await;
    let second = app.get("/api/downloads/events", Some(&token)).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let r = app.get("/api/downloads/events", Some(&token)).await;
    assert!(retry_after(&r) > 0);
    let detail = assert_error(r, StatusCode::TOO_MANY_REQUESTS).await;
    assert!(detail.contains("at most 2"), "{detail}");
    let r = app.get("/api/downloads/events", Some(&other)).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "another user has slots of their own"
    );
    drop((first, second));
}

both_backends!(
    /// "Registration closed" used to be checked outside the insert's transaction, so racing
    /// registrations on an empty install could all pass it.
    async fn with_registration_closed_racing_first_registrations_create_one_account(app: TestApp) with ["ALLOW_REGISTRATION" => "false"] {
        let racers: Vec<_> = (0..6)
            .map(|i| {
                let (client, url) = (app.client.clone(), app.url("/auth/register"));
                tokio::spawn(async move {
                    let body = json!({"username": format!("racer{i}"), "email": format!("r{i}@example.com"), "password": PASSWORD});
                    client.post(url).json(&body).send().await.unwrap().status()
                })
            })
            .collect();
        let mut created = 0;
        for racer in racers {
            match racer.await.unwrap() {
                StatusCode::CREATED => created += 1,
                StatusCode::FORBIDDEN => {}
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(created, 1);
    }
);
