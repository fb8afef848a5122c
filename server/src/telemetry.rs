//! Logging: `tracing` to stderr as text or JSON (`LOG_FORMAT`), filtered by `RUST_LOG`
//! (default `info`, or `debug` with `DEBUG=true`).

use crate::config::{Config, LogFormat};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the global subscriber; a second call (as in tests) is a no-op.
pub fn init(config: &Config) {
    let default = if config.debug { "debug" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!("{default},sqlx=warn,cranelift=warn,wasmtime=warn"))
    });
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match config.log_format {
        LogFormat::Text => registry
            .with(fmt::layer().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init(),
    };
}
