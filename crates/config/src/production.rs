//! What the production profile refuses to start without.

use secrecy::{ExposeSecret, SecretString};

use crate::{ConfigError, Settings, aliases::names_for};

const MIN_KEY_BYTES: usize = 32;

/// Any key containing one of these came from a sample file, not a secret store.
const DEVELOPMENT_MARKERS: &[&str] = &[
    "dev-",
    "compose-",
    "do-not-use",
    "changeme",
    "change-me",
    "secret",
];

pub(crate) fn check(settings: &Settings) -> Result<(), ConfigError> {
    let access = signing_key(
        &settings.auth.access_token_key,
        "APP_AUTH__ACCESS_TOKEN_KEY",
    )?;
    let refresh = signing_key(
        &settings.auth.refresh_token_key,
        "APP_AUTH__REFRESH_TOKEN_KEY",
    )?;
    if access == refresh {
        return Err(ConfigError::Invalid(format!(
            "{} must differ from the access token key",
            names_for("APP_AUTH__REFRESH_TOKEN_KEY")
        )));
    }
    let api_keys = signing_key(
        &settings.auth.api_key_hash_key,
        "APP_AUTH__API_KEY_HASH_KEY",
    )?;
    if api_keys == access || api_keys == refresh {
        return Err(ConfigError::Invalid(format!(
            "{} must differ from the token keys",
            names_for("APP_AUTH__API_KEY_HASH_KEY")
        )));
    }
    if settings.database.url.is_none() {
        let missing = settings
            .database
            .password
            .as_ref()
            .is_none_or(|p| p.expose_secret().is_empty());
        if missing {
            return Err(ConfigError::Invalid(format!(
                "{} is required in production (or a full {})",
                names_for("APP_DATABASE__PASSWORD"),
                names_for("APP_DATABASE__URL")
            )));
        }
    }
    Ok(())
}

fn signing_key<'a>(value: &'a Option<SecretString>, app_key: &str) -> Result<&'a str, ConfigError> {
    let name = names_for(app_key);
    let key = value
        .as_ref()
        .map(|k| k.expose_secret())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| ConfigError::Invalid(format!("{name} is required in production")))?;
    let lower = key.to_ascii_lowercase();
    if DEVELOPMENT_MARKERS.iter().any(|m| lower.contains(m)) {
        return Err(ConfigError::Invalid(format!(
            "{name} is a development key; set a random secret of at least {MIN_KEY_BYTES} bytes"
        )));
    }
    if key.len() < MIN_KEY_BYTES {
        return Err(ConfigError::Invalid(format!(
            "{name} must be at least {MIN_KEY_BYTES} bytes long"
        )));
    }
    Ok(key)
}
