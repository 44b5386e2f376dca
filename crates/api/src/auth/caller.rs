//! The authenticated caller as a handler argument: handlers that need one cannot forget the check.

use std::future::{Ready, ready};

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use backbeat_domain::Role;
use backbeat_domain::ids::UserId;

use crate::auth::TokenKind;
use crate::error::ApiError;
use crate::state::AppState;

/// Who is calling. Today from a JWT access token; API keys resolve to the same type.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: UserId,
    pub role: Role,
}

impl Caller {
    /// Owners act on their rows; admins on every row.
    pub fn may_act_on(&self, owner: Option<&str>) -> bool {
        self.role.is_admin() || owner == Some(self.user_id.as_str())
    }
}

/// A caller that may be anonymous. A credential that is present but bad is still a 401: a client
/// with an expired token must learn so, not silently act anonymously.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

fn authenticate(req: &HttpRequest) -> Result<Option<Caller>, ApiError> {
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
    let claims = state
        .tokens
        .verify(TokenKind::Access, token)
        .map_err(|_| ApiError::InvalidToken("access token is invalid or expired"))?;
    Ok(Some(Caller {
        user_id: UserId(claims.sub),
        role: claims.role,
    }))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|c| c.ok_or(ApiError::AuthRequired)))
    }
}

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(MaybeCaller))
    }
}
