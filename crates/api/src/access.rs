//! Who may call each route, enforced in one place: the route table gives every route an
//! [`Access`], and [`guard`] wraps the route with it. The guard reads the credential (an access
//! token, or an API key as `Authorization: Bearer` or `X-Api-Key`), refuses a key outside its
//! scopes or on a route keys may not use, counts the request against its rate limits, and leaves
//! the [`Actor`] for the handler's `Caller`/`MaybeCaller`. Every limited response carries
//! `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; a request over a limit gets
//! 429 `RATE_LIMITED` with `Retry-After`.

use std::net::IpAddr;
use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};
use backbeat_cache::access::{Limit, LimitOutcome};
use backbeat_config::Settings;
use backbeat_domain::Actor;
use backbeat_domain::access::Scope;
use backbeat_services::access::{self, Identity, Presented};

use crate::error::ApiError;
use crate::state::AppState;

pub const API_KEY_HEADER: HeaderName = HeaderName::from_static("x-api-key");
const RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("ratelimit-limit");
const RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("ratelimit-remaining");
const RATELIMIT_RESET: HeaderName = HeaderName::from_static("ratelimit-reset");

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credential is read (health, documentation, media files, refresh and log-out).
    Public,
    /// `POST /authentications`: public, limited per client address (and per username, by the
    /// login itself).
    Login,
    /// `POST /users`: public, limited per client address.
    SignUp,
    /// Anonymous callers welcome; an API key needs the scope.
    Open(Scope),
    /// A credential is required; an API key needs the scope.
    Scoped(Scope),
    /// Any credential; an API key with any scope.
    SignedIn,
    /// A login session: API keys are refused whatever their scopes (managing keys, one's profile).
    Session,
    /// An admin action: an admin's login session, never an API key.
    Admin,
}

impl Access {
    /// The scope an API key needs here; `None` where keys need none or are refused.
    pub fn scope(self) -> Option<Scope> {
        match self {
            Access::Open(scope) | Access::Scoped(scope) => Some(scope),
            _ => None,
        }
    }

    pub fn anonymous_allowed(self) -> bool {
        matches!(
            self,
            Access::Public | Access::Login | Access::SignUp | Access::Open(_)
        )
    }

    pub fn keys_allowed(self) -> bool {
        matches!(self, Access::Open(_) | Access::Scoped(_) | Access::SignedIn)
    }
}

/// The caller as the guard admitted it, read by the `Caller` extractors.
#[derive(Debug, Clone)]
pub struct Admitted(pub Option<Actor>);

/// The route's middleware (see the module comment).
pub async fn guard(
    access: Access,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Err(ApiError::internal(anyhow::anyhow!("application state missing")).into());
    };
    let (admitted, limit) = match admit(&state, access, &req).await {
        Ok(pass) => pass,
        Err((error, limit)) => {
            let mut response = req.error_response(error);
            describe_policy(&mut response, limit);
            return Ok(response);
        }
    };
    req.extensions_mut().insert(Admitted(admitted));
    let mut response = next.call(req).await?;
    describe_policy(&mut response, limit);
    Ok(response)
}

/// A policy a handler counted the request against itself (the login's per-username limit),
/// left on its response for the guard.
#[derive(Debug, Clone, Copy)]
struct Counted(LimitOutcome);

/// Leaves `policy` on `response` for the route's guard, which describes the tighter of it and
/// the route's own in the `RateLimit-*` headers.
pub fn counted(response: &mut actix_web::HttpResponse, policy: Option<LimitOutcome>) {
    if let Some(policy) = policy {
        let mut extensions = response.extensions_mut();
        let tighter = match extensions.get::<Counted>() {
            Some(Counted(earlier)) => earlier.tighter(policy),
            None => policy,
        };
        extensions.insert(Counted(tighter));
    }
}

/// Writes the `RateLimit-*` headers of the policy closest to exhaustion among the route's
/// (`limit`) and any the handler counted.
fn describe_policy(response: &mut ServiceResponse<BoxBody>, limit: Option<LimitOutcome>) {
    let handler = response.response().extensions().get::<Counted>().copied();
    let policy = match (limit, handler) {
        (Some(route), Some(Counted(handler))) => Some(route.tighter(handler)),
        (route, handler) => route.or(handler.map(|Counted(h)| h)),
    };
    if let Some(policy) = policy {
        write_headers(response.headers_mut(), &policy);
    }
}

type Refusal = (ApiError, Option<LimitOutcome>);

