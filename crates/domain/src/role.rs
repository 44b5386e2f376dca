use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What an account may do beyond what it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Admin,
    SuperAdmin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::User, Role::Admin, Role::SuperAdmin];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
            Role::SuperAdmin => "super_admin",
        }
    }

    /// Admins and super admins may act on any row.
    pub const fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::SuperAdmin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}` (expected user, admin or super_admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            "super_admin" => Ok(Role::SuperAdmin),
            other => Err(UnknownRole(other.to_owned())),
        }
    }
}

// The column has a CHECK constraint, so an unknown value cannot be stored.
#[cfg(feature = "diesel")]
crate::sql::text_column!(Role, |role| role.as_str(), |text| text
    .parse()
    .map_err(|e: UnknownRole| e.to_string().into()));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::User, Role::Admin, Role::SuperAdmin] {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert!("root".parse::<Role>().is_err());
        assert!(Role::Admin.is_admin() && !Role::User.is_admin());
    }
}
