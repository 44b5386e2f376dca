//! Advances: money paid to a payee ahead of earnings, recouped by later statements.

use backbeat_domain::ids::{AdvanceId, AlbumId, PayeeId, UserId};
use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Nullable, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{advance_albums, advances};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = advances)]
pub struct Advance {
    pub id: AdvanceId,
    pub payee_id: PayeeId,
    pub amount: Decimal,
    pub currency: String,
    pub period: Period,
    pub note: Option<String>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut AsyncPgConnection, advance: &Advance) -> Result<(), DbError> {
    diesel::insert_into(advances::table)
        .values(advance)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ties the advance to the releases it is recouped from.
pub async fn insert_albums(
    conn: &mut AsyncPgConnection,
    advance: &AdvanceId,
    albums: &[AlbumId],
) -> Result<(), DbError> {
    let rows: Vec<_> = albums
        .iter()
        .map(|album| {
            (
                advance_albums::advance_id.eq(advance),
                advance_albums::album_id.eq(album),
            )
        })
        .collect();
    diesel::insert_into(advance_albums::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// An advance still (or newly) owed when a period opens.
#[derive(Debug, Clone, QueryableByName)]
pub struct Owed {
    #[diesel(sql_type = Text)]
    pub advance_id: AdvanceId,
    #[diesel(sql_type = Text)]
    pub payee_id: PayeeId,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    /// What its last standing statement left owed; `None`: no statement has counted it yet.
    #[diesel(sql_type = Nullable<Numeric>)]
    pub outstanding: Option<Decimal>,
    /// The releases it is recouped from, by id; empty: from everything.
    #[diesel(sql_type = Array<Text>)]
    pub album_ids: Vec<String>,
}

/// Every advance dated up to `period` that is not recouped by the standing statements before
/// it, by payee, oldest first (period, then when it was recorded).
pub async fn owed_at(conn: &mut AsyncPgConnection, period: Period) -> Result<Vec<Owed>, DbError> {
    Ok(diesel::sql_query(
        "SELECT a.id AS advance_id, a.payee_id, a.amount, last.closing AS outstanding,
                coalesce((SELECT array_agg(x.album_id ORDER BY x.album_id) FROM advance_albums x
                          WHERE x.advance_id = a.id), '{}') AS album_ids
         FROM advances a
         LEFT JOIN LATERAL (
             SELECT sa.closing FROM royalty_statement_advances sa
             JOIN royalty_statements s ON s.id = sa.statement_id
             JOIN royalty_runs r ON r.id = s.run_id AND r.status = 'succeeded'
             WHERE sa.advance_id = a.id AND s.period < $1
             ORDER BY s.period DESC LIMIT 1) last ON true
         WHERE a.period <= $1 AND (last.closing IS NULL OR last.closing > 0)
         ORDER BY a.payee_id, a.period, a.created_at, a.id",
    )
    .bind::<Date, _>(period)
    .load(conn)
    .await?)
}
