//! API keys: stored by the keyed hash of their secret, looked up by it on every request that
//! presents one (a unique index), listed for their owner.

use backbeat_domain::Role;
use backbeat_domain::ids::{ApiKeyId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{api_keys, users};

#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub id: &'a ApiKeyId,
    pub user_id: &'a UserId,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_hash: &'a [u8],
    pub scopes: &'a [String],
    pub expires_at: Option<DateTime<Utc>>,
}

/// A key as its owner sees it in a list.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What a request needs to act with a key: the key, and its owner's role when it was read (the
/// owner's status is checked on every request, from the account mirror).
#[derive(Debug, Clone, Queryable)]
pub struct KeyHolder {
    pub id: ApiKeyId,
    pub user_id: UserId,
    pub scopes: Vec<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub role: Role,
}

pub async fn insert(conn: &mut AsyncPgConnection, key: &NewApiKey<'_>) -> Result<(), DbError> {
    diesel::insert_into(api_keys::table)
        .values(key)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn holder_by_hash(
    conn: &mut AsyncPgConnection,
    secret_hash: &[u8],
) -> Result<Option<KeyHolder>, DbError> {
    Ok(api_keys::table
        .inner_join(users::table)
        .filter(api_keys::secret_hash.eq(secret_hash))
        .select((
            api_keys::id,
            api_keys::user_id,
            api_keys::scopes,
            api_keys::expires_at,
            api_keys::revoked_at,
            users::role,
        ))
        .first(conn)
        .await
        .optional()?)
}

/// The owner's keys, newest first (revoked and expired ones included: the owner's history).
pub async fn owned_by(
    conn: &mut AsyncPgConnection,
    owner: &UserId,
) -> Result<Vec<ApiKey>, DbError> {
    Ok(api_keys::table
        .filter(api_keys::user_id.eq(owner))
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .select(ApiKey::as_select())
        .load(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, id: &ApiKeyId) -> Result<Option<ApiKey>, DbError> {
    Ok(api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Revokes the key unless it already is; `true` when this call revoked it.
pub async fn revoke(conn: &mut AsyncPgConnection, id: &ApiKeyId) -> Result<bool, DbError> {
    let updated = diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await?;
    Ok(updated > 0)
}

/// Whether the key is revoked, for checks made while Redis is unreachable.
pub async fn is_revoked(conn: &mut AsyncPgConnection, id: &ApiKeyId) -> Result<bool, DbError> {
    let revoked: Option<Option<DateTime<Utc>>> = api_keys::table
        .find(id)
        .select(api_keys::revoked_at)
        .first(conn)
        .await
        .optional()?;
    Ok(revoked.is_none_or(|at| at.is_some()))
}

/// Revoked keys that have not expired: what the Redis mirror must hold.
pub async fn revoked_and_unexpired(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<(ApiKeyId, Option<DateTime<Utc>>)>, DbError> {
    Ok(api_keys::table
        .filter(api_keys::revoked_at.is_not_null())
        .filter(
            api_keys::expires_at
                .is_null()
                .or(api_keys::expires_at.gt(diesel::dsl::now)),
        )
        .select((api_keys::id, api_keys::expires_at))
        .load(conn)
        .await?)
}

/// Records when keys were last used: one statement for a batch, never moving a time backwards
/// (several API processes flush their own observations).
pub async fn record_use(
    conn: &mut AsyncPgConnection,
    uses: &[(ApiKeyId, DateTime<Utc>)],
) -> Result<usize, DbError> {
    if uses.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = uses.iter().map(|(id, _)| id.as_str()).collect();
    let times: Vec<DateTime<Utc>> = uses.iter().map(|(_, at)| *at).collect();
    Ok(diesel::sql_query(
        "UPDATE api_keys k SET last_used_at = u.at
         FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at)
         WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(&ids)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Timestamptz>, _>(&times)
    .execute(conn)
    .await?)
}
