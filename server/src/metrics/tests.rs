use super::*;
use crate::domain::{AudioFormat, DownloadStatus};
use std::time::Duration;

fn routes() -> RouteTemplates {
    RouteTemplates::new(
        [
            "/",
            "/health",
            "/api/downloads",
            "/api/downloads/events",
            "/api/downloads/{id}",
            "/api/downloads/{id}/cancel",
            "/metrics",
        ],
        "/docs",
    )
}

fn label(routes: &RouteTemplates, pattern: Option<&str>, is_root: bool) -> String {
    routes.label(pattern, is_root).as_str().to_owned()
}

#[test]
fn a_matched_pattern_is_named_by_its_template_never_by_its_values() {
    let routes = routes();
    assert_eq!(
        label(&routes, Some("/api/downloads/:param0"), false),
        "/api/downloads/{id}"
    );
    assert_eq!(
        label(&routes, Some("//api/downloads/:param0/cancel"), false),
        "/api/downloads/{id}/cancel"
    );
    assert_eq!(
        label(&routes, Some("/api/downloads/events"), false),
        "/api/downloads/events"
    );
    assert_eq!(label(&routes, Some("/metrics"), false), "/metrics");
    assert_eq!(label(&routes, Some("/docs/index.css"), false), "/docs");
    assert_eq!(label(&routes, Some("/"), true), "/");
}

#[test]
fn what_no_route_matched_is_other() {
    let routes = routes();
    assert_eq!(label(&routes, None, false), "other");
    assert_eq!(label(&routes, None, true), "other");
    // The catch-all nest at `/` marks what the API did not match with an empty pattern.
    assert_eq!(label(&routes, Some(""), false), "other");
    assert_eq!(label(&routes, Some("/"), false), "other");
    assert_eq!(label(&routes, Some("/api/downloads/x/y/z"), false), "other");
    // A literal segment never stands for a variable.
    assert_eq!(label(&routes, Some("/api/downloads/12"), false), "other");
}

#[test]
fn a_scrape_names_every_metric_with_the_prefix_and_its_unit() {
    let metrics = Metrics::new();
    metrics.downloads.ended(
        DownloadStatus::Completed,
        AudioFormat::Mp3,
        Some(1234),
        Some(Duration::from_secs(3)),
    );
    metrics
        .downloads
        .ended(DownloadStatus::Pending, AudioFormat::Mp3, None, None);
    metrics
        .plugins
        .call("direct-media", "ok", Duration::from_millis(4));
    metrics.plugins.reload(ReloadOutcome::Failed);
    let text = metrics
        .encode(ScrapeFacts {
            queue_depth: Some(7),
            tools: vec![ToolVersion {
                tool: "yt-dlp",
                version: "2026.10.26".into(),
            }],
        })
        .unwrap();
    for line in [
        "nas_downloads_total{status=\"completed\",format=\"mp3\"} 1",
        "nas_downloads_total{status=\"failed\",format=\"flac\"} 0",
        "nas_download_bytes_total{format=\"mp3\"} 1234",
        "nas_download_duration_seconds_count{format=\"mp3\"} 1",
        "nas_plugin_calls_total{plugin=\"direct-media\",outcome=\"ok\"} 1",
        "nas_plugin_call_duration_seconds_count{plugin=\"direct-media\",outcome=\"ok\"} 1",
        "nas_plugin_reloads_total{outcome=\"failed\"} 1",
        "nas_plugin_reloads_total{outcome=\"loaded\"} 0",
        "nas_download_queue_depth 7",
        "nas_tool_info{tool=\"yt-dlp\",version=\"2026.10.26\"} 1",
        "# TYPE nas_tool_info gauge",
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    assert!(!text.contains("status=\"pending\""), "{text}");
}
