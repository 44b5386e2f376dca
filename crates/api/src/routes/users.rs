//! `POST /users` (sign-up) and `GET /users/me`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_db::users::{self, NewUser, USERNAME_TAKEN};
use backbeat_domain::account::{self, Password, Username};
use backbeat_domain::ids::UserId;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct NewUserRequest {
    /// 1-50 letters, digits, `_`, `.` or `-`; unique.
    #[schema(example = "dicoding")]
    username: String,
    #[schema(example = "secret")]
    password: String,
    #[schema(example = "Dicoding Indonesia")]
    fullname: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCreated {
    #[schema(example = "user-Qbax5Oy7L8WKf74l")]
    pub user_id: String,
}

#[utoipa::path(
    post, path = "/users", tag = "accounts",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "Account created", body = DataEnvelope<UserCreated>),
        (status = 400, description = "Invalid body, or the username is taken (`VALIDATION_ERROR`, field `username`)", body = ErrorBody),
        (status = 413, description = "Body over 1 MiB", body = ErrorBody),
        (status = 503, description = "Database unavailable", body = ErrorBody),
    )
)]
pub async fn create(state: web::Data<AppState>, body: JsonObject) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let username = f
        .string("username")
        .and_then(|v| f.check(Username::parse("username", v)));
    let password = f
        .string("password")
        .and_then(|v| f.check(Password::parse("password", v)));
    let fullname = f
        .string("fullname")
        .and_then(|v| f.check(account::parse_fullname("fullname", v)));
    let (username, password, fullname) = f.finish((username, password, fullname))?;

    let taken = || ApiError::field("username", "is already taken");
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    // Saves a costly hash for the common case; the unique constraint below settles races.
    if users::credentials_by_username(&mut conn, username.as_str())
        .await?
        .is_some()
    {
        return Err(taken());
    }
    drop(conn);
    let password_hash = state
        .passwords
        .hash(&password)
        .await
        .map_err(ApiError::internal)?;
    let id = UserId::generate();
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let new_user = NewUser {
        id: id.as_str(),
        username: username.as_str(),
        password_hash: &password_hash,
        fullname: &fullname,
    };
    match users::insert(&mut conn, &new_user).await {
        Err(e) if e.is_unique_violation(USERNAME_TAKEN) => Err(taken()),
        Err(e) => Err(e.into()),
        Ok(()) => {
            tracing::info!(user_id = %id, "user created");
            Ok(response::data(
                StatusCode::CREATED,
                UserCreated { user_id: id.0 },
            ))
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    #[schema(example = "user-Qbax5Oy7L8WKf74l")]
    pub id: String,
    pub username: String,
    pub fullname: String,
    /// `user`, `admin` or `super_admin`.
    pub role: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserProfileData {
    pub user: UserProfile,
}

#[utoipa::path(
    get, path = "/users/me", tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = DataEnvelope<UserProfileData>),
        (status = 401, description = "No, or an invalid, access token", body = ErrorBody),
        (status = 404, description = "The account was deleted", body = ErrorBody),
    )
)]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let mut conn = backbeat_db::pool::get(&state.db).await?;
    let profile = users::profile(&mut conn, caller.user_id.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound("user not found".to_owned()))?;
    Ok(response::data(
        StatusCode::OK,
        UserProfileData {
            user: UserProfile {
                id: profile.id,
                username: profile.username,
                fullname: profile.fullname,
                role: profile.role,
                created_at: profile.created_at,
            },
        },
    ))
}
