//! Turns failures into classified, actionable messages (SEC-6). Raw subprocess output and
//! library errors are logged by the caller; only the messages below ever reach users.

use super::model::ExecutionError;

/// Classifies yt-dlp's stderr after a non-zero exit. Checked in order: the most specific
/// causes first, so "HTTP Error 403" inside a sign-in message still reads as sign-in.
pub fn classify_ytdlp_stderr(stderr: &str) -> ExecutionError {
    let s = stderr.to_ascii_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|n| s.contains(n));

    if has(&["no space left on device", "errno 28", "disk quota exceeded"]) {
        return ExecutionError::transient(
            "The download folder is full: free some space, will retry",
        );
    }
    if has(&[
        "ffmpeg not found",
        "ffprobe and ffmpeg not found",
        "ffmpeg is not installed",
        "ffmpeg-location",
    ]) {
        return ExecutionError::permanent(
            "ffmpeg is missing on the server: ask the admin to install it",
        );
    }
    if has(&[
        "confirm your age",
        "age-restricted",
        "age restricted",
        "inappropriate for some users",
    ]) {
        return ExecutionError::permanent(
            "The item is age-restricted: the site asks for sign-in, add cookies",
        );
    }
    if has(&[
        "sign in to confirm",
        "login required",
        "requires authentication",
        "use --cookies",
        "--cookies-from-browser",
        "members-only",
        "this video is private",
        "private video",
        "log in to",
    ]) {
        return ExecutionError::permanent("The site asks for sign-in: add cookies");
    }
    if has(&[
        "available in your country",
        "geo restrict",
        "geo-restrict",
        "geoblock",
        "from your location",
    ]) {
        return ExecutionError::permanent(
            "Not available from this server's location (geo-blocked)",
        );
    }
    if has(&["unsupported url"]) {
        return ExecutionError::permanent("This URL is not supported: no extractor recognises it");
    }
    if let Some(e) = classify_http_mention(&s) {
        return e;
    }
    if has(&[
        "requested format is not available",
        "no video formats found",
        "no formats found",
    ]) {
        return ExecutionError::permanent("No downloadable audio was found at this URL");
    }
    if has(&[
        "video unavailable",
        "has been removed",
        "is not available",
        "no longer available",
    ]) {
        return ExecutionError::permanent("The item is unavailable: it may have been removed");
    }
    if has(&[
        "timed out",
        "timeout",
        "connection refused",
        "connection reset",
        "temporary failure in name resolution",
        "name or service not known",
        "network is unreachable",
        "unable to download webpage",
        "urlopen error",
        "incompleteread",
        "remote end closed",
        "connection aborted",
        "ssl",
        "getaddrinfo",
    ]) {
        return ExecutionError::transient("Network error, will retry");
    }
    ExecutionError::transient(
        "The download failed (yt-dlp reported an error; details are in the server log), will retry",
    )
}

/// SEC-40: the one message of a job whose source tried to reach a refused address (by a
/// redirect, a meta refresh, a manifest, a segment, an embed or a thumbnail). It is the same
/// whatever was refused and however yt-dlp then ended, so a failure says nothing about what
/// lives at a private address.
pub fn egress_refused() -> ExecutionError {
    ExecutionError::permanent(
        "The source tried to reach an address this server does not allow (a private or local network)",
    )
}

/// SEC-40: the chosen format streams over a protocol other than HTTP(S), HLS or DASH (rtmp,
/// rtsp, mms…), which would bypass the server's egress checks.
pub fn protocol_refused() -> ExecutionError {
    ExecutionError::permanent(
        "The source streams over a protocol this server does not allow (only HTTP, HTTPS, HLS and DASH)",
    )
}

