//! The backbeat HTTP API: an actix-web application over the shared domain, database and queue
//! crates. `startup` builds it; `routes` holds one module per resource.

pub mod auth;
pub mod cli;
pub mod error;
pub mod input;
pub mod likes_cache;
pub mod metrics;
pub mod openapi;
pub mod request_context;
pub mod response;
pub mod routes;
pub mod startup;
pub mod state;

pub use startup::Application;
