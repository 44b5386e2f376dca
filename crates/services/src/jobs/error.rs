use backbeat_db::DbError;
use backbeat_mail::MailError;

/// How a job fails: for good, or for now.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Retrying cannot help (bad payload, missing entity, a refused address): dead-letter now.
    #[error("{0}")]
    Permanent(String),
    /// Might work later (a dependency is down, a timeout): retry with back-off.
    #[error("{0}")]
    Retry(String),
}

impl From<DbError> for JobError {
    fn from(error: DbError) -> Self {
        JobError::Retry(format!("database: {error}"))
    }
}

impl From<diesel::result::Error> for JobError {
    fn from(error: diesel::result::Error) -> Self {
        DbError::from(error).into()
    }
}

impl From<MailError> for JobError {
    fn from(error: MailError) -> Self {
        if error.is_permanent() {
            JobError::Permanent(error.to_string())
        } else {
            JobError::Retry(error.to_string())
        }
    }
}

impl From<crate::Error> for JobError {
    fn from(error: crate::Error) -> Self {
        use crate::Error;
        match error {
            Error::Unavailable(cause) | Error::Internal(cause) => {
                JobError::Retry(format!("{cause:#}"))
            }
            limited @ (Error::RateLimited(_) | Error::Throttled(_)) => {
                JobError::Retry(limited.to_string())
            }
            refused => JobError::Permanent(refused.to_string()),
        }
    }
}
