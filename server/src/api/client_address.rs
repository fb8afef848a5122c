//! Which address a request comes from (SEC-45). The TCP peer, unless the peer is one of the
//! configured TRUSTED_PROXIES: then `X-Forwarded-For` is read from the right, skipping the
//! trusted proxies, and the first address that is not one is the client. Entries left of it
//! were written by the client itself and are never believed.

use crate::net::address_policy::in_networks;
use ipnet::IpNet;
use std::net::IpAddr;

/// The client's address, given the peer, the `X-Forwarded-For` header values in order, and
/// the trusted proxies.
pub fn resolve_client<'a>(
    peer: Option<IpAddr>,
    forwarded_for: impl DoubleEndedIterator<Item = &'a str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: IpAddr| in_networks(trusted, ip);
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    let hops = forwarded_for.rev().flat_map(|value| value.rsplit(','));
    for hop in hops {
        // Garbage in the chain ends it: the last address we could vouch for is the answer.
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// One `X-Forwarded-For` entry: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443` or
/// `203.0.113.7:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']')?.0.parse::<IpAddr>().ok();
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|n| crate::net::address_policy::parse_network(n).unwrap())
            .collect()
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored_sec_45() {
        let got = resolve_client(Some(ip("10.0.0.5")), ["203.0.113.9"].into_iter(), &[]);
        assert_eq!(got, Some(ip("10.0.0.5")));
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client_sec_45() {
        let proxies = nets(&["10.0.0.0/8"]);
        let peer = Some(ip("10.0.0.5"));
        // The client forged the first entry; the proxy appended the real one.
        let got = resolve_client(peer, ["1.2.3.4, 203.0.113.9"].into_iter(), &proxies);
        assert_eq!(got, Some(ip("203.0.113.9")));
        // Two proxies, two header lines.
        let got = resolve_client(peer, ["198.51.100.1", "10.0.0.9"].into_iter(), &proxies);
        assert_eq!(got, Some(ip("198.51.100.1")));
        // Ports and brackets are tolerated; garbage stops the walk at the last good hop.
        let got = resolve_client(peer, ["[2001:db8::7]:443"].into_iter(), &proxies);
        assert_eq!(got, Some(ip("2001:db8::7")));
        let got = resolve_client(peer, ["203.0.113.9, junk"].into_iter(), &proxies);
        assert_eq!(got, Some(ip("10.0.0.5")));
        // No header: the proxy itself.
        let got = resolve_client(peer, std::iter::empty(), &proxies);
        assert_eq!(got, Some(ip("10.0.0.5")));
    }

    #[test]
    fn an_untrusted_peer_cannot_pick_its_address_sec_45() {
        let proxies = nets(&["10.0.0.0/8"]);
        let got = resolve_client(Some(ip("198.51.100.2")), ["10.0.0.1"].into_iter(), &proxies);
        assert_eq!(got, Some(ip("198.51.100.2")));
    }
}
