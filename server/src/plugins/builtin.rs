//! The default plugins carried inside the binary (built and precompiled by `server/build.rs`).

/// One default plugin as `build.rs` embedded it.
pub(crate) struct BuiltinPlugin {
    pub name: &'static str,
    /// The component, compiled only when `artifact` does not fit this engine.
    pub wasm: &'static [u8],
    /// Hex SHA-256 of `wasm`, computed at build time (hashing it here would read it all).
    pub sha256: &'static str,
    /// `wasm` precompiled with the default engine settings.
    pub artifact: &'static [u8],
    /// `engine_config::engine_hash` of the engine that compiled `artifact`.
    pub engine_hash: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
