//! Which addresses the server may connect to on a user's behalf (SEC-4, SEC-40): globally
//! routable ones, plus the non-public networks `ALLOW_PRIVATE_URLS` names. One type, used by
//! URL submission, the guarded reqwest client, plugins' `http-get` and the egress proxy that
//! every yt-dlp request goes through, so they can never disagree.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::IpNet;

/// One network of a setting: CIDR notation (host bits cleared: `192.168.1.7/24` is
/// 192.168.1.0/24), or a bare address meaning just that address (/32 or /128). Shared by
/// `ALLOW_PRIVATE_URLS` and `TRUSTED_PROXIES`.
pub fn parse_network(item: &str) -> Option<IpNet> {
    let item = item.trim();
    match item.parse::<IpNet>() {
        Ok(net) => Some(net.trunc()),
        Err(_) => item.parse::<IpAddr>().ok().map(IpNet::from),
    }
}

/// Whether an address lies in one of `networks`; an IPv4-mapped IPv6 address (a dual-stack
/// listener's view of an IPv4 peer) is judged as the IPv4 address it carries.
pub fn in_networks(networks: &[IpNet], ip: IpAddr) -> bool {
    let ip = ip.to_canonical();
    networks.iter().any(|n| n.contains(&ip))
}

/// Whether URLs may point at loopback, private, link-local or metadata addresses.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AddressPolicy {
    /// Only globally routable addresses (the default, SEC-4).
    #[default]
    PublicOnly,
    /// Anything, including 127.0.0.1 and the LAN (`ALLOW_PRIVATE_URLS=true`).
    AllowPrivate,
    /// Public addresses and these networks (`ALLOW_PRIVATE_URLS=127.0.0.1/32,192.168.1.0/24`).
    AllowNetworks(Arc<[IpNet]>),
}

/// A value of `ALLOW_PRIVATE_URLS` that is neither a boolean nor a list of networks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a network; use true, false, or a comma-separated list such as 127.0.0.1/32,192.168.1.0/24"
)]
pub struct BadNetwork(pub String);

impl AddressPolicy {
    /// Parses `ALLOW_PRIVATE_URLS`: a boolean (`true`: every address; `false`: public only),
    /// or a comma-separated list of networks in CIDR notation (a bare address means that
    /// one address). Host bits are cleared: `192.168.1.7/24` allows 192.168.1.0/24.
    pub fn parse(raw: &str) -> Result<Self, BadNetwork> {
        let value = raw.trim();
        match value.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => return Ok(Self::AllowPrivate),
            "0" | "false" | "no" | "off" | "" => return Ok(Self::PublicOnly),
            _ => {}
        }
        let mut networks = Vec::new();
        for item in value.split(',').map(str::trim) {
            if item.is_empty() {
                continue;
            }
            networks.push(parse_network(item).ok_or_else(|| BadNetwork(item.to_owned()))?);
        }
        if networks.is_empty() {
            return Err(BadNetwork(value.to_owned()));
        }
        Ok(Self::AllowNetworks(networks.into()))
    }

    /// True when every address is allowed: then nothing needs resolving to be checked.
    pub fn allows_everything(&self) -> bool {
        matches!(self, Self::AllowPrivate)
    }

    /// Whether a connection to `ip` is allowed. IPv4-mapped IPv6 addresses are judged as the
    /// IPv4 address they carry, so `::ffff:10.0.0.1` is as private as `10.0.0.1`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match self {
            Self::AllowPrivate => true,
            Self::PublicOnly => ip_is_public(ip),
            Self::AllowNetworks(networks) => ip_is_public(ip) || in_networks(networks, ip),
        }
    }
}

/// True for globally routable unicast addresses; false for loopback, private, link-local,
/// carrier-grade NAT, documentation, multicast, unspecified, and cloud metadata addresses.
pub fn ip_is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => ipv4_is_public(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return ipv4_is_public(v4);
            }
            ipv6_is_public(v6)
        }
    }
}

fn ipv4_is_public(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local() // includes 169.254.169.254, the cloud metadata address
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..=127).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || a >= 240) // reserved
}

