//! Payouts: batches of payments of approved payable balances, and the periods they lock.

use backbeat_domain::ids::{PayeeId, PayoutId, StatementId, UserId};
use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use backbeat_domain::royalties::PayoutStatus;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{payout_batches, payout_payments};

/// A statement is paid at most once while its payment stands.
pub const STATEMENT_PAID: &str = "payout_payments_statement_key";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payout_batches)]
pub struct Batch {
    pub id: PayoutId,
    pub status: PayoutStatus,
    pub currency: String,
    pub total: Decimal,
    pub payments: i32,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub paid_by: Option<UserId>,
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payout_payments)]
pub struct Payment {
    pub batch_id: PayoutId,
    pub statement_id: StatementId,
    pub payee_id: PayeeId,
    pub period: Period,
    pub email: Option<String>,
    pub amount: Decimal,
    pub currency: String,
    pub reference: String,
    pub reversed_at: Option<DateTime<Utc>>,
    pub reversed_by: Option<UserId>,
    pub reversal_reason: Option<String>,
}

/// A balance a payout may take.
#[derive(Debug, Clone, QueryableByName)]
pub struct Payable {
    #[diesel(sql_type = Text)]
    pub statement_id: StatementId,
    #[diesel(sql_type = Text)]
    pub payee_id: PayeeId,
    #[diesel(sql_type = Date)]
    pub period: Period,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Numeric)]
    pub amount: Decimal,
    #[diesel(sql_type = Text)]
    pub currency: String,
}

/// What is owed now, in `currency`, by payee id: each payee's latest standing statement when it
/// is approved, not yet in a payout, and its payable reaches the payee's threshold (`None`: any
/// payable). An earlier unpaid statement is not listed: its payable was carried into the later
/// one's opening balance. Rows are locked, so two payouts cannot take one statement.
pub async fn payable(
    conn: &mut AsyncPgConnection,
    currency: &str,
) -> Result<Vec<Payable>, DbError> {
    Ok(diesel::sql_query(
        "WITH latest AS (
             SELECT DISTINCT ON (s.payee_id) s.id, s.payee_id, s.period, s.email, s.payable,
                    s.currency, s.approved_at
             FROM royalty_statements s
             JOIN royalty_runs r ON r.id = s.run_id AND r.status = 'succeeded'
             ORDER BY s.payee_id, s.period DESC)
         SELECT l.id AS statement_id, l.payee_id, l.period, coalesce(l.email, u.email) AS email,
                l.payable AS amount, l.currency
         FROM latest l
         JOIN payees p ON p.id = l.payee_id
         LEFT JOIN users u ON u.id = p.user_id
         WHERE l.approved_at IS NOT NULL AND l.currency = $1 AND l.payable > 0
           AND l.payable >= coalesce(p.payout_threshold, 0)
           AND NOT EXISTS (SELECT 1 FROM payout_payments pp
                           WHERE pp.statement_id = l.id AND pp.reversed_at IS NULL)
         ORDER BY l.payee_id",
    )
    .bind::<Text, _>(currency)
    .load(conn)
    .await?)
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    batch: &Batch,
    payments: &[Payment],
) -> Result<(), DbError> {
    diesel::insert_into(payout_batches::table)
        .values(batch)
        .execute(conn)
        .await?;
    for chunk in payments.chunks(1000) {
        diesel::insert_into(payout_payments::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &PayoutId) -> Result<Option<Batch>, DbError> {
    Ok(payout_batches::table
        .find(id)
        .select(Batch::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The batch's payments, by payee id.
pub async fn payments(
    conn: &mut AsyncPgConnection,
    id: &PayoutId,
) -> Result<Vec<Payment>, DbError> {
    Ok(payout_payments::table
        .filter(payout_payments::batch_id.eq(id))
        .order(payout_payments::payee_id)
        .select(Payment::as_select())
        .load(conn)
        .await?)
}

/// Marks an open batch paid; `false` when it is not open.
pub async fn mark_paid(
    conn: &mut AsyncPgConnection,
    id: &PayoutId,
    by: &UserId,
) -> Result<bool, DbError> {
    Ok(diesel::update(payout_batches::table.find(id))
        .filter(payout_batches::status.eq(PayoutStatus::Open))
        .set((
            payout_batches::status.eq(PayoutStatus::Paid),
            payout_batches::paid_by.eq(by),
            payout_batches::paid_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?
        > 0)
}

/// The period's standing payments: `(in a paid batch, in an open one)`.
pub async fn of_period(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> Result<(i64, i64), DbError> {
    let rows: Vec<(PayoutStatus, i64)> = payout_payments::table
        .inner_join(payout_batches::table)
        .filter(payout_payments::period.eq(period))
        .filter(payout_payments::reversed_at.is_null())
        .group_by(payout_batches::status)
        .select((payout_batches::status, diesel::dsl::count_star()))
        .load(conn)
        .await?;
    let count = |status| {
        rows.iter()
            .filter(|(s, _)| *s == status)
            .map(|(_, n)| *n)
            .sum()
    };
    Ok((count(PayoutStatus::Paid), count(PayoutStatus::Open)))
}

/// Records the reversal of the period's standing payments (paid, or in an open batch that will
/// not be paid): returns them.
pub async fn reverse(
    conn: &mut AsyncPgConnection,
    period: Period,
    by: &UserId,
    reason: &str,
) -> Result<Vec<Payment>, DbError> {
    Ok(diesel::update(payout_payments::table)
        .filter(payout_payments::period.eq(period))
        .filter(payout_payments::reversed_at.is_null())
        .set((
            payout_payments::reversed_at.eq(diesel::dsl::now),
            payout_payments::reversed_by.eq(by),
            payout_payments::reversal_reason.eq(reason),
        ))
        .returning(Payment::as_returning())
        .get_results(conn)
        .await?)
}

/// The statement's standing payment, with its batch's status.
pub async fn of_statement(
    conn: &mut AsyncPgConnection,
    statement: &StatementId,
) -> Result<Option<(Payment, PayoutStatus)>, DbError> {
    Ok(payout_payments::table
        .inner_join(payout_batches::table)
        .filter(payout_payments::statement_id.eq(statement))
        .filter(payout_payments::reversed_at.is_null())
        .select((Payment::as_select(), payout_batches::status))
        .first(conn)
        .await
        .optional()?)
}

/// Serialises payouts: one is taken at a time (held to the end of the transaction).
pub async fn lock(conn: &mut AsyncPgConnection) -> Result<(), DbError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('payout_batches'))")
        .execute(conn)
        .await?;
    Ok(())
}
