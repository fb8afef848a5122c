//! SEC-49 (SEC-1, SEC-2, SEC-4): the URL checks and the address policy, on any input.
//!
//! Input: a URL on the first line, an `ALLOW_PRIVATE_URLS` value on the second; the first
//! 16 bytes also make an IPv6 address (and its last 4 an IPv4 one) for the address rules.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use nas_music_checks::address_policy::ip_is_public;
use nas_music_checks::url_policy::{
    AddressPolicy, MAX_URL_BYTES, check_literal_host, check_url_syntax,
};
use url::Host;

fuzz_target!(|data: &[u8]| {
    if let Ok(bytes) = <[u8; 16]>::try_from(data.get(..16).unwrap_or_default()) {
        address_rules(Ipv6Addr::from(bytes));
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(2, '\n');
    let raw_url = lines.next().unwrap_or_default();
    let setting = lines.next().unwrap_or_default();
    if let Ok(url) = check_url_syntax(raw_url) {
        accepted_url(raw_url, &url);
    }
    if let Ok(policy) = AddressPolicy::parse(setting) {
        // Whatever the setting says, a public address stays reachable.
        for ip in [
            IpAddr::V4(Ipv4Addr::new(93, 184, 215, 14)),
            "2606:4700::1".parse().unwrap(),
        ] {
            assert!(policy.allows(ip), "{setting:?} refused public {ip}");
        }
    }
});

/// An IPv4-mapped address is exactly as public as the IPv4 address it carries, and the
/// default policy allows what is public and nothing else.
fn address_rules(v6: Ipv6Addr) {
    let v4 = Ipv4Addr::from(<[u8; 4]>::try_from(&v6.octets()[12..]).unwrap());
    assert_eq!(
        ip_is_public(IpAddr::V4(v4)),
        ip_is_public(IpAddr::V6(v4.to_ipv6_mapped()))
    );
    for ip in [IpAddr::V4(v4), IpAddr::V6(v6)] {
        assert_eq!(AddressPolicy::PublicOnly.allows(ip), ip_is_public(ip));
        assert!(AddressPolicy::AllowPrivate.allows(ip));
    }
}

/// What an accepted URL is: short, absolute http(s) with a host and no credentials; and a
/// literal private address in it is refused by the default policy.
fn accepted_url(raw: &str, url: &url::Url) {
    assert!(raw.len() <= MAX_URL_BYTES);
    assert!(matches!(url.scheme(), "http" | "https"));
    assert!(url.username().is_empty() && url.password().is_none());
    let literal = match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(Host::Domain(name)) => {
            assert!(!name.is_empty());
            None
        }
        None => panic!("accepted a URL without a host: {raw:?}"),
    };
    let verdict = check_literal_host(url, &AddressPolicy::PublicOnly);
    if let Some(ip) = literal {
        assert_eq!(
            verdict.is_ok(),
            AddressPolicy::PublicOnly.allows(ip),
            "{raw:?}"
        );
    }
}
