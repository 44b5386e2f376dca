//! Checks shared by both formats: each cell read once into its typed value.

use backbeat_domain::FieldError;
use backbeat_domain::codes::{Isrc, Upc};
use backbeat_domain::money::{self, Currency, Decimal};
use backbeat_domain::territories::COUNTRIES;
use chrono::NaiveDate;

/// Transaction ids are the platform's; they only need to be there and of a sane length.
pub fn transaction_id(field: &str, value: &str) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if value.len() > 200 {
        return Err(FieldError::new(field, "must be at most 200 characters"));
    }
    Ok(value.to_owned())
}

pub fn isrc(field: &str, value: &str) -> Result<Option<Isrc>, FieldError> {
    optional(value).map(|v| Isrc::parse(field, v)).transpose()
}

pub fn upc(field: &str, value: &str) -> Result<Option<Upc>, FieldError> {
    optional(value).map(|v| Upc::parse(field, v)).transpose()
}

/// An ISO 3166-1 alpha-2 country, any case.
pub fn territory(field: &str, value: &str) -> Result<String, FieldError> {
    let code = value.trim().to_ascii_uppercase();
    if COUNTRIES.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err(FieldError::new(
            field,
            "must be an ISO 3166-1 alpha-2 country code (US, DE...)",
        ))
    }
}

/// A whole number of uses, zero or more.
pub fn units(field: &str, value: &str) -> Result<i64, FieldError> {
    let value = value.trim();
    match value.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        Ok(_) => Err(FieldError::new(field, "must not be negative")),
        Err(_) => Err(FieldError::new(field, "must be a whole number")),
    }
}

pub fn amount(field: &str, value: &str) -> Result<Decimal, FieldError> {
    money::parse_amount(field, value)
}

pub fn currency(field: &str, value: &str) -> Result<Currency, FieldError> {
    Currency::parse(field, value)
}

pub fn date(field: &str, value: &str) -> Result<Option<NaiveDate>, FieldError> {
    optional(value)
        .map(|v| backbeat_domain::dates::date(field, v))
        .transpose()
}

/// Free text (titles, artists): trimmed, `None` when blank, at most 500 characters kept.
pub fn text(value: &str) -> Option<String> {
    optional(value).map(|v| v.chars().take(500).collect())
}

fn optional(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty()).then_some(value)
}
