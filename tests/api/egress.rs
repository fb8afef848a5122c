//! SEC-40 through the API on both databases: a signed-in user cannot make the server's
//! yt-dlp reach an address the configuration does not allow, by any route a page offers,
//! and the failed download says the same thing whatever the route was.

use crate::both_backends;
use crate::egress_scenarios::{Canary, SCENARIOS, Scenarios};
use crate::helpers::*;
use serde_json::Value;

/// Submits every scenario and waits for each to end; returns (path, final download).
async fn run_scenarios(app: &TestApp, scenarios: &Scenarios) -> Vec<(&'static str, Value)> {
    let token = app.user_token("alice").await;
    let mut ended = Vec::new();
    for path in SCENARIOS {
        let d = app.submit_ok(&token, &scenarios.url(path), None).await;
        assert_eq!(d["plugin"], "generic", "{path}: {d}");
        let done = app
            .wait_for(&token, &d["id"], &["completed", "failed"], 90)
            .await;
        ended.push((*path, done));
    }
    ended
}

both_backends!(
    async fn a_page_cannot_lead_yt_dlp_to_a_refused_address_sec_40(app: TestApp) with ["ALLOW_PRIVATE_URLS" => "127.0.0.1/32", "MAX_DOWNLOAD_ATTEMPTS" => "1"] {
        let canary = Canary::start().await;
        let scenarios = Scenarios::start(&canary).await;
        let ended = run_scenarios(&app, &scenarios).await;
        assert_eq!(canary.hits(), 0, "the canary on 127.0.0.2 was reached");
        let first = ended[0].1["error"].as_str().unwrap_or_default().to_owned();
        assert!(first.contains("an address this server does not allow"), "{first}");
        for (path, done) in &ended {
            assert_eq!(done["status"], "failed", "{path}: {done}");
            assert_eq!(done["error"], first.as_str(), "{path}: the message differs");
        }
    }
);

both_backends!(
    async fn the_canary_is_reached_when_its_network_is_allowed_sec_40(app: TestApp) with ["ALLOW_PRIVATE_URLS" => "127.0.0.1/32,127.0.0.2/32", "MAX_DOWNLOAD_ATTEMPTS" => "1"] {
        // The control for the test above: the same pages do reach the canary when allowed.
        let canary = Canary::start().await;
        let scenarios = Scenarios::start(&canary).await;
        let before = canary.hits();
        let ended = run_scenarios(&app, &scenarios).await;
        assert!(canary.hits() >= before + SCENARIOS.len(), "hits: {}", canary.hits());
        for (path, done) in &ended {
            let error = done["error"].as_str().unwrap_or_default();
            assert!(!error.contains("does not allow"), "{path}: {error}");
        }
        let embed = ended.iter().find(|(p, _)| *p == "/embed.html").unwrap();
        assert_eq!(embed.1["status"], "completed", "{}", embed.1);
    }
);
