//! The URL rules every fetched URL obeys (SEC-1, SEC-2, SEC-4): the pure checks live in
//! `nas_music_checks::url_policy` (fuzzed, SEC-49); this adds the one that needs DNS.

use std::net::IpAddr;
use url::{Host, Url};

pub use nas_music_checks::url_policy::{
    AddressPolicy, MAX_URL_BYTES, UrlRejection, check_addresses, check_literal_host,
    check_url_syntax, ip_is_public,
};

/// Checks the host of an already parsed URL against the address policy, resolving names
/// through DNS. Returns the addresses that may be connected to (none when every address is
/// allowed: then there is nothing to check, and a name that does not resolve fails later,
/// when it is fetched).
pub async fn check_destination(
    url: &Url,
    policy: &AddressPolicy,
) -> Result<Vec<std::net::SocketAddr>, UrlRejection> {
    if policy.allows_everything() {
        return Ok(Vec::new());
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let addrs: Vec<std::net::SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![(IpAddr::V4(ip), port).into()],
        Some(Host::Ipv6(ip)) => vec![(IpAddr::V6(ip), port).into()],
        Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| UrlRejection::Unresolvable)?
            .collect(),
        None => return Err(UrlRejection::MissingHost),
    };
    if addrs.is_empty() {
        return Err(UrlRejection::Unresolvable);
    }
    check_addresses(addrs.iter().map(|a| a.ip()), policy)?;
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_is_refused_unless_allowed_sec_4() {
        let url = check_url_syntax("http://127.0.0.1:9/x.mp3").unwrap();
        assert_eq!(
            check_destination(&url, &AddressPolicy::PublicOnly).await,
            Err(UrlRejection::PrivateAddress)
        );
        assert!(
            check_destination(&url, &AddressPolicy::AllowPrivate)
                .await
                .is_ok()
        );
        let named = check_url_syntax("http://localhost:9/x.mp3").unwrap();
        assert_eq!(
            check_literal_host(&named, &AddressPolicy::PublicOnly),
            Err(UrlRejection::PrivateAddress)
        );
    }
}