fn ipv6_is_public(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    let seg0 = seg[0];
    // Addresses that carry or tunnel to an IPv4 address are judged by where they lead.
    if seg[..6].iter().all(|s| *s == 0) {
        // ::/96, IPv4-compatible (deprecated): ::10.0.0.1 is 10.0.0.1.
        return false;
    }
    if seg0 == 0x2002 {
        // 6to4: 2002:AABB:CCDD::/48 is the IPv4 address AA.BB.CC.DD.
        let v4 = Ipv4Addr::from((u32::from(seg[1]) << 16) | u32::from(seg[2]));
        return ipv4_is_public(v4);
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (seg0 & 0xfe00) == 0xfc00 // unique local
        || (seg0 & 0xffc0) == 0xfe80 // link local
        || (seg0 & 0xffc0) == 0xfec0 // site local (deprecated)
        || seg0 == 0x2001 && seg[1] == 0x0db8 // documentation
        || seg0 == 0x0064 && seg[1] == 0xff9b // NAT64 can reach IPv4 private space
        || seg0 == 0x2001 && seg[1] == 0x0000 // Teredo tunnels to any IPv4 address
        || seg0 == 0x0100 && seg[1] == 0 && seg[2] == 0 && seg[3] == 0) // discard-only 100::/64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tunnelled_and_special_ipv6_ranges_are_not_public_sec_4() {
        let public = |s: &str| ip_is_public(s.parse().unwrap());
        for refused in [
            "::10.0.0.1",             // IPv4-compatible
            "::8.8.8.8",              // the whole deprecated ::/96
            "2002:0a00:0001::1",      // 6to4 of 10.0.0.1
            "2002:c0a8:0101::5",      // 6to4 of 192.168.1.1
            "2001:0000:4136:e378::1", // Teredo
            "100::1",                 // discard-only
            "192.88.99.1",            // 6to4 relay anycast
        ] {
            assert!(!public(refused), "{refused} counted as public");
        }
        for allowed in ["2002:0808:0808::1", "2606:4700::1111", "8.8.8.8"] {
            assert!(public(allowed), "{allowed} refused");
        }
    }

    #[test]
    fn setting_networks_match_by_prefix_and_mapped_ipv4_peers_match_ipv4_networks() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let nets: Vec<IpNet> = ["10.1.0.0/16", "192.0.2.7", "2001:db8::/32"]
            .iter()
            .map(|n| parse_network(n).unwrap())
            .collect();
        assert!(in_networks(&nets, ip("10.1.200.3")));
        assert!(in_networks(&nets, ip("::ffff:10.1.0.9")));
        assert!(!in_networks(&nets, ip("10.2.0.1")));
        assert!(in_networks(&nets, ip("192.0.2.7")) && !in_networks(&nets, ip("192.0.2.8")));
        assert!(in_networks(&nets, ip("2001:db8:ffff::1")));
        let all = [parse_network("0.0.0.0/0").unwrap()];
        assert!(in_networks(&all, ip("203.0.113.1")) && !in_networks(&all, ip("2001:db8::1")));
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.0/x", "::1/129"] {
            assert_eq!(parse_network(bad), None, "{bad}");
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn booleans_keep_their_meaning_sec_40() {
        for v in ["true", "TRUE", " 1 ", "yes", "on"] {
            assert_eq!(
                AddressPolicy::parse(v),
                Ok(AddressPolicy::AllowPrivate),
                "{v}"
            );
        }
        for v in ["false", "0", "no", "off"] {
            assert_eq!(
                AddressPolicy::parse(v),
                Ok(AddressPolicy::PublicOnly),
                "{v}"
            );
        }
        assert!(AddressPolicy::AllowPrivate.allows(ip("169.254.169.254")));
        assert!(!AddressPolicy::PublicOnly.allows(ip("127.0.0.1")));
        assert!(AddressPolicy::PublicOnly.allows(ip("1.1.1.1")));
    }

    #[test]
    fn a_cidr_list_allows_exactly_its_networks_sec_40() {
        let policy =
            AddressPolicy::parse("127.0.0.1/32, 192.168.1.7/24,fd00::/8,10.9.8.7").unwrap();
        for allowed in [
            "127.0.0.1",
            "192.168.1.0",
            "192.168.1.255",
            "fd12::1",
            "10.9.8.7",
            "::ffff:127.0.0.1",
            "1.1.1.1",
        ] {
            assert!(policy.allows(ip(allowed)), "{allowed} refused");
        }
        for refused in [
            "127.0.0.2",
            "192.168.2.1",
            "10.9.8.6",
            "169.254.169.254",
            "::1",
            "::ffff:127.0.0.2",
            "fe80::1",
        ] {
            assert!(!policy.allows(ip(refused)), "{refused} allowed");
        }
        assert!(!policy.allows_everything());
    }

    #[test]
    fn bad_networks_are_refused_sec_40() {
        for bad in [
            "maybe",
            "127.0.0.1/33",
            "192.168.1.0/24,nonsense",
            "10.0.0.0/8;11.0.0.0/8",
            ",",
            "localhost",
        ] {
            assert!(AddressPolicy::parse(bad).is_err(), "{bad} accepted");
        }
        let err = AddressPolicy::parse("10.0.0.0/8,oops").unwrap_err();
        assert!(err.to_string().contains("\"oops\""), "{err}");
    }
}
