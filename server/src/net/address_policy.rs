//! Which addresses the server may connect to on a user's behalf (SEC-4, SEC-40): globally
//! routable ones, plus the non-public networks `ALLOW_PRIVATE_URLS` names. One type, used by
//! URL submission, the guarded reqwest client, plugins' `http-get` and the egress proxy that
//! every yt-dlp request goes through, so they can never disagree.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use ipnet::IpNet;

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
            let network = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => match item.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => return Err(BadNetwork(item.to_owned())),
                },
            };
            networks.push(network);
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
            Self::AllowNetworks(networks) => {
                ip_is_public(ip) || networks.iter().any(|n| n.contains(&ip))
            }
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
        || a >= 240) // reserved
}

fn ipv6_is_public(ip: Ipv6Addr) -> bool {
    let seg0 = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (seg0 & 0xfe00) == 0xfc00 // unique local
        || (seg0 & 0xffc0) == 0xfe80 // link local
        || (seg0 & 0xffc0) == 0xfec0 // site local (deprecated)
        || seg0 == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || seg0 == 0x0064 && ip.segments()[1] == 0xff9b) // NAT64 can reach IPv4 private space
}

#[cfg(test)]
mod tests {
    use super::*;

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
