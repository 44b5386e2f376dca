//! Who may write the catalog (albums, songs, covers).
//!
//! By default a write needs an authenticated caller; the creator owns the row and only the owner
//! or an admin may change it. With `compat.openmusic_anonymous_catalog`, anonymous writes are
//! allowed as openMusic does: rows created anonymously have no owner and anyone may change them,
//! while rows that have an owner stay protected.

use crate::auth::MaybeCaller;
use crate::error::ApiError;

#[derive(Debug, Clone, Copy)]
pub struct CatalogPolicy {
    pub anonymous_writes: bool,
}

impl CatalogPolicy {
    /// Fails early (401) when no anonymous write could succeed, before any input is read.
    pub fn require_writer(self, caller: &MaybeCaller) -> Result<(), ApiError> {
        if caller.0.is_none() && !self.anonymous_writes {
            return Err(ApiError::AuthRequired);
        }
        Ok(())
    }

    /// The owner to record for a new row, or why the caller may not create one.
    pub fn creator(self, caller: &MaybeCaller) -> Result<Option<String>, ApiError> {
        match (&caller.0, self.anonymous_writes) {
            (Some(caller), _) => Ok(Some(caller.user_id.to_string())),
            (None, true) => Ok(None),
            (None, false) => Err(ApiError::AuthRequired),
        }
    }

    /// Whether the caller may change or delete a row owned by `owner`.
    pub fn may_write(
        self,
        caller: &MaybeCaller,
        owner: Option<&str>,
        what: &str,
    ) -> Result<(), ApiError> {
        match (&caller.0, owner) {
            (None, None) if self.anonymous_writes => Ok(()),
            (None, _) => Err(ApiError::AuthRequired),
            (Some(caller), owner) if caller.may_act_on(owner) => Ok(()),
            (Some(_), None) if self.anonymous_writes => Ok(()),
            (Some(_), _) => Err(ApiError::Forbidden(format!(
                "you may not change this {what}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use backbeat_domain::Role;
    use backbeat_domain::ids::UserId;

    use super::*;
    use crate::auth::Caller;

    fn user(id: &str, role: Role) -> MaybeCaller {
        MaybeCaller(Some(Caller {
            user_id: UserId(id.to_owned()),
            role,
        }))
    }

    #[test]
    fn default_policy_needs_owners_or_admins() {
        let policy = CatalogPolicy {
            anonymous_writes: false,
        };
        let anonymous = MaybeCaller(None);
        assert!(matches!(
            policy.creator(&anonymous),
            Err(ApiError::AuthRequired)
        ));
        assert_eq!(
            policy
                .creator(&user("u1", Role::User))
                .ok()
                .flatten()
                .as_deref(),
            Some("u1")
        );
        assert!(
            policy
                .may_write(&user("u1", Role::User), Some("u1"), "album")
                .is_ok()
        );
        assert!(matches!(
            policy.may_write(&user("u2", Role::User), Some("u1"), "album"),
            Err(ApiError::Forbidden(_))
        ));
        assert!(
            policy
                .may_write(&user("u2", Role::Admin), Some("u1"), "album")
                .is_ok()
        );
        assert!(matches!(
            policy.may_write(&user("u2", Role::User), None, "album"),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            policy.may_write(&anonymous, None, "album"),
            Err(ApiError::AuthRequired)
        ));
    }

    #[test]
    fn compat_policy_opens_ownerless_rows_only() {
        let policy = CatalogPolicy {
            anonymous_writes: true,
        };
        let anonymous = MaybeCaller(None);
        assert_eq!(policy.creator(&anonymous).ok(), Some(None));
        assert!(policy.may_write(&anonymous, None, "album").is_ok());
        assert!(
            policy
                .may_write(&user("u2", Role::User), None, "album")
                .is_ok()
        );
        assert!(matches!(
            policy.may_write(&anonymous, Some("u1"), "album"),
            Err(ApiError::AuthRequired)
        ));
        assert!(matches!(
            policy.may_write(&user("u2", Role::User), Some("u1"), "album"),
            Err(ApiError::Forbidden(_))
        ));
    }
}
