//! Account operations: register, log in, log out, change a password, and the admin's user
//! management. Each writes its audit entry in the same transaction as its change.

use super::{
    LoginThrottle, RegistrationLimit, TokenService,
    current_user::{Admin, CurrentUser},
    passwords::{self, HashingSlots},
    tokens::IssuedToken,
};
use crate::{
    audit::{Actor, AuditAction, AuditEvent},
    config::RegistrationPolicy,
    domain::AudioFormat,
    error::{AppError, AppResult, REGISTRATION_CLOSED},
    store::{NewUser, PageRequest, Store, User, UserPatch},
};
use serde_json::json;
use std::{net::IpAddr, sync::Arc};

/// The one message for every failed login (SEC-14).
pub const LOGIN_FAILED: &str = "Incorrect username or password";

pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub full_name: Option<String>,
}

/// Accounts and sessions, with what they use: the store, the token service, the login
/// throttle, the registration policy and limit, and the bound on bcrypt work.
pub struct AccountService {
    pub store: Arc<dyn Store>,
    pub tokens: TokenService,
    pub throttle: LoginThrottle,
    pub registration: RegistrationPolicy,
    /// Self-service registrations per client address (SEC-45).
    pub registration_limit: RegistrationLimit,
    /// Bcrypt runs in these slots only (SEC-45).
    pub hashing: HashingSlots,
}

