//! The `nas-music-downloader` binary: read the configuration, start logging, bind, and hand
//! everything else to the library's `run`.
#![forbid(unsafe_code)]

use nas_music_downloader::{config::Config, run, shutdown_signal, telemetry};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
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
