//! Secrets at rest: AES-256-GCM with a random nonce and the key's id stored beside the ciphertext.
//!
//! The key is `ENCRYPTION_KEY` (32 bytes, base64) or, when that is unset,
//! `HKDF-SHA256(ikm = SESSION_SECRET, salt = "spoke-bandwidth", info = "secrets-at-rest/v1")`.
//! The key id is the first 16 hex digits of SHA-256 over `"spoke-bandwidth key id" ‖ key`, so a
//! rotated key is recognised instead of producing garbage. Imports nothing from the store.

use aes_gcm::aead::{Aead, KeyInit, OsRng};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hkdf::Hkdf;
use sha2::{Digest, Sha256};

use crate::config::{ConfigError, Secret};

/// A sealed secret as stored: base64 ciphertext and nonce, and the id of the key that sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub ciphertext: String,
    pub nonce: String,
    pub key_id: String,
}

/// Why a stored secret could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(
        "the secret was sealed with key {0}, which is not the configured key; restore the old ENCRYPTION_KEY/SESSION_SECRET or enter the password again"
    )]
    OtherKey(String),
    #[error("the stored secret is corrupt and cannot be decrypted; enter the password again")]
    Corrupt,
}

/// Seals and opens secrets with the configured key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    key_id: String,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("key_id", &self.key_id)
            .finish()
    }
}

impl SecretBox {
    /// The box for `ENCRYPTION_KEY` if given, else for the key derived from `SESSION_SECRET`.
    pub fn from_settings(
        encryption_key: Option<&Secret>,
        session_secret: &Secret,
    ) -> Result<Self, ConfigError> {
        let key: [u8; 32] = match encryption_key {
            Some(encoded) => B64
                .decode(encoded.expose().trim())
                .ok()
                .and_then(|bytes| bytes.try_into().ok())
                .ok_or(ConfigError::BadEncryptionKey)?,
            None => derive_key(session_secret),
        };
        Ok(Self::from_key(key))
    }

    fn from_key(key: [u8; 32]) -> Self {
        let key_id = hex::encode(
            &Sha256::new()
                .chain_update(b"spoke-bandwidth key id")
                .chain_update(key)
                .finalize()[..8],
        );
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            key_id,
        }
    }

    /// The id stored beside each ciphertext.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Encrypts `plaintext` under a fresh random nonce.
    pub fn seal(&self, plaintext: &str) -> Sealed {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .expect("AES-GCM encryption only fails for inputs over 64 GiB");
        Sealed {
            ciphertext: B64.encode(ciphertext),
            nonce: B64.encode(nonce),
            key_id: self.key_id.clone(),
        }
    }

    /// Decrypts a sealed secret; the key id must be this box's.
    pub fn open(&self, sealed: &Sealed) -> Result<Secret, OpenError> {
        if sealed.key_id != self.key_id {
            return Err(OpenError::OtherKey(sealed.key_id.clone()));
        }
        let nonce = B64.decode(&sealed.nonce).map_err(|_| OpenError::Corrupt)?;
        let ciphertext = B64
            .decode(&sealed.ciphertext)
            .map_err(|_| OpenError::Corrupt)?;
        if nonce.len() != 12 {
            return Err(OpenError::Corrupt);
        }
        let plaintext = self
            .cipher
            .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
            .map_err(|_| OpenError::Corrupt)?;
        String::from_utf8(plaintext)
            .map(Secret::new)
            .map_err(|_| OpenError::Corrupt)
    }
}

/// HKDF-SHA256 of the session secret (documented above and in the README).
fn derive_key(session_secret: &Secret) -> [u8; 32] {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(Some(b"spoke-bandwidth"), session_secret.expose().as_bytes())
        .expand(b"secrets-at-rest/v1", &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    fn derived() -> SecretBox {
        SecretBox::from_settings(None, &Secret::new("a session secret")).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_back_to_the_plaintext() {
        let sealed = derived().seal("hunter2");
        assert_ne!(sealed.ciphertext, "hunter2");
        assert_eq!(derived().open(&sealed).unwrap().expose(), "hunter2");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let a = derived().seal("same");
        let b = derived().seal("same");
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn a_secret_sealed_with_another_key_is_refused_by_key_id() {
        let other = SecretBox::from_settings(None, &Secret::new("another secret")).unwrap();
        let sealed = other.seal("x");
        assert!(matches!(
            derived().open(&sealed),
            Err(OpenError::OtherKey(_))
        ));
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let mut sealed = derived().seal("hunter2");
        let mut bytes = B64.decode(&sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        sealed.ciphertext = B64.encode(bytes);
        assert!(matches!(derived().open(&sealed), Err(OpenError::Corrupt)));
    }

    #[test]
    fn an_encryption_key_must_be_32_base64_bytes() {
        let secret = Secret::new("s");
        assert!(SecretBox::from_settings(Some(&Secret::new("c2hvcnQ=")), &secret).is_err());
        let good = Secret::new(B64.encode([7u8; 32]));
        let boxed = SecretBox::from_settings(Some(&good), &secret).unwrap();
        assert_ne!(boxed.key_id(), derived().key_id());
    }
}
