//! Advances: money paid to a payee ahead of earnings, recouped by later statements.

use backbeat_domain::ids::{AdvanceId, PayeeId, UserId};
use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::advances;

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

/// Every advance dated up to `period`: `(payee, period, amount)`.
pub async fn through(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> Result<Vec<(PayeeId, Period, Decimal)>, DbError> {
    Ok(advances::table
        .filter(advances::period.le(period))
        .order((advances::payee_id, advances::period))
        .select((advances::payee_id, advances::period, advances::amount))
        .load(conn)
        .await?)
}
