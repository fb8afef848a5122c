//! The wasmtime settings that decide how plugin code is compiled. Shared, through `#[path]`,
//! by the server and by `server/build.rs`, which precompiles the default plugins with exactly
//! these settings so that the binary starts without compiling anything (a precompiled
//! artifact only loads into an engine whose code-generation settings match).
//!
//! Keep this file free of crate imports: the build script compiles it on its own.

/// The memory cap of one plugin instance unless PLUGIN_MEMORY_LIMIT_MIB says otherwise.
pub const DEFAULT_MEMORY_LIMIT_BYTES: usize = 64 << 20;

/// The cap actually applied: at least 1 MiB, in whole wasm pages.
pub fn effective_memory_limit(requested: usize) -> usize {
    requested.max(1 << 20).next_multiple_of(1 << 16)
}

/// Code-generation settings for a given memory cap (the cap is compiled into bounds checks).
pub fn compilation_config(memory_limit: usize) -> wasmtime::Config {
    let mut wasm = wasmtime::Config::new();
    wasm.wasm_component_model(true)
        .epoch_interruption(true)
        .memory_reservation(memory_limit as u64)
        .memory_guard_size(64 << 10);
    wasm
}

/// A short name for the engine's code-generation settings (wasmtime's compatibility hash):
/// it names cache files, and tells whether build.rs's artifacts fit this engine.
pub fn engine_hash(engine: &wasmtime::Engine) -> String {
    use std::hash::{Hash, Hasher};
    // DefaultHasher::new() has fixed keys: the same settings give the same name in build.rs
    // and in the server, which one compiler built.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}
