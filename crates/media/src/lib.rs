//! What an uploaded file really is, read from its bytes with well-kept decoders (hound and claxon
//! for audio, image and zune-jpeg for pictures), never from its name or declared type. Blocking:
//! call from a blocking task.

mod artwork;
mod audio;

pub use artwork::artwork;
pub use audio::audio;

/// Why a file cannot be used; the message completes a sentence about the upload ("is truncated").
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{0}")]
    Unsuitable(String),
    #[error("cannot read the uploaded file: {0}")]
    Io(#[from] std::io::Error),
}

impl MediaError {
    fn unsuitable(reason: impl Into<String>) -> Self {
        MediaError::Unsuitable(reason.into())
    }
}
