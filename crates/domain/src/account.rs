//! Account values: what a sign-up must contain to be accepted.

use crate::validation::{FieldError, text};

pub const USERNAME_MAX: usize = 50;
pub const FULLNAME_MAX: usize = 100;
/// scrypt's cost does not grow with the input, but an unbounded body would; 1024 characters is
/// plenty.
pub const PASSWORD_MAX: usize = 1024;

/// A username: 1 to 50 letters, digits, `_`, `.` or `-`. Unique, case-sensitive (openMusic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(field: &str, value: String) -> Result<Self, FieldError> {
        let value = text(field, value, USERNAME_MAX)?;
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err(FieldError::new(
                field,
                "must only contain letters, digits, '_', '.' and '-'",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password as typed: not empty, at most 1024 characters. Never logged (no `Debug` of the content).
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(field: &str, value: String) -> Result<Self, FieldError> {
        if value.is_empty() {
            return Err(FieldError::new(field, "is not allowed to be empty"));
        }
        if value.chars().count() > PASSWORD_MAX {
            return Err(FieldError::new(
                field,
                format!("length must be less than or equal to {PASSWORD_MAX} characters long"),
            ));
        }
        Ok(Self(value))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

/// A display name: not blank, at most 100 characters.
pub fn parse_fullname(field: &str, value: String) -> Result<String, FieldError> {
    text(field, value, FULLNAME_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_checked() {
        assert!(Username::parse("username", "dicoding".into()).is_ok());
        assert!(Username::parse("username", "john.doe-1_x".into()).is_ok());
        assert_eq!(
            Username::parse("username", "".into())
                .expect_err("empty username")
                .sentence(),
            "\"username\" is not allowed to be empty"
        );
        assert!(Username::parse("username", "has space".into()).is_err());
        assert!(Username::parse("username", "x".repeat(51)).is_err());
    }

    #[test]
    fn passwords_never_print() {
        let p = Password::parse("password", "hunter2".into()).expect("valid");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(Password::parse("password", String::new()).is_err());
        assert!(Password::parse("password", "x".repeat(1025)).is_err());
    }
}
