//! Who is acting: the authenticated account behind a request or a job, and what an API key may
//! do on its behalf.

use crate::Role;
use crate::ids::{ApiKeyId, UserId};
use crate::text_enum::text_enum;

text_enum! {
    /// What an API key may do; a key acts as its owner, limited to these.
    pub enum Scope {
        CatalogRead = "catalog:read",
        CatalogWrite = "catalog:write",
        PlaylistsRead = "playlists:read",
        PlaylistsWrite = "playlists:write",
        DistributionRead = "distribution:read",
        DistributionWrite = "distribution:write",
        AnalyticsRead = "analytics:read",
        RoyaltiesRead = "royalties:read",
        RoyaltiesWrite = "royalties:write",
        VideosWrite = "videos:write",
    }
}

text_enum! {
    /// Whether an account may sign in and use its tokens and keys.
    pub enum UserStatus {
        Active = "active",
        Suspended = "suspended",
    }
}

/// An authenticated account. Owners act on their rows; admins on every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
    /// The API key the request came with; `None` for a login session. Admin actions refuse keys.
    pub api_key: Option<ApiKeyId>,
}

impl Actor {
    /// An account acting through a login session (an access token, or a job it started).
    pub fn session(user_id: UserId, role: Role) -> Self {
        Self {
            user_id,
            role,
            api_key: None,
        }
    }

    pub fn may_act_on(&self, owner: Option<&UserId>) -> bool {
        self.role.is_admin() || owner == Some(&self.user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_and_admins_may_act() {
        let owner = UserId::from("user-1");
        let other = UserId::from("user-2");
        let user = Actor::session(owner.clone(), Role::User);
        assert!(user.may_act_on(Some(&owner)));
        assert!(!user.may_act_on(Some(&other)));
        assert!(!user.may_act_on(None));
        let admin = Actor::session(other, Role::Admin);
        assert!(admin.may_act_on(Some(&owner)) && admin.may_act_on(None));
    }

    #[test]
    fn scopes_are_written_as_the_spec_names_them() {
        assert_eq!(Scope::parse("royalties:write"), Some(Scope::RoyaltiesWrite));
        assert_eq!(Scope::ALL.len(), 10);
        assert!(Scope::parse("admin").is_none());
    }
}
