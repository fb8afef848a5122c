//! Who is making a request, once the HTTP layer (`api/guard.rs`) has checked the token:
//! the user, the token's claims and the audit actor. `Admin` is the proof an admin operation
//! takes.

use super::tokens::Claims;
use crate::{
    audit::Actor,
    error::{AppError, AppResult},
    store::User,
};

/// The signed-in user making this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub claims: Claims,
    pub actor: Actor,
    /// The user's history version, read with the session (`SessionUser::history_version`):
    /// the history page is served from memory while it is the one the page was built at.
    pub history_version: i64,
}

/// Proof that the current user is an active admin; admin operations take one.
#[derive(Debug, Clone)]
pub struct Admin(pub CurrentUser);

impl CurrentUser {
    pub fn require_admin(&self) -> AppResult<Admin> {
        if self.user.is_admin {
            Ok(Admin(self.clone()))
        } else {
            Err(AppError::Forbidden("Admin privileges required".into()))
        }
    }
}
