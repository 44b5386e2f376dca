//! PostgreSQL for backbeat: the connection pool, the diesel schema, embedded migrations and the
//! queries of each feature (one module per feature, named after it).

pub mod advances;
pub mod albums;
pub mod analytics;
pub mod api_keys;
pub mod artists;
pub mod audit_events;
pub mod chat_messages;
pub mod collaborations;
pub mod distributions;
pub mod error;
pub mod fx_rates;
pub mod job_items;
pub mod jobs;
pub mod likes;
pub mod media;
pub mod migrations;
pub mod outbox;
pub mod payees;
pub mod plans;
pub mod platforms;
pub mod playlists;
pub mod pool;
pub mod refresh_tokens;
pub mod releases;
pub mod retention;
pub mod rooms;
pub mod royalty_runs;
pub mod royalty_statements;
pub mod schedules;
pub mod schema;
pub mod sent_emails;
pub mod songs;
pub mod splits;
pub mod tags;
pub mod tls;
pub mod usage_load;
pub mod usage_reports;
pub mod users;
pub mod verifications;
pub mod video_syncs;
pub mod videos;

pub use diesel_async::AsyncPgConnection;
pub use error::DbError;
pub use pool::{DbPool, PooledConnection};
