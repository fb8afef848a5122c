//! Who the clients are and how much each may ask for (SEC-45, SEC-46): the reverse proxies
//! whose `X-Forwarded-For` is believed, the registration rate per address, and the limits on
//! live event streams. Kept apart from `parse.rs` so these settings read as one block.

use super::ConfigError;
use crate::net::address_policy::parse_network;
use ipnet::IpNet;
use std::time::Duration;

/// The settings of this module; `Default` is what an unset environment means.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessSettings {
    /// TRUSTED_PROXIES: peers whose `X-Forwarded-For` names the client. Empty: the header is
    /// ignored and the peer is the client.
    pub trusted_proxies: Vec<IpNet>,
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
                    parse_network(item).ok_or_else(|| {
                        ConfigError::invalid(
                            "TRUSTED_PROXIES",
                            format!("{item:?} is not an IP address or CIDR network"),
                        )
                    })
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
