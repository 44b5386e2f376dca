//! Accounts.

use backbeat_domain::Role;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::users;

/// The constraint that makes usernames unique; its violation means "username taken".
pub const USERNAME_TAKEN: &str = "users_username_key";

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub password_hash: &'a str,
    pub fullname: &'a str,
}

/// What a login needs to know about an account.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Credentials {
    pub id: String,
    pub password_hash: String,
    pub role: String,
}

impl Credentials {
    /// The role column has a CHECK constraint, so an unknown value cannot be stored.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::User)
    }
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
        .set(users::role.eq(role.as_str()))
        .execute(conn)
        .await?;
    Ok(updated > 0)
}

pub async fn exists(conn: &mut AsyncPgConnection, id: &str) -> Result<bool, DbError> {
    Ok(
        diesel::select(diesel::dsl::exists(users::table.filter(users::id.eq(id))))
            .get_result(conn)
            .await?,
    )
}

/// The current role of a user, `None` when the account no longer exists.
pub async fn role_of(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<Role>, DbError> {
    let role: Option<String> = users::table
        .filter(users::id.eq(id))
        .select(users::role)
        .first(conn)
        .await
        .optional()?;
    Ok(role.map(|r| r.parse().unwrap_or(Role::User)))
}

/// An account as its owner sees it.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Profile {
    pub id: String,
    pub username: String,
    pub fullname: String,
    pub role: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub async fn profile(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<Profile>, DbError> {
    Ok(users::table
        .filter(users::id.eq(id))
        .select(Profile::as_select())
        .first(conn)
        .await
        .optional()?)
}
