//! Who the clients are and how much each may ask for (SEC-45, SEC-46): the reverse proxies
//! whose `X-Forwarded-For` is believed, the registration rate per address, and the limits on
//! live event streams. Kept apart from `parse.rs` so these settings read as one block.

use super::ConfigError;
use std::{net::IpAddr, str::FromStr, time::Duration};

/// An IP network in CIDR notation (`10.0.0.0/8`, `fd00::/8`); a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNetwork {
    network: IpAddr,
    prefix: u8,
}

impl IpNetwork {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d.
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                mask_bits(u32::from(net).into(), 32, self.prefix)
                    == mask_bits(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                mask_bits(u128::from(net), 128, self.prefix)
                    == mask_bits(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit address.
fn mask_bits(value: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        value >> (width - prefix)
    }
}

impl FromStr for IpNetwork {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s, None),
        };
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or CIDR network"))?;
        let network = network.to_canonical();
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => width,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(|| format!("{s:?} has a prefix length outside 0..={width}"))?,
        };
        Ok(Self { network, prefix })
    }
}

/// The settings of this module; `Default` is what an unset environment means.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessSettings {
    /// TRUSTED_PROXIES: peers whose `X-Forwarded-For` names the client. Empty: the header is
    /// ignored and the peer is the client.
    pub trusted_proxies: Vec<IpNetwork>,
    /// REGISTRATIONS_PER_HOUR: accounts one client address (IPv6: its /64) may try to create
    /// per hour; each try costs a bcrypt hash.
    pub registrations_per_hour: u32,
    /// MAX_EVENT_STREAMS_PER_USER: open `/api/downloads/events` connections per user.
    pub max_event_streams_per_user: usize,
    /// EVENT_STREAM_RECHECK_SECONDS: how often an open stream re-checks its token.
    pub event_stream_recheck: Duration,
}

impl Default for AccessSettings {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            registrations_per_hour: 10,
            // A few tabs and devices; HTTP/1.1 browsers allow 6 connections per host anyway.
            max_event_streams_per_user: 8,
            event_stream_recheck: Duration::from_secs(15),
        }
    }
}

impl AccessSettings {
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let trusted_proxies = match get("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| {
                    item.parse::<IpNetwork>()
                        .map_err(|message| ConfigError::invalid("TRUSTED_PROXIES", message))
                })
                .collect::<Result<_, _>>()?,
        };
        let registrations_per_hour = super::parse::in_range(
            get,
            "REGISTRATIONS_PER_HOUR",
            defaults.registrations_per_hour,
            1..=100_000,
        )?;
        let max_event_streams_per_user = super::parse::in_range(
            get,
            "MAX_EVENT_STREAMS_PER_USER",
            defaults.max_event_streams_per_user,
            1..=1000,
        )?;
        // Revocation must reach a stream within 30 s (SEC-46); tests use a fraction of a second.
        let recheck_seconds: f64 = super::parse::in_range(
            get,
            "EVENT_STREAM_RECHECK_SECONDS",
            defaults.event_stream_recheck.as_secs_f64(),
            0.05..=30.0,
        )?;
        Ok(Self {
            trusted_proxies,
            registrations_per_hour,
            max_event_streams_per_user,
            event_stream_recheck: Duration::from_secs_f64(recheck_seconds),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<AccessSettings, ConfigError> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        AccessSettings::from_lookup(&|k| map.get(k).map(|v| v.to_string()))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_match_by_prefix_and_ipv4_mapped_peers_match_ipv4_networks() {
        let net: IpNetwork = "10.1.0.0/16".parse().unwrap();
        assert!(net.contains(ip("10.1.200.3")));
        assert!(!net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")));
        let one: IpNetwork = "192.0.2.7".parse().unwrap();
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: IpNetwork = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        let all: IpNetwork = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.1")) && !all.contains(ip("2001:db8::1")));
    }

    #[test]
    fn trusted_proxies_are_a_cidr_list_and_a_bad_entry_is_refused_by_name_sec_45() {
        let s = settings(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,fd00::/8")]).unwrap();
        assert_eq!(s.trusted_proxies.len(), 3);
        assert_eq!(settings(&[]).unwrap(), AccessSettings::default());
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.0/x", "::1/129"] {
            let err = settings(&[("TRUSTED_PROXIES", bad)]).unwrap_err();
            assert_eq!(err.variable, "TRUSTED_PROXIES", "{bad}");
        }
    }

    #[test]
    fn stream_and_registration_limits_are_range_checked_sec_46() {
        let err = settings(&[("EVENT_STREAM_RECHECK_SECONDS", "31")]).unwrap_err();
        assert_eq!(err.variable, "EVENT_STREAM_RECHECK_SECONDS");
        let err = settings(&[("MAX_EVENT_STREAMS_PER_USER", "0")]).unwrap_err();
        assert_eq!(err.variable, "MAX_EVENT_STREAMS_PER_USER");
        let err = settings(&[("REGISTRATIONS_PER_HOUR", "lots")]).unwrap_err();
        assert_eq!(err.variable, "REGISTRATIONS_PER_HOUR");
        let s = settings(&[("EVENT_STREAM_RECHECK_SECONDS", "0.2")]).unwrap();
        assert_eq!(s.event_stream_recheck, Duration::from_millis(200));
    }
}
