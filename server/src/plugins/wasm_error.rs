//! wasmtime has its own error type; the rest of the server speaks anyhow.

pub(crate) fn wasm_error(error: wasmtime::Error) -> anyhow::Error {
    anyhow::anyhow!("{error:#}")
}
