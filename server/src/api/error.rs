//! How errors look on the wire: always `{"detail": "…"}` with the right status, FastAPI's
//! shape, so the original clients keep working. `AppError` → `ApiError` is one exhaustive
//! match; a 500 is logged with its cause chain and the client sees a generic message.
//! `json_error_catcher` does the same for errors poem raises before a handler runs
//! (malformed JSON, wrong types, unknown routes): parse failures become 422 (SEC-34).

use crate::error::AppError;
use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{ApiResponse, Object, payload::Json};

#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// What went wrong, written for the user.
    pub detail: String,
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// Missing, invalid, expired or revoked credentials.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>, #[oai(header = "WWW-Authenticate")] String),
    /// Not allowed for this account.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such resource (or not yours).
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Conflicts with existing data.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The request body is too large.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The input is invalid.
    #[oai(status = 422)]
    Unprocessable(Json<ErrorBody>),
    /// Too many attempts; retry after the given number of seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// Unexpected server error.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// A dependency is unavailable.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn body(detail: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        detail: detail.into(),
    })
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        match err {
            AppError::Validation(m) => ApiError::Unprocessable(body(m)),
            AppError::Conflict(m) => ApiError::Conflict(body(m)),
            AppError::NotFound(m) => ApiError::NotFound(body(m)),
            AppError::Unauthorized(m) => ApiError::Unauthorized(body(m), "Bearer".into()),
            AppError::Forbidden(m) => ApiError::Forbidden(body(m)),
            AppError::TooManyRequests { retry_after_secs } => ApiError::TooManyRequests(
                body(format!(
                    "Too many failed attempts; try again in {retry_after_secs} seconds"
                )),
                retry_after_secs,
            ),
            AppError::Limited {
                detail,
                retry_after_secs,
            } => ApiError::TooManyRequests(body(detail), retry_after_secs),
            AppError::PayloadTooLarge(m) => ApiError::PayloadTooLarge(body(m)),
            AppError::Unavailable(m) => ApiError::Unavailable(body(m)),
            AppError::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error");
                ApiError::Internal(body("Internal server error"))
            }
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        AppError::from(err).into()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A 401 raised from the bearer guard.
pub fn unauthorized(detail: &str) -> poem::Error {
    ApiError::Unauthorized(body(detail), "Bearer".into()).into()
}

/// Renders any error that escaped a handler as `{"detail": …}`.
pub async fn json_error_catcher(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    // The route the router matched, for the request metrics (`metrics/http.rs`).
    let pattern = err.data::<poem::PathPattern>().cloned();
    let (status, detail) = match status {
        // poem-openapi reports unparseable bodies, parameters and failed validators as 400;
        // like FastAPI, we call those validation errors.
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (StatusCode::UNPROCESSABLE_ENTITY, err.to_string())
        }
        StatusCode::UNAUTHORIZED => (status, "Not authenticated".to_owned()),
        StatusCode::NOT_FOUND => (status, "Not Found".to_owned()),
        StatusCode::METHOD_NOT_ALLOWED => (status, "Method Not Allowed".to_owned()),
        StatusCode::PAYLOAD_TOO_LARGE => (status, "Request body is too large".to_owned()),
        s if s.is_server_error() => {
            tracing::error!(error = %err, "unhandled server error");
            (s, "Internal server error".to_owned())
        }
        s => (s, err.to_string()),
    };
    let mut response = poem::web::Json(serde_json::json!({ "detail": detail })).into_response();
    response.set_status(status);
    if let Some(pattern) = pattern {
        response.set_data(pattern);
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            "WWW-Authenticate",
            poem::http::HeaderValue::from_static("Bearer"),
        );
    }
    response
}
