//! The `nas-music-downloader` binary: read the configuration, start logging, bind, and hand
//! everything else to the library's `run`. `nas-music-downloader healthcheck` asks a running
//! server's `/health` instead (the Docker HEALTHCHECK; the image has no curl).
#![forbid(unsafe_code)]

use nas_music_downloader::{config::Config, healthcheck, run, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("healthcheck") => std::process::exit(healthcheck::run().await),
        Some("--version" | "-V") => {
            println!("nas-music-downloader {}", env!("CARGO_PKG_VERSION"));
            return Ok(());
        }
        Some(other) => {
            eprintln!(
                "unknown argument {other:?}\nusage: nas-music-downloader [healthcheck | --version]\nSettings come from the environment or a .env file (see README.md)."
            );
            std::process::exit(2);
        }
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("configuration error: {err}");
            std::process::exit(2);
        }
    };
    telemetry::init(&config);
    let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port))
        .await
        .map_err(|err| {
            anyhow::anyhow!("cannot listen on {}:{}: {err}", config.host, config.port)
        })?;
    run(config, listener, shutdown_signal()).await
}
