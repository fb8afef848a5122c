//! `nas-music-downloader healthcheck`: exit 0 when the server on this machine answers
//! `/health` with 200, 1 otherwise. It reads only HOST and PORT (from the environment or
//! `.env`), never the rest of the configuration, so it has no side effects.

use std::time::Duration;

/// The exit code for the health of the local server.
pub async fn run() -> i32 {
    let _ = dotenvy::dotenv();
    let url = health_url(
        std::env::var("HOST").ok().as_deref(),
        std::env::var("PORT").ok().as_deref(),
    );
    let client = match reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            eprintln!("healthcheck: {e}");
            return 1;
        }
    };
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => 0,
        Ok(r) => {
            eprintln!("healthcheck: {url} answered {}", r.status());
            1
        }
        Err(e) => {
            eprintln!("healthcheck: {url}: {e}");
            1
        }
    }
}

/// Where the local server listens: a wildcard HOST means "ask loopback".
fn health_url(host: Option<&str>, port: Option<&str>) -> String {
    let port = port
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .unwrap_or("8000");
    let host = match host.map(str::trim).unwrap_or("") {
        "" | "0.0.0.0" => "127.0.0.1".to_owned(),
        "::" | "[::]" => "[::1]".to_owned(),
        h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
        h => h.to_owned(),
    };
    format!("http://{host}:{port}/health")
}

#[cfg(test)]
mod tests {
    use super::health_url;

    #[test]
    fn wildcard_addresses_are_asked_on_loopback() {
        assert_eq!(health_url(None, None), "http://127.0.0.1:8000/health");
        assert_eq!(
            health_url(Some("0.0.0.0"), Some("9000")),
            "http://127.0.0.1:9000/health"
        );
        assert_eq!(health_url(Some("::"), None), "http://[::1]:8000/health");
        assert_eq!(
            health_url(Some("fd00::5"), Some("80")),
            "http://[fd00::5]:80/health"
        );
        assert_eq!(
            health_url(Some("192.168.1.2"), None),
            "http://192.168.1.2:8000/health"
        );
    }
}
