//! Uploads are validated and smoke-tested before anything changes (SEC-21); enabled state
//! and upload source survive a restart; removal restores an overridden built-in.

use super::*;
use crate::plugins::{PluginAdminError, PluginSource};

#[tokio::test]
async fn bad_uploads_change_nothing_sec_21() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let before = registry.list().len();
    let too_large = vec![0u8; (2 << 20) + 1];
    assert!(matches!(
        registry.install_upload(too_large).await,
        Err(PluginAdminError::TooLarge { .. })
    ));
    for garbage in [
        b"not wasm at all".to_vec(),
        b"\0asm\x01\0\0\0".to_vec(),
        b"\0asm\x0d\0\x01\0garbage".to_vec(),
    ] {
        let err = registry.install_upload(garbage).await.unwrap_err();
        assert!(matches!(err, PluginAdminError::Invalid(_)), "{err:?}");
    }
    // A precompiled artifact (even one this engine made) is never accepted from outside.
    let engine = wasmtime::Engine::default();
    let precompiled = engine
        .precompile_component(&plugin_bytes("generic"))
        .unwrap();
    let err = registry.install_upload(precompiled).await.unwrap_err();
    assert!(
        matches!(&err, PluginAdminError::Invalid(m) if m.contains("precompiled")),
        "{err:?}"
    );
    assert_eq!(registry.list().len(), before);
    let files = std::fs::read_dir(tmp.path().join("plugins"))
        .unwrap()
        .count();
    assert_eq!(files, 0, "a bad upload left a file behind");
}

#[tokio::test]
async fn a_valid_upload_is_live_at_once_and_survives_a_restart_sec_21() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let change = registry
        .install_upload(plugin_bytes("legacy-v0-1"))
        .await
        .unwrap();
    assert_eq!(change.summary.name, "fixture-legacy-v0-1");
    assert_eq!(change.summary.source, PluginSource::Upload);
    assert_eq!(
        change.sha256,
        crate::plugins::cache::sha256_hex(&plugin_bytes("legacy-v0-1"))
    );
    assert_eq!(
        registry
            .route(&url("https://legacy.fixture.test/x"))
            .as_deref(),
        Some("fixture-legacy-v0-1")
    );
    drop(registry);
    let again = PluginRegistry::start(test_config(tmp.path()), CancellationToken::new())
        .await
        .unwrap();
    let listed = again
        .list()
        .into_iter()
        .find(|p| p.name == "fixture-legacy-v0-1")
        .unwrap();
    assert_eq!(listed.source, PluginSource::Upload);
}

#[tokio::test]
async fn disabled_state_survives_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let change = registry.set_enabled("youtube", false).await.unwrap();
    assert!(!change.summary.enabled);
    let yt = url("https://youtu.be/dQw4w9WgXcQ");
    assert_eq!(
        registry.route(&yt).as_deref(),
        Some("generic"),
        "a disabled plugin is not routed to"
    );
    assert!(registry.resolve("youtube", yt.as_str()).await.is_err());
    drop(registry);
    let again = PluginRegistry::start(test_config(tmp.path()), CancellationToken::new())
        .await
        .unwrap();
    assert!(
        !again
            .list()
            .iter()
            .find(|p| p.name == "youtube")
            .unwrap()
            .enabled
    );
    again.set_enabled("youtube", true).await.unwrap();
    assert_eq!(again.route(&yt).as_deref(), Some("youtube"));
    assert!(matches!(
        again.set_enabled("nope", true).await,
        Err(PluginAdminError::NotFound)
    ));
}

#[tokio::test]
async fn a_directory_plugin_overrides_a_built_in_and_removal_restores_it() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let builtin_sha = registry
        .list()
        .into_iter()
        .find(|p| p.name == "generic")
        .unwrap()
        .sha256;
    assert!(matches!(
        registry.remove("generic").await,
        Err(PluginAdminError::Conflict(_))
    ));
    // An upload of a plugin named like a built-in overrides it.
    let mut bytes = plugin_bytes("generic");
    bytes.extend_from_slice(b"\0"); // not a valid module any more: refused
    assert!(registry.install_upload(bytes).await.is_err());
    let change = registry
        .install_upload(plugin_bytes("generic"))
        .await
        .unwrap();
    assert_eq!(change.summary.source, PluginSource::Upload);
    let removed = registry.remove("generic").await.unwrap();
    assert_eq!(removed.summary.name, "generic");
    let back = registry
        .list()
        .into_iter()
        .find(|p| p.name == "generic")
        .unwrap();
    assert_eq!(back.source, PluginSource::BuiltIn);
    assert_eq!(back.sha256, builtin_sha);
    assert!(matches!(
        registry.remove("nope").await,
        Err(PluginAdminError::NotFound)
    ));
}

#[tokio::test]
async fn a_dropped_plugin_that_wants_any_host_needs_an_admin_upload_sec_42() {
    let tmp = tempfile::tempdir().unwrap();
    // Someone who can write PLUGIN_DIRECTORY drops a plugin that declares `*`.
    let registry = registry_with(tmp.path(), &["generic"]).await;
    let generic = |r: &PluginRegistry| r.list().into_iter().find(|p| p.name == "generic").unwrap();
    assert_eq!(
        generic(&registry).source,
        PluginSource::BuiltIn,
        "the file did not load"
    );
    let errors = registry.directory_errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].1.contains("declares `*`"), "{errors:?}");
    // An admin uploads the same module through the API: that is the approval.
    let change = registry
        .install_upload(plugin_bytes("generic"))
        .await
        .unwrap();
    assert_eq!(change.summary.source, PluginSource::Upload);
    drop(registry);
    // It survives a restart, for exactly that module.
    let again = PluginRegistry::start(test_config(tmp.path()), CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(generic(&again).source, PluginSource::Upload);
    assert!(again.directory_errors().is_empty());
}