impl AccountService {
    /// Creates an account. The first account ever becomes admin. With registration closed only
    /// an admin may create accounts (except the very first, so a fresh install can be set up).
    /// Anyone else's attempts are limited per client address (`ip`, SEC-45).
    pub async fn register(
        &self,
        input: Registration,
        requester: Option<&CurrentUser>,
        actor: Actor,
        ip: Option<IpAddr>,
    ) -> AppResult<User> {
        let by_admin = requester.is_some_and(|r| r.user.is_admin);
        let closed = self.registration == RegistrationPolicy::AdminOnly && !by_admin;
        // A cheap early refusal; the store checks again inside the insert's transaction.
        if closed {
            let existing = self
                .store
                .list_users(PageRequest {
                    page: 1,
                    per_page: 1,
                })
                .await?;
            if existing.total > 0 {
                return Err(AppError::Forbidden(REGISTRATION_CLOSED.into()));
            }
        }
        let username = input.username.trim().to_owned();
        validate_username(&username)?;
        let email = input.email.trim().to_lowercase();
        validate_email(&email)?;
        let full_name = input
            .full_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        if full_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 100 || n.chars().any(char::is_control))
        {
            return Err(AppError::Validation(
                "Full name must be at most 100 printable characters".into(),
            ));
        }
        passwords::validate_password(&input.password)?;
        if !by_admin && let Err(retry_after_secs) = self.registration_limit.try_acquire(ip) {
            return Err(AppError::Limited {
                detail: format!(
                    "Too many registrations from your address; try again in {retry_after_secs} seconds"
                ),
                retry_after_secs,
            });
        }
        let hashed_password = {
            let _slot = self.hashing.acquire().await?;
            passwords::hash_password(input.password).await?
        };
        let audit = AuditEvent::new(
            AuditAction::UserRegistered,
            &actor,
            json!({ "username": username, "email": email, "created_by_admin": by_admin }),
        );
        let user = self
            .store
            .create_user(
                NewUser {
                    username,
                    email,
                    full_name,
                    hashed_password,
                    only_if_first: closed,
                },
                audit,
            )
            .await?;
        Ok(user)
    }

    /// Checks credentials and issues a token. Unknown user, wrong password and disabled account
    /// fail identically (SEC-14); repeated failures are throttled and every failure is audited
    /// (SEC-15).
    pub async fn login(
        &self,
        username: &str,
        password: String,
        ip: Option<IpAddr>,
        actor: Actor,
    ) -> AppResult<(User, IssuedToken)> {
        self.refuse_if_throttled(username, ip, &actor).await?;
        let slot = self.hashing.acquire().await?;
        // Checked again: while this request queued for a slot, others of the same burst may
        // have failed and locked it (otherwise a burst runs bcrypt before any failure counts).
        self.refuse_if_throttled(username, ip, &actor).await?;
        let user = self.store.user_by_username(username.trim()).await?;
        let hash = user.as_ref().map(|u| u.hashed_password.clone());
        let password_ok = passwords::verify_password(password, hash).await?;
        drop(slot);
        let failure = match &user {
            None => Some("unknown_user"),
            Some(_) if !password_ok => Some("wrong_password"),
            Some(u) if !u.is_active => Some("account_disabled"),
            Some(_) => None,
        };
        if let Some(reason) = failure {
            self.throttle.record_failure(username, ip);
            let mut actor = actor;
            actor.user_id = user.as_ref().map(|u| u.id);
            self.store
                .record_audit(AuditEvent::new(
                    AuditAction::LoginFailed,
                    &actor,
                    json!({ "username": username, "reason": reason }),
                ))
                .await?;
            return Err(AppError::Unauthorized(LOGIN_FAILED.into()));
        }
        let user = user.expect("failure covers the missing user");
        self.throttle.record_success(username, ip);
        let mut actor = actor;
        actor.user_id = Some(user.id);
        actor.username = Some(user.username.clone());
        let user = self
            .store
            .record_login(
                user.id,
                AuditEvent::new(AuditAction::LoginSucceeded, &actor, json!({})),
            )
            .await?;
        let token = self.tokens.issue(&user)?;
        Ok((user, token))
    }

    async fn refuse_if_throttled(
        &self,
        username: &str,
        ip: Option<IpAddr>,
        actor: &Actor,
    ) -> AppResult<()> {
        let Err(retry_after_secs) = self.throttle.check(username, ip) else {
            return Ok(());
        };
        self.store
            .record_audit(AuditEvent::new(
                AuditAction::LoginThrottled,
                actor,
                json!({ "username": username, "retry_after": retry_after_secs }),
            ))
            .await?;
        Err(AppError::TooManyRequests { retry_after_secs })
    }

    /// Sets the caller's default format (`None`: `best`), audited as a change to the user.
    pub async fn set_default_format(
        &self,
        current: &CurrentUser,
        format: Option<AudioFormat>,
    ) -> AppResult<User> {
        let audit = AuditEvent::new(
            AuditAction::UserUpdated,
            &current.actor,
            json!({ "user_id": current.user.id, "default_format": format.map(AudioFormat::as_str) }),
        );
        Ok(self
            .store
            .set_default_format(current.user.id, format, audit)
            .await?)
    }

    /// Blacklists the presented token until it would have expired (SEC-11).
    pub async fn logout(&self, current: &CurrentUser) -> AppResult<()> {
        self.store
            .blacklist_token(
                &current.claims.jti,
                current.user.id,
                current.claims.expires_at(),
                AuditEvent::new(AuditAction::Logout, &current.actor, json!({})),
            )
            .await?;
        Ok(())
    }

    /// Changes the caller's password. With `revoke_other_sessions`, every token issued before
    /// stops working (SEC-12); the caller gets a fresh token either way.
    pub async fn change_password(
        &self,
        current: &CurrentUser,
        current_password: String,
        new_password: String,
        revoke_other_sessions: bool,
    ) -> AppResult<IssuedToken> {
        let slot = self.hashing.acquire().await?;
        let ok = passwords::verify_password(
            current_password,
            Some(current.user.hashed_password.clone()),
        )
        .await?;
        if !ok {
            return Err(AppError::Validation("Current password is incorrect".into()));
        }
        passwords::validate_password(&new_password)?;
        let hashed = passwords::hash_password(new_password).await?;
        drop(slot);
        let user = self
            .store
            .change_password(
                current.user.id,
                hashed,
                revoke_other_sessions,
                AuditEvent::new(
                    AuditAction::PasswordChanged,
                    &current.actor,
                    json!({ "revoked_other_sessions": revoke_other_sessions }),
                ),
            )
            .await?;
        if revoke_other_sessions {
            // The presented token is revoked with the rest; make that explicit by id too.
            self.store
                .blacklist_token(
                    &current.claims.jti,
                    user.id,
                    current.claims.expires_at(),
                    AuditEvent::new(
                        AuditAction::Logout,
                        &current.actor,
                        json!({ "reason": "password_changed" }),
                    ),
                )
                .await?;
        }
        Ok(self.tokens.issue(&user)?)
    }

    /// An admin enables/disables or promotes/demotes an account (SEC-12, SEC-17).
    pub async fn update_user(
        &self,
        admin: &Admin,
        user_id: i64,
        patch: UserPatch,
    ) -> AppResult<User> {
        let audit = AuditEvent::new(
            AuditAction::UserUpdated,
            &admin.0.actor,
            json!({ "target_user_id": user_id, "is_active": patch.is_active, "is_admin": patch.is_admin }),
        );
        self.store
            .update_user(user_id, patch, audit)
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::NotFound(_) => AppError::NotFound("User not found".into()),
                other => other,
            })
    }
}

fn validate_username(username: &str) -> AppResult<()> {
    let ok_len = (3..=50).contains(&username.chars().count());
    let ok_chars = username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(AppError::Validation(
            "Username must be 3 to 50 characters: letters, digits, '_', '.' or '-'".into(),
        ))
    }
}

fn validate_email(email: &str) -> AppResult<()> {
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(())
    } else {
        Err(AppError::Validation("Email address is not valid".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails_are_checked() {
        assert!(validate_username("alice_01").is_ok());
        for bad in ["al", "has space", "semi;colon", &"x".repeat(51), "ünï"] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
        assert!(validate_email("a@example.com").is_ok());
        for bad in ["", "a", "a@", "@b.c", "a@b", "a b@c.d", "a@b@c.d", "a@.com"] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }
}
