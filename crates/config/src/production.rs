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
    database_password(settings)?;
    if settings.verification.allow_loopback {
        return Err(ConfigError::Invalid(
            "verification.allow_loopback lets user-given URLs reach this machine; it is for tests only"
                .to_owned(),
        ));
    }
    if !settings.wistia.base_url.starts_with("https://") {
        // The token travels in every request's headers.
        return Err(ConfigError::Invalid(format!(
            "wistia.base_url must be https:// in production, not {:?}",
            settings.wistia.base_url
        )));
    }
    Ok(())
}

const MIN_PASSWORD_BYTES: usize = 16;

/// The database password, from `database.password` or inside `database.url`: present, not a
/// sample value, at least 16 bytes.
fn database_password(settings: &Settings) -> Result<(), ConfigError> {
    let (password, name) = match &settings.database.url {
        Some(url) => (
            password_in_url(url.expose_secret()),
            names_for("APP_DATABASE__URL"),
        ),
        None => (
            settings
                .database
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned()),
            names_for("APP_DATABASE__PASSWORD"),
        ),
    };
    let password = password.filter(|p| !p.is_empty()).ok_or_else(|| {
        ConfigError::Invalid(format!(
            "the database password ({name}) is required in production"
        ))
    })?;
    let lower = password.to_ascii_lowercase();
    if DEVELOPMENT_MARKERS.iter().any(|m| lower.contains(m))
        || ["postgres", "password"].contains(&lower.as_str())
    {
        return Err(ConfigError::Invalid(format!(
            "the database password ({name}) is a development value"
        )));
    }
    if password.len() < MIN_PASSWORD_BYTES {
        return Err(ConfigError::Invalid(format!(
            "the database password ({name}) must be at least {MIN_PASSWORD_BYTES} bytes long"
        )));
    }
    Ok(())
}

/// `postgres://user:password@host/db` → the (percent-decoded) password.
fn password_in_url(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.split('/').next()?.rsplit_once('@')?.0;
    let encoded = userinfo.split_once(':')?.1;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = encoded
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
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
