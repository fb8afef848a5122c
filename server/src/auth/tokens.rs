//! JWT access tokens (SEC-10): HMAC only, with the algorithm fixed by configuration, a small
//! explicit leeway, `nbf`/`exp` checked, a token id (`jti`) for logout, and the session
//! generation that a password change can bump.

use crate::config::SecretKey;
use crate::store::User;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 5;
const TOKEN_TYPE: &str = "access";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    pub username: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    /// Token type; only access tokens exist today, but a future refresh token must not be
    /// accepted where an access token is expected.
    pub typ: String,
    /// The user's session generation when issued (SEC-12).
    #[serde(rename = "gen")]
    pub generation: i64,
}

impl Claims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.exp, 0).unwrap_or_else(Utc::now)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("invalid token")]
    Invalid,
}

#[derive(Clone)]
pub struct TokenService {
    algorithm: Algorithm,
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_seconds: i64,
}

/// A freshly issued token.
pub struct IssuedToken {
    pub token: String,
    pub expires_in: i64,
}

impl TokenService {
    pub fn new(secret: &SecretKey, algorithm: Algorithm, ttl_minutes: i64) -> Self {
        Self {
            algorithm,
            encoding: EncodingKey::from_secret(secret.expose()),
            decoding: DecodingKey::from_secret(secret.expose()),
            ttl_seconds: ttl_minutes * 60,
        }
    }

    pub fn issue(&self, user: &User) -> anyhow::Result<IssuedToken> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.id.to_string(),
            username: user.username.clone(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_seconds,
            jti: uuid::Uuid::new_v4().simple().to_string(),
            typ: TOKEN_TYPE.into(),
            generation: user.session_generation,
        };
        let token = jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.encoding)?;
        Ok(IssuedToken {
            token,
            expires_in: self.ttl_seconds,
        })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(self.algorithm);
        validation.algorithms = vec![self.algorithm];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "sub", "jti"]);
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| TokenError::Invalid)?;
        if data.claims.typ != TOKEN_TYPE || data.claims.user_id().is_none() {
            return Err(TokenError::Invalid);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64_engine::encode_segment;

    mod base64_engine {
        /// Unpadded URL-safe base64, enough to forge test tokens by hand.
        pub fn encode_segment(bytes: &[u8]) -> String {
            const ALPHABET: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let b = [
                    chunk[0],
                    *chunk.get(1).unwrap_or(&0),
                    *chunk.get(2).unwrap_or(&0),
                ];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }

    fn service() -> TokenService {
        TokenService::new(
            &SecretKey::new(b"0123456789abcdef0123456789abcdef".to_vec()).unwrap(),
            Algorithm::HS256,
            30,
        )
    }

    fn user() -> User {
        User {
            id: 7,
            username: "alice".into(),
            email: "a@example.com".into(),
            full_name: None,
            hashed_password: String::new(),
            is_active: true,
            is_admin: false,
            session_generation: 0,
            created_at: Utc::now(),
            last_login: None,
            default_format: None,
        }
    }

    fn sign(service: &TokenService, alg: Algorithm, claims: &serde_json::Value) -> String {
        jsonwebtoken::encode(&Header::new(alg), claims, &service.encoding).unwrap()
    }

    fn claims(offset_exp: i64, offset_nbf: i64, typ: &str) -> serde_json::Value {
        let now = Utc::now().timestamp();
        serde_json::json!({"sub": "7", "username": "alice", "iat": now, "nbf": now + offset_nbf,
            "exp": now + offset_exp, "jti": "j", "typ": typ, "gen": 0})
    }

    #[test]
    fn a_fresh_token_verifies() {
        let s = service();
        let issued = s.issue(&user()).unwrap();
        assert_eq!(s.verify(&issued.token).unwrap().user_id(), Some(7));
        assert_eq!(issued.expires_in, 1800);
    }

    #[test]
    fn alg_none_is_refused_sec_10() {
        let s = service();
        let header = encode_segment(br#"{"alg":"none","typ":"JWT"}"#);
        let body = encode_segment(claims(600, 0, "access").to_string().as_bytes());
        assert!(matches!(
            s.verify(&format!("{header}.{body}.")),
            Err(TokenError::Invalid)
        ));
    }

    #[test]
    fn another_algorithm_is_refused_sec_10() {
        let s = service();
        let token = sign(&s, Algorithm::HS512, &claims(600, 0, "access"));
        assert!(matches!(s.verify(&token), Err(TokenError::Invalid)));
    }

    #[test]
    fn a_tampered_signature_is_refused_sec_10() {
        let s = service();
        let mut token = s.issue(&user()).unwrap().token;
        let last = token.pop().unwrap();
        token.push(if last == 'A' { 'B' } else { 'A' });
        assert!(matches!(s.verify(&token), Err(TokenError::Invalid)));
    }

    #[test]
    fn expired_future_and_wrong_type_tokens_are_refused_sec_10() {
        let s = service();
        let leeway = LEEWAY_SECONDS as i64;
        assert!(
            s.verify(&sign(
                &s,
                Algorithm::HS256,
                &claims(-leeway - 5, -100, "access")
            ))
            .is_err()
        );
        assert!(
            s.verify(&sign(
                &s,
                Algorithm::HS256,
                &claims(600, leeway + 60, "access")
            ))
            .is_err()
        );
        assert!(
            s.verify(&sign(&s, Algorithm::HS256, &claims(600, 0, "refresh")))
                .is_err()
        );
        // Within the leeway, a just-expired token still passes: the leeway is explicit and small.
        assert!(
            s.verify(&sign(&s, Algorithm::HS256, &claims(-1, -100, "access")))
                .is_ok()
        );
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused_sec_10() {
        let other = TokenService::new(
            &SecretKey::new(b"fedcba9876543210fedcba9876543210".to_vec()).unwrap(),
            Algorithm::HS256,
            30,
        );
        let token = other.issue(&user()).unwrap().token;
        assert!(matches!(service().verify(&token), Err(TokenError::Invalid)));
    }
}
