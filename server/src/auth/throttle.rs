//! Login throttling (SEC-15, SEC-45). Failures are counted per (account, client), per client,
//! and per account; a client is an IPv4 address or an IPv6 /64 (`client_key`).
//!
//! - The pair lock grows exponentially and is what stops a guesser at one address.
//! - The client lock (many accounts from one address) stops spraying.
//! - The account-wide lock slows a spray from many addresses at one account. It is short,
//!   needs many failures, and — so that nobody can keep a real user locked out — it is
//!   granted once per cool-down: after it expires, the account cannot be locked as a whole
//!   again for `account_cooldown`, whatever the failures (the pair and client locks still
//!   throttle every guesser meanwhile). Failures refused while locked are not counted.
//!
//! State is in memory, per instance: with several instances each keeps its own counts.

use super::client_key::client_key;
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

const MAX_TRACKED: usize = 50_000;

/// The thresholds; `Default` is production, tests shorten nothing (they move the clock).
#[derive(Debug, Clone)]
pub struct ThrottleSettings {
    /// Failures older than this are forgotten.
    pub window: Duration,
    pub pair_free_failures: u32,
    pub client_free_failures: u32,
    /// The first pair or client lock; each further failure doubles it up to `max_lock`.
    pub base_lock: Duration,
    pub max_lock: Duration,
    pub account_free_failures: u32,
    /// The longest an account is locked for everyone (the "stated lock time").
    pub account_lock: Duration,
    /// After an account-wide lock, how long before another may start.
    pub account_cooldown: Duration,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            pair_free_failures: 5,
            client_free_failures: 30,
            base_lock: Duration::from_secs(30),
            max_lock: Duration::from_secs(15 * 60),
            account_free_failures: 20,
            account_lock: Duration::from_secs(60),
            account_cooldown: Duration::from_secs(15 * 60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, Option<IpAddr>),
    Client(IpAddr),
    Account(String),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
    /// Accounts only: no account-wide lock may start before this.
    no_lock_before: Option<Instant>,
}

impl Failures {
    fn fresh(now: Instant) -> Self {
        Self {
            count: 0,
            window_start: now,
            locked_until: None,
            no_lock_before: None,
        }
    }

    fn matters_at(&self, now: Instant, window: Duration) -> bool {
        now.duration_since(self.window_start) < window
            || self.locked_until.is_some_and(|t| t > now)
            || self.no_lock_before.is_some_and(|t| t > now)
    }
}

#[derive(Default)]
pub struct LoginThrottle {
    settings: ThrottleSettings,
    entries: Mutex<HashMap<Key, Failures>>,
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_settings(settings: ThrottleSettings) -> Self {
        Self {
            settings,
            entries: Mutex::default(),
        }
    }

    /// `Err(seconds)` when this login must wait that long before being tried.
    pub fn check(&self, account: &str, ip: Option<IpAddr>) -> Result<(), u64> {
        self.check_at(account, ip, Instant::now())
    }

    pub fn record_failure(&self, account: &str, ip: Option<IpAddr>) {
        self.record_failure_at(account, ip, Instant::now());
    }

    /// A success clears the pair's count (not the account-wide one, which may reflect an attack).
    pub fn record_success(&self, account: &str, ip: Option<IpAddr>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&Key::Pair(normalise(account), ip.map(client_key)));
    }

    fn keys(account: &str, ip: Option<IpAddr>) -> Vec<Key> {
        let account = normalise(account);
        let ip = ip.map(client_key);
        let mut keys = vec![Key::Pair(account.clone(), ip), Key::Account(account)];
        if let Some(ip) = ip {
            keys.push(Key::Client(ip));
        }
        keys
    }

    pub(crate) fn check_at(
        &self,
        account: &str,
        ip: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), u64> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let wait = Self::keys(account, ip)
            .iter()
            .filter_map(|k| entries.get(k)?.locked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(wait) => Err(wait.as_secs_f64().ceil().max(1.0) as u64),
            None => Ok(()),
        }
    }

    pub(crate) fn record_failure_at(&self, account: &str, ip: Option<IpAddr>, now: Instant) {
        let s = &self.settings;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > MAX_TRACKED {
            entries.retain(|_, f| f.matters_at(now, s.window));
        }
        for key in Self::keys(account, ip) {
            let f = entries.entry(key.clone()).or_insert(Failures::fresh(now));
            if now.duration_since(f.window_start) >= s.window {
                // A new window forgets the count, never a running lock or cool-down.
                f.count = 0;
                f.window_start = now;
            }
            match key {
                Key::Pair(..) => {
                    f.count += 1;
                    f.locked_until = growing_lock(f.count, s.pair_free_failures, s)
                        .map(|lock| now + lock)
                        .or(f.locked_until);
                }
                Key::Client(_) => {
                    f.count += 1;
                    f.locked_until = growing_lock(f.count, s.client_free_failures, s)
                        .map(|lock| now + lock)
                        .or(f.locked_until);
                }
                Key::Account(_) => {
                    if f.no_lock_before.is_some_and(|t| t > now) {
                        continue;
                    }
                    f.count += 1;
                    if f.count >= s.account_free_failures {
                        f.locked_until = Some(now + s.account_lock);
                        f.no_lock_before = Some(now + s.account_lock + s.account_cooldown);
                        f.count = 0;
                        f.window_start = now;
                    }
                }
            }
        }
    }
}

