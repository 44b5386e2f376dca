//! Email addresses as people type them into a form: checked for shape, not deliverability.

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// RFC 5321's limit on a forward path.
pub const EMAIL_MAX: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &str, value: String) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "must be a valid email");
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(FieldError::new(field, "is not allowed to be empty"));
        }
        if value.len() > EMAIL_MAX || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
        if !(domain_ok && local_ok) {
            return Err(invalid());
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("email", value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses_and_refuses_the_rest() {
        for ok in [
            "listener@example.com",
            "first.last+tag@mail.example.co.id",
            "a@b.co",
        ] {
            assert!(
                EmailAddress::parse("targetEmail", ok.into()).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@c.com",
            "a@@b.com",
            "a@b..com",
            "a@-b.com",
            ".a@b.com",
            "a\n@b.com",
        ] {
            assert!(
                EmailAddress::parse("targetEmail", bad.into()).is_err(),
                "{bad:?}"
            );
        }
    }
}
