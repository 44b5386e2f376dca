//! The error contract of `spec/README.md`: one envelope, stable codes, generic 5xx bodies.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use backbeat_domain::FieldError;
use backbeat_domain::readiness::Problem;
use backbeat_services::Error as ServiceError;
use serde::Serialize;
use utoipa::ToSchema;

/// Stable machine codes clients match on. Never rename one; add new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    ValidationError,
    InvalidJson,
    AuthRequired,
    InvalidToken,
    InvalidCredentials,
    Forbidden,
    InsufficientScope,
    NotFound,
    MethodNotAllowed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Unavailable,
    InternalError,
}

impl ErrorCode {
    /// The code of a response produced outside a handler (router, extractors, actix itself).
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => ErrorCode::ValidationError,
            401 => ErrorCode::AuthRequired,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            _ => ErrorCode::InternalError,
        }
    }
}

/// The error body: `{"status": "fail"|"error", "message", "code", "details"?}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// `fail` for client errors (4xx), `error` for server errors (5xx).
    #[schema(example = "fail")]
    pub status: &'static str,
    #[schema(example = "\"year\" must be a number")]
    pub message: String,
    pub code: ErrorCode,
    /// The fields at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<FieldDetail>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDetail {
    #[schema(example = "year")]
    pub field: String,
    #[schema(example = "must be a number")]
    pub message: String,
    /// A stable code for the problem, where there is one (release readiness: `UPC_MISSING`,
    /// `TRACK_AUDIO_MISSING`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "UPC_MISSING")]
    pub code: Option<String>,
}

impl ErrorBody {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: if status.is_server_error() {
                "error"
            } else {
                "fail"
            },
            message: message.into(),
            code,
            details: None,
        }
    }

    /// The body for a bare status (router 404/405, actix's own errors). 5xx never explain.
    pub fn for_status(status: StatusCode) -> Self {
        let message = match status.as_u16() {
            404 => "route not found",
            405 => "method not allowed on this route",
            413 => "request body is too large",
            415 => "unsupported media type",
            503 => "service temporarily unavailable",
            s if s >= 500 => "internal server error",
            _ => status.canonical_reason().unwrap_or("bad request"),
        };
        Self::new(status, ErrorCode::for_status(status), message)
    }

    pub fn into_response(self, status: StatusCode) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("5")));
        }
        response.json(self)
    }
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{}", .0.first().map(FieldError::sentence).unwrap_or_default())]
    Validation(Vec<FieldError>),
    /// A release that cannot be delivered: a validation error listing its problems.
    #[error("the release is not ready for delivery")]
    NotReady(Vec<Problem>),
    #[error("{0}")]
    InvalidJson(String),
    #[error("authentication required")]
    AuthRequired,
    #[error("{0}")]
    InvalidToken(&'static str),
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("this API key lacks the `{0}` scope")]
    InsufficientScope(backbeat_domain::access::Scope),
    #[error("too many requests; retry later")]
    RateLimited(std::time::Duration),
    /// Over a rate-limit policy: its state goes into the `RateLimit-*` headers.
    #[error("too many requests; retry later")]
    Throttled(backbeat_cache::access::LimitOutcome),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A unique value another row holds: 409 naming the field.
    #[error("{}", .0.sentence())]
    Taken(FieldError),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("service temporarily unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal server error")]
    Internal(#[source] anyhow::Error),
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        ApiError::Validation(vec![error])
    }
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(error.into())
    }

    fn code(&self) -> ErrorCode {
        match self {
            ApiError::Validation(_) | ApiError::NotReady(_) => ErrorCode::ValidationError,
            ApiError::InvalidJson(_) => ErrorCode::InvalidJson,
            ApiError::AuthRequired => ErrorCode::AuthRequired,
            ApiError::InvalidToken(_) => ErrorCode::InvalidToken,
            ApiError::InvalidCredentials => ErrorCode::InvalidCredentials,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::InsufficientScope(_) => ErrorCode::InsufficientScope,
            ApiError::RateLimited(_) | ApiError::Throttled(_) => ErrorCode::RateLimited,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Conflict(_) | ApiError::Taken(_) => ErrorCode::Conflict,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            ApiError::Unavailable(_) => ErrorCode::Unavailable,
            ApiError::Internal(_) => ErrorCode::InternalError,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) | ApiError::NotReady(_) | ApiError::InvalidJson(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::AuthRequired | ApiError::InvalidToken(_) | ApiError::InvalidCredentials => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden(_) | ApiError::InsufficientScope(_) => StatusCode::FORBIDDEN,
            ApiError::RateLimited(_) | ApiError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::Taken(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        // The cause chain goes to the log (inside the request's span, so with its id); the body
        // stays generic.
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "request failed")
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = format!("{cause:#}"), "dependency unavailable")
            }
            _ => {}
        }
        let mut body = if status.is_server_error() {
            ErrorBody::for_status(status)
        } else {
            ErrorBody::new(status, self.code(), self.to_string())
        };
        match self {
            ApiError::Validation(fields) => {
                body.details = Some(
                    fields
                        .iter()
                        .map(|f| FieldDetail {
                            field: f.field.clone(),
                            message: f.message.clone(),
                            code: None,
                        })
                        .collect(),
                );
            }
            ApiError::Taken(field) => {
                body.details = Some(vec![FieldDetail {
                    field: field.field.clone(),
                    message: field.message.clone(),
                    code: None,
                }]);
            }
            ApiError::NotReady(problems) => {
                body.details = Some(
                    problems
                        .iter()
                        .map(|p| FieldDetail {
                            field: p.field.clone(),
                            message: p.message.clone(),
                            code: Some(p.code.to_owned()),
                        })
                        .collect(),
                );
            }
            _ => {}
        }
        let mut response = body.into_response(status);
        match self {
            ApiError::RateLimited(wait) => {
                let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            // The route's guard writes the headers of the policy that refused.
            ApiError::Throttled(policy) => crate::access::counted(&mut response, Some(*policy)),
            _ => {}
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(fields) => ApiError::Validation(fields),
            ServiceError::NotReady(problems) => ApiError::NotReady(problems),
            ServiceError::AuthRequired => ApiError::AuthRequired,
            ServiceError::InvalidCredentials => ApiError::InvalidCredentials,
            ServiceError::InvalidCredential(message) => ApiError::InvalidToken(message),
            ServiceError::RateLimited(wait) => ApiError::RateLimited(wait),
            ServiceError::Throttled(policy) => ApiError::Throttled(policy),
            ServiceError::Forbidden(message) => ApiError::Forbidden(message),
            ServiceError::NotFound(message) => ApiError::NotFound(message),
            ServiceError::Conflict(message) => ApiError::Conflict(message),
            ServiceError::Taken(field) => ApiError::Taken(field),
            ServiceError::Unavailable(cause) => ApiError::Unavailable(cause),
            ServiceError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
