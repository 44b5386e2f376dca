//! How a service refuses or fails. The API maps each variant to a status and a stable code; the
//! worker to a permanent or temporary job failure.

use backbeat_db::DbError;
use backbeat_domain::FieldError;
use backbeat_domain::readiness::Problem;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks a rule; names every field at fault.
    #[error("{}", .0.first().map(FieldError::sentence).unwrap_or_default())]
    Invalid(Vec<FieldError>),
    /// The release cannot be delivered yet; every problem, with its code and field.
    #[error("the release is not ready for delivery")]
    NotReady(Vec<Problem>),
    /// The operation needs an authenticated caller.
    #[error("authentication required")]
    AuthRequired,
    #[error("invalid username or password")]
    InvalidCredentials,
    /// A token or API key that is malformed, expired, revoked, or whose account is suspended.
    #[error("{0}")]
    InvalidCredential(&'static str),
    /// Over a cap (a count, not a rate); may be retried after the duration.
    #[error("too many requests")]
    RateLimited(std::time::Duration),
    /// Over a rate-limit policy, with the policy's state for the `RateLimit-*` headers.
    #[error("too many requests")]
    Throttled(backbeat_cache::access::LimitOutcome),
    #[error("{0}")]
    Forbidden(String),
    /// Unknown, or not visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// The current state does not allow it.
    #[error("{0}")]
    Conflict(String),
    /// A value that must be unique is held by another row: the field at fault, as a conflict
    /// with what is stored rather than a malformed input.
    #[error("{}", .0.sentence())]
    Taken(FieldError),
    /// A dependency is down or saturated: try again later.
    #[error("service temporarily unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn taken(field: &str, message: impl Into<String>) -> Self {
        Error::Taken(FieldError::new(field, message))
    }

    pub fn not_found(what: &str) -> Self {
        Error::NotFound(format!("{what} not found"))
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Error::Internal(error.into())
    }
}

impl From<DbError> for Error {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(_) => Error::Unavailable(error.into()),
            other => Error::Internal(other.into()),
        }
    }
}

impl From<backbeat_auth::HashError> for Error {
    fn from(error: backbeat_auth::HashError) -> Self {
        match error {
            busy @ backbeat_auth::HashError::Busy => Error::Unavailable(busy.into()),
            backbeat_auth::HashError::Failed(cause) => Error::Internal(cause),
        }
    }
}

/// The object store being unreachable is a dependency down (503 with `Retry-After`), like the
/// database; anything else about a stored file is backbeat's fault.
impl From<backbeat_storage::StorageError> for Error {
    fn from(error: backbeat_storage::StorageError) -> Self {
        match error {
            remote @ backbeat_storage::StorageError::Remote(_) => Error::Unavailable(remote.into()),
            other => Error::Internal(other.into()),
        }
    }
}

impl From<FieldError> for Error {
    fn from(error: FieldError) -> Self {
        Error::Invalid(vec![error])
    }
}

impl From<diesel::result::Error> for Error {
    fn from(error: diesel::result::Error) -> Self {
        DbError::from(error).into()
    }
}
