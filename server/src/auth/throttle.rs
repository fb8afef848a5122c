//! Login throttling (SEC-15). Failures are counted per (account, client address), per client
//! address, and per account. The pair lock grows exponentially and is what stops a guesser;
//! the account-wide lock is short and needs many failures, so an attacker spraying from
//! many addresses cannot lock the real user out for long, and the real user's own address
//! (a different pair) is unaffected by someone else's failures.
//!
//! State is in memory, per instance: with several instances each keeps its own counts.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const PAIR_FREE_FAILURES: u32 = 5;
const PAIR_BASE_LOCK: Duration = Duration::from_secs(30);
const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
const IP_FREE_FAILURES: u32 = 30;
const ACCOUNT_FREE_FAILURES: u32 = 20;
const ACCOUNT_LOCK: Duration = Duration::from_secs(60);
const MAX_TRACKED: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, Option<IpAddr>),
    Address(IpAddr),
    Account(String),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    window_start: Instant,
    locked_until: Option<Instant>,
}

#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<Key, Failures>>,
}

impl LoginThrottle {
    pub fn new() -> Self {
        Self::default()
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
        entries.remove(&Key::Pair(normalise(account), ip));
    }

    fn keys(account: &str, ip: Option<IpAddr>) -> Vec<Key> {
        let account = normalise(account);
        let mut keys = vec![Key::Pair(account.clone(), ip), Key::Account(account)];
        if let Some(ip) = ip {
            keys.push(Key::Address(ip));
        }
        keys
    }

    fn check_at(&self, account: &str, ip: Option<IpAddr>, now: Instant) -> Result<(), u64> {
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

    fn record_failure_at(&self, account: &str, ip: Option<IpAddr>, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() > MAX_TRACKED {
            entries.retain(|_, f| now.duration_since(f.window_start) < WINDOW);
        }
        for key in Self::keys(account, ip) {
            let f = entries.entry(key.clone()).or_insert(Failures {
                count: 0,
                window_start: now,
                locked_until: None,
            });
            if now.duration_since(f.window_start) >= WINDOW {
                *f = Failures {
                    count: 0,
                    window_start: now,
                    locked_until: None,
                };
            }
            f.count += 1;
            let lock = match key {
                Key::Pair(..) if f.count >= PAIR_FREE_FAILURES => {
                    let doublings = (f.count - PAIR_FREE_FAILURES).min(10);
                    Some((PAIR_BASE_LOCK * 2u32.pow(doublings)).min(MAX_LOCK))
                }
                Key::Address(_) if f.count >= IP_FREE_FAILURES => {
                    let doublings = (f.count - IP_FREE_FAILURES).min(10);
                    Some((PAIR_BASE_LOCK * 2u32.pow(doublings)).min(MAX_LOCK))
                }
                Key::Account(_) if f.count >= ACCOUNT_FREE_FAILURES => Some(ACCOUNT_LOCK),
                _ => None,
            };
            if let Some(lock) = lock {
                f.locked_until = Some(now + lock);
            }
        }
    }
}

fn normalise(account: &str) -> String {
    account.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

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
        assert!(
            t.check_at("alice", A, now + Duration::from_secs(61))
                .is_ok()
        );
    }

    #[test]
    fn the_real_user_elsewhere_is_not_locked_out_sec_15() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for _ in 0..10 {
            t.record_failure_at("alice", A, now);
        }
        assert!(t.check_at("alice", A, now).is_err());
        assert!(
            t.check_at("alice", B, now).is_ok(),
            "another address is unaffected"
        );
        assert!(
            t.check_at("bob", A, now).is_ok(),
            "another account is unaffected"
        );
    }

    #[test]
    fn a_spray_from_many_addresses_locks_the_account_only_briefly_sec_15() {
        let t = LoginThrottle::new();
        let now = Instant::now();
        for i in 0..ACCOUNT_FREE_FAILURES {
            let ip = Some(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, i as u8)));
            t.record_failure_at("alice", ip, now);
        }
        let wait = t.check_at("alice", B, now).unwrap_err();
        assert!(wait <= ACCOUNT_LOCK.as_secs());
        assert!(t.check_at("alice", B, now + ACCOUNT_LOCK).is_ok());
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
