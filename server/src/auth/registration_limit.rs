//! How many accounts one client may try to create (SEC-45). Every attempt that gets as far as
//! hashing its password costs a bcrypt, so attempts — not only successes — are counted, per
//! client (`client_key`: IPv4 address or IPv6 /64) in a fixed window. Admins creating accounts
//! are not counted. In memory, per instance, like the login throttle.

use super::client_key::client_key;
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

const MAX_TRACKED: usize = 50_000;

pub struct RegistrationLimit {
    per_window: u32,
    window: Duration,
    /// Client → (attempts, window start).
    attempts: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl RegistrationLimit {
    pub fn per_hour(per_window: u32) -> Self {
        Self {
            per_window,
            window: Duration::from_secs(3600),
            attempts: Mutex::default(),
        }
    }

    /// Counts an attempt; `Err(seconds)` when this client has used up its window. A request
    /// without a known address is not limited (there is nothing to key it by).
    pub fn try_acquire(&self, ip: Option<IpAddr>) -> Result<(), u64> {
        self.try_acquire_at(ip, Instant::now())
    }

    fn try_acquire_at(&self, ip: Option<IpAddr>, now: Instant) -> Result<(), u64> {
        let Some(ip) = ip.map(client_key) else {
            return Ok(());
        };
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if attempts.len() > MAX_TRACKED {
            attempts.retain(|_, (_, start)| now.duration_since(*start) < self.window);
        }
        let (count, start) = attempts.entry(ip).or_insert((0, now));
        if now.duration_since(*start) >= self.window {
            *count = 0;
            *start = now;
        }
        if *count >= self.per_window {
            let wait = self.window - now.duration_since(*start);
            return Err(wait.as_secs_f64().ceil().max(1.0) as u64);
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_gets_its_quota_per_hour_sec_45() {
        let limit = RegistrationLimit::per_hour(3);
        let now = Instant::now();
        let a: Option<IpAddr> = Some("2001:db8::1".parse().unwrap());
        let same_64: Option<IpAddr> = Some("2001:db8::2".parse().unwrap());
        let b: Option<IpAddr> = Some("203.0.113.9".parse().unwrap());
        for _ in 0..3 {
            assert!(limit.try_acquire_at(a, now).is_ok());
        }
        assert_eq!(limit.try_acquire_at(same_64, now), Err(3600));
        assert!(limit.try_acquire_at(b, now).is_ok());
        let later = now + Duration::from_secs(3599);
        assert_eq!(limit.try_acquire_at(a, later), Err(1));
        assert!(
            limit
                .try_acquire_at(a, now + Duration::from_secs(3600))
                .is_ok()
        );
    }
}
