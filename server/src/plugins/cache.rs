//! Compiled plugin code. Deserialising an artifact runs whatever machine code it holds, so
//! only two kinds are ever deserialised (SEC-44):
//! - the artifacts `build.rs` precompiled into this binary (trusted like the binary itself),
//!   which are written into the cache below on first use and mapped from there;
//! - this host's own cache, kept in `DATA_DIRECTORY/cache/plugins` (outside PLUGIN_DIRECTORY,
//!   where admins and uploads drop `.wasm` files), each file carrying an HMAC-SHA256 tag keyed
//!   from the server's secret. A file whose tag does not verify (swapped, edited, written by
//!   someone else) is deleted and the module compiled again.
//!
//! Bytes that arrive already precompiled (an upload, a file in PLUGIN_DIRECTORY) are refused
//! (SEC-21): a `.wasm` component is the only thing a plugin author hands over.

// The crate denies unsafe code; deserialising wasmtime artifacts and releasing the
// executable's pages are the exceptions, each with its SAFETY argument.
#![allow(unsafe_code)]

use super::builtin::BuiltinPlugin;
use super::engine_config::engine_hash;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

type HmacSha256 = Hmac<Sha256>;

/// Where a plugin's machine code came from (logged, and checked by tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeOrigin {
    /// This host's signed cache.
    SignedCache,
    /// The artifact build.rs precompiled into the binary.
    BuildArtifact,
    /// Compiled now.
    Compiled,
}
/// Length of the tag kept beside every cache file (`<file>.sig`).
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

    /// The MAC of one cache file, fed its name (the module's SHA-256 and the engine's hash)
    /// and then its artifact, so a valid file copied over another module's name does not
    /// verify.
    fn mac(&self, file_name: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(file_name.as_bytes());
        mac.update(&[0]);
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
) -> Result<(Component, CodeOrigin), String> {
    if Engine::detect_precompiled(bytes).is_some() {
        return Err("precompiled artifacts are not accepted; upload the .wasm component".into());
    }
    if !bytes.starts_with(b"\0asm") {
        return Err("not a WebAssembly file".into());
    }
    let path = cache_path(engine, dir, sha256);
    if let Some(component) = load_verified(engine, &path, key) {
        return Ok((component, CodeOrigin::SignedCache));
    }
    let component = Component::from_binary(engine, bytes).map_err(|e| format!("{e:#}"))?;
    let stored = component
        .serialize()
        .map_err(super::wasm_error::wasm_error)
        .and_then(|artifact| store_signed(&artifact, &path, key));
    if let Err(e) = stored {
        tracing::warn!(path = %path.display(), "could not cache a compiled plugin: {e:#}");
    }
    Ok((component, CodeOrigin::Compiled))
}

/// A built-in plugin, compiling nothing when its build-time artifact fits this engine (the
/// default settings): the artifact is written once into the signed cache and mapped from
/// there, so its code pages are shared with the page cache instead of copied into memory.
/// Other settings (PLUGIN_MEMORY_LIMIT_MIB, another CPU) compile it like any plugin.
pub(crate) fn load_builtin(
    engine: &Engine,
    plugin: &BuiltinPlugin,
    dir: &Path,
    key: &CacheKey,
) -> Result<(Component, CodeOrigin), String> {
    let path = cache_path(engine, dir, plugin.sha256);
    if let Some(component) = load_verified(engine, &path, key) {
        return Ok((component, CodeOrigin::SignedCache));
    }
    if plugin.engine_hash == engine_hash(engine) {
        let stored = store_signed(plugin.artifact, &path, key);
        // Those pages of the executable were read once, for the copy; let them go.
        release_pages(plugin.artifact);
        match stored {
            Ok(()) => {
                if let Some(component) = load_verified(engine, &path, key) {
                    return Ok((component, CodeOrigin::BuildArtifact));
                }
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), "could not cache a built-in plugin: {e:#}");
                // SAFETY: the bytes are part of this executable (include_bytes! of build.rs's
                // output), made by `Engine::precompile_component` of this wasmtime version
                // for these settings (same engine hash); wasmtime checks the header and the
                // settings again before using them.
                if let Ok(component) = unsafe { Component::deserialize(engine, plugin.artifact) } {
                    return Ok((component, CodeOrigin::BuildArtifact));
                }
            }
        }
    }
    compile(engine, plugin.wasm, plugin.sha256, dir, key)
}

