//! Signing up, and an account as its owner sees it.

use backbeat_db::users::{self, EMAIL_TAKEN, NewUser, Profile, USERNAME_TAKEN};
use backbeat_domain::Actor;
use backbeat_domain::account::{Password, Username};
use backbeat_domain::email::EmailAddress;
use backbeat_domain::ids::UserId;

use crate::{Context, Error, Result};

pub struct SignUp {
    pub username: Username,
    pub password: Password,
    pub fullname: String,
    /// Optional: openMusic's sign-up has none; reports and statements need one.
    pub email: Option<EmailAddress>,
}

fn email_taken() -> Error {
    Error::taken("email", "is already used by another account")
}

fn taken() -> Error {
    Error::field("username", "is already taken")
}

pub async fn sign_up(ctx: &Context, input: SignUp) -> Result<UserId> {
    let mut conn = ctx.conn().await?;
    // Saves a costly hash for the common case; the unique constraint below settles races.
    if users::credentials_by_username(&mut conn, input.username.as_str())
        .await?
        .is_some()
    {
        return Err(taken());
    }
    drop(conn);
    let password_hash = ctx.passwords.hash(&input.password).await?;
    let id = UserId::generate();
    let new_user = NewUser {
        id: &id,
        username: input.username.as_str(),
        password_hash: &password_hash,
        fullname: &input.fullname,
        email: input.email.as_ref().map(EmailAddress::as_str),
    };
    let mut conn = ctx.conn().await?;
    match users::insert(&mut conn, &new_user).await {
        Err(e) if e.is_unique_violation(USERNAME_TAKEN) => Err(taken()),
        Err(e) if e.is_unique_violation(EMAIL_TAKEN) => Err(email_taken()),
        Err(e) => Err(e.into()),
        Ok(()) => {
            tracing::info!(user_id = %id, "user created");
            if let Some(email) = &input.email {
                claim_royalties(&mut conn, &id, email).await?;
            }
            Ok(id)
        }
    }
}

/// Royalty splits made out to the address become the account's.
async fn claim_royalties(
    conn: &mut backbeat_db::AsyncPgConnection,
    id: &UserId,
    email: &EmailAddress,
) -> Result<()> {
    if backbeat_db::payees::claim(conn, id, email.as_str()).await? {
        tracing::info!(user_id = %id, "royalties made out to the address claimed");
    }
    Ok(())
}

pub async fn profile(ctx: &Context, actor: &Actor) -> Result<Profile> {
    users::profile(&mut *ctx.conn().await?, &actor.user_id)
        .await?
        .ok_or_else(|| Error::not_found("user"))
}

/// Sets or changes the account's email (`None` removes it).
pub async fn set_email(
    ctx: &Context,
    actor: &Actor,
    email: Option<EmailAddress>,
) -> Result<Profile> {
    let mut conn = ctx.conn().await?;
    match users::set_email(
        &mut conn,
        &actor.user_id,
        email.as_ref().map(EmailAddress::as_str),
    )
    .await
    {
        Err(e) if e.is_unique_violation(EMAIL_TAKEN) => return Err(email_taken()),
        Err(e) => return Err(e.into()),
        Ok(false) => return Err(Error::not_found("user")),
        Ok(true) => {}
    }
    if let Some(email) = &email {
        claim_royalties(&mut conn, &actor.user_id, email).await?;
    }
    users::profile(&mut conn, &actor.user_id)
        .await?
        .ok_or_else(|| Error::not_found("user"))
}
