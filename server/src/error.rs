//! The domain's error type. It knows nothing of HTTP: `api::error` maps each variant to a
//! status in one exhaustive match. Messages are written for the end user; internal causes
//! stay in `Internal` and are logged, never shown.

use crate::store::{Duplicate, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is well-formed but not acceptable (422).
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    /// Missing, invalid, expired or revoked credentials (401).
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// A limit other than failed logins was reached (429 with this message and Retry-After).
    #[error("{detail}")]
    Limited {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

/// The answer to a registration whose username or email is taken, whichever it is.
pub const TAKEN: &str = "Username or email already registered";
pub const REGISTRATION_CLOSED: &str = "Registration is closed; ask an admin to create your account";

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            // One answer for both, so registering does not reveal whose email is here (SEC-45).
            StoreError::Conflict(Duplicate::Email | Duplicate::Username) => {
                AppError::Conflict(TAKEN.into())
            }
            StoreError::RegistrationClosed => AppError::Forbidden(REGISTRATION_CLOSED.into()),
            StoreError::Conflict(Duplicate::ActiveDownload) => {
                AppError::Conflict("The same URL and format is already queued or running".into())
            }
            StoreError::LastAdmin => AppError::Conflict(err.to_string()),
            StoreError::NotFound => AppError::NotFound("Not found".into()),
            StoreError::Database(_) | StoreError::Migration(_) => {
                AppError::Internal(anyhow::Error::new(err))
            }
        }
    }
}
