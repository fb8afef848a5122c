//! The bearer-token guard (HTTP): turns `Authorization: Bearer …` into a `CurrentUser`. Declared in OpenAPI as the OAuth2
//! password flow on `/auth/login`, so Swagger UI's Authorize button works.
//!
//! Every request re-reads the user, so disabling an account or demoting an admin takes effect
//! on the next request (SEC-12); logged-out tokens are refused by their id (SEC-11). A live
//! event stream repeats the same session check while it is open (`session_still_holds`,
//! SEC-46).

use super::{
    client_address::resolve_client,
    error::{ApiError, unauthorized},
};
use crate::{
    audit::Actor,
    auth::{Claims, CurrentUser},
    error::AppError,
    state::AppState,
    store::{SessionUser, User},
};
use poem::{Request, web::RemoteAddr};
use poem_openapi::{SecurityScheme, auth::Bearer};
use std::{net::IpAddr, sync::Arc};

/// OAuth2 password flow: obtain a token from `/auth/login`, send it as a bearer token.
#[derive(SecurityScheme)]
#[oai(
    ty = "oauth2",
    flows(password(token_url = "/auth/login")),
    checker = "authenticate"
)]
pub struct BearerAuth(pub CurrentUser);

pub(super) async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<CurrentUser> {
    let state = req
        .data::<Arc<AppState>>()
        .expect("AppState is attached to every request");
    let claims = state
        .accounts
        .tokens
        .verify(&bearer.token)
        .map_err(|_| unauthorized("Could not validate credentials"))?;
    let session = check_session(state, &claims).await?;
    let actor = actor_from_request(req, Some(&session.user));
    Ok(CurrentUser {
        user: session.user,
        claims,
        actor,
        history_version: session.history_version,
    })
}

/// What a verified token's claims must still satisfy: not logged out, the user exists and
/// is active, and the session generation is current (no password change revoked it).
async fn check_session(state: &AppState, claims: &Claims) -> poem::Result<SessionUser> {
    let user_id = claims.user_id().unwrap_or_default();
    let session = state
        .store
        .session_user(user_id, &claims.jti)
        .await
        .map_err(|err| {
            tracing::error!(error = ?err, "session lookup failed");
            poem::Error::from(ApiError::from(AppError::from(err)))
        })?;
    let Some(session) = session else {
        return Err(unauthorized("Could not validate credentials"));
    };
    if session.token_revoked {
        return Err(unauthorized("Token has been revoked"));
    }
    if !session.user.is_active {
        return Err(unauthorized("Account is disabled"));
    }
    if session.user.session_generation != claims.generation {
        return Err(unauthorized("Session has been revoked"));
    }
    Ok(session)
}

/// Whether the session a stream was opened with still holds: the session check again, and
/// the token not expired (its signature was verified when the stream opened). Any failure,
/// a database error included, counts as "no": the client reconnects and is checked afresh.
pub async fn session_still_holds(state: &AppState, claims: &Claims) -> bool {
    claims.exp > chrono::Utc::now().timestamp() && check_session(state, claims).await.is_ok()
}

/// The client's address: the TCP peer, or what `X-Forwarded-For` says when the peer is one of
/// the TRUSTED_PROXIES (SEC-45; `client_address.rs`).
pub fn client_ip(req: &Request) -> Option<IpAddr> {
    let peer = match req
        .data::<RemoteAddr>()
        .map(|a| &a.0)
        .or(Some(req.remote_addr()))
    {
        Some(poem::Addr::SocketAddr(addr)) => Some(addr.ip()),
        _ => None,
    };
    let trusted = req
        .data::<Arc<AppState>>()
        .map(|state| state.config.access.trusted_proxies.as_slice())
        .unwrap_or_default();
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    resolve_client(peer, forwarded, trusted)
}

/// Who is acting, for the audit log.
pub fn actor_from_request(req: &Request, user: Option<&User>) -> Actor {
    Actor {
        user_id: user.map(|u| u.id),
        username: user.map(|u| u.username.clone()),
        ip_address: client_ip(req).map(|ip| ip.to_string()),
        user_agent: req
            .headers()
            .get(poem::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(512).collect()),
    }
}

/// Whether an endpoint open to everyone (`/health`) is being asked by a signed-in admin, who
/// gets to see more (tool versions, free space: SEC-48). Any missing or bad token is simply
/// "not an admin"; it never turns the answer into a 401.
pub async fn is_admin_request(req: &Request) -> bool {
    let Some(token) = req
        .headers()
        .get(poem::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let bearer = Bearer {
        token: token.trim().to_owned(),
    };
    authenticate(req, bearer)
        .await
        .is_ok_and(|current| current.user.is_admin)
}
