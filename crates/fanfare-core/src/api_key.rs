//! Admin API keys. A key is shown once, when it is created; only its SHA-256 is stored. A plain
//! (fast, unsalted) hash is enough because keys are 256 random bits, not passwords a person chose:
//! there is no dictionary to try against a leaked hash.

use chrono::{DateTime, Utc};

use crate::fan::{Secret, hash_secret};
use crate::validation::{ValidationError, clean_text};

/// Every key starts with this, so a leaked key is recognisable by secret scanners and people.
pub const KEY_PREFIX: &str = "ffk_";
/// How much of a key is kept in clear to tell keys apart in listings.
const DISPLAY_PREFIX_LEN: usize = KEY_PREFIX.len() + 8;
pub const NAME_MAX_CHARS: usize = 100;

/// A freshly generated key: the secret to show once, and what is stored.
#[derive(Debug)]
pub struct NewApiKey {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

impl NewApiKey {
    pub fn generate() -> Self {
        let Secret { value, hash } = Secret::generate(KEY_PREFIX);
        Self {
            hash,
            prefix: value[..DISPLAY_PREFIX_LEN].to_owned(),
            secret: value,
        }
    }
}

/// The stored form of a key: lowercase hex SHA-256.
pub fn hash_api_key(secret: &str) -> String {
    hash_secret(secret)
}

/// A key's human name ("ci", "dashboard-import").
pub fn parse_key_name(value: &str) -> Result<String, ValidationError> {
    clean_text("name", value, NAME_MAX_CHARS, false)
}

/// What is known about a stored key (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_prefixed_and_hash_to_what_is_stored() {
        let a = NewApiKey::generate();
        let b = NewApiKey::generate();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.starts_with(KEY_PREFIX));
        assert_eq!(a.secret.len(), KEY_PREFIX.len() + 43);
        assert!(a.secret.starts_with(&a.prefix));
        assert_eq!(hash_api_key(&a.secret), a.hash);
        assert_ne!(a.hash, b.hash);
        assert_eq!(a.hash.len(), 64);
    }

    #[test]
    fn known_sha256_vector() {
        assert_eq!(
            hash_api_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
