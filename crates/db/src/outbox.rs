//! The transactional outbox: messages waiting for the relay to publish them.

use backbeat_domain::ids::JobId;
use chrono::Utc;
use diesel::prelude::*;
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
}

/// Locks up to `limit` unsent rows, oldest first, skipping rows another relay holds. Call inside
/// a transaction and mark them sent in the same one.
pub async fn claim(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<Pending>, DbError> {
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
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
        .set(outbox::sent_at.eq(Some(Utc::now())))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn pending_count(conn: &mut AsyncPgConnection) -> Result<i64, DbError> {
    Ok(outbox::table
        .filter(outbox::sent_at.is_null())
        .count()
        .get_result(conn)
        .await?)
}
