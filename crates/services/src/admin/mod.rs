//! What only admins may do, and the administration of accounts.

pub mod users;

use backbeat_domain::Actor;

use crate::{Error, Result};

/// Refuses anyone but an admin: 403 "only admins {what}". An admin's API key passes, for the
/// operations the spec opens to keys with a scope (usage imports and royalty runs with
/// `royalties:write`); the request layer has already checked that scope.
pub fn require(actor: &Actor, what: &str) -> Result<()> {
    if actor.role.is_admin() {
        Ok(())
    } else {
        Err(Error::Forbidden(format!("only admins {what}")))
    }
}

/// An admin action proper: an admin signed in, never an API key, whatever its scopes.
pub fn require_session(actor: &Actor, what: &str) -> Result<()> {
    if actor.api_key.is_some() {
        return Err(Error::Forbidden(
            "admin actions cannot be done with an API key; sign in".to_owned(),
        ));
    }
    require(actor, what)
}
