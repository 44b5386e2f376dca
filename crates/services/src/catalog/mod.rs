//! The catalog: albums (releases), songs (tracks), covers and likes, and who may write them.

pub mod access;
pub mod albums;
pub mod covers;
pub mod likes;
pub mod song_count;
pub mod songs;
pub mod uploads;
