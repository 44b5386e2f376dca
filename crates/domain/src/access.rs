//! Who is acting: the authenticated account behind a request or a job.

use crate::Role;
use crate::ids::UserId;

/// An authenticated account. Owners act on their rows; admins on every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub role: Role,
}

impl Actor {
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
        let user = Actor {
            user_id: owner.clone(),
            role: Role::User,
        };
        assert!(user.may_act_on(Some(&owner)));
        assert!(!user.may_act_on(Some(&other)));
        assert!(!user.may_act_on(None));
        let admin = Actor {
            user_id: other,
            role: Role::Admin,
        };
        assert!(admin.may_act_on(Some(&owner)) && admin.may_act_on(None));
    }
}
