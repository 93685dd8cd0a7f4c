//! Secrets at rest: AES-256-GCM with a random nonce and the key's id stored beside the ciphertext.
//!
//! The key is `ENCRYPTION_KEY` (32 bytes, base64) or, when that is unset,
//! `HKDF-SHA256(ikm = SESSION_SECRET, salt = "spoke-bandwidth", info = "secrets-at-rest/v1")`.
//! The key id is the first 16 hex digits of SHA-256 over `"spoke-bandwidth key id" ‖ key`, so a
//! rotated key is recognised instead of producing garbage. Each secret is bound to its owner
//! (associated data). Rotation: set the new `ENCRYPTION_KEY`, the old one as
//! `ENCRYPTION_KEY_PREVIOUS`, run `rotate-secrets`. Imports nothing from the store.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
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
        "the secret was sealed with key {0}, which is neither the configured key nor a previous one; set that key as ENCRYPTION_KEY_PREVIOUS, or enter the password again"
    )]
    OtherKey(String),
    #[error("the stored secret is corrupt and cannot be decrypted; enter the password again")]
    Corrupt,
}

/// One key: the cipher and its id.
#[derive(Clone)]
struct KeyEntry {
    cipher: Aes256Gcm,
    id: String,
}

impl KeyEntry {
    fn new(key: [u8; 32]) -> Self {
        let id = hex::encode(
            &Sha256::new()
                .chain_update(b"spoke-bandwidth key id")
                .chain_update(key)
                .finalize()[..8],
        );
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
            id,
        }
    }
}

/// The prefix of the stored key id of a secret bound to its owner (associated data). A stored
/// id without it is a secret of the first releases, sealed without associated data: it still
/// opens, and `rotate-secrets` reseals it bound.
const BOUND: &str = "v2.";

/// Seals with the configured key; opens with it or with a previous key (key rotation).
#[derive(Clone)]
pub struct SecretBox {
    current: KeyEntry,
    /// Keys accepted for opening only: `ENCRYPTION_KEY_PREVIOUS`, and the key derived from
    /// `SESSION_SECRET` when `ENCRYPTION_KEY` is set (so moving to an explicit key loses nothing).
    previous: Vec<KeyEntry>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("key_id", &self.current.id)
            .field(
                "previous_key_ids",
                &self.previous.iter().map(|k| &k.id).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl SecretBox {
    /// The box for `ENCRYPTION_KEY` if given, else for the key derived from `SESSION_SECRET`;
    /// `previous_key` (`ENCRYPTION_KEY_PREVIOUS`) is accepted for opening.
    pub fn from_settings(
        encryption_key: Option<&Secret>,
        previous_key: Option<&Secret>,
        session_secret: &Secret,
    ) -> Result<Self, ConfigError> {
        let derived = derive_key(session_secret);
        let current = match encryption_key {
            Some(encoded) => decode_key(encoded)?,
            None => derived,
        };
        let mut previous = Vec::new();
        if let Some(encoded) = previous_key {
            previous.push(KeyEntry::new(decode_key(encoded)?));
        }
        if encryption_key.is_some() {
            previous.push(KeyEntry::new(derived));
        }
        let current = KeyEntry::new(current);
        previous.retain(|k| k.id != current.id);
        Ok(Self { current, previous })
    }

    /// The id of the key new secrets are sealed with.
    pub fn key_id(&self) -> &str {
        &self.current.id
    }

    /// Encrypts `plaintext` under a fresh random nonce, bound to `owner` (e.g. the organization
    /// the secret belongs to) as associated data: a ciphertext copied to another owner's row
    /// does not open there.
    pub fn seal(&self, plaintext: &str, owner: &str) -> Sealed {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .current
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: owner.as_bytes(),
                },
            )
            .expect("AES-GCM encryption only fails for inputs over 64 GiB");
        Sealed {
            ciphertext: B64.encode(ciphertext),
            nonce: B64.encode(nonce),
            key_id: format!("{BOUND}{}", self.current.id),
        }
    }

    /// Decrypts a secret sealed for `owner` with the current or a previous key.
    pub fn open(&self, sealed: &Sealed, owner: &str) -> Result<Secret, OpenError> {
        let (bound, id) = match sealed.key_id.strip_prefix(BOUND) {
            Some(id) => (true, id),
            None => (false, sealed.key_id.as_str()),
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| OpenError::OtherKey(id.to_owned()))?;
        let nonce = B64.decode(&sealed.nonce).map_err(|_| OpenError::Corrupt)?;
        let ciphertext = B64
            .decode(&sealed.ciphertext)
            .map_err(|_| OpenError::Corrupt)?;
        if nonce.len() != 12 {
            return Err(OpenError::Corrupt);
        }
        let aad: &[u8] = if bound { owner.as_bytes() } else { b"" };
        let plaintext = key
            .cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad,
                },
            )
            .map_err(|_| OpenError::Corrupt)?;
        String::from_utf8(plaintext)
            .map(Secret::new)
            .map_err(|_| OpenError::Corrupt)
    }

    /// Whether a stored secret should be sealed again: under a previous key, or not bound to
    /// its owner.
    pub fn needs_reseal(&self, sealed: &Sealed) -> bool {
        sealed.key_id != format!("{BOUND}{}", self.current.id)
    }
}

