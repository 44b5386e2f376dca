//! HTTP tests against the real application, each on its own database.

mod access;
mod album_covers;
mod album_likes;
mod artists;
mod authentications;
mod binary;
mod catalog;
mod catalog_compat;
mod chat;
mod distributions;
mod docs;
mod envelope;
mod health;
mod helpers;
mod object_storage;
mod playlists;
mod rate_limits;
mod releases;
mod tls;
mod tokens;
mod users;
