//! `POST /users` (sign-up) and `GET /users/me`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::account::{self, Password, Username};
use backbeat_services::accounts::users::{self, SignUp};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::accounts::{UserCreated, UserProfileData};

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
    let id = users::sign_up(
        &state,
        SignUp {
            username,
            password,
            fullname,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::CREATED,
        UserCreated {
            user_id: id.into_inner(),
        },
    ))
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
    let profile = users::profile(&state, &caller).await?;
    Ok(response::data(
        StatusCode::OK,
        UserProfileData {
            user: profile.into(),
        },
    ))
}
