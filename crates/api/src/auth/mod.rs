//! Identity: password hashing, tokens, and the extractors that give handlers their caller.

pub mod caller;
pub mod catalog;
pub mod passwords;
pub mod tokens;

pub use caller::{Caller, MaybeCaller};
pub use catalog::CatalogPolicy;
pub use passwords::Passwords;
pub use tokens::{TokenKind, Tokens};