async fn admit(
    state: &AppState,
    access: Access,
    req: &ServiceRequest,
) -> Result<(Option<Actor>, Option<LimitOutcome>), Refusal> {
    let settings = &state.settings;
    let identity = match (access, presented(req.headers())) {
        (Access::Public | Access::Login | Access::SignUp, _) | (_, Ok(None)) => None,
        (_, Err(error)) => return Err((error, None)),
        (_, Ok(Some(presented))) => Some(
            access::identify(state, presented)
                .await
                .map_err(|e| (ApiError::from(e), None))?,
        ),
    };
    if let Some(identity) = &identity {
        check_key(access, identity).map_err(|e| (e, None))?;
    } else if !access.anonymous_allowed() {
        return Err((ApiError::AuthRequired, None));
    }
    let limits = limits_for(settings, access, req, identity.as_ref());
    let (admitted, limit) = access::admit(state, identity, &limits).await;
    match admitted {
        Ok(actor) => Ok((actor, limit)),
        Err(error) => Err((ApiError::from(error), limit)),
    }
}

/// A key may only be used where keys are, within its scopes.
fn check_key(access: Access, identity: &Identity) -> Result<(), ApiError> {
    let Some(key) = &identity.key else {
        return Ok(());
    };
    if !access.keys_allowed() {
        return Err(ApiError::Forbidden(match access {
            Access::Admin => "admin actions cannot be done with an API key; sign in".to_owned(),
            _ => "this route needs a login session, not an API key".to_owned(),
        }));
    }
    match access.scope() {
        Some(scope) if !key.allows(scope) => Err(ApiError::InsufficientScope(scope)),
        _ => Ok(()),
    }
}

/// The credential a request presents: `Authorization: Bearer <token or key>` or `X-Api-Key`.
fn presented(headers: &HeaderMap) -> Result<Option<Presented<'_>>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
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
        return Ok(Some(Presented::Bearer(token)));
    }
    match headers.get(API_KEY_HEADER) {
        Some(value) => value
            .to_str()
            .map(|key| Some(Presented::ApiKey(key.trim())))
            .map_err(|_| ApiError::InvalidToken("malformed X-Api-Key header")),
        None => Ok(None),
    }
}

/// The rules that apply to this request, per the route's class and the caller.
fn limits_for(
    settings: &Settings,
    access: Access,
    req: &ServiceRequest,
    identity: Option<&Identity>,
) -> Vec<Limit> {
    let rules = &settings.rate_limits;
    let address = || client_address(settings, req.request());
    let reading = matches!(*req.method(), Method::GET | Method::HEAD);
    let limit = |key: String, rule| vec![Limit { key, rule }];
    match (access, identity) {
        (Access::Public, _) => Vec::new(),
        (Access::Login, _) => limit(
            format!("login:address:{}", address()),
            rules.login_per_address,
        ),
        (Access::SignUp, _) => limit(
            format!("signup:address:{}", address()),
            rules.signup_per_address,
        ),
        (_, Some(identity)) if reading => limit(
            format!("reads:user:{}", identity.user_id),
            rules.reads_per_caller,
        ),
        (_, Some(identity)) => limit(
            format!("writes:user:{}", identity.user_id),
            rules.writes_per_caller,
        ),
        (_, None) if reading => limit(
            format!("reads:address:{}", address()),
            rules.anonymous_reads_per_address,
        ),
        // Anonymous writes exist only in openMusic compatibility mode.
        (_, None) => limit(
            format!("writes:address:{}", address()),
            rules.writes_per_caller,
        ),
    }
}

/// The client's address: the peer, or, when the peer is a trusted proxy, the last address in
/// `X-Forwarded-For` that is not one (the proxies' own additions are to its right).
pub fn client_address(settings: &Settings, req: &actix_web::HttpRequest) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    let trusted = &settings.server.trusted_proxies;
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = req
        .headers()
        .get_all(HeaderName::from_static("x-forwarded-for"))
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

fn write_headers(headers: &mut HeaderMap, limit: &LimitOutcome) {
    let secs = |d: Duration| HeaderValue::from(d.as_millis().div_ceil(1000) as u64);
    headers.insert(RATELIMIT_LIMIT, HeaderValue::from(limit.limit));
    headers.insert(RATELIMIT_REMAINING, HeaderValue::from(limit.remaining));
    headers.insert(RATELIMIT_RESET, secs(limit.reset));
    if !limit.allowed {
        headers.insert(
            header::RETRY_AFTER,
            secs(limit.retry_after.max(Duration::from_secs(1))),
        );
    }
}
