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
    /// The user's queue is full (429, SEC-41).
    #[error("{0}")]
    QueueFull(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl From<StoreError> for AppError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(Duplicate::Email) => {
                AppError::Conflict("Email already registered".into())
            }
            StoreError::Conflict(Duplicate::Username) => {
                AppError::Conflict("Username already registered".into())
            }
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
