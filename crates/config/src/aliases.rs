//! The openMusic environment variable names, mapped onto backbeat's `APP_` keys.

use std::collections::HashMap;

const ALIASES: &[(&str, &str)] = &[
    ("HOST", "APP_SERVER__HOST"),
    ("PORT", "APP_SERVER__PORT"),
    ("DATABASE_URL", "APP_DATABASE__URL"),
    ("PGHOST", "APP_DATABASE__HOST"),
    ("PGPORT", "APP_DATABASE__PORT"),
    ("PGUSER", "APP_DATABASE__USER"),
    ("PGPASSWORD", "APP_DATABASE__PASSWORD"),
    ("PGDATABASE", "APP_DATABASE__NAME"),
    ("ACCESS_TOKEN_KEY", "APP_AUTH__ACCESS_TOKEN_KEY"),
    ("REFRESH_TOKEN_KEY", "APP_AUTH__REFRESH_TOKEN_KEY"),
    ("ACCESS_TOKEN_AGE", "APP_AUTH__ACCESS_TOKEN_AGE_SECS"),
    ("REDIS_SERVER", "APP_REDIS__URL"),
    ("RABBITMQ_SERVER", "APP_RABBITMQ__URL"),
    ("SMTP_HOST", "APP_SMTP__HOST"),
    ("SMTP_PORT", "APP_SMTP__PORT"),
    ("SMTP_USER", "APP_SMTP__USERNAME"),
    ("SMTP_PASSWORD", "APP_SMTP__PASSWORD"),
];

/// The `APP_` variables implied by the openMusic names present in `vars`.
pub(crate) fn to_app_vars(vars: &HashMap<String, String>) -> HashMap<String, String> {
    ALIASES
        .iter()
        .filter_map(|(alias, key)| {
            let value = vars.get(*alias)?;
            let value = match *alias {
                // openMusic deployments give a bare host name here.
                "REDIS_SERVER" if !value.contains("://") => format!("redis://{value}:6379"),
                "RABBITMQ_SERVER" if !value.contains("://") => format!("amqp://{value}"),
                _ => value.clone(),
            };
            Some(((*key).to_owned(), value))
        })
        .collect()
}

/// The variable names an operator may set for a key, for error messages.
pub(crate) fn names_for(app_key: &str) -> String {
    match ALIASES.iter().find(|(_, key)| *key == app_key) {
        Some((alias, _)) => format!("{alias} (or {app_key})"),
        None => app_key.to_owned(),
    }
}
