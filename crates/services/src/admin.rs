//! What only admins may do (until API keys bring scopes).

use backbeat_domain::Actor;

use crate::{Error, Result};

/// Refuses anyone but an admin: 403 "only admins {what}".
pub fn require(actor: &Actor, what: &str) -> Result<()> {
    if actor.role.is_admin() {
        Ok(())
    } else {
        Err(Error::Forbidden(format!("only admins {what}")))
    }
}
