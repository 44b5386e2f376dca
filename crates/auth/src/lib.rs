//! Identity for both processes: password hashing (scrypt, bounded concurrency, off the async
//! threads) and signed tokens. API keys will join here.

pub mod passwords;
pub mod tokens;

pub use passwords::Passwords;
pub use tokens::{Claims, Issued, TokenError, TokenKind, Tokens, digest};
