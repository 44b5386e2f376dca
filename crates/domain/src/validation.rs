//! Field-level validation failures, shaped for the API's `details` array.

use serde::Serialize;

/// One field that failed validation, and why (`"must be a number"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("\"{field}\" {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The Joi-style sentence openMusic clients are used to: `"year" must be a number`.
    pub fn sentence(&self) -> String {
        format!("\"{}\" {}", self.field, self.message)
    }
}

/// Checks a required text value: not blank, at most `max_chars` characters.
pub fn text(field: &str, value: String, max_chars: usize) -> Result<String, FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "is not allowed to be empty"));
    }
    at_most(field, value, max_chars)
}

/// PostgreSQL's text cannot hold NUL: a value with one is refused rather than failing to store.
pub fn storable(field: &str, value: &str) -> Result<(), FieldError> {
    if value.contains('\0') {
        return Err(FieldError::new(field, "must not contain NUL characters"));
    }
    Ok(())
}

/// Checks a text value (possibly empty) is at most `max_chars` characters.
pub fn at_most(field: &str, value: String, max_chars: usize) -> Result<String, FieldError> {
    storable(field, &value)?;
    if value.chars().count() > max_chars {
        return Err(FieldError::new(
            field,
            format!("length must be less than or equal to {max_chars} characters long"),
        ));
    }
    Ok(value)
}
