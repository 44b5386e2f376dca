//! HTTP tests against the real application, each on its own database.

mod admin_cli;
mod authentications;
mod docs;
mod envelope;
mod health;
mod helpers;
mod tokens;
mod users;
