//! `POST|PUT|DELETE /authentications`: log in, refresh an access token, log out.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_services::accounts::sessions;
use utoipa::ToSchema;

use actix_web::ResponseError;

use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, MessageEnvelope};
use crate::state::AppState;
use crate::views::accounts::{AccessToken, TokenPair};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct LoginRequest {
    #[schema(min_length = 1, pattern = r"^[^\x00]*$", example = "dicoding")]
    username: String,
    #[schema(min_length = 1, pattern = r"^[^\x00]*$", example = "secret")]
    password: String,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct RefreshTokenRequest {
    /// The `refreshToken` of a login (a JWT).
    #[serde(rename = "refreshToken")]
    #[schema(min_length = 1, pattern = r"^[^\x00]*$")]
    refresh_token: String,
}

fn refresh_token(body: JsonObject) -> ApiResult<String> {
    let mut f = Fields::new(body);
    let token = f.string("refreshToken");
    let (token,) = f.finish((token,))?;
    Ok(token)
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
    let (tokens, policy) = sessions::log_in(&state, &username, &password).await;
    let mut response = match tokens {
        Ok(tokens) => response::data(
            StatusCode::CREATED,
            TokenPair {
                access_token: tokens.access_token,
                refresh_token: tokens.refresh_token,
            },
        ),
        Err(refused) => ApiError::from(refused).error_response(),
    };
    // The per-username policy, for the headers beside the per-address one.
    crate::access::counted(&mut response, policy);
    Ok(response)
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
    let access_token = sessions::refresh(&state, &refresh_token(body)?).await?;
    Ok(response::data(StatusCode::OK, AccessToken { access_token }))
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
    sessions::log_out(&state, &refresh_token(body)?).await?;
    Ok(response::message(StatusCode::OK, "Refresh token deleted"))
}
