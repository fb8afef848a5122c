//! Wrappers around the host's capabilities: logging, `http-get`, and the panic hook.

use super::bindings::nas_music::extractor::host;
use super::{HttpResponse, LogLevel, ResolveError};

/// Logs through the host (it lands in the server's log, tagged with the plugin's name).
pub fn log(level: LogLevel, message: &str) {
    host::log(level, message);
}

/// Forwards panic messages to the host log, so a crash shows *why* in the server log and in
/// the job's error. The register macro installs it on every call.
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            host::log(LogLevel::Error, &format!("panic: {info}"));
        }));
    });
}

/// GETs a URL on one of the declared hosts. Non-2xx statuses are returned, not errors.
pub fn http_get(url: &str, headers: &[(&str, &str)]) -> Result<HttpResponse, ResolveError> {
    let headers = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect::<Vec<_>>();
    host::http_get(url, &headers).map_err(ResolveError::Network)
}

/// GETs a URL and returns its body as text; 404 → `NotFound`, other non-2xx → `Network`.
pub fn http_get_text(url: &str) -> Result<String, ResolveError> {
    let response = http_get(url, &[])?;
    match response.status {
        200..=299 => Ok(String::from_utf8_lossy(&response.body).into_owned()),
        404 | 410 => Err(ResolveError::NotFound(format!(
            "{url} answered {}",
            response.status
        ))),
        status => Err(ResolveError::Network(format!("{url} answered {status}"))),
    }
}

/// GETs a URL and parses its body as JSON.
pub fn http_get_json(url: &str) -> Result<serde_json::Value, ResolveError> {
    let text = http_get_text(url)?;
    serde_json::from_str(&text).map_err(|e| ResolveError::Parse(format!("{url}: {e}")))
}
