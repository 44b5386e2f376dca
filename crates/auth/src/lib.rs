//! Identity for both processes: password hashing (scrypt, bounded concurrency, off the async
//! threads), signed tokens, and API key secrets.

pub mod api_keys;
pub mod passwords;
pub mod tokens;

pub use api_keys::ApiKeys;
pub use passwords::{HashError, Passwords};
pub use tokens::{Claims, Issued, TokenError, TokenKind, Tokens, digest};
