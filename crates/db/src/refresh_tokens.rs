//! Server-side refresh tokens, stored as digests so that logout can revoke them.

use backbeat_domain::ids::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::refresh_tokens;

pub async fn store(
    conn: &mut AsyncPgConnection,
    token_hash: &[u8],
    user_id: &UserId,
    expires_at: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::user_id.eq(user_id),
            refresh_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether the token is stored and not yet expired.
pub async fn is_live(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(token_hash))
            .filter(refresh_tokens::expires_at.gt(Utc::now())),
    ))
    .get_result(conn)
    .await?)
}

/// Forgets the token; `false` when it was not stored.
pub async fn revoke(conn: &mut AsyncPgConnection, token_hash: &[u8]) -> Result<bool, DbError> {
    let deleted =
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::token_hash.eq(token_hash)))
            .execute(conn)
            .await?;
    Ok(deleted > 0)
}

/// Forgets every refresh token of the account (it was suspended): none can be used again.
pub async fn revoke_all_of(conn: &mut AsyncPgConnection, user: &UserId) -> Result<usize, DbError> {
    Ok(
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user)))
            .execute(conn)
            .await?,
    )
}

/// Forgets every token that has expired; returns how many (the scheduler's clean-up).
pub async fn purge_expired(conn: &mut AsyncPgConnection) -> Result<usize, DbError> {
    Ok(
        diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(Utc::now())))
            .execute(conn)
            .await?,
    )
}
