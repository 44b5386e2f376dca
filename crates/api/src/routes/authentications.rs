//! `POST|PUT|DELETE /authentications`: log in, refresh an access token, log out.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::{refresh_tokens, users};
use backbeat_domain::ids::UserId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::TokenKind;
use crate::auth::tokens::digest;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct LoginRequest {
    #[schema(example = "dicoding")]
    username: String,
    #[schema(example = "secret")]
    password: String,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct RefreshTokenRequest {
    #[serde(rename = "refreshToken")]
    refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AccessToken {
    pub access_token: String,
}

fn invalid_refresh_token() -> ApiError {
    ApiError::field("refreshToken", "is invalid, expired or revoked")
}

#[utoipa::path(
    post, path = "/authentications", tag = "accounts",
    request_body = LoginRequest,
    responses(
        (status = 201, description = "Logged in", body = DataEnvelope<TokenPair>),
        (status = 400, description = "Missing or mistyped field", body = ErrorBody),
        (status = 401, description = "Unknown username or wrong password (`INVALID_CREDENTIALS`); both take the same time", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn login(state: web::Data<AppState>, body: JsonObject) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let username = f.string("username");
    let password = f.string("password");
    let (username, password) = f.finish((username, password))?;

    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let account = users::credentials_by_username(&mut conn, &username).await?;
    drop(conn);
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    let valid = state
        .passwords
        .verify(&password, stored_hash)
        .await
        .map_err(ApiError::internal)?;
    let account = match account {
        Some(account) if valid => account,
        _ => return Err(ApiError::InvalidCredentials),
    };

    let user_id = UserId(account.id.clone());
    let role = account.role();
    let access = state
        .tokens
        .issue(TokenKind::Access, &user_id, role)
        .map_err(ApiError::internal)?;
    let refresh = state
        .tokens
        .issue(TokenKind::Refresh, &user_id, role)
        .map_err(ApiError::internal)?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    refresh_tokens::store(
        &mut conn,
        &digest(&refresh.token),
        user_id.as_str(),
        refresh.expires_at,
    )
    .await?;
    tracing::info!(user_id = %user_id, "logged in");
    Ok(response::data(
        StatusCode::CREATED,
        TokenPair {
            access_token: access.token,
            refresh_token: refresh.token,
        },
    ))
}

/// Reads `refreshToken` and checks it is a refresh token signed by this server (not whether it is still stored).
async fn signed_refresh_token(state: &AppState, body: JsonObject) -> ApiResult<(UserId, Vec<u8>)> {
    let mut f = Fields::new(body);
    let token = f.string("refreshToken");
    let (token,) = f.finish((token,))?;
    let claims = state
        .tokens
        .verify(TokenKind::Refresh, &token)
        .map_err(|_| invalid_refresh_token())?;
    Ok((UserId(claims.sub), digest(&token)))
}

#[utoipa::path(
    put, path = "/authentications", tag = "accounts",
    request_body = RefreshTokenRequest,
    responses(
        (status = 200, description = "A new access token", body = DataEnvelope<AccessToken>),
        (status = 400, description = "Missing, not a refresh token signed by this server, expired, or logged out", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn refresh(state: web::Data<AppState>, body: JsonObject) -> ApiResult<HttpResponse> {
    let (user_id, token_digest) = signed_refresh_token(&state, body).await?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    if !refresh_tokens::is_live(&mut conn, &token_digest).await? {
        return Err(invalid_refresh_token());
    }
    // The role is read again so that a promotion takes effect at the next refresh.
    let role = users::role_of(&mut conn, user_id.as_str())
        .await?
        .ok_or_else(invalid_refresh_token)?;
    let access = state
        .tokens
        .issue(TokenKind::Access, &user_id, role)
        .map_err(ApiError::internal)?;
    Ok(response::data(
        StatusCode::OK,
        AccessToken {
            access_token: access.token,
        },
    ))
}

#[utoipa::path(
    delete, path = "/authentications", tag = "accounts",
    request_body = RefreshTokenRequest,
    responses(
        (status = 200, description = "Logged out: the refresh token is forgotten", body = MessageEnvelope),
        (status = 400, description = "Missing, invalid, or not stored (already logged out)", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn logout(state: web::Data<AppState>, body: JsonObject) -> ApiResult<HttpResponse> {
    let (_, token_digest) = signed_refresh_token(&state, body).await?;
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    if !refresh_tokens::revoke(&mut conn, &token_digest).await? {
        return Err(invalid_refresh_token());
    }
    Ok(response::message(StatusCode::OK, "Refresh token deleted"))
}
