//! Host bindings for every interface version the host accepts, side by side. Minor versions
//! only add functions, so all versions share the current version's data types (`with`).

/// The current interface, `nas-music:extractor@0.2.0`.
pub(crate) mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit",
        world: "plugin",
        imports: { default: async },
        exports: { default: async },
    });
}

/// The frozen first version, `nas-music:extractor@0.1.0` (no `log-enabled`).
pub(crate) mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit-frozen/0.1.0",
        world: "plugin",
        imports: { default: async },
        exports: { default: async },
        with: {
            "nas-music:extractor/types@0.1.0": super::v0_2::nas_music::extractor::types,
        },
    });
}

pub(crate) use v0_2::nas_music::extractor::types as wit;
