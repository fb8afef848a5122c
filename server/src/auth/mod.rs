//! Authentication: password hashing, JWT access tokens, who the current user is, login
//! throttling, and the account operations built on them. The HTTP guard that checks a bearer
//! token lives in `api/guard.rs`.

pub mod accounts;
pub mod current_user;
pub mod passwords;
pub mod throttle;
pub mod tokens;

pub use accounts::AccountService;
pub use current_user::{Admin, CurrentUser};
pub use throttle::LoginThrottle;
pub use tokens::{Claims, TokenService};
