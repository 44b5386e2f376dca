//! `POST /users` (sign-up) and `GET /users/me`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::account::{self, Password, Username};
use backbeat_domain::email::EmailAddress;
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
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,50}$", example = "dicoding")]
    username: String,
    #[schema(
        min_length = 1,
        max_length = 1024,
        pattern = r"^[^\x00]*$",
        example = "secret"
    )]
    password: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Dicoding Indonesia"
    )]
    fullname: String,
    /// Optional (openMusic sends none): where bulk-distribution reports and royalty statements
    /// go. Unique whatever its case.
    #[schema(value_type = Option<crate::schemas::Email>)]
    email: Option<String>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
pub struct EmailRequest {
    /// A new address, or `null` to remove it. Unique whatever its case.
    #[schema(value_type = Option<crate::schemas::Email>)]
    email: Option<String>,
}

#[utoipa::path(
    post, path = "/users", tag = "accounts",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "Account created", body = DataEnvelope<UserCreated>),
        (status = 400, description = "Invalid body, or the username is taken (`VALIDATION_ERROR`, field `username`, as openMusic has it)", body = ErrorBody),
        (status = 409, description = "The email address is another account's (`CONFLICT`, field `email`)", body = ErrorBody),
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
    let email = f
        .optional_string("email")
        .and_then(|v| f.check(EmailAddress::parse("email", v)));
    let (username, password, fullname, email) =
        f.finish((username, password, fullname, Some(email)))?;
    let id = users::sign_up(
        &state,
        SignUp {
            username,
            password,
            fullname,
            email,
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

#[utoipa::path(
    patch, path = "/users/me", tag = "accounts",
    request_body = EmailRequest,
    responses(
        (status = 200, description = "The caller's account, with its new email", body = DataEnvelope<UserProfileData>),
        (status = 400, description = "Not an email address", body = ErrorBody),
        (status = 401, description = "No, or an invalid, access token", body = ErrorBody),
        (status = 409, description = "The email address is another account's (`CONFLICT`, field `email`)", body = ErrorBody),
    )
)]
pub async fn update_me(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let raw = f.patch_string("email");
    let email = f.parse_patch(raw, |v| EmailAddress::parse("email", v));
    f.done()?;
    let Some(email) = email else {
        return Err(crate::error::ApiError::field(
            "email",
            "is required (null removes it)",
        ));
    };
    let profile = users::set_email(&state, &caller, email).await?;
    Ok(response::data(
        StatusCode::OK,
        UserProfileData {
            user: profile.into(),
        },
    ))
}
