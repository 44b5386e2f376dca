//! Account administration: admins find accounts and change their role and status.
//!
//! Rules: a role can be granted only up to one's own (`super_admin` only by a super admin), and
//! an admin cannot change an account ranked above them; nobody suspends themselves; the last
//! active super admin can be neither demoted nor suspended (the super admins are locked while
//! the change commits, so two concurrent demotions cannot both pass). A suspension deletes the
//! account's refresh tokens in the same transaction, and the change is mirrored to Redis before
//! the response, so the account's access tokens and API keys stop working on the next request,
//! on every API process.

use backbeat_db::users::{self, Account};
use backbeat_db::{AsyncPgConnection, refresh_tokens};
use backbeat_domain::access::UserStatus;
use backbeat_domain::ids::UserId;
use backbeat_domain::paging::{Cursor, Page};
use backbeat_domain::{Actor, Role};
use diesel_async::AsyncConnection;

use crate::audit::{self, Target};
use crate::{Context, Error, Result};

const WHAT: &str = "administer accounts";

pub struct Search<'a> {
    pub text: Option<&'a str>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

pub async fn search(
    ctx: &Context,
    actor: &Actor,
    search: Search<'_>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Account>> {
    crate::admin::require_session(actor, WHAT)?;
    let rows = users::search(
        &mut *ctx.conn().await?,
        search.text,
        search.role,
        search.status,
        after,
        limit + 1,
    )
    .await?;
    Ok(Page::from_rows(rows, limit, |account| Cursor {
        at: account.created_at,
        id: account.id.to_string(),
    }))
}

/// What to change; absent fields stay as they are.
#[derive(Debug, Default, Clone, Copy)]
pub struct Change {
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
}

/// Who makes a change: an admin through the API, or the operator's command line (which may do
/// anything but leave the platform without an active super admin).
#[derive(Debug, Clone, Copy)]
pub enum ChangedBy<'a> {
    Admin(&'a Actor),
    Operator,
}

impl ChangedBy<'_> {
    fn audit_id(&self) -> &str {
        match self {
            ChangedBy::Admin(actor) => actor.user_id.as_str(),
            ChangedBy::Operator => audit::OPERATOR,
        }
    }
}

pub async fn update(ctx: &Context, actor: &Actor, id: &UserId, change: Change) -> Result<Account> {
    crate::admin::require_session(actor, WHAT)?;
    apply(ctx, ChangedBy::Admin(actor), Found::Id(id), change).await
}

/// `./dev promote USER ROLE`: the operator's way to make the first admins.
pub async fn set_role_as_operator(ctx: &Context, username: &str, role: Role) -> Result<Account> {
    let change = Change {
        role: Some(role),
        status: None,
    };
    apply(ctx, ChangedBy::Operator, Found::Username(username), change).await
}

enum Found<'a> {
    Id(&'a UserId),
    Username(&'a str),
}

async fn apply(
    ctx: &Context,
    by: ChangedBy<'_>,
    found: Found<'_>,
    change: Change,
) -> Result<Account> {
    let mut conn = ctx.conn().await?;
    let (before, after) = conn
        .transaction::<_, Error, _>(async |conn| {
            let before = match found {
                Found::Id(id) => users::lock(conn, id).await?,
                Found::Username(name) => users::lock_by_username(conn, name).await?,
            }
            .ok_or_else(|| Error::not_found("user"))?;
            let role = change.role.unwrap_or(before.role);
            let status = change.status.unwrap_or(before.status);
            if role == before.role && status == before.status {
                return Ok((before.clone(), before));
            }
            if let ChangedBy::Admin(actor) = by {
                check_rank(actor, &before, role, status)?;
            }
            keep_a_super_admin(conn, &before, role, status).await?;
            let changed_at = users::set_access(conn, &before.id, role, status).await?;
            if status == UserStatus::Suspended {
                refresh_tokens::revoke_all_of(conn, &before.id).await?;
            }
            let after = Account {
                role,
                status,
                ..before.clone()
            };
            audit::record(
                conn,
                by.audit_id(),
                "user.update",
                Target {
                    kind: "user",
                    id: before.id.as_str(),
                },
                audit::state(&Access::of(&before))?,
                audit::state(&Access::of(&after))?,
            )
            .await?;
            // Before the commit: should Redis refuse the write, the change is not made, rather
            // than made and not enforced.
            crate::access::mirror_account(ctx, &after.id, role, status, changed_at).await?;
            Ok((before, after))
        })
        .await?;
    if before.role != after.role || before.status != after.status {
        tracing::info!(
            user_id = %after.id,
            by = by.audit_id(),
            role = %after.role,
            status = %after.status,
            "account access changed"
        );
    }
    Ok(after)
}

/// The part of an account the log records for this action.
#[derive(serde::Serialize)]
struct Access {
    role: Role,
    status: UserStatus,
}

impl Access {
    fn of(account: &Account) -> Self {
        Self {
            role: account.role,
            status: account.status,
        }
    }
}

fn check_rank(actor: &Actor, target: &Account, role: Role, status: UserStatus) -> Result<()> {
    if role > actor.role {
        return Err(Error::Forbidden(format!(
            "you can grant roles up to {} only",
            actor.role
        )));
    }
    if target.role > actor.role {
        return Err(Error::Forbidden(format!(
            "only a {} can change a {}",
            target.role, target.role
        )));
    }
    if target.id == actor.user_id && status == UserStatus::Suspended {
        return Err(Error::Conflict("you cannot suspend yourself".to_owned()));
    }
    Ok(())
}

async fn keep_a_super_admin(
    conn: &mut AsyncPgConnection,
    target: &Account,
    role: Role,
    status: UserStatus,
) -> Result<()> {
    let was_active_super = target.role == Role::SuperAdmin && target.status == UserStatus::Active;
    let stays_active_super = role == Role::SuperAdmin && status == UserStatus::Active;
    if !was_active_super || stays_active_super {
        return Ok(());
    }
    let supers = users::lock_active_super_admins(conn).await?;
    if supers.iter().all(|id| id == &target.id) {
        return Err(Error::Conflict(
            "the last active super admin cannot be demoted or suspended".to_owned(),
        ));
    }
    Ok(())
}
