//! The audit log: append-only rows of who did what to what, with the state before and after.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::DbError;
use crate::schema::audit_events;

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub actor_id: &'a str,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub actor_id: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    event: &NewAuditEvent<'_>,
) -> Result<(), DbError> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .await?;
    Ok(())
}

/// Newest first; `before` is the id of the last row of the previous page.
pub async fn list(
    conn: &mut AsyncPgConnection,
    actor: Option<&str>,
    action: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, DbError> {
    let mut query = audit_events::table.into_boxed();
    if let Some(actor) = actor {
        query = query.filter(audit_events::actor_id.eq(actor));
    }
    if let Some(action) = action {
        query = query.filter(audit_events::action.eq(action));
    }
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    Ok(query
        .order(audit_events::id.desc())
        .limit(limit)
        .select(AuditEvent::as_select())
        .load(conn)
        .await?)
}
