//! Password policy and bcrypt hashing (SEC-13, SEC-14). Hashing is CPU-heavy, so it runs on
//! the blocking pool, never on the async runtime's workers, and only a few hashes run at once
//! (`HashingSlots`, SEC-45): a burst of logins or registrations queues instead of filling the
//! blocking pool's 512 threads.

use crate::error::{AppError, AppResult};
use anyhow::Context;
use std::{sync::OnceLock, time::Duration};
use tokio::sync::{Semaphore, SemaphorePermit};

pub const MIN_PASSWORD_BYTES: usize = 8;
/// bcrypt only reads 72 bytes; longer passwords are refused rather than silently truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;
pub const BCRYPT_COST: u32 = 12;

/// How long a request waits for a hashing slot before it is told the server is busy.
const SLOT_WAIT: Duration = Duration::from_secs(30);

/// Bounds the bcrypt work in flight. More slots than cores would not hash any faster, only
/// let one burst starve everything else.
pub struct HashingSlots(Semaphore);

impl HashingSlots {
    pub fn new(slots: usize) -> Self {
        Self(Semaphore::new(slots.max(1)))
    }

    /// One slot per available core, at most 8.
    pub fn per_core() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores.min(8))
    }

    /// Waits for a slot; a 503 when none frees up in time.
    pub async fn acquire(&self) -> AppResult<SemaphorePermit<'_>> {
        match tokio::time::timeout(SLOT_WAIT, self.0.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_closed)) => Err(AppError::Unavailable("Server is shutting down".into())),
            Err(_elapsed) => Err(AppError::Unavailable(
                "The server is busy checking passwords; try again shortly".into(),
            )),
        }
    }
}

pub fn validate_password(password: &str) -> AppResult<()> {
    let len = password.len();
    if len < MIN_PASSWORD_BYTES {
        return Err(AppError::Validation(format!(
            "Password must be at least {MIN_PASSWORD_BYTES} characters"
        )));
    }
    if len > MAX_PASSWORD_BYTES {
        return Err(AppError::Validation(format!(
            "Password must be at most {MAX_PASSWORD_BYTES} bytes (bcrypt ignores anything longer)"
        )));
    }
    if password.contains('\0') {
        return Err(AppError::Validation(
            "Password must not contain NUL characters".into(),
        ));
    }
    Ok(())
}

pub async fn hash_password(password: String) -> AppResult<String> {
    let hashed = tokio::task::spawn_blocking(move || bcrypt::hash(password, BCRYPT_COST))
        .await
        .context("password hashing task failed")?
        .context("bcrypt hashing failed")?;
    Ok(hashed)
}

/// Verifies a password. With no stored hash (unknown user) it checks against a dummy hash
/// so the time taken does not reveal whether the account exists (SEC-14).
pub async fn verify_password(password: String, stored_hash: Option<String>) -> AppResult<bool> {
    let known = stored_hash.is_some();
    let hash = stored_hash.unwrap_or_else(|| dummy_hash().to_owned());
    let matches =
        tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
            .await
            .context("password verification task failed")?;
    Ok(known && matches)
}

/// A hash of a random password, computed once; `warm_up` computes it at start-up so the
/// first unknown-user login is not slower than the rest.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random: [u8; 16] = rand::random();
        bcrypt::hash(hex::encode(random), BCRYPT_COST).expect("bcrypt of a short string")
    })
}

pub async fn warm_up() {
    let _ = tokio::task::spawn_blocking(dummy_hash).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length_is_8_to_72_bytes_sec_13() {
        assert!(validate_password("1234567").is_err());
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password(&"a".repeat(72)).is_ok());
        assert!(validate_password(&"a".repeat(73)).is_err());
        // 24 three-byte characters are 72 bytes; 25 are 75.
        assert!(validate_password(&"€".repeat(24)).is_ok());
        assert!(validate_password(&"€".repeat(25)).is_err());
    }

    #[tokio::test]
    async fn hashing_slots_bound_the_work_in_flight_sec_45() {
        let slots = HashingSlots::new(2);
        let first = slots.acquire().await.unwrap();
        let _second = slots.acquire().await.unwrap();
        let third = tokio::time::timeout(Duration::from_millis(50), slots.acquire()).await;
        assert!(third.is_err(), "a third hash waits while two run");
        drop(first);
        assert!(slots.acquire().await.is_ok());
    }

    #[tokio::test]
    async fn hashes_use_cost_12_and_verify_sec_13() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$2b$12$"), "{hash}");
        assert!(
            verify_password("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }
}
