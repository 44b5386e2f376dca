//! The audit log: every admin action and every API key created or revoked, with who, what, when,
//! and the target's state before and after. Written in the transaction of the change it records,
//! so a change never happens unrecorded (a usage report's removal, which spans transactions of
//! its own, is recorded once it is complete); read by admins.

use backbeat_db::AsyncPgConnection;
use backbeat_db::audit_events::{self, AuditEvent, NewAuditEvent};
use backbeat_domain::Actor;
use backbeat_domain::paging::{NumberCursor, Page};
use serde::Serialize;
use serde_json::Value;

use crate::{Context, Result};

/// Who acts when no account does: the operator's command line.
pub const OPERATOR: &str = "operator:cli";

/// What was changed: `("user", id)`, `("platform", id)`, ...
pub struct Target<'a> {
    pub kind: &'static str,
    pub id: &'a str,
}

/// Records one change. `before` is `None` for a creation, `after` for a deletion.
pub async fn record(
    conn: &mut AsyncPgConnection,
    actor_id: &str,
    action: &str,
    target: Target<'_>,
    before: Option<Value>,
    after: Option<Value>,
) -> Result<()> {
    audit_events::insert(
        conn,
        &NewAuditEvent {
            actor_id,
            action,
            target_type: target.kind,
            target_id: target.id,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

/// A state as the log stores it.
pub fn state(value: &impl Serialize) -> Result<Option<Value>> {
    serde_json::to_value(value)
        .map(Some)
        .map_err(crate::Error::internal)
}

pub struct Filter<'a> {
    pub actor: Option<&'a str>,
    pub action: Option<&'a str>,
}

/// A page of the log, newest first; only admins (with a login session) read it.
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    filter: Filter<'_>,
    after: Option<NumberCursor>,
    limit: i64,
) -> Result<Page<AuditEvent, NumberCursor>> {
    crate::admin::require_session(actor, "read the audit log")?;
    let rows = audit_events::list(
        &mut *ctx.conn().await?,
        filter.actor,
        filter.action,
        after.map(|c| c.0),
        limit + 1,
    )
    .await?;
    Ok(Page::from_rows(rows, limit, |row| NumberCursor(row.id)))
}
