//! The authenticated caller as a handler argument: handlers that need one cannot forget the check.

use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use backbeat_domain::Actor;
use backbeat_services::accounts::sessions;

use crate::error::ApiError;
use crate::state::AppState;

/// Who is calling: an account, from a JWT access token (API keys will resolve to the same).
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl Deref for Caller {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// A caller that may be anonymous. A credential that is present but bad is still a 401: a client
/// with an expired token must learn so, not silently act anonymously.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Actor>);

impl MaybeCaller {
    pub fn actor(&self) -> Option<&Actor> {
        self.0.as_ref()
    }
}

fn authenticate(req: &HttpRequest) -> Result<Option<Actor>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::InvalidToken("malformed Authorization header"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::InvalidToken(
            "Authorization must be `Bearer <token>`",
        ))?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))?;
    sessions::authenticate(state, token)
        .map(Some)
        .ok_or(ApiError::InvalidToken("access token is invalid or expired"))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|c| c.map(Caller).ok_or(ApiError::AuthRequired)))
    }
}

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(MaybeCaller))
    }
}
