//! The state every request handler and background task shares, passed explicitly
//! (`Data<&Arc<AppState>>`), never global.

use crate::{
    auth::{LoginThrottle, TokenService},
    config::Config,
    store::Store,
};
use std::sync::Arc;

pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub tokens: TokenService,
    pub throttle: LoginThrottle,
}
