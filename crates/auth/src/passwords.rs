//! scrypt password hashes in PHC format, computed on the blocking pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use backbeat_config::ScryptSettings;
use backbeat_domain::account::Password;
use backbeat_telemetry::spawn_blocking_with_tracing;
use scrypt::Scrypt;
use scrypt::password_hash::phc::PasswordHash;
use scrypt::password_hash::{PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

/// Hashes and verifies passwords. Each hash holds `128 * N * r` bytes (128 MiB at N=2^17, r=8),
/// so a semaphore bounds how many run at once; a caller waits at most `wait` for a slot, so a
/// login storm is turned away instead of queueing without bound.
///
/// An unknown username is verified against a decoy hash, so that it takes as long as a wrong
/// password, but only when a slot is free at once: when every slot is busy (a flood of guessed
/// usernames), it waits as long as a verification takes instead, and leaves the slots to
/// accounts that exist.
#[derive(Clone)]
pub struct Passwords {
    hasher: Scrypt,
    permits: Arc<Semaphore>,
    wait: Option<Duration>,
    decoy: Arc<str>,
    /// A moving average of how long verifications take, in microseconds.
    typical_micros: Arc<AtomicU64>,
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every slot stayed taken for the whole wait: too many hashes at once.
    #[error("password hashing is saturated")]
    Busy,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl Passwords {
    pub async fn new(settings: ScryptSettings, max_concurrent: usize) -> anyhow::Result<Self> {
        let params = scrypt::Params::new(settings.log_n, settings.r, settings.p)
            .map_err(|e| anyhow::anyhow!("invalid scrypt parameters: {e}"))?;
        let hasher = Scrypt::new_with_params(params);
        let decoy_input: String = backbeat_domain::ids::new_id("decoy");
        let started = Instant::now();
        let decoy = spawn_blocking_with_tracing(move || hash_with(&hasher, &decoy_input)).await??;
        let typical = started.elapsed().as_micros() as u64;
        Ok(Self {
            hasher,
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            wait: None,
            decoy: decoy.into(),
            typical_micros: Arc::new(AtomicU64::new(typical)),
        })
    }

    /// Gives up on a slot after `wait` ([`HashError::Busy`]) instead of waiting without bound.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = Some(wait);
        self
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, HashError> {
        let acquire = self.permits.acquire();
        let permit = match self.wait {
            Some(wait) => tokio::time::timeout(wait, acquire)
                .await
                .map_err(|_| HashError::Busy)?,
            None => acquire.await,
        };
        permit.map_err(|e| HashError::Failed(e.into()))
    }

    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let _permit = self.permit().await?;
        let hasher = self.hasher;
        let password = password.expose().to_owned();
        Ok(
            spawn_blocking_with_tracing(move || hash_with(&hasher, &password))
                .await
                .map_err(anyhow::Error::from)??,
        )
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown user) it still runs one
    /// verification against a decoy, so both failures take the same time.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, HashError> {
        let known = stored.is_some();
        let _permit = if known {
            self.permit().await?
        } else {
            match self.permits.try_acquire() {
                Ok(permit) => permit,
                Err(_) => {
                    let typical = self.typical_micros.load(Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_micros(typical)).await;
                    return Ok(false);
                }
            }
        };
        let stored = stored.unwrap_or_else(|| self.decoy.to_string());
        let started = Instant::now();
        let password = password.to_owned();
        let hasher = self.hasher;
        let matches = spawn_blocking_with_tracing(move || {
            PasswordHash::new(&stored)
                .map(|parsed| hasher.verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .map_err(anyhow::Error::from)?;
        let took = started.elapsed().as_micros() as u64;
        let typical = self.typical_micros.load(Ordering::Relaxed);
        self.typical_micros
            .store(typical - typical / 8 + took / 8, Ordering::Relaxed);
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

    /// A hasher with one slot, at the local profile's cost.
    async fn one_slot() -> Passwords {
        let settings = ScryptSettings {
            log_n: 14,
            r: 8,
            p: 1,
        };
        Passwords::new(settings, 1).await.expect("params")
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_saturated_hasher_turns_callers_away_after_the_wait() {
        let passwords = one_slot().await.with_wait(Duration::from_millis(1));
        let password = Password::parse("password", "correct horse".into()).expect("valid");
        let results =
            futures_util::future::join_all((0..4).map(|_| passwords.hash(&password))).await;
        assert!(results.iter().any(Result::is_ok), "one hash gets the slot");
        assert!(
            results.iter().any(|r| matches!(r, Err(HashError::Busy))),
            "the others give up instead of queueing"
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn unknown_usernames_leave_busy_slots_to_real_accounts() {
        let passwords = one_slot().await.with_wait(Duration::from_secs(5));
        let password = Password::parse("password", "correct horse".into()).expect("valid");
        let stored = passwords.hash(&password).await.expect("hash");
        // While the only slot is held, a guess at an unknown username does not queue for it...
        let held = passwords
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("slot");
        let unknown = passwords.verify("guess", None);
        // Had it queued, it would give up after the 5 s wait (`Busy`); the timeout only keeps a
        // broken build from hanging, with room for a dummy hash on a loaded machine.
        let answered = tokio::time::timeout(Duration::from_secs(30), unknown)
            .await
            .expect("answered");
        assert!(!answered.expect("answered without waiting for the slot"));
        // ...while a real account's login waits for it.
        let known = tokio::spawn({
            let passwords = passwords.clone();
            async move { passwords.verify("correct horse", Some(stored)).await }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!known.is_finished(), "a known account waits for the slot");
        drop(held);
        assert!(known.await.expect("task").expect("verify"));
    }
}
