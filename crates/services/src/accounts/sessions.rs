//! Log-in (a short-lived access token and a revocable refresh token), refresh and log-out, and
//! reading an access token back into an [`Actor`].

use backbeat_auth::{TokenKind, digest};
use backbeat_cache::access::{Limit, LimitOutcome};
use backbeat_db::{refresh_tokens, users};
use backbeat_domain::access::UserStatus;
use backbeat_domain::ids::UserId;

use crate::{Context, Error, Result};

pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
}

fn invalid_refresh_token() -> Error {
    Error::field("refreshToken", "is invalid, expired or revoked")
}

/// Checks the password (an unknown username costs the same time as a wrong password) and
/// stores the refresh token's digest, so that log-out can revoke it. Attempts per username are
/// rate limited before any hashing (the API limits them per client address too), and a
/// suspended account is refused only once the password is right, so that its state is not
/// revealed to guessers. Returns, whatever the outcome, the per-username policy as this attempt
/// left it (for the response's `RateLimit-*` headers).
pub async fn log_in(
    ctx: &Context,
    username: &str,
    password: &str,
) -> (Result<TokenPair>, Option<LimitOutcome>) {
    let limit = Limit {
        key: format!(
            "login:username:{}",
            username
                .chars()
                .take(100)
                .collect::<String>()
                .to_lowercase()
        ),
        rule: ctx.settings.rate_limits.login_per_username,
    };
    let (admitted, policy) = crate::access::admit(ctx, None, &[limit]).await;
    let logged_in = match admitted {
        Ok(_) => check_password(ctx, username, password).await,
        Err(refused) => Err(refused),
    };
    (logged_in, policy)
}

async fn check_password(ctx: &Context, username: &str, password: &str) -> Result<TokenPair> {
    let account = users::credentials_by_username(&mut *ctx.conn().await?, username).await?;
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    let valid = ctx.passwords.verify(password, stored_hash).await?;
    let account = match account {
        Some(account) if valid => account,
        _ => return Err(Error::InvalidCredentials),
    };
    if account.status == UserStatus::Suspended {
        return Err(Error::Forbidden("this account is suspended".to_owned()));
    }
    let access = ctx
        .tokens
        .issue(TokenKind::Access, &account.id, account.role)
        .map_err(Error::internal)?;
    let refresh = ctx
        .tokens
        .issue(TokenKind::Refresh, &account.id, account.role)
        .map_err(Error::internal)?;
    refresh_tokens::store(
        &mut *ctx.conn().await?,
        &digest(&refresh.token),
        &account.id,
        refresh.expires_at,
    )
    .await?;
    tracing::info!(user_id = %account.id, "logged in");
    Ok(TokenPair {
        access_token: access.token,
        refresh_token: refresh.token,
    })
}

/// A refresh token signed by this server: its user and its digest (whether it is still stored is
/// the caller's check).
fn signed_refresh_token(ctx: &Context, token: &str) -> Result<(UserId, Vec<u8>)> {
    let claims = ctx
        .tokens
        .verify(TokenKind::Refresh, token)
        .map_err(|_| invalid_refresh_token())?;
    Ok((UserId(claims.sub), digest(token)))
}

/// A new access token for a stored, unexpired refresh token. The role is read again, so that a
/// promotion takes effect at the next refresh.
pub async fn refresh(ctx: &Context, refresh_token: &str) -> Result<String> {
    let (user_id, token_digest) = signed_refresh_token(ctx, refresh_token)?;
    let mut conn = ctx.conn().await?;
    if !refresh_tokens::is_live(&mut conn, &token_digest).await? {
        return Err(invalid_refresh_token());
    }
    let role = users::role_of(&mut conn, &user_id)
        .await?
        .ok_or_else(invalid_refresh_token)?;
    let access = ctx
        .tokens
        .issue(TokenKind::Access, &user_id, role)
        .map_err(Error::internal)?;
    Ok(access.token)
}

/// Forgets the refresh token; one that is not stored (already logged out) is refused.
pub async fn log_out(ctx: &Context, refresh_token: &str) -> Result<()> {
    let (_, token_digest) = signed_refresh_token(ctx, refresh_token)?;
    if !refresh_tokens::revoke(&mut *ctx.conn().await?, &token_digest).await? {
        return Err(invalid_refresh_token());
    }
    Ok(())
}
