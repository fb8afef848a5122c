//! The author's local loop (see plugin-sdk/README.md): drop a built plugin into a plugin
//! directory, let the registry load it, route and resolve one URL through the real host.
//!
//! `NAS_TRY_PLUGIN=path/to/x.wasm NAS_TRY_URL=https://… cargo test -p nas-music-downloader
//! --lib plugins::tests::try_plugin -- --ignored --nocapture`

use super::*;

#[tokio::test]
#[ignore = "manual: needs NAS_TRY_PLUGIN and NAS_TRY_URL"]
async fn try_plugin() {
    let wasm = std::env::var("NAS_TRY_PLUGIN").expect("set NAS_TRY_PLUGIN to a .wasm file");
    let target = std::env::var("NAS_TRY_URL").expect("set NAS_TRY_URL");
    let tmp = tempfile::tempdir().unwrap();
    let mut config = test_config(tmp.path());
    config.address_policy = AddressPolicy::PublicOnly;
    std::fs::create_dir_all(&config.plugin_directory).unwrap();
    std::fs::copy(&wasm, config.plugin_directory.join("try.wasm")).unwrap();
    let registry = PluginRegistry::start(config, CancellationToken::new())
        .await
        .unwrap();
    let errors = registry.directory_errors();
    assert!(errors.is_empty(), "the plugin did not load: {errors:?}");
    let mine = registry
        .list()
        .into_iter()
        .find(|p| p.source != crate::plugins::PluginSource::BuiltIn);
    println!("loaded: {mine:#?}");
    let route = registry.route(&url(&target));
    println!("routed to: {route:?}");
    let name = route.expect("no plugin claims this URL");
    println!("resolution: {:#?}", registry.resolve(&name, &target).await);
}
