//! The authenticated caller as a handler argument: handlers that need one cannot forget the check.
//! The route's [`guard`](crate::access::guard) has already read and checked the credential.

use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use backbeat_domain::Actor;

use crate::access::Admitted;
use crate::error::ApiError;

/// Who is calling: an account, through an access token or one of its API keys.
#[derive(Debug, Clone)]
pub struct Caller(pub Actor);

impl Deref for Caller {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// A caller that may be anonymous. A credential that is present but bad was already a 401: a
/// client with an expired token must learn so, not silently act anonymously.
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Actor>);

impl MaybeCaller {
    pub fn actor(&self) -> Option<&Actor> {
        self.0.as_ref()
    }
}

fn admitted(req: &HttpRequest) -> Option<Actor> {
    req.extensions()
        .get::<Admitted>()
        .and_then(|admitted| admitted.0.clone())
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(admitted(req).map(Caller).ok_or(ApiError::AuthRequired))
    }
}

impl FromRequest for MaybeCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(MaybeCaller(admitted(req))))
    }
}
