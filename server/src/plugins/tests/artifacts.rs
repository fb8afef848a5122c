//! SEC-44: compiled plugin code is cached outside PLUGIN_DIRECTORY, and a cache file is used
//! only when its HMAC (keyed from the server's secret, over its name and content) verifies;
//! anything else is discarded and the module compiled again.

use super::{plugin_bytes, test_config};
use crate::plugins::PluginHostConfig;
use crate::plugins::builtin::BUILTIN_PLUGINS;
use crate::plugins::cache::{CacheKey, CodeOrigin, cache_dir, sha256_hex};
use crate::plugins::engine::PluginEngine;
use crate::plugins::loaded::LoadedPlugin;
use std::path::PathBuf;

/// The one cache file the module `bytes` left in the cache folder.
fn cache_file_of(config: &PluginHostConfig, bytes: &[u8]) -> PathBuf {
    let sha = sha256_hex(bytes);
    std::fs::read_dir(cache_dir(&config.data_directory))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with(&sha) && name.ends_with(".cwasm")
        })
        .expect("a cache file named by the module's SHA-256")
}

fn sig(cache_file: &std::path::Path) -> PathBuf {
    PathBuf::from(format!("{}.sig", cache_file.display()))
}

fn load(engine: &PluginEngine, config: &PluginHostConfig, bytes: &[u8]) -> LoadedPlugin {
    LoadedPlugin::load(engine, bytes, config).expect("the plugin loads")
}

#[test]
fn the_artifact_cache_lives_outside_the_plugin_directory_sec_44() {
    let root = tempfile::tempdir().unwrap();
    let mut config = test_config(root.path());
    // Even when PLUGIN_DIRECTORY is the default folder inside DATA_DIRECTORY.
    config.plugin_directory = config.data_directory.join("plugins");
    let engine = PluginEngine::new(&config).unwrap();
    let bytes = plugin_bytes("panicker");
    load(&engine, &config, &bytes);
    let file = cache_file_of(&config, &bytes);
    assert!(!file.starts_with(&config.plugin_directory), "{file:?}");
    assert!(file.starts_with(&config.data_directory), "{file:?}");
}

#[test]
fn a_swapped_or_edited_artifact_is_discarded_and_recompiled_sec_44() {
    let root = tempfile::tempdir().unwrap();
    let config = test_config(root.path());
    let engine = PluginEngine::new(&config).unwrap();
    let victim = plugin_bytes("legacy-v0-1");
    let other = plugin_bytes("panicker");
    let victim_name = load(&engine, &config, &victim).info.name;
    let other_name = load(&engine, &config, &other).info.name;
    assert_ne!(victim_name, other_name);
    // Untouched, the cache is used.
    assert_eq!(
        load(&engine, &config, &victim).code_origin,
        CodeOrigin::SignedCache
    );
    let victim_file = cache_file_of(&config, &victim);
    let other_file = cache_file_of(&config, &other);

    // Another module's genuine, signed artifact copied over the victim's name.
    std::fs::copy(&other_file, &victim_file).unwrap();
    std::fs::copy(sig(&other_file), sig(&victim_file)).unwrap();
    let reloaded = load(&engine, &config, &victim);
    assert_eq!(reloaded.info.name, victim_name);
    assert_eq!(reloaded.code_origin, CodeOrigin::Compiled);
    assert_ne!(
        std::fs::read(&victim_file).unwrap(),
        std::fs::read(&other_file).unwrap(),
        "the impostor was replaced by a fresh compile"
    );

    // One byte of machine code changed.
    let mut edited = std::fs::read(&victim_file).unwrap();
    let last = edited.len() - 1;
    edited[last] ^= 0xff;
    std::fs::write(&victim_file, &edited).unwrap();
    let reloaded = load(&engine, &config, &victim);
    assert_eq!(reloaded.info.name, victim_name);
    assert_eq!(reloaded.code_origin, CodeOrigin::Compiled);
    assert_ne!(std::fs::read(&victim_file).unwrap(), edited);

    // A file signed by another server (another secret) is not trusted either.
    let mut stranger = config.clone();
    stranger.data_directory = root.path().join("stranger");
    stranger.cache_key = CacheKey::derive(b"someone else's secret");
    load(&engine, &stranger, &victim);
    let foreign_file = cache_file_of(&stranger, &victim);
    let foreign = std::fs::read(&foreign_file).unwrap();
    std::fs::write(&victim_file, &foreign).unwrap();
    std::fs::copy(sig(&foreign_file), sig(&victim_file)).unwrap();
    let reloaded = load(&engine, &config, &victim);
    assert_eq!(reloaded.info.name, victim_name);
    assert_eq!(reloaded.code_origin, CodeOrigin::Compiled);
    // Same machine code (one compiler, one module), but now under this server's signature.
    assert_ne!(
        std::fs::read(sig(&victim_file)).unwrap(),
        std::fs::read(sig(&foreign_file)).unwrap()
    );
}

#[test]
fn default_plugins_start_from_their_build_time_artifacts_without_compiling() {
    let root = tempfile::tempdir().unwrap();
    let config = PluginHostConfig {
        // The default memory cap: the settings build.rs precompiled for.
        memory_limit_bytes: crate::plugins::DEFAULT_MEMORY_LIMIT_BYTES,
        ..test_config(root.path())
    };
    let engine = PluginEngine::new(&config).unwrap();
    for builtin in BUILTIN_PLUGINS {
        let first = LoadedPlugin::load_builtin(&engine, builtin, &config).unwrap();
        assert_eq!(
            first.code_origin,
            CodeOrigin::BuildArtifact,
            "{}",
            builtin.name
        );
        // Written into the signed cache as it is, and mapped from there next time.
        let file = std::fs::read(cache_file_of(&config, builtin.wasm)).unwrap();
        assert_eq!(file, builtin.artifact, "{}", builtin.name);
        let again = LoadedPlugin::load_builtin(&engine, builtin, &config).unwrap();
        assert_eq!(
            again.code_origin,
            CodeOrigin::SignedCache,
            "{}",
            builtin.name
        );
        assert_eq!(builtin.sha256, sha256_hex(builtin.wasm));
    }
}