/// `free` failures are allowed; from then on the lock starts at `base_lock` and doubles.
fn growing_lock(count: u32, free: u32, s: &ThrottleSettings) -> Option<Duration> {
    if count < free {
        return None;
    }
    let doublings = (count - free).min(10);
    Some((s.base_lock * 2u32.pow(doublings)).min(s.max_lock))
}

fn normalise(account: &str) -> String {
    account.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const A: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    const B: Option<IpAddr> = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));

    fn attacker(i: u32) -> Option<IpAddr> {
        Some(IpAddr::V4(Ipv4Addr::from(0xCB00_7100 + i)))
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn five_failures_lock_the_pair_then_the_lock_grows_sec_15() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for _ in 0..4 {
            t.record_failure_at("alice", A, now);
        }
        assert!(t.check_at("alice", A, now).is_ok());
        t.record_failure_at("alice", A, now);
        assert_eq!(t.check_at("alice", A, now), Err(30));
        t.record_failure_at("alice", A, now);
        assert_eq!(t.check_at("alice", A, now), Err(60));
        assert!(t.check_at("alice", A, now + secs(61)).is_ok());
    }

    #[test]
    fn the_real_user_elsewhere_is_not_locked_out_sec_15() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for _ in 0..10 {
            t.record_failure_at("alice", A, now);
        }
        assert!(t.check_at("alice", A, now).is_err());
        assert!(t.check_at("alice", B, now).is_ok(), "another address");
        assert!(t.check_at("bob", A, now).is_ok(), "another account");
    }

    #[test]
    fn a_spray_from_many_addresses_locks_the_account_only_briefly_sec_15() {
        let t = LoginThrottle::new();
        let lock = ThrottleSettings::default().account_lock;
        let now = Instant::now();
        for i in 0..20 {
            t.record_failure_at("alice", attacker(i), now);
        }
        let wait = t.check_at("alice", B, now).unwrap_err();
        assert!(wait <= lock.as_secs());
        assert!(t.check_at("alice", B, now + lock).is_ok());
    }

    /// The attack of issue 11: 20 failures over 4 addresses lock the account, then one
    /// failure a minute (from a fresh address each time, dodging the pair locks) used to
    /// re-arm the 60 s lock forever. Now the real user, at an address of their own, is let
    /// in one second after every attacker attempt for two hours, and 20 more failures in a
    /// burst do not lock the account again during the cool-down.
    #[test]
    fn twenty_failures_then_one_a_minute_cannot_keep_the_account_locked_sec_45() {
        let t = LoginThrottle::new();
        let s = ThrottleSettings::default();
        let start = Instant::now();
        for i in 0..20 {
            t.record_failure_at("alice", attacker(i % 4), start);
        }
        assert!(
            t.check_at("alice", B, start).is_err(),
            "the burst locks the account"
        );
        for minute in 1..=120u32 {
            let now = start + secs(60) * minute;
            let ip = attacker(100 + minute);
            if t.check_at("alice", ip, now).is_ok() {
                t.record_failure_at("alice", ip, now);
            }
            assert!(
                t.check_at("alice", B, now + secs(1)).is_ok(),
                "the real user is locked out at minute {minute}"
            );
        }
        // Another burst inside the cool-down that follows a lock changes nothing either.
        let t = LoginThrottle::new();
        for i in 0..20 {
            t.record_failure_at("alice", attacker(i), start);
        }
        let later = start + s.account_lock;
        for i in 20..60 {
            t.record_failure_at("alice", attacker(i), later);
        }
        assert!(
            t.check_at("alice", B, later).is_ok(),
            "re-armed in the cool-down"
        );
        // While each guessing address stays throttled on its own.
        assert!(t.check_at("alice", attacker(0), start).is_err());
    }

    #[test]
    fn guessing_stays_throttled_per_address_during_the_cool_down_sec_45() {
        let t = LoginThrottle::new();
        let start = Instant::now();
        for i in 0..20 {
            t.record_failure_at("alice", attacker(i), start);
        }
        let later = start + secs(61);
        for _ in 0..5 {
            t.record_failure_at("alice", A, later);
        }
        assert_eq!(t.check_at("alice", A, later), Err(30));
    }

    #[test]
    fn one_ipv6_64_is_one_client_sec_45() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        let prefix = 0x2001_0db8_0001_0002_u128 << 64;
        for host in 1..=5u128 {
            let ip = Some(IpAddr::V6(Ipv6Addr::from(prefix | host)));
            t.record_failure_at("alice", ip, now);
        }
        let rotated = Some(IpAddr::V6(Ipv6Addr::from(prefix | 0xffff)));
        assert_eq!(t.check_at("alice", rotated, now), Err(30));
        let next_64 = Some(IpAddr::V6(Ipv6Addr::from(prefix + (1 << 64) + 1)));
        assert!(t.check_at("alice", next_64, now).is_ok());
    }

    #[test]
    fn success_clears_the_pair_and_names_are_case_insensitive() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for _ in 0..5 {
            t.record_failure_at("Alice", A, now);
        }
        assert!(t.check_at("alice", A, now).is_err());
        t.record_success("ALICE", A);
        assert!(t.check_at("alice", A, now).is_ok());
    }
}
