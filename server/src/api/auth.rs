//! `/auth/*`: register, login (OAuth2 password form), logout, me, password change.

use super::{
    error::ApiResult,
    guard::{BearerAuth, actor_from_request, client_ip},
    models::UserResponse,
};
use crate::{auth::accounts::Registration, state::AppState};
use poem::{Request, web::Data};
use poem_openapi::{
    ApiResponse, Object, OpenApi, Tags,
    payload::{Form, Json},
};
use std::sync::Arc;

#[derive(Tags)]
enum AuthTags {
    /// Accounts and sessions
    Auth,
}

#[derive(Debug, Object)]
pub struct RegisterRequest {
    /// 3–50 characters: letters, digits, `_`, `.`, `-`.
    #[oai(validator(max_length = 50))]
    pub username: String,
    #[oai(validator(max_length = 254))]
    pub email: String,
    /// 8–72 bytes (bcrypt's limit; longer passwords are refused, not truncated).
    #[oai(validator(max_length = 1024))]
    pub password: String,
    #[oai(nullable, validator(max_length = 100))]
    pub full_name: Option<String>,
}

/// The OAuth2 password-grant form (`grant_type`, `scope` and client fields are accepted and ignored).
#[derive(Debug, Object, serde::Deserialize)]
pub struct LoginForm {
    #[oai(validator(max_length = 254))]
    pub username: String,
    #[oai(validator(max_length = 1024))]
    pub password: String,
    pub grant_type: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

#[derive(Debug, Object)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// What a user may change about their own account (besides the password).
#[derive(Debug, Object)]
pub struct PreferencesUpdate {
    /// The format your downloads get when a request names none.
    pub default_format: crate::domain::AudioFormat,
}

#[derive(Debug, Object)]
pub struct PasswordChangeRequest {
    #[oai(validator(max_length = 1024))]
    pub current_password: String,
    #[oai(validator(max_length = 1024))]
    pub new_password: String,
    /// Sign out every other session (all previously issued tokens). Default true.
    #[oai(nullable)]
    pub revoke_other_sessions: Option<bool>,
}

#[derive(Debug, Object)]
pub struct MessageResponse {
    pub message: String,
}

#[derive(ApiResponse)]
enum RegisterResponse {
    /// The account was created.
    #[oai(status = 201)]
    Created(Json<UserResponse>),
}

#[derive(ApiResponse)]
enum TokenIssued {
    /// A bearer token.
    #[oai(status = 200)]
    Ok(Json<TokenResponse>),
}

#[derive(ApiResponse)]
enum LoggedOut {
    /// The token is revoked.
    #[oai(status = 200)]
    Ok(Json<MessageResponse>),
}

#[derive(ApiResponse)]
enum Me {
    /// The signed-in user.
    #[oai(status = 200)]
    Ok(Json<UserResponse>),
}

pub struct AuthApi;

#[OpenApi(tag = "AuthTags::Auth")]
impl AuthApi {
    /// Create an account
    ///
    /// The first account ever created becomes admin. When registration is closed
    /// (`ALLOW_REGISTRATION=false`) only an admin's bearer token may create accounts.
    /// A taken username and a taken email get the same 409. Attempts from one address are
    /// limited (`REGISTRATIONS_PER_HOUR`; 429 with `Retry-After`), except an admin's.
    #[oai(path = "/auth/register", method = "post")]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        body: Json<RegisterRequest>,
    ) -> ApiResult<RegisterResponse> {
        let requester = optional_bearer(req).await;
        let actor = match &requester {
            Some(admin) => admin.actor.clone(),
            None => actor_from_request(req, None),
        };
        let body = body.0;
        let user = state
            .accounts
            .register(
                Registration {
                    username: body.username,
                    email: body.email,
                    password: body.password,
                    full_name: body.full_name,
                },
                requester.as_ref(),
                actor,
                client_ip(req),
            )
            .await?;
        Ok(RegisterResponse::Created(Json(user.into())))
    }

    /// Log in (OAuth2 password flow)
    ///
    /// Form-encoded `username` and `password`. Unknown user, wrong password and disabled
    /// account give the same 401. Repeated failures are throttled with 429 and `Retry-After`.
    #[oai(path = "/auth/login", method = "post")]
    async fn login(
        &self,
        state: Data<&Arc<AppState>>,
        req: &Request,
        form: Form<LoginForm>,
    ) -> ApiResult<TokenIssued> {
        let form = form.0;
        if form.username.len() > 254 || form.password.len() > 1024 {
            return Err(crate::error::AppError::Validation(
                "username or password is too long".into(),
            )
            .into());
        }
        let actor = actor_from_request(req, None);
        let (_, token) = state
            .accounts
            .login(&form.username, form.password, client_ip(req), actor)
            .await?;
        Ok(TokenIssued::Ok(Json(TokenResponse {
            access_token: token.token,
            token_type: "bearer".into(),
            expires_in: token.expires_in,
        })))
    }

    /// Log out
    ///
    /// Revokes the presented token; it is refused from now on.
    #[oai(path = "/auth/logout", method = "post")]
    async fn logout(&self, state: Data<&Arc<AppState>>, auth: BearerAuth) -> ApiResult<LoggedOut> {
        state.accounts.logout(&auth.0).await?;
        Ok(LoggedOut::Ok(Json(MessageResponse {
            message: "Successfully logged out".into(),
        })))
    }

    /// The signed-in user
    #[oai(path = "/auth/me", method = "get")]
    async fn me(&self, auth: BearerAuth) -> ApiResult<Me> {
        Ok(Me::Ok(Json(auth.0.user.into())))
    }

    /// Change your preferences
    ///
    /// `default_format`: the format your downloads get when a request names none (`best`
    /// keeps the site's audio as it is served, without re-encoding).
    #[oai(path = "/auth/me", method = "patch")]
    async fn update_me(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<PreferencesUpdate>,
    ) -> ApiResult<Me> {
        let user = state
            .accounts
            .set_default_format(&auth.0, Some(body.0.default_format))
            .await?;
        Ok(Me::Ok(Json(user.into())))
    }

    /// Change your password
    ///
    /// Returns a fresh token. By default every other session is signed out.
    #[oai(path = "/auth/password", method = "post")]
    async fn change_password(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<PasswordChangeRequest>,
    ) -> ApiResult<TokenIssued> {
        let body = body.0;
        let token = state
            .accounts
            .change_password(
                &auth.0,
                body.current_password,
                body.new_password,
                body.revoke_other_sessions.unwrap_or(true),
            )
            .await?;
        Ok(TokenIssued::Ok(Json(TokenResponse {
            access_token: token.token,
            token_type: "bearer".into(),
            expires_in: token.expires_in,
        })))
    }
}

/// The caller, if the request carries a valid bearer token (register is open to anonymous
/// callers, but an admin's token lets it create accounts when registration is closed).
async fn optional_bearer(req: &Request) -> Option<crate::auth::CurrentUser> {
    use poem_openapi::{ApiExtractor, ExtractParamOptions};
    if !req
        .headers()
        .contains_key(poem::http::header::AUTHORIZATION)
    {
        return None;
    }
    let mut body = poem::RequestBody::default();
    BearerAuth::from_request(req, &mut body, ExtractParamOptions::default())
        .await
        .ok()
        .map(|b| b.0)
}
