//! HTTP tests against the real application, each on its own database.

mod authentications;
mod binary;
mod docs;
mod envelope;
mod health;
mod helpers;
mod tokens;
mod users;
