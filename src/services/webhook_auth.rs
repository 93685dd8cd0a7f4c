//! The callback credentials Bandwidth uses on `POST /bandwidth/{orgId}` (SPEC §5).
//!
//! Byte-compatible with Spoke: user `bandwidth.com`, password
//! `base64(HMAC-SHA256(key = SESSION_SECRET, message = BASE_URL ‖ decimal org id))`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;

/// The Basic-auth user id Bandwidth sends with callbacks.
pub const CALLBACK_USER: &str = "bandwidth.com";

/// The callback password of an organization.
pub fn password_for(session_secret: &Secret, base_url: &str, organization_id: i32) -> Secret {
    let mut mac = Hmac::<Sha256>::new_from_slice(session_secret.expose().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(base_url.as_bytes());
    mac.update(organization_id.to_string().as_bytes());
    Secret::new(B64.encode(mac.finalize().into_bytes()))
}

/// The callback URL of an organization.
pub fn callback_url(base_url: &str, organization_id: i32) -> String {
    format!(
        "{}/bandwidth/{organization_id}",
        base_url.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_matches_spokes_formula_for_the_known_vector() {
        let password = password_for(&Secret::new("anchorsecret"), "http://127.0.0.1:3000", 1);
        assert_eq!(
            password.expose(),
            "/mHFBMGtB3DGh1nNrxA93ky1Y/W3Isvdidz3ZAIfWRA="
        );
    }

    #[test]
    fn each_organization_gets_its_own_password() {
        let secret = Secret::new("anchorsecret");
        assert_ne!(
            password_for(&secret, "http://127.0.0.1:3000", 1).expose(),
            password_for(&secret, "http://127.0.0.1:3000", 2).expose()
        );
    }
}