/// Finds "HTTP Error NNN" in yt-dlp's output.
fn classify_http_mention(lower: &str) -> Option<ExecutionError> {
    let at = lower.find("http error ")?;
    let code: String = lower[at + 11..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    code.parse().ok().map(classify_http_status)
}

/// The message for an HTTP status that ended a download.
pub fn classify_http_status(status: u16) -> ExecutionError {
    match status {
        401 => ExecutionError::permanent("The site asks for sign-in (HTTP 401): add cookies"),
        403 => ExecutionError::permanent("Access denied (HTTP 403): the site refused the download"),
        404 => ExecutionError::permanent(
            "Not found (HTTP 404): the link is wrong or the item was removed",
        ),
        410 => ExecutionError::permanent("Gone (HTTP 410): the item was removed"),
        451 => ExecutionError::permanent("Unavailable for legal reasons (HTTP 451)"),
        408 | 425 | 429 => ExecutionError::transient(format!(
            "The site is rate limiting or busy (HTTP {status}), will retry"
        )),
        500..=599 => ExecutionError::transient(format!(
            "The site had a server error (HTTP {status}), will retry"
        )),
        _ => ExecutionError::permanent(format!("The site answered HTTP {status}")),
    }
}

/// Classifies an error from the native HTTP client.
pub fn classify_reqwest(err: &reqwest::Error) -> ExecutionError {
    if err.is_redirect() {
        // Our redirect policy refuses hops to private addresses and loops (SEC-4).
        return ExecutionError::permanent("The link redirects to a refused address or loops");
    }
    if let Some(status) = err.status() {
        return classify_http_status(status.as_u16());
    }
    if is_policy_refusal(err) {
        return ExecutionError::permanent("The link points at a private or refused address");
    }
    if err.is_timeout() || err.is_connect() || err.is_request() || err.is_body() {
        return ExecutionError::transient("Network error, will retry");
    }
    ExecutionError::transient("Network error, will retry")
}

fn is_policy_refusal(err: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    while let Some(e) = source {
        if e.downcast_ref::<crate::net::UrlRejection>().is_some() {
            return true;
        }
        source = e.source();
    }
    false
}

/// Classifies a local I/O failure (temp folder, final move).
pub fn classify_io(err: &std::io::Error) -> ExecutionError {
    if err.raw_os_error() == Some(28) || err.kind() == std::io::ErrorKind::StorageFull {
        return ExecutionError::transient(
            "The download folder is full: free some space, will retry",
        );
    }
    if err.kind() == std::io::ErrorKind::PermissionDenied {
        return ExecutionError::permanent(
            "The server cannot write to its download folder: check its permissions",
        );
    }
    ExecutionError::transient("Could not write the file on the server, will retry")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::ErrorClass::{Permanent, Transient};

    #[test]
    fn common_ytdlp_failures_get_actionable_messages() {
        let cases = [
            (
                "ERROR: [generic] Unable to download webpage: HTTP Error 404: Not Found",
                Permanent,
                "HTTP 404",
            ),
            (
                "ERROR: unable to download video data: HTTP Error 403: Forbidden",
                Permanent,
                "HTTP 403",
            ),
            ("ERROR: HTTP Error 410: Gone", Permanent, "HTTP 410"),
            (
                "ERROR: HTTP Error 503: Service Unavailable",
                Transient,
                "HTTP 503",
            ),
            (
                "ERROR: [youtube] x: Sign in to confirm you're not a bot. Use --cookies-from-browser",
                Permanent,
                "add cookies",
            ),
            (
                "ERROR: [youtube] x: Sign in to confirm your age",
                Permanent,
                "age-restricted",
            ),
            (
                "ERROR: The uploader has not made this video available in your country",
                Permanent,
                "geo-blocked",
            ),
            (
                "ERROR: Unsupported URL: https://example.com/",
                Permanent,
                "not supported",
            ),
            (
                "ERROR: Postprocessing: ffprobe and ffmpeg not found. Please install",
                Permanent,
                "ffmpeg is missing",
            ),
            (
                "ERROR: unable to write data: [Errno 28] No space left on device",
                Transient,
                "full",
            ),
            (
                "ERROR: Unable to download webpage: <urlopen error [Errno 111] Connection refused>",
                Transient,
                "Network error",
            ),
            ("ERROR: Read timed out.", Transient, "Network error"),
            ("something nobody expected", Transient, "server log"),
        ];
        for (stderr, class, needle) in cases {
            let e = classify_ytdlp_stderr(stderr);
            assert_eq!(e.class, class, "{stderr}");
            assert!(e.message.contains(needle), "{stderr} → {}", e.message);
            assert!(
                !e.message.contains("ERROR"),
                "raw text leaked: {}",
                e.message
            );
        }
    }

    #[test]
    fn stderr_never_leaks_into_the_message_sec_6() {
        let secret = "ERROR: /home/admin/secret-path HTTP Error 404 token=abc123";
        let e = classify_ytdlp_stderr(secret);
        assert!(!e.message.contains("secret") && !e.message.contains("abc123"));
    }
}
