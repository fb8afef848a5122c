//! Authentication: password hashing, JWT access tokens, the bearer-token guard that turns a
//! request into a `CurrentUser`, login throttling, and the account operations built on them.

pub mod accounts;
pub mod guard;
pub mod passwords;
pub mod throttle;
pub mod tokens;

pub use guard::{Admin, BearerAuth, CurrentUser};
pub use throttle::LoginThrottle;
pub use tokens::{Claims, TokenService};
