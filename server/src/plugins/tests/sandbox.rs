//! SEC-20: a plugin that loops, exhausts memory or panics fails that call with a clear
//! error, and the registry keeps serving. Also: an older minor interface version loads.

use super::*;
use crate::plugins::PluginCallError;

const FIXTURES: &[&str] = &[
    "loop-forever",
    "memory-hog",
    "panicker",
    "legacy-v0-1",
    "legacy-v0-2",
];

async fn still_serves(registry: &PluginRegistry) {
    let ok = registry.resolve("generic", "https://vimeo.com/1").await;
    assert!(ok.is_ok(), "registry stopped serving: {ok:?}");
}

#[tokio::test]
async fn an_endless_loop_hits_the_deadline_sec_20() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), FIXTURES).await;
    let started = std::time::Instant::now();
    let err = registry
        .resolve("fixture-loop-forever", "https://loop.fixture.test/x")
        .await
        .unwrap_err();
    assert_eq!(err, PluginCallError::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.is_transient());
    still_serves(&registry).await;
    let listed = registry
        .list()
        .into_iter()
        .find(|p| p.name == "fixture-loop-forever")
        .unwrap();
    assert!(listed.last_error.is_some());
}

#[tokio::test]
async fn a_memory_bomb_hits_the_cap_sec_20() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), FIXTURES).await;
    let err = registry
        .resolve("fixture-memory-hog", "https://hog.fixture.test/x")
        .await
        .unwrap_err();
    assert_eq!(err, PluginCallError::OutOfMemory);
    still_serves(&registry).await;
}

#[tokio::test]
async fn a_panic_is_reported_with_its_message_sec_20() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), FIXTURES).await;
    let err = registry
        .resolve("fixture-panicker", "https://panic.fixture.test/x")
        .await
        .unwrap_err();
    match &err {
        PluginCallError::Crashed(m) => assert!(m.contains("fixture panicked on purpose"), "{m}"),
        other => panic!("expected Crashed, got {other:?}"),
    }
    assert!(!err.is_transient());
    still_serves(&registry).await;
}

#[tokio::test]
async fn misbehaving_calls_in_parallel_do_not_disturb_good_ones_sec_20() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), FIXTURES).await;
    let bad = [
        "fixture-loop-forever",
        "fixture-memory-hog",
        "fixture-panicker",
    ]
    .map(|name| {
        let registry = registry.clone();
        tokio::spawn(async move { registry.resolve(name, "https://x.fixture.test/").await })
    });
    for _ in 0..20 {
        still_serves(&registry).await;
    }
    for handle in bad {
        assert!(handle.await.unwrap().is_err());
    }
}

#[tokio::test]
async fn a_plugin_built_against_the_older_minor_version_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), FIXTURES).await;
    let legacy = registry
        .list()
        .into_iter()
        .find(|p| p.name == "fixture-legacy-v0-1")
        .expect("legacy plugin loaded");
    assert_eq!(legacy.interface_version, "0.1.0");
    assert_eq!(
        registry
            .route(&url("https://legacy.fixture.test/a"))
            .as_deref(),
        Some("fixture-legacy-v0-1")
    );
    let resolution = registry
        .resolve("fixture-legacy-v0-1", "https://legacy.fixture.test/a")
        .await
        .unwrap();
    assert_eq!(resolution.metadata.title.as_deref(), Some("legacy"));
    assert_eq!(resolution.metadata.track_number, Some(1));
}

#[tokio::test]
async fn a_plugin_built_against_0_2_loads_after_0_3_added_a_fetch_action_case() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), FIXTURES).await;
    let legacy = registry
        .list()
        .into_iter()
        .find(|p| p.name == "fixture-legacy-v0-2")
        .expect("0.2.0 plugin loaded");
    assert_eq!(legacy.interface_version, "0.2.0");
    let resolution = registry
        .resolve("fixture-legacy-v0-2", "https://legacy2.fixture.test/a.mp3")
        .await
        .unwrap();
    assert_eq!(resolution.metadata.title.as_deref(), Some("legacy two"));
    assert_eq!(resolution.metadata.track_number, Some(2));
    assert_eq!(
        resolution.entries[0].action,
        crate::plugins::FetchAction::Direct {
            url: "https://legacy2.fixture.test/a.mp3".into()
        }
    );
}