fn decode_key(encoded: &Secret) -> Result<[u8; 32], ConfigError> {
    B64.decode(encoded.expose().trim())
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(ConfigError::BadEncryptionKey)
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

    const ORG: &str = "organization 1";

    fn derived() -> SecretBox {
        SecretBox::from_settings(None, None, &Secret::new("a session secret")).unwrap()
    }

    fn key(byte: u8) -> Secret {
        Secret::new(B64.encode([byte; 32]))
    }

    #[test]
    fn a_sealed_secret_opens_back_to_the_plaintext() {
        let sealed = derived().seal("hunter2", ORG);
        assert_ne!(sealed.ciphertext, "hunter2");
        assert_eq!(derived().open(&sealed, ORG).unwrap().expose(), "hunter2");
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let a = derived().seal("same", ORG);
        let b = derived().seal("same", ORG);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn a_secret_copied_to_another_owner_does_not_open() {
        let sealed = derived().seal("hunter2", ORG);
        assert!(matches!(
            derived().open(&sealed, "organization 2"),
            Err(OpenError::Corrupt)
        ));
    }

    #[test]
    fn a_secret_sealed_with_another_key_is_refused_by_key_id() {
        let other = SecretBox::from_settings(None, None, &Secret::new("another secret")).unwrap();
        let sealed = other.seal("x", ORG);
        assert!(matches!(
            derived().open(&sealed, ORG),
            Err(OpenError::OtherKey(_))
        ));
    }

    #[test]
    fn a_previous_key_still_opens_and_its_secrets_need_resealing() {
        let session = Secret::new("s");
        let old = SecretBox::from_settings(Some(&key(1)), None, &session).unwrap();
        let sealed = old.seal("hunter2", ORG);
        let new = SecretBox::from_settings(Some(&key(2)), Some(&key(1)), &session).unwrap();
        assert_eq!(new.open(&sealed, ORG).unwrap().expose(), "hunter2");
        assert!(new.needs_reseal(&sealed));
        let resealed = new.seal("hunter2", ORG);
        assert!(!new.needs_reseal(&resealed));
        let without_previous = SecretBox::from_settings(Some(&key(2)), None, &session).unwrap();
        assert!(matches!(
            without_previous.open(&sealed, ORG),
            Err(OpenError::OtherKey(_))
        ));
    }

    #[test]
    fn moving_from_the_derived_key_to_an_explicit_one_keeps_secrets_readable() {
        let session = Secret::new("s");
        let sealed = SecretBox::from_settings(None, None, &session)
            .unwrap()
            .seal("hunter2", ORG);
        let explicit = SecretBox::from_settings(Some(&key(3)), None, &session).unwrap();
        assert_eq!(explicit.open(&sealed, ORG).unwrap().expose(), "hunter2");
    }

    #[test]
    fn a_secret_of_the_first_releases_without_associated_data_still_opens() {
        let boxed = derived();
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = boxed
            .current
            .cipher
            .encrypt(&nonce, b"old".as_slice())
            .unwrap();
        let legacy = Sealed {
            ciphertext: B64.encode(ciphertext),
            nonce: B64.encode(nonce),
            key_id: boxed.key_id().to_owned(),
        };
        assert_eq!(boxed.open(&legacy, ORG).unwrap().expose(), "old");
        assert!(boxed.needs_reseal(&legacy));
    }

    #[test]
    fn a_tampered_ciphertext_is_refused() {
        let mut sealed = derived().seal("hunter2", ORG);
        let mut bytes = B64.decode(&sealed.ciphertext).unwrap();
        bytes[0] ^= 1;
        sealed.ciphertext = B64.encode(bytes);
        assert!(matches!(
            derived().open(&sealed, ORG),
            Err(OpenError::Corrupt)
        ));
    }

    #[test]
    fn an_encryption_key_must_be_32_base64_bytes() {
        let secret = Secret::new("s");
        assert!(SecretBox::from_settings(Some(&Secret::new("c2hvcnQ=")), None, &secret).is_err());
        let boxed = SecretBox::from_settings(Some(&key(7)), None, &secret).unwrap();
        assert_ne!(boxed.key_id(), derived().key_id());
    }
}
