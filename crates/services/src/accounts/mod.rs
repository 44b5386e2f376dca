//! Accounts: sign-up and profiles ([`users`]), log-in, refresh and log-out ([`sessions`]).

pub mod sessions;
pub mod users;
