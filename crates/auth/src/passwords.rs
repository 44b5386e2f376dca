//! scrypt password hashes in PHC format, computed on the blocking pool.

use std::sync::Arc;

use backbeat_config::ScryptSettings;
use backbeat_domain::account::Password;
use backbeat_telemetry::spawn_blocking_with_tracing;
use scrypt::Scrypt;
use scrypt::password_hash::phc::PasswordHash;
use scrypt::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

/// Hashes and verifies passwords. Each hash holds `128 * N * r` bytes (128 MiB at N=2^17, r=8),
/// so a semaphore bounds how many run at once: a login storm queues instead of exhausting memory.
#[derive(Clone)]
pub struct Passwords {
    hasher: Scrypt,
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so that case costs one full scrypt too.
    decoy: Arc<str>,
}

impl Passwords {
    pub async fn new(settings: ScryptSettings, max_concurrent: usize) -> anyhow::Result<Self> {
        let params = scrypt::Params::new(settings.log_n, settings.r, settings.p)
            .map_err(|e| anyhow::anyhow!("invalid scrypt parameters: {e}"))?;
        let hasher = Scrypt::new_with_params(params);
        let decoy_input: String = backbeat_domain::ids::new_id("decoy");
        let decoy = spawn_blocking_with_tracing(move || hash_with(&hasher, &decoy_input)).await??;
        Ok(Self {
            hasher,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            decoy: decoy.into(),
        })
    }

    pub async fn hash(&self, password: &Password) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let hasher = self.hasher;
        let password = password.expose().to_owned();
        spawn_blocking_with_tracing(move || hash_with(&hasher, &password)).await?
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown user) it still runs one
    /// verification against a decoy, so both failures take the same time.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let known = stored.is_some();
        let stored = stored.unwrap_or_else(|| self.decoy.to_string());
        let password = password.to_owned();
        let hasher = self.hasher;
        let matches = spawn_blocking_with_tracing(move || {
            PasswordHash::new(&stored)
                .map(|parsed| hasher.verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await?;
        Ok(known && matches)
    }
}

fn hash_with(hasher: &Scrypt, password: &str) -> anyhow::Result<String> {
    hasher
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("scrypt failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn hashes_are_phc_strings_that_verify() {
        let passwords = Passwords::new(
            ScryptSettings {
                log_n: 10,
                r: 8,
                p: 1,
            },
            2,
        )
        .await
        .expect("params");
        let password = Password::parse("password", "correct horse".into()).expect("valid");
        let hash = passwords.hash(&password).await.expect("hash");
        assert!(hash.starts_with("$scrypt$ln=10,r=8,p=1$"), "{hash}");
        assert!(
            passwords
                .verify("correct horse", Some(hash.clone()))
                .await
                .expect("verify")
        );
        assert!(!passwords.verify("wrong", Some(hash)).await.expect("verify"));
        assert!(
            !passwords
                .verify("correct horse", None)
                .await
                .expect("verify")
        );
        assert!(
            !passwords
                .verify("x", Some("not a phc string".into()))
                .await
                .expect("verify")
        );
    }
}
