//! DDEX messages: the ERN 4.3 `NewReleaseMessage`s backbeat sends (a release's delivery, and the
//! takedown that ends its deals), the ECHO manifest that closes a batch of them, and the
//! acknowledgements platforms answer with. Writing is pure: the same inputs give the same bytes.

pub mod acknowledgement;
mod duration;
pub mod ern;
pub mod manifest;

pub use duration::iso8601;
pub use ern::{Artwork, AudioFile, Party, Release, ReleaseMessage, Track, new_release_message};
