//! PostgreSQL for backbeat: the connection pool, the diesel schema, embedded migrations and the
//! queries of each feature (one module per feature, named after it).

pub mod albums;
pub mod collaborations;
pub mod error;
pub mod jobs;
pub mod likes;
pub mod migrations;
pub mod outbox;
pub mod playlists;
pub mod pool;
pub mod refresh_tokens;
pub mod schedules;
pub mod schema;
pub mod sent_emails;
pub mod songs;
pub mod users;

pub use diesel_async::AsyncPgConnection;
pub use error::DbError;
pub use pool::{DbPool, PooledConnection};
