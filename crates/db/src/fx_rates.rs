//! Exchange rates per period: base-currency units per unit of a reported currency.

use backbeat_domain::ids::UserId;
use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::fx_rates;

/// The period's rates, by currency.
pub async fn of_period(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> Result<Vec<(String, Decimal)>, DbError> {
    Ok(fx_rates::table
        .filter(fx_rates::period.eq(period))
        .order(fx_rates::currency)
        .select((fx_rates::currency, fx_rates::rate))
        .load(conn)
        .await?)
}

/// Replaces the period's rates. Call inside a transaction.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    period: Period,
    rates: &[(String, Decimal)],
    by: &UserId,
) -> Result<(), DbError> {
    diesel::delete(fx_rates::table.filter(fx_rates::period.eq(period)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = rates
        .iter()
        .map(|(currency, rate)| {
            (
                fx_rates::period.eq(period),
                fx_rates::currency.eq(currency),
                fx_rates::rate.eq(rate),
                fx_rates::updated_by.eq(by),
            )
        })
        .collect();
    diesel::insert_into(fx_rates::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}
