//! The URL rules every fetched URL obeys: submitted by a user, returned by a plugin, or
//! reached by a redirect (SEC-1, SEC-2, SEC-4). The checks here need no DNS; the server's
//! `net::url_policy::check_destination` adds the lookup.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// The longest URL accepted, in bytes (SEC-2).
pub const MAX_URL_BYTES: usize = 2048;

pub use crate::address_policy::{AddressPolicy, ip_is_public};

/// Why a URL was refused; the message is safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRejection {
    #[error("the URL is empty")]
    Empty,
    #[error("the URL is longer than {MAX_URL_BYTES} bytes")]
    TooLong,
    #[error("the URL contains control characters or spaces")]
    ControlCharacters,
    #[error("the URL is not a valid absolute http(s) URL")]
    Malformed,
    #[error("only http and https URLs are accepted")]
    UnsupportedScheme,
    #[error("the URL has no host")]
    MissingHost,
    #[error("URLs with embedded credentials are not accepted")]
    Credentials,
    #[error("the URL points at a private, loopback or link-local address")]
    PrivateAddress,
    #[error("the URL's host could not be resolved")]
    Unresolvable,
}

/// Checks the shape of a URL (SEC-1, SEC-2): http/https only, at most 2048 bytes, no control
/// characters or whitespace, a host, no credentials. Strings such as `--exec=…` are refused
/// here because they do not parse as absolute http(s) URLs.
pub fn check_url_syntax(raw: &str) -> Result<Url, UrlRejection> {
    if raw.is_empty() {
        return Err(UrlRejection::Empty);
    }
    if raw.len() > MAX_URL_BYTES {
        return Err(UrlRejection::TooLong);
    }
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(UrlRejection::ControlCharacters);
    }
    // The URL crate accepts "http:foo" style relative-ish inputs; demand the explicit form.
    let lower = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return if raw.contains("://") || raw.starts_with("file:") {
            Err(UrlRejection::UnsupportedScheme)
        } else {
            Err(UrlRejection::Malformed)
        };
    }
    let url = Url::parse(raw).map_err(|_| UrlRejection::Malformed)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlRejection::UnsupportedScheme);
    }
    match url.host() {
        None => return Err(UrlRejection::MissingHost),
        Some(Host::Domain("")) => return Err(UrlRejection::MissingHost),
        Some(_) => {}
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRejection::Credentials);
    }
    Ok(url)
}

/// Refuses the set if the policy refuses any address in it (a name that resolves to one
/// public and one private address is refused: the connection could pick either).
pub fn check_addresses(
    ips: impl IntoIterator<Item = IpAddr>,
    policy: &AddressPolicy,
) -> Result<(), UrlRejection> {
    for ip in ips {
        if !policy.allows(ip) {
            return Err(UrlRejection::PrivateAddress);
        }
    }
    Ok(())
}

/// Checks a URL's literal host without DNS: used on redirect hops, where names are checked
/// by the guarded resolver at connect time.
pub fn check_literal_host(url: &Url, policy: &AddressPolicy) -> Result<(), UrlRejection> {
    match url.host() {
        Some(Host::Ipv4(ip)) => check_addresses([IpAddr::V4(ip)], policy),
        Some(Host::Ipv6(ip)) => check_addresses([IpAddr::V6(ip)], policy),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                // Always loopback (RFC 6761): allowed only where loopback is.
                check_addresses(
                    [
                        IpAddr::V4(Ipv4Addr::LOCALHOST),
                        IpAddr::V6(Ipv6Addr::LOCALHOST),
                    ],
                    policy,
                )
            } else {
                Ok(())
            }
        }
        None => Err(UrlRejection::MissingHost),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_like_strings_are_refused_sec_1() {
        for raw in [
            "--exec=touch pwned",
            "--batch-file=/etc/passwd",
            "-a",
            "-o /tmp/x",
        ] {
            assert!(check_url_syntax(raw).is_err(), "{raw} accepted");
        }
    }

    #[test]
    fn only_http_and_https_are_accepted_sec_2() {
        assert!(check_url_syntax("https://example.com/a.mp3").is_ok());
        assert!(check_url_syntax("HTTP://example.com/").is_ok());
        for raw in [
            "file:///etc/passwd",
            "ftp://x.org/a",
            "javascript:alert(1)",
            "data:,x",
        ] {
            assert!(check_url_syntax(raw).is_err(), "{raw} accepted");
        }
        assert_eq!(
            check_url_syntax("file:///etc/passwd"),
            Err(UrlRejection::UnsupportedScheme)
        );
    }

    #[test]
    fn length_and_control_characters_are_limited_sec_2() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES));
        assert_eq!(check_url_syntax(&long), Err(UrlRejection::TooLong));
        assert_eq!(
            check_url_syntax("https://example.com/\n--exec"),
            Err(UrlRejection::ControlCharacters)
        );
        assert_eq!(
            check_url_syntax("https://example.com/a b"),
            Err(UrlRejection::ControlCharacters)
        );
        assert_eq!(
            check_url_syntax("https://user:pw@example.com/"),
            Err(UrlRejection::Credentials)
        );
    }

    #[test]
    fn private_and_metadata_addresses_are_not_public_sec_4() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!ip_is_public(ip.parse().unwrap()), "{ip} considered public");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(ip_is_public(ip.parse().unwrap()), "{ip} considered private");
        }
    }

    #[test]
    fn arbitrary_input_never_panics_sec_35() {
        // A cheap deterministic fuzz: every prefix and mutation of tricky strings.
        let seeds = [
            "https://ex.com/ä?x=1#y",
            "http://[::1]:80/",
            "http://%00/",
            "https://a..b/",
        ];
        for seed in seeds {
            for i in 0..=seed.len() {
                if let Some(prefix) = seed.get(..i) {
                    let _ = check_url_syntax(prefix);
                }
            }
        }
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 40) as usize;
            let s: String = (0..len)
                .map(|i| char::from_u32(((state >> (i % 50)) % 0x250) as u32).unwrap_or('x'))
                .collect();
            let _ = check_url_syntax(&format!("http://{s}"));
            let _ = check_url_syntax(&s);
        }
    }
}
