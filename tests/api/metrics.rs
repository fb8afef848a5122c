//! `GET /metrics`: who may scrape it, and that its counters follow real downloads and name
//! routes by their templates. The text is read back with a Prometheus text-format parser.

use crate::both_backends;
use crate::helpers::*;
use crate::media_server::MediaServer;
use prometheus_parse::{Sample, Scrape, Value};
use reqwest::StatusCode;

const METRICS_TOKEN: &str = "scrape-token-0123456789abcdef";

/// Scrapes as `token`, expecting 200 in the Prometheus text format; returns the parsed text.
async fn scrape(app: &TestApp, token: &str) -> Scrape {
    Scrape::parse(
        scrape_text(app, token)
            .await
            .lines()
            .map(|l| Ok(l.to_owned())),
    )
    .unwrap()
}

/// The text of a scrape as `token`, checked to be 200 in the Prometheus text format.
async fn scrape_text(app: &TestApp, token: &str) -> String {
    let r = app.get("/metrics", Some(token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    r.text().await.unwrap()
}

/// The value on the line of `series` (name and labels exactly as encoded), read by hand:
/// prometheus-parse skips a sample whose label value holds a `}` (its regex stops there),
/// and a route template such as `/api/downloads/{id}` does.
pub(crate) fn line_value(text: &str, series: &str) -> f64 {
    let found: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .collect();
    assert_eq!(found.len(), 1, "{series} in\n{text}");
    found[0].parse().unwrap()
}

/// The samples of `metric` whose labels include all of `labels`.
fn samples<'a>(
    scrape: &'a Scrape,
    metric: &'a str,
    labels: &'a [(&str, &str)],
) -> impl Iterator<Item = &'a Sample> {
    scrape.samples.iter().filter(move |s| {
        s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
    })
}

/// The one value of `metric` with `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples(scrape, metric, labels).collect();
    if found.len() != 1 {
        let all: Vec<_> = samples(scrape, metric, &[]).map(|s| &s.labels).collect();
        panic!(
            "{} samples of {metric} with {labels:?}; all: {all:?}",
            found.len()
        );
    }
    match found[0].value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
        ref other => panic!("{metric} is not a number: {other:?}"),
    }
}

both_backends!(
    async fn scraping_needs_a_token_and_an_admin_and_errors_are_json(app: TestApp) {
        let admin = app.user_token("admin").await;
        let user = app.user_token("alice").await;
        let detail = assert_error(app.get("/metrics", None).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(detail, "Not authenticated");
        assert_error(
            app.get("/metrics", Some("not-a-token")).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        // No METRICS_TOKEN is set: that value is just a bad token.
        assert_error(
            app.get("/metrics", Some(METRICS_TOKEN)).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_error(
            app.get("/metrics", Some(&user)).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        let scraped = scrape(&app, &admin).await;
        assert!(
            samples(&scraped, "nas_downloads_total", &[("status", "completed")]).count() > 0,
            "the download counters exist before any download"
        );
    }
);

both_backends!(
    async fn metrics_token_scrapes_without_an_account(app: TestApp) with ["METRICS_TOKEN" => METRICS_TOKEN] {
        scrape(&app, METRICS_TOKEN).await;
        let admin = app.user_token("admin").await;
        scrape(&app, &admin).await;
        let user = app.user_token("alice").await;
        assert_error(app.get("/metrics", Some(&user)).await, StatusCode::FORBIDDEN).await;
        assert_error(
            app.get("/metrics", Some("scrape-token-0123456789abcdeX")).await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
);

both_backends!(
    async fn a_finished_download_moves_its_counters_and_routes_are_named_by_template(app: TestApp) {
        let media = MediaServer::start().await;
        let admin = app.user_token("admin").await;
        let token = app.user_token("alice").await;
        let d = app.submit_ok(&token, &media.url("/tagged.mp3"), None).await;
        // Polls `GET /api/downloads/{id}` until the download ends.
        let done = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 30)
            .await;
        assert_eq!(done["status"], "completed", "{done}");
        let size = done["file_size"].as_f64().unwrap();
        assert_eq!(
            app.get("/api/no-such-route/42", Some(&token))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );

        let text = scrape_text(&app, &admin).await;
        let scraped = Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
        let completed = [("status", "completed"), ("format", "best")];
        assert_eq!(value(&scraped, "nas_downloads_total", &completed), 1.0);
        assert_eq!(
            value(
                &scraped,
                "nas_downloads_total",
                &[("status", "failed"), ("format", "best")]
            ),
            0.0
        );
        assert_eq!(
            value(&scraped, "nas_download_bytes_total", &[("format", "best")]),
            size
        );
        assert_eq!(
            value(
                &scraped,
                "nas_download_duration_seconds_count",
                &[("format", "best")]
            ),
            1.0
        );
        assert_eq!(value(&scraped, "nas_download_queue_depth", &[]), 0.0);
        assert!(
            value(
                &scraped,
                "nas_plugin_calls_total",
                &[("plugin", "direct-media"), ("outcome", "ok")]
            ) >= 1.0
        );
        let by_id =
            r#"nas_http_requests_total{method="GET",route="/api/downloads/{id}",status="200"}"#;
        assert!(line_value(&text, by_id) >= 1.0);
        let latency =
            r#"nas_http_request_duration_seconds_count{method="GET",route="/api/downloads/{id}"}"#;
        assert!(line_value(&text, latency) >= 1.0);
        let unmatched = [("route", "other"), ("status", "404")];
        assert!(value(&scraped, "nas_http_requests_total", &unmatched) >= 1.0);
        let routes: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once("route=\"")?.1.split_once('"'))
            .map(|(route, _)| route)
            .collect();
        assert!(!routes.is_empty());
        let raw = format!("/api/downloads/{}", d["id"]);
        assert!(
            routes
                .iter()
                .all(|r| *r != raw && !r.contains("no-such-route")),
            "a raw path became a label: {routes:?}"
        );
    }
);

#[tokio::test]
async fn tool_versions_appear_as_an_info_metric_once_the_preflight_is_done() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let admin = app.user_token("admin").await;
    for _ in 0..200 {
        let scraped = scrape(&app, &admin).await;
        let ytdlp: Vec<&Sample> =
            samples(&scraped, "nas_tool_info", &[("tool", "yt-dlp")]).collect();
        if let [info] = ytdlp.as_slice() {
            assert_eq!(info.value, Value::Gauge(1.0));
            assert!(info.labels.get("version").is_some_and(|v| !v.is_empty()));
            assert_eq!(
                samples(&scraped, "nas_tool_info", &[("tool", "ffmpeg")]).count(),
                1
            );
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no nas_tool_info for yt-dlp after the preflight");
}
