//! Payees: who royalties are paid to. An account, or an email address that becomes the account
//! signing up with it.

use backbeat_domain::ids::{PayeeId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{payees, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payees)]
pub struct Payee {
    pub id: PayeeId,
    pub user_id: Option<UserId>,
    pub email: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The account's payee, created on first use.
pub async fn of_user(conn: &mut AsyncPgConnection, user: &UserId) -> Result<PayeeId, DbError> {
    diesel::insert_into(payees::table)
        .values((payees::id.eq(PayeeId::generate()), payees::user_id.eq(user)))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(payees::table
        .filter(payees::user_id.eq(user))
        .select(payees::id)
        .first(conn)
        .await?)
}

/// The payee for an address: the account using it if there is one, else the address's own
/// payee, created on first use.
pub async fn of_email(conn: &mut AsyncPgConnection, email: &str) -> Result<PayeeId, DbError> {
    let account: Option<UserId> = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .select(users::id)
        .first(conn)
        .await
        .optional()?;
    if let Some(user) = account {
        return of_user(conn, &user).await;
    }
    diesel::sql_query(
        "INSERT INTO payees (id, email) VALUES ($1, $2)
         ON CONFLICT (lower(email)) WHERE user_id IS NULL DO NOTHING",
    )
    .bind::<diesel::sql_types::Text, _>(PayeeId::generate().as_str())
    .bind::<diesel::sql_types::Text, _>(email)
    .execute(conn)
    .await?;
    Ok(payees::table
        .filter(payees::user_id.is_null())
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .select(payees::id)
        .first(conn)
        .await?)
}

/// Hands the address's payee (its splits and statements) to the account that now uses the
/// address, unless the account already has a payee of its own. Returns whether it did.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    user: &UserId,
    email: &str,
) -> Result<bool, DbError> {
    Ok(diesel::sql_query(
        "UPDATE payees SET user_id = $1
         WHERE user_id IS NULL AND lower(email) = lower($2)
           AND NOT EXISTS (SELECT 1 FROM payees WHERE user_id = $1)",
    )
    .bind::<diesel::sql_types::Text, _>(user.as_str())
    .bind::<diesel::sql_types::Text, _>(email)
    .execute(conn)
    .await?
        > 0)
}

pub async fn find_many(
    conn: &mut AsyncPgConnection,
    ids: &[PayeeId],
) -> Result<Vec<Payee>, DbError> {
    Ok(payees::table
        .filter(payees::id.eq_any(ids))
        .select(Payee::as_select())
        .load(conn)
        .await?)
}

/// The payee of an account, if it has one.
pub async fn find_of_user(
    conn: &mut AsyncPgConnection,
    user: &UserId,
) -> Result<Option<PayeeId>, DbError> {
    Ok(payees::table
        .filter(payees::user_id.eq(user))
        .select(payees::id)
        .first(conn)
        .await
        .optional()?)
}

/// Sets the payee's payout threshold (`None`: the configured minimum payout); returns the one
/// it replaces.
pub async fn set_payout_threshold(
    conn: &mut AsyncPgConnection,
    payee: &PayeeId,
    threshold: Option<backbeat_domain::money::Decimal>,
) -> Result<Option<backbeat_domain::money::Decimal>, DbError> {
    let before = payees::table
        .find(payee)
        .select(payees::payout_threshold)
        .for_update()
        .first(conn)
        .await?;
    diesel::update(payees::table.find(payee))
        .set(payees::payout_threshold.eq(threshold))
        .execute(conn)
        .await?;
    Ok(before)
}
