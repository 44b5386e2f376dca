//! DDEX messages backbeat sends: ERN 4.3 `NewReleaseMessage`s that deliver a release to a
//! platform, and the takedown that ends its deals. Pure: the same inputs give the same bytes.

mod duration;
pub mod ern;

pub use duration::iso8601;
pub use ern::{Artwork, AudioFile, Party, Release, ReleaseMessage, Track, new_release_message};
