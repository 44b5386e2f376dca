//! Accounts.

use backbeat_domain::Role;
use backbeat_domain::access::UserStatus;
use backbeat_domain::ids::UserId;
use backbeat_domain::paging::Cursor;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::users;

/// The constraint that makes usernames unique; its violation means "username taken".
pub const USERNAME_TAKEN: &str = "users_username_key";

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a UserId,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub fullname: &'a str,
    pub email: Option<&'a str>,
}

/// Emails are unique whatever their case.
pub const EMAIL_TAKEN: &str = "users_email_key";

/// What a login needs to know about an account.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
    pub role: Role,
    pub status: UserStatus,
}

/// An account as its owner sees it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Profile {
    pub id: UserId,
    pub username: String,
    pub fullname: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub email: Option<String>,
}

pub async fn insert(conn: &mut AsyncPgConnection, user: &NewUser<'_>) -> Result<(), DbError> {
    diesel::insert_into(users::table)
        .values(user)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn credentials_by_username(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> Result<Option<Credentials>, DbError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(Credentials::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Sets a user's role; `false` when no such username exists. (Tests' shortcut: the operator's
/// command line goes through the service, which audits and stamps the change.)
pub async fn set_role(
    conn: &mut AsyncPgConnection,
    username: &str,
    role: Role,
) -> Result<bool, DbError> {
    let updated = diesel::update(users::table.filter(users::username.eq(username)))
        .set(users::role.eq(role))
        .execute(conn)
        .await?;
    Ok(updated > 0)
}

/// An account as admins see it.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = users)]
pub struct Account {
    pub id: UserId,
    pub username: String,
    pub fullname: String,
    pub email: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    pub created_at: DateTime<Utc>,
}

/// What decides whether a credential still works: the account's role and status now, and when
/// either last changed (access tokens issued before that are stale).
#[derive(Debug, Clone, Copy, Queryable)]
pub struct AccessState {
    pub role: Role,
    pub status: UserStatus,
    pub changed_at: Option<DateTime<Utc>>,
}

pub async fn access_state(
    conn: &mut AsyncPgConnection,
    id: &UserId,
) -> Result<Option<AccessState>, DbError> {
    Ok(users::table
        .find(id)
        .select((users::role, users::status, users::access_changed_at))
        .first(conn)
        .await
        .optional()?)
}

/// Accounts whose credentials the Redis mirror must know about: suspended ones, and those whose
/// role or status changed after `since` (older changes predate every live access token).
pub async fn restricted(
    conn: &mut AsyncPgConnection,
    since: DateTime<Utc>,
) -> Result<Vec<(UserId, AccessState)>, DbError> {
    let rows: Vec<(UserId, Role, UserStatus, Option<DateTime<Utc>>)> = users::table
        .filter(
            users::status
                .eq(UserStatus::Suspended)
                .or(users::access_changed_at.gt(since)),
        )
        .select((
            users::id,
            users::role,
            users::status,
            users::access_changed_at,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, role, status, changed_at)| {
            (
                id,
                AccessState {
                    role,
                    status,
                    changed_at,
                },
            )
        })
        .collect())
}

/// Admins' search: a case-insensitive substring of username, full name or email, and exact role
/// and status; oldest first.
pub async fn search(
    conn: &mut AsyncPgConnection,
    text: Option<&str>,
    role: Option<Role>,
    status: Option<UserStatus>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Account>, DbError> {
    let mut query = users::table.into_boxed();
    if let Some(text) = text {
        let pattern = crate::songs::contains_pattern(text);
        query = query.filter(
            users::username
                .ilike(pattern.clone())
                .or(users::fullname.ilike(pattern.clone()))
                .or(users::email.ilike(pattern)),
        );
    }
    if let Some(role) = role {
        query = query.filter(users::role.eq(role));
    }
    if let Some(status) = status {
        query = query.filter(users::status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(
            users::created_at
                .gt(after.at)
                .or(users::created_at.eq(after.at).and(users::id.gt(&after.id))),
        );
    }
    Ok(query
        .order((users::created_at, users::id))
        .limit(limit)
        .select(Account::as_select())
        .load(conn)
        .await?)
}

/// The account, locked until the transaction ends (changes to role and status serialise).
pub async fn lock(conn: &mut AsyncPgConnection, id: &UserId) -> Result<Option<Account>, DbError> {
    Ok(users::table
        .find(id)
        .for_update()
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn lock_by_username(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> Result<Option<Account>, DbError> {
    Ok(users::table
        .filter(users::username.eq(username))
        .for_update()
        .select(Account::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Active super admins, locked: two admins demoting the last two at once cannot both succeed.
pub async fn lock_active_super_admins(
    conn: &mut AsyncPgConnection,
) -> Result<Vec<UserId>, DbError> {
    Ok(users::table
        .filter(users::role.eq(Role::SuperAdmin))
        .filter(users::status.eq(UserStatus::Active))
        .for_update()
        .select(users::id)
        .load(conn)
        .await?)
}

/// Sets role and status, stamping the change; returns the stamp.
pub async fn set_access(
    conn: &mut AsyncPgConnection,
    id: &UserId,
    role: Role,
    status: UserStatus,
) -> Result<DateTime<Utc>, DbError> {
    Ok(diesel::update(users::table.find(id))
        .set((
            users::role.eq(role),
            users::status.eq(status),
            users::access_changed_at.eq(diesel::dsl::now),
        ))
        .returning(users::access_changed_at.assume_not_null())
        .get_result(conn)
        .await?)
}

pub async fn exists(conn: &mut AsyncPgConnection, id: &UserId) -> Result<bool, DbError> {
    Ok(
        diesel::select(diesel::dsl::exists(users::table.filter(users::id.eq(id))))
            .get_result(conn)
            .await?,
    )
}

/// The current role of a user, `None` when the account no longer exists.
pub async fn role_of(conn: &mut AsyncPgConnection, id: &UserId) -> Result<Option<Role>, DbError> {
    Ok(users::table
        .find(id)
        .select(users::role)
        .first(conn)
        .await
        .optional()?)
}

pub async fn profile(
    conn: &mut AsyncPgConnection,
    id: &UserId,
) -> Result<Option<Profile>, DbError> {
    Ok(users::table
        .find(id)
        .select(Profile::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Sets (or clears) the account's email; `false` when the account does not exist. An address
/// another account uses is a [`DbError::UniqueViolation`] on [`EMAIL_TAKEN`].
pub async fn set_email(
    conn: &mut AsyncPgConnection,
    id: &UserId,
    email: Option<&str>,
) -> Result<bool, DbError> {
    Ok(diesel::update(users::table.find(id))
        .set(users::email.eq(email))
        .execute(conn)
        .await?
        > 0)
}

/// Where mail for the account goes, if it has an address.
pub async fn email_of(
    conn: &mut AsyncPgConnection,
    id: &UserId,
) -> Result<Option<String>, DbError> {
    Ok(users::table
        .find(id)
        .select(users::email)
        .first::<Option<String>>(conn)
        .await
        .optional()?
        .flatten())
}
