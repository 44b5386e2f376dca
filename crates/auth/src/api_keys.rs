//! API key secrets: `bbk_` and 40 random alphanumerics (about 238 bits). Only an HMAC-SHA256 of a
//! secret is stored: with that much entropy a fast keyed hash is as safe as a password hash, and
//! looking a key up costs microseconds on every request instead of scrypt's tenths of a second.
//! The server-side key means a leaked table cannot even be checked against guesses.

use backbeat_config::AuthSettings;
use backbeat_config::secrecy::ExposeSecret;
use hmac::{KeyInit, Mac};
use rand::RngExt;

/// Every key starts with this, so that it is recognisable in a header, a log or a leaked file.
pub const PREFIX: &str = "bbk_";
const RANDOM_LEN: usize = 40;
/// How much of a key lists show: the prefix and 8 characters, enough to tell keys apart.
const SHOWN_LEN: usize = PREFIX.len() + 8;
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

type HmacSha256 = hmac::Hmac<sha2_hmac::Sha256>;

/// A new key: the secret (shown once), the part lists show, and what is stored.
pub struct NewKey {
    pub secret: String,
    pub shown_prefix: String,
    pub hash: Vec<u8>,
}

pub struct ApiKeys {
    mac: HmacSha256,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeys([REDACTED])")
    }
}

impl ApiKeys {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<Self> {
        let key = settings
            .api_key_hash_key
            .as_ref()
            .map(|k| k.expose_secret().as_bytes().to_vec())
            .filter(|k| !k.is_empty())
            .ok_or_else(|| anyhow::anyhow!("APP_AUTH__API_KEY_HASH_KEY is not configured"))?;
        let mac = HmacSha256::new_from_slice(&key)
            .map_err(|e| anyhow::anyhow!("invalid API key hash key: {e}"))?;
        Ok(Self { mac })
    }

    pub fn generate(&self) -> NewKey {
        let mut rng = rand::rng();
        let mut secret = String::with_capacity(PREFIX.len() + RANDOM_LEN);
        secret.push_str(PREFIX);
        for _ in 0..RANDOM_LEN {
            secret.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
        }
        NewKey {
            shown_prefix: secret[..SHOWN_LEN].to_owned(),
            hash: self.hash_secret(&secret),
            secret,
        }
    }

    /// The stored hash of a presented key, or `None` when it cannot be one of ours (checked
    /// before hashing, so garbage costs nothing).
    pub fn hash(&self, presented: &str) -> Option<Vec<u8>> {
        is_well_formed(presented).then(|| self.hash_secret(presented))
    }

    fn hash_secret(&self, secret: &str) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// Whether a bearer credential is an API key rather than a JWT (which never starts this way).
pub fn looks_like_key(credential: &str) -> bool {
    credential.starts_with(PREFIX)
}

fn is_well_formed(presented: &str) -> bool {
    presented.len() == PREFIX.len() + RANDOM_LEN
        && presented.starts_with(PREFIX)
        && presented[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use backbeat_config::secrecy::SecretString;

    use super::*;

    fn keys(secret: &str) -> ApiKeys {
        let mut settings = backbeat_config::Settings::load_from(Vec::new())
            .expect("local settings")
            .auth;
        settings.api_key_hash_key = Some(SecretString::from(secret));
        ApiKeys::new(&settings).expect("keys")
    }

    #[test]
    fn a_key_hashes_to_what_was_stored_and_only_under_the_same_server_key() {
        let keys_a = keys("server-key-a");
        let new = keys_a.generate();
        assert!(looks_like_key(&new.secret));
        assert_eq!(new.secret.len(), 44);
        assert!(new.secret.starts_with(&new.shown_prefix));
        assert_eq!(keys_a.hash(&new.secret), Some(new.hash.clone()));
        assert_ne!(keys("server-key-b").hash(&new.secret), Some(new.hash));
        assert_ne!(keys_a.generate().secret, new.secret);
    }

    #[test]
    fn malformed_keys_are_refused_before_hashing() {
        let keys = keys("server-key");
        let good = keys.generate().secret;
        assert!(keys.hash(&good[..43]).is_none());
        assert!(keys.hash(&format!("{good}x")).is_none());
        assert!(keys.hash(&good.replacen("bbk_", "bbx_", 1)).is_none());
        assert!(keys.hash(&format!("{}!", &good[..43])).is_none());
    }
}
