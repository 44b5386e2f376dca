//! Who may write the catalog (albums, songs, covers).
//!
//! By default a write needs an authenticated caller; the creator owns the row and only the owner
//! or an admin may change it. With `compat.openmusic_anonymous_catalog`, anonymous writes are
//! allowed as openMusic does: rows created anonymously have no owner and anyone may change them,
//! while rows that have an owner stay protected.

use std::ops::Deref;

use backbeat_domain::Actor;
use backbeat_domain::ids::UserId;

use crate::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub struct CatalogPolicy {
    pub anonymous_writes: bool,
}

impl CatalogPolicy {
    /// Fails early (401) when no anonymous write could succeed, before any input is read.
    pub fn require_writer(self, caller: Option<&Actor>) -> Result<()> {
        if caller.is_none() && !self.anonymous_writes {
            return Err(Error::AuthRequired);
        }
        Ok(())
    }

    /// The owner to record for a new row, or why the caller may not create one.
    pub fn creator(self, caller: Option<&Actor>) -> Result<Option<UserId>> {
        match (caller, self.anonymous_writes) {
            (Some(caller), _) => Ok(Some(caller.user_id.clone())),
            (None, true) => Ok(None),
            (None, false) => Err(Error::AuthRequired),
        }
    }

    /// Whether the caller may change or delete a row owned by `owner`.
    pub fn may_write(
        self,
        caller: Option<&Actor>,
        owner: Option<&UserId>,
        what: &str,
    ) -> Result<()> {
        match (caller, owner) {
            (None, None) if self.anonymous_writes => Ok(()),
            (None, _) => Err(Error::AuthRequired),
            (Some(caller), owner) if caller.may_act_on(owner) => Ok(()),
            (Some(_), None) if self.anonymous_writes => Ok(()),
            (Some(_), _) => Err(Error::Forbidden(format!("you may not change this {what}"))),
        }
    }
}

/// A row the caller was found allowed to change; only this module's checks make one.
#[derive(Debug, Clone)]
pub struct Writable<T>(T);

impl<T> Writable<T> {
    pub(crate) fn checked(row: T) -> Self {
        Self(row)
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Writable<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use backbeat_domain::Role;

    use super::*;

    fn user(id: &str, role: Role) -> Actor {
        Actor::session(UserId::from(id), role)
    }

    #[test]
    fn default_policy_needs_owners_or_admins() {
        let policy = CatalogPolicy {
            anonymous_writes: false,
        };
        let owner = UserId::from("u1");
        assert!(matches!(policy.creator(None), Err(Error::AuthRequired)));
        assert_eq!(
            policy.creator(Some(&user("u1", Role::User))).ok().flatten(),
            Some(owner.clone())
        );
        assert!(
            policy
                .may_write(Some(&user("u1", Role::User)), Some(&owner), "album")
                .is_ok()
        );
        assert!(matches!(
            policy.may_write(Some(&user("u2", Role::User)), Some(&owner), "album"),
            Err(Error::Forbidden(_))
        ));
        assert!(
            policy
                .may_write(Some(&user("u2", Role::Admin)), Some(&owner), "album")
                .is_ok()
        );
        assert!(matches!(
            policy.may_write(Some(&user("u2", Role::User)), None, "album"),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            policy.may_write(None, None, "album"),
            Err(Error::AuthRequired)
        ));
    }

    #[test]
    fn compat_policy_opens_ownerless_rows_only() {
        let policy = CatalogPolicy {
            anonymous_writes: true,
        };
        let owner = UserId::from("u1");
        assert_eq!(policy.creator(None).ok(), Some(None));
        assert!(policy.may_write(None, None, "album").is_ok());
        assert!(
            policy
                .may_write(Some(&user("u2", Role::User)), None, "album")
                .is_ok()
        );
        assert!(matches!(
            policy.may_write(None, Some(&owner), "album"),
            Err(Error::AuthRequired)
        ));
        assert!(matches!(
            policy.may_write(Some(&user("u2", Role::User)), Some(&owner), "album"),
            Err(Error::Forbidden(_))
        ));
    }
}
