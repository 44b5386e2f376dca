//! The backbeat HTTP API: an actix-web application over the services crate. `startup` builds
//! it; `routes` holds one module per resource (parse, call a service, shape the response) and the
//! route table; `views` the response bodies per area.

pub mod access;
pub mod auth;
pub mod chat;
pub mod cli;
pub mod error;
pub mod input;
pub mod metrics;
pub mod openapi;
pub mod public_url;
pub mod request_context;
pub mod response;
pub mod routes;
pub mod schemas;
pub mod startup;
pub mod state;
pub mod upload;
pub mod views;

pub use startup::Application;
