//! What backbeat does, independent of how it is asked: one module per area, each holding its
//! rules (who may read or write what), its transactions and the jobs it enqueues. The API's
//! routes parse a request, call a service and shape the response; the worker runs the jobs
//! defined here; both share one [`Context`].

pub mod access;
pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod api_keys;
pub mod artists;
pub mod audit;
pub mod catalog;
pub mod chat;
pub mod context;
pub mod csv_export;
pub mod distribution;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod playlists;
pub mod reference;
pub mod retention;
pub mod royalties;
pub mod schedules;
pub mod usage;
pub mod verification;
pub mod videos;

pub use context::Context;
pub use error::{Error, Result};

/// Where a cached read's answer came from (`X-Data-Source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Cache,
    Database,
}
