//! The webhook signature: `X-Signature-256: sha256=<hex HMAC-SHA256 of the exact body>`
//! with the webhook's secret as the key (the scheme GitHub uses, so receivers' existing
//! verifiers work).

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-Signature-256";
pub const EVENT_HEADER: &str = "X-Webhook-Event";
pub const DELIVERY_HEADER: &str = "X-Webhook-Delivery";

/// The header value for `body` signed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_known_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
