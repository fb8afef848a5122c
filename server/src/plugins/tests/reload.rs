//! Hot reload: add, change and remove of a file in PLUGIN_DIRECTORY take effect without a
//! restart; a corrupt file changes nothing and is reported in `last_error`.

use super::*;
use tokio_util::sync::CancellationToken;

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn has(registry: &PluginRegistry, name: &str) -> bool {
    registry.list().iter().any(|p| p.name == name)
}

#[tokio::test]
async fn files_added_changed_corrupted_and_removed_are_picked_up() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = test_config(tmp.path());
    config.watch = true;
    let dir = config.plugin_directory.clone();
    let shutdown = CancellationToken::new();
    let registry = PluginRegistry::start(config, shutdown.clone())
        .await
        .unwrap();
    let file = dir.join("mine.wasm");

    std::fs::write(&file, plugin_bytes("panicker")).unwrap();
    eventually("added plugin loads", || has(&registry, "fixture-panicker")).await;

    std::fs::write(&file, plugin_bytes("legacy-v0-1")).unwrap();
    eventually("changed plugin swaps", || {
        has(&registry, "fixture-legacy-v0-1") && !has(&registry, "fixture-panicker")
    })
    .await;

    std::fs::write(&file, b"\0asm corrupt").unwrap();
    eventually("corrupt file reported", || {
        registry
            .list()
            .iter()
            .any(|p| p.name == "fixture-legacy-v0-1" && p.last_error.is_some())
    })
    .await;
    assert!(
        registry
            .resolve("fixture-legacy-v0-1", "https://legacy.fixture.test/a")
            .await
            .is_ok(),
        "old version keeps serving"
    );
    assert_eq!(registry.directory_errors().len(), 1);

    std::fs::remove_file(&file).unwrap();
    eventually("removed plugin goes", || {
        !has(&registry, "fixture-legacy-v0-1")
    })
    .await;
    assert!(registry.directory_errors().is_empty());
    shutdown.cancel();
}
