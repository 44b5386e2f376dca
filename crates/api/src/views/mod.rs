//! Response bodies, one module per area: the shapes clients see, documented in the OpenAPI
//! document. Routes build them from what the services return; a shape used by several routes
//! (a song in a list) is defined once here.

pub mod access;
pub mod accounts;
pub mod analytics;
pub mod catalog;
pub mod community;
pub mod distribution;
pub mod jobs;
pub mod operations;
pub mod playlists;
pub mod royalties;
pub mod videos;
