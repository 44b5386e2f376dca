//! The transactional outbox: messages waiting for the relay to publish them.

use std::time::Duration;

use backbeat_domain::ids::JobId;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::outbox;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Pending {
    pub id: i64,
    pub job_id: JobId,
    pub kind: String,
    pub request_id: Option<String>,
    /// The W3C traceparent of the request that started the job, when traces are on.
    pub trace_parent: Option<String>,
}

/// Locks up to `limit` unsent rows that are due (a retry's row waits for its time), oldest
/// first, skipping rows another relay holds. Call inside a transaction and mark them sent in the
/// same one.
pub async fn claim(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<Pending>, DbError> {
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::available_at.le(sql::<Timestamptz>("now()")))
        .order(outbox::id)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(Pending::as_select())
        .load(conn)
        .await?)
}

pub async fn mark_sent(conn: &mut AsyncPgConnection, ids: &[i64]) -> Result<(), DbError> {
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set(outbox::sent_at.eq(sql::<Timestamptz>("now()").nullable()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Rows due and not yet published (a retry waiting for its time is not counted).
pub async fn pending_count(conn: &mut AsyncPgConnection) -> Result<i64, DbError> {
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::available_at.le(sql::<Timestamptz>("now()")))
        .count()
        .get_result(conn)
        .await?)
}

/// How long until the next unsent row falls due, on PostgreSQL's clock; `None` when nothing waits.
pub async fn next_due_in(conn: &mut AsyncPgConnection) -> Result<Option<Duration>, DbError> {
    let (due, now): (Option<DateTime<Utc>>, DateTime<Utc>) = outbox::table
        .filter(outbox::sent_at.is_null())
        .select((
            diesel::dsl::min(outbox::available_at),
            sql::<Timestamptz>("now()"),
        ))
        .first(conn)
        .await?;
    Ok(due.map(|due| (due - now).to_std().unwrap_or(Duration::ZERO)))
}
