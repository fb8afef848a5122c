//! Authentication: password hashing, JWT access tokens, who the current user is, login
//! throttling (per client: `client_key`), the registration limit, and the account operations built on them. The HTTP guard that checks a bearer
//! token lives in `api/guard.rs`.

pub mod accounts;
pub mod client_key;
pub mod current_user;
pub mod passwords;
pub mod registration_limit;
pub mod stream_slots;
pub mod throttle;
pub mod tokens;

pub use accounts::AccountService;
pub use current_user::{Admin, CurrentUser};
pub use registration_limit::RegistrationLimit;
pub use stream_slots::StreamSlots;
pub use throttle::LoginThrottle;
pub use tokens::{Claims, TokenService};
