use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::pooled_connection::PoolError as ManagerError;
use diesel_async::pooled_connection::deadpool::PoolError;

/// What callers need to tell apart; everything else is an internal failure.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached or the pool is exhausted: retry later (HTTP 503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint rejected the write; carries the constraint name.
    #[error("unique constraint `{0}` violated")]
    UniqueViolation(String),
    /// A foreign key rejected the write; carries the constraint name.
    #[error("foreign key `{0}` violated")]
    ForeignKeyViolation(String),
    #[error("database query failed: {0}")]
    Query(#[source] DieselError),
    /// A failure on a bulk-load connection (COPY), outside diesel.
    #[error("bulk load failed: {0}")]
    Load(String),
}

impl From<tokio_postgres::Error> for DbError {
    fn from(error: tokio_postgres::Error) -> Self {
        if let Some(db) = error.as_db_error() {
            if *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION {
                return DbError::UniqueViolation(db.constraint().unwrap_or_default().to_owned());
            }
            if *db.code() == tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION {
                return DbError::ForeignKeyViolation(
                    db.constraint().unwrap_or_default().to_owned(),
                );
            }
            let detail = db.detail().map(|d| format!(" ({d})")).unwrap_or_default();
            return DbError::Load(format!("{}{detail}", db.message()));
        }
        if error.is_closed() {
            return DbError::Unavailable(format!("bulk-load connection lost: {error}"));
        }
        DbError::Load(error.to_string())
    }
}

impl From<DieselError> for DbError {
    fn from(error: DieselError) -> Self {
        match &error {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::UniqueViolation(info.constraint_name().unwrap_or_default().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                DbError::ForeignKeyViolation(info.constraint_name().unwrap_or_default().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                DbError::Unavailable("connection closed".to_owned())
            }
            _ => DbError::Query(error),
        }
    }
}

impl From<PoolError> for DbError {
    fn from(error: PoolError) -> Self {
        match error {
            PoolError::Timeout(kind) => DbError::Unavailable(format!("pool timeout ({kind:?})")),
            PoolError::Backend(ManagerError::ConnectionError(e)) => {
                DbError::Unavailable(format!("cannot connect: {e}"))
            }
            PoolError::Backend(ManagerError::QueryError(e)) => DbError::from(e),
            other => DbError::Unavailable(other.to_string()),
        }
    }
}

impl DbError {
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        matches!(self, DbError::UniqueViolation(name) if name == constraint)
    }
}