fn cache_path(engine: &Engine, dir: &Path, sha256: &str) -> PathBuf {
    dir.join(format!("{sha256}-{}.cwasm", engine_hash(engine)))
}

/// Maps a cache file whose tag verifies; removes it when it does not (SEC-44).
fn load_verified(engine: &Engine, path: &Path, key: &CacheKey) -> Option<Component> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    match verify_file(path, &name, key) {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(path = %path.display(), "discarding a plugin cache file whose signature does not verify (SEC-44)");
            remove_entry(path);
            return None;
        }
        Err(_) => return None,
    }
    // SAFETY: the tag just verified proves this host wrote the file with
    // `Component::serialize`/`precompile_component` (only the holder of the server's secret
    // can make it). The file sits in the server's private cache folder (0700): replacing it
    // between the check and the mapping takes write access to DATA_DIRECTORY, which already
    // holds the secret itself. wasmtime checks the header and engine settings too.
    match unsafe { Component::deserialize_file(engine, path) } {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(path = %path.display(), "ignoring a stale plugin cache entry: {e:#}");
            remove_entry(path);
            None
        }
    }
}

/// Whether `<file>.sig` holds the MAC of the file's name and content. The tag sits beside
/// the artifact, not in it, so that wasmtime can map the artifact file as it is. Streams the
/// file so that checking a large artifact allocates nothing large.
fn verify_file(path: &Path, name: &str, key: &CacheKey) -> std::io::Result<bool> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let Ok(tag) = std::fs::read(signature_path(path)) else {
        return Ok(false);
    };
    let mut mac = key.mac(name);
    let mut buffer = [0u8; 64 * 1024];
    loop {
        match file.read(&mut buffer)? {
            0 => break,
            n => mac.update(&buffer[..n]),
        }
    }
    Ok(tag.len() == TAG_BYTES && mac.verify_slice(&tag).is_ok())
}

fn signature_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

fn remove_entry(path: &Path) {
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(signature_path(path));
}

/// Writes the artifact, then its signature, each under a unique name renamed into place:
/// readers never see half a file, and an artifact without its signature is never used.
fn store_signed(artifact: &[u8], path: &Path, key: &CacheKey) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut mac = key.mac(&name);
    mac.update(artifact);
    let _ = std::fs::remove_file(signature_path(path));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, artifact)?;
    tmp.persist(path)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, &mac.finalize().into_bytes())?;
    tmp.persist(signature_path(path))?;
    Ok(())
}

/// The cache folder, readable by the server's user only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Lets the kernel reclaim the pages of the executable that hold `bytes` (read-only data,
/// read once). Best effort: kernels before 5.4 do not know MADV_PAGEOUT.
fn release_pages(bytes: &'static [u8]) {
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .and_then(|p| usize::try_from(p).ok())
        .unwrap_or(4096);
    let start = (bytes.as_ptr() as usize).next_multiple_of(page);
    let end = (bytes.as_ptr() as usize + bytes.len()) / page * page;
    if end <= start {
        return;
    }
    let Some(address) = std::ptr::NonNull::new(start as *mut std::ffi::c_void) else {
        return;
    };
    // SAFETY: the range lies inside `bytes`, a read-only, file-backed part of the executable.
    // MADV_PAGEOUT only reclaims its pages; their contents do not change (a later read pages
    // them in again from the file), so `bytes` stays valid for every reader.
    let _ = unsafe {
        nix::sys::mman::madvise(
            address,
            end - start,
            nix::sys::mman::MmapAdvise::MADV_PAGEOUT,
        )
    };
}
