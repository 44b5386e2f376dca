//! Accounts.

use backbeat_domain::Role;
use backbeat_domain::ids::UserId;
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

/// Sets a user's role; `false` when no such username exists.
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
