//! Compiled plugin code. Deserialising an artifact runs whatever machine code it holds, so
//! only two kinds are ever deserialised (SEC-44):
//! - the artifacts `build.rs` precompiled into this binary (trusted like the binary itself);
//! - this host's own cache, kept in `DATA_DIRECTORY/cache/plugins` (outside PLUGIN_DIRECTORY,
//!   where admins and uploads drop `.wasm` files), each file carrying an HMAC-SHA256 tag keyed
//!   from the server's secret. A file whose tag does not verify (swapped, edited, written by
//!   someone else) is deleted and the module compiled again.
//!
//! Bytes that arrive already precompiled (an upload, a file in PLUGIN_DIRECTORY) are refused
//! (SEC-21): a `.wasm` component is the only thing a plugin author hands over.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::{Engine, Precompiled};

type HmacSha256 = Hmac<Sha256>;
/// Length of the tag that starts every cache file.
const TAG_BYTES: usize = 32;

/// Hex SHA-256 of a module.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The key that signs cache files: derived from the server's secret, never the secret itself.
#[derive(Clone)]
pub struct CacheKey([u8; 32]);

impl CacheKey {
    pub fn derive(server_secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(server_secret).expect("HMAC takes any key length");
        mac.update(b"nas-music-downloader/plugin-artifact-cache/v1");
        Self(mac.finalize().into_bytes().into())
    }

    /// A key nobody else knows, for hosts built without a server secret (tests, benches):
    /// their cache is valid for this process only.
    pub fn ephemeral() -> Self {
        Self(rand::random())
    }

    /// The MAC of one cache file: its name (the module's SHA-256 and the engine's hash) and
    /// its artifact, so a valid file copied over another module's name does not verify.
    fn mac(&self, file_name: &str, artifact: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(file_name.as_bytes());
        mac.update(&[0]);
        mac.update(artifact);
        mac
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CacheKey(<redacted>)")
    }
}

/// The cache folder inside DATA_DIRECTORY.
pub(crate) fn cache_dir(data_directory: &Path) -> PathBuf {
    data_directory.join("cache").join("plugins")
}

/// Compiles `bytes` (a component in binary form), or loads this host's verified artifact.
pub(crate) fn compile(
    engine: &Engine,
    bytes: &[u8],
    sha256: &str,
    dir: &Path,
    key: &CacheKey,
) -> Result<Component, String> {
    if Engine::detect_precompiled(bytes).is_some() {
        return Err("precompiled artifacts are not accepted; upload the .wasm component".into());
    }
    if !bytes.starts_with(b"\0asm") {
        return Err("not a WebAssembly file".into());
    }
    let path = dir.join(format!("{sha256}-{}.cwasm", engine_hash(engine)));
    if let Some(component) = load_verified(engine, &path, key) {
        return Ok(component);
    }
    let component = Component::from_binary(engine, bytes).map_err(|e| format!("{e:#}"))?;
    if let Err(e) = store_signed(&component, &path, key) {
        tracing::warn!(path = %path.display(), "could not cache a compiled plugin: {e:#}");
    }
    Ok(component)
}

/// A built-in plugin's artifact from `build.rs`, if this engine's settings match the ones it
/// was compiled for (they do unless PLUGIN_MEMORY_LIMIT_MIB changed or the binary moved to a
/// CPU with other features); `None` means "compile it instead".
pub(crate) fn deserialize_builtin(engine: &Engine, artifact: &[u8]) -> Option<Component> {
    if Engine::detect_precompiled(artifact) != Some(Precompiled::Component) {
        return None;
    }
    // SAFETY: the bytes are part of this executable (include_bytes! of build.rs's output),
    // produced by `Engine::precompile_component` of the same wasmtime version; wasmtime
    // checks the header and the engine's settings before using them.
    match unsafe { Component::deserialize(engine, artifact) } {
        Ok(component) => Some(component),
        Err(e) => {
            tracing::debug!("built-in plugin artifact not usable with these settings: {e:#}");
            None
        }
    }
}

fn load_verified(engine: &Engine, path: &Path, key: &CacheKey) -> Option<Component> {
    let file = std::fs::read(path).ok()?;
    let name = path.file_name()?.to_string_lossy();
    let verified = file.len() > TAG_BYTES && {
        let (tag, artifact) = file.split_at(TAG_BYTES);
        key.mac(&name, artifact).verify_slice(tag).is_ok()
    };
    if !verified {
        tracing::warn!(path = %path.display(), "discarding a plugin cache file whose signature does not verify (SEC-44)");
        let _ = std::fs::remove_file(path);
        return None;
    }
    let artifact = &file[TAG_BYTES..];
    if Engine::detect_precompiled(artifact) != Some(Precompiled::Component) {
        let _ = std::fs::remove_file(path);
        return None;
    }
    // SAFETY: the tag proves this host wrote these bytes with `Component::serialize` (only
    // the holder of the server's secret can produce it); wasmtime additionally checks the
    // header and the engine's settings before loading.
    match unsafe { Component::deserialize(engine, artifact) } {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(path = %path.display(), "ignoring a stale plugin cache entry: {e:#}");
            let _ = std::fs::remove_file(path);
            None
        }
    }
}

fn store_signed(component: &Component, path: &Path, key: &CacheKey) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let artifact = component.serialize().map_err(super::engine::wasm_error)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let mac = key.mac(&name, &artifact);
    let mut file = Vec::with_capacity(TAG_BYTES + artifact.len());
    file.extend_from_slice(&mac.finalize().into_bytes());
    file.extend_from_slice(&artifact);
    // Written under a unique name, then renamed into place: readers never see half a file.
    let tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::fs::write(tmp.path(), &file)?;
    tmp.persist(path)?;
    Ok(())
}

fn engine_hash(engine: &Engine) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
