//! Short-lived signed links to one download's media, for `<audio src>` and `<img src>`.
//!
//! A browser cannot send the bearer token on a media element's request, and the session JWT
//! must never sit in a URL (it would end up in history, logs and caches). So an
//! authenticated call mints a link token scoped to one user, one session (`jti`), one
//! session generation and one download, valid for minutes. Using it re-checks the session
//! (logged out, disabled, password changed: refused) and the ownership of the download
//! (SEC-17), exactly as a bearer token would.
//!
//! Token: `{user_id}.{generation}.{jti}.{expires}.{signature}`, the signature an
//! HMAC-SHA256 over those fields and the download id, under a key derived from SECRET_KEY
//! for this purpose only (a link signature can never pass as anything else).

use crate::config::SecretKey;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The least time a fresh link stays valid, in seconds.
pub const LINK_TTL_SECS: i64 = 10 * 60;
/// Expiry times are rounded up to this step, so links minted within the same few minutes are
/// the same URL and the browser's cache serves covers again instead of fetching them anew.
const EXPIRY_STEP_SECS: i64 = 5 * 60;
/// Domain separation for the derived key.
const KEY_PURPOSE: &[u8] = b"nas-music-downloader media links v1";

/// Signs and checks media link tokens.
#[derive(Clone)]
pub struct MediaLinks {
    key: Vec<u8>,
}

/// Who a link was minted for and until when (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims {
    pub user_id: i64,
    pub generation: i64,
    pub jti: String,
    pub expires: i64,
}

/// Why a link is refused; deliberately one answer for the client.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid or expired media link")]
pub struct LinkRefused;

impl MediaLinks {
    pub fn new(secret: &SecretKey) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret.expose()).expect("HMAC takes any key");
        mac.update(KEY_PURPOSE);
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    /// When a link minted at `now` expires: at least `LINK_TTL_SECS` ahead, on a step.
    pub fn expiry_for(now: i64) -> i64 {
        let at_least = now + LINK_TTL_SECS;
        (at_least + EXPIRY_STEP_SECS - 1).div_euclid(EXPIRY_STEP_SECS) * EXPIRY_STEP_SECS
    }

    pub fn sign(&self, claims: &LinkClaims, download_id: i64) -> String {
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.mac(claims, download_id).finalize().into_bytes());
        format!(
            "{}.{}.{}.{}.{signature}",
            claims.user_id, claims.generation, claims.jti, claims.expires
        )
    }

    /// Checks the signature for `download_id` and the expiry; the caller then checks the
    /// session the claims name, as it would a bearer token's.
    pub fn verify(
        &self,
        token: &str,
        download_id: i64,
        now: i64,
    ) -> Result<LinkClaims, LinkRefused> {
        // At most a few hundred bytes: anything longer is not ours.
        if token.len() > 256 {
            return Err(LinkRefused);
        }
        let mut parts = token.split('.');
        let mut next = || parts.next().ok_or(LinkRefused);
        let (user_id, generation, jti, expires, signature) =
            (next()?, next()?, next()?, next()?, next()?);
        if parts.next().is_some()
            || jti.is_empty()
            || !jti.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(LinkRefused);
        }
        let claims = LinkClaims {
            user_id: user_id.parse().map_err(|_| LinkRefused)?,
            generation: generation.parse().map_err(|_| LinkRefused)?,
            jti: jti.to_owned(),
            expires: expires.parse().map_err(|_| LinkRefused)?,
        };
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkRefused)?;
        // Constant-time comparison (hmac's `verify_slice`).
        self.mac(&claims, download_id)
            .verify_slice(&signature)
            .map_err(|_| LinkRefused)?;
        // Expired, or further ahead than this server ever mints (a key leaked from an
        // older configuration, say): refused either way. One step of slack: another
        // instance's clock may be a little behind the one that minted the link.
        if claims.expires <= now || claims.expires > Self::expiry_for(now) + EXPIRY_STEP_SECS {
            return Err(LinkRefused);
        }
        Ok(claims)
    }

    fn mac(&self, claims: &LinkClaims, download_id: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key");
        // Newline-separated: no field can contain one (numbers, an alphanumeric jti).
        mac.update(
            format!(
                "{}\n{}\n{}\n{}\n{download_id}",
                claims.user_id, claims.generation, claims.jti, claims.expires
            )
            .as_bytes(),
        );
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> MediaLinks {
        MediaLinks::new(&SecretKey::new(b"0123456789abcdef0123456789abcdef".to_vec()).unwrap())
    }

    fn claims(now: i64) -> LinkClaims {
        LinkClaims {
            user_id: 7,
            generation: 2,
            jti: "abc123".into(),
            expires: MediaLinks::expiry_for(now),
        }
    }

    #[test]
    fn a_fresh_link_verifies_for_its_download_only_sec_17() {
        let (l, now) = (links(), 1_000_000);
        let token = l.sign(&claims(now), 5);
        assert_eq!(l.verify(&token, 5, now), Ok(claims(now)));
        assert_eq!(l.verify(&token, 6, now), Err(LinkRefused));
    }

    #[test]
    fn an_expired_or_tampered_link_is_refused() {
        let (l, now) = (links(), 1_000_000);
        let c = claims(now);
        let token = l.sign(&c, 5);
        assert_eq!(l.verify(&token, 5, c.expires), Err(LinkRefused));
        let other_user = token.replacen("7.", "8.", 1);
        assert_eq!(l.verify(&other_user, 5, now), Err(LinkRefused));
        let later = token.replace(&c.expires.to_string(), &(c.expires + 300).to_string());
        assert_eq!(l.verify(&later, 5, now), Err(LinkRefused));
        for junk in [
            "",
            "....",
            "a.b.c.d.e",
            &format!("{token}.x"),
            &"7".repeat(300),
        ] {
            assert_eq!(l.verify(junk, 5, now), Err(LinkRefused), "{junk}");
        }
    }

    #[test]
    fn a_validly_signed_link_too_far_ahead_is_refused() {
        let (l, now) = (links(), 1_000_000);
        let far = LinkClaims {
            expires: now + 86_400,
            ..claims(now)
        };
        assert_eq!(l.verify(&l.sign(&far, 5), 5, now), Err(LinkRefused));
        // A clock a minute behind the minting instance's still accepts a fresh link.
        let fresh = claims(now + 60);
        assert!(l.verify(&l.sign(&fresh, 5), 5, now).is_ok());
    }

    #[test]
    fn a_link_from_another_key_is_refused() {
        let now = 1_000_000;
        let other =
            MediaLinks::new(&SecretKey::new(b"zyxwvutsrqponmlkjihgfedcba987654".to_vec()).unwrap());
        assert_eq!(
            links().verify(&other.sign(&claims(now), 5), 5, now),
            Err(LinkRefused)
        );
    }

    #[test]
    fn expiry_is_at_least_the_ttl_and_stable_within_a_step() {
        let a = MediaLinks::expiry_for(1_000_000);
        let earliest = 1_000_000 + LINK_TTL_SECS;
        assert!((earliest..earliest + EXPIRY_STEP_SECS).contains(&a));
        assert_eq!(a % EXPIRY_STEP_SECS, 0);
        assert_eq!(MediaLinks::expiry_for(a - LINK_TTL_SECS - 1), a);
    }
}
