//! The pure domain of backbeat: identifiers, roles and validated values.
//!
//! Nothing here performs I/O; adapters (database, HTTP) parse raw input into these types once,
//! at the edge, and pass typed values inward.

pub mod account;
pub mod catalog;
pub mod email;
pub mod ids;
pub mod jobs;
pub mod media;
pub mod role;
pub mod validation;

pub use role::Role;
pub use validation::FieldError;
