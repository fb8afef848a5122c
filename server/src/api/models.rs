//! Response shapes shared by several handlers.

use crate::store::User;
use chrono::{DateTime, Utc};
use poem_openapi::Object;

/// A user account as clients see it (never the password hash).
#[derive(Debug, Clone, Object)]
pub struct UserResponse {
    pub id: i64,
    pub username: String,
    pub email: String,
    #[oai(nullable)]
    pub full_name: Option<String>,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    #[oai(nullable)]
    pub last_login: Option<DateTime<Utc>>,
    /// The format a download gets when its request names none (`best` unless chosen).
    pub default_format: crate::domain::AudioFormat,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            username: u.username,
            email: u.email,
            full_name: u.full_name,
            is_admin: u.is_admin,
            is_active: u.is_active,
            created_at: u.created_at,
            last_login: u.last_login,
            default_format: u.default_format.unwrap_or_default(),
        }
    }
}

/// Number of pages for `total` items at `per_page` a page.
pub fn page_count(total: i64, per_page: u32) -> i64 {
    if total <= 0 {
        0
    } else {
        (total + i64::from(per_page) - 1) / i64::from(per_page)
    }
}
