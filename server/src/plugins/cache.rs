//! Compiled-artifact cache in DATA_DIRECTORY, keyed by the module's SHA-256 and the engine's
//! compatibility hash. Only artifacts this host wrote are ever deserialised; bytes that
//! arrive already precompiled are refused (SEC-21).

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::{Engine, Precompiled};

/// Hex SHA-256 of a module.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn cache_dir(data_directory: &Path) -> PathBuf {
    data_directory.join("plugins").join("cache")
}

/// Compiles `bytes` (a component in binary form), or loads this host's cached artifact.
pub(crate) fn compile(
    engine: &Engine,
    bytes: &[u8],
    sha256: &str,
    dir: &Path,
) -> Result<Component, String> {
    if Engine::detect_precompiled(bytes).is_some() {
        return Err("precompiled artifacts are not accepted; upload the .wasm component".into());
    }
    if !bytes.starts_with(b"\0asm") {
        return Err("not a WebAssembly file".into());
    }
    let path = dir.join(format!("{sha256}-{}.cwasm", engine_hash(engine)));
    if let Some(component) = load_cached(engine, &path) {
        return Ok(component);
    }
    let component = Component::from_binary(engine, bytes).map_err(|e| format!("{e:#}"))?;
    if let Err(e) = store(&component, &path) {
        tracing::warn!(path = %path.display(), "could not cache a compiled plugin: {e:#}");
    }
    Ok(component)
}

fn load_cached(engine: &Engine, path: &Path) -> Option<Component> {
    if Engine::detect_precompiled_file(path).ok()?? != Precompiled::Component {
        return None;
    }
    // SAFETY: the file lives in our private cache folder and was produced by
    // `Component::serialize` of this engine configuration (the name carries its compatibility
    // hash); wasmtime additionally checks the header and engine settings before loading.
    match unsafe { Component::deserialize_file(engine, path) } {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(path = %path.display(), "ignoring a stale plugin cache entry: {e:#}");
            let _ = std::fs::remove_file(path);
            None
        }
    }
}

fn store(component: &Component, path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new(".")))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(
        &tmp,
        component.serialize().map_err(super::engine::wasm_error)?,
    )?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn engine_hash(engine: &Engine) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
