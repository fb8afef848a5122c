//! URL patterns, shared by plugins (for their unit tests) and the host (for routing).
//!
//! Syntax: `[scheme://]host[/path]`. `*` matches any run of characters. A host of
//! `*.example.com` matches `example.com` and every subdomain; a host of `*` matches any host.
//! A missing path matches every path. The query string, fragment and port are ignored;
//! matching is ASCII case-insensitive. Examples: `*.youtube.com/watch*`, `youtu.be/*`,
//! `*/*.mp3`, `*`. Patterns and declared hosts compare host names only, so one written with
//! a port (`example.com:8080/*`, `example.com:8080`) matches nothing.

use url::Url;

/// A parsed URL pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPattern {
    scheme: Option<String>,
    host: String,
    path: Option<String>,
}

/// Why a pattern string was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

impl UrlPattern {
    /// Parses a pattern; refuses empty ones, non-http schemes and overlong strings.
    pub fn parse(raw: &str) -> Result<Self, PatternError> {
        let lower = raw.trim().to_ascii_lowercase();
        if lower.is_empty() || lower.len() > 512 {
            return Err(PatternError(format!(
                "pattern {raw:?} is empty or too long"
            )));
        }
        let (scheme, rest) = match lower.split_once("://") {
            Some((s, rest)) if s == "http" || s == "https" || s == "*" => {
                (Some(s.to_owned()).filter(|s| s != "*"), rest)
            }
            Some(_) => return Err(PatternError(format!("pattern {raw:?}: only http(s)"))),
            None => (None, lower.as_str()),
        };
        let (host, path) = match rest.find('/') {
            Some(i) => (&rest[..i], Some(rest[i..].to_owned())),
            None => (rest, None),
        };
        if host.is_empty() {
            return Err(PatternError(format!("pattern {raw:?} has no host")));
        }
        Ok(Self {
            scheme,
            host: host.to_owned(),
            path: path.filter(|p| p != "/*"),
        })
    }

    /// Whether the URL matches.
    pub fn matches(&self, url: &Url) -> bool {
        if self.scheme.as_deref().is_some_and(|s| s != url.scheme()) {
            return false;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if !host_matches(&self.host, &host) {
            return false;
        }
        match &self.path {
            None => true,
            Some(p) => glob(p.as_bytes(), url.path().to_ascii_lowercase().as_bytes()),
        }
    }
}

/// Whether `host` is `declared`, or a subdomain of it when it is written `*.domain`.
/// Also used for the `hosts` a plugin may reach.
pub fn host_matches(declared: &str, host: &str) -> bool {
    let declared = declared.trim_end_matches('.');
    if declared == "*" {
        return true;
    }
    if let Some(domain) = declared.strip_prefix("*.") {
        return host.eq_ignore_ascii_case(domain)
            || (host.len() > domain.len() + 1
                && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
                && host[host.len() - domain.len()..].eq_ignore_ascii_case(domain));
    }
    if declared.contains('*') {
        return glob(declared.as_bytes(), host.as_bytes());
    }
    declared.eq_ignore_ascii_case(host)
}

/// Whether any of `patterns` matches `url` (unparsable patterns never match).
pub fn any_matches(patterns: &[&str], url: &Url) -> bool {
    patterns
        .iter()
        .filter_map(|p| UrlPattern::parse(p).ok())
        .any(|p| p.matches(url))
}

/// `*` matches any run of bytes; iterative with single backtracking, so linear-ish.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, url: &str) -> bool {
        UrlPattern::parse(pattern)
            .unwrap()
            .matches(&Url::parse(url).unwrap())
    }

    #[test]
    fn hosts_paths_and_wildcards_match_as_documented() {
        assert!(m(
            "*.youtube.com/watch*",
            "https://www.youtube.com/watch?v=x"
        ));
        assert!(m("*.youtube.com/watch*", "https://youtube.com/watch?v=x"));
        assert!(!m(
            "*.youtube.com/watch*",
            "https://notyoutube.com/watch?v=x"
        ));
        assert!(m("youtu.be/*", "https://YOUTU.BE/abc"));
        assert!(m("*/*.mp3", "http://cdn.example.org/a/b/Song.MP3?sig=1"));
        assert!(!m("*/*.mp3", "http://cdn.example.org/a.mp3/page"));
        assert!(m("*", "https://anything.example/"));
        assert!(m("https://a.com", "https://a.com/x"));
        assert!(!m("https://a.com", "http://a.com/x"));
    }

    #[test]
    fn bad_patterns_are_refused() {
        assert!(UrlPattern::parse("").is_err());
        assert!(UrlPattern::parse("ftp://x/*").is_err());
        assert!(UrlPattern::parse("/only/path").is_err());
    }

    #[test]
    fn declared_hosts_match_exactly_or_as_subdomains() {
        assert!(host_matches("*.example.com", "api.example.com"));
        assert!(host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "badexample.com"));
        assert!(!host_matches("example.com", "api.example.com"));
        assert!(host_matches("127.0.0.1", "127.0.0.1"));
    }

    #[test]
    fn glob_does_not_blow_up() {
        let text = "a".repeat(2000);
        assert!(!glob(b"*a*a*a*a*a*b", text.as_bytes()));
    }
}
