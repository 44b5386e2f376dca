//! The pure domain of backbeat: identifiers, roles, validated values and paging cursors.
//!
//! Nothing here performs I/O; adapters (database, HTTP) parse raw input into these types once,
//! at the edge, and pass typed values inward. With the `diesel` feature, ids, roles and statuses
//! map to text columns.

pub mod access;
pub mod account;
pub mod catalog;
pub mod chat;
pub mod codes;
pub mod dates;
pub mod ddex;
pub mod distribution;
pub mod email;
pub mod ids;
pub mod jobs;
pub mod media;
pub mod money;
pub mod paging;
pub mod period;
pub mod readiness;
pub mod release;
pub mod role;
pub mod royalties;
#[cfg(feature = "diesel")]
mod sql;
pub mod territories;
mod text_enum;
pub mod usage;
pub mod validation;
pub mod verification;
pub mod video;
pub mod web;

pub use access::Actor;
pub use role::Role;
pub use validation::FieldError;
