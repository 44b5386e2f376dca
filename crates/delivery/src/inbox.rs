//! Where a platform writes back: a folder of files (acknowledgements) that backbeat reads, then
//! moves into `processed/` so that the next look does not read them again and nothing the
//! platform wrote is ever deleted.

use std::io::Read;
use std::path::PathBuf;

use crate::DeliveryError;

/// Read files are moved into this folder, inside the inbox.
pub const PROCESSED: &str = "processed";

#[async_trait::async_trait]
pub trait Inbox: Send {
    /// The files directly in the folder (not folders, not hidden ones), by name; none when the
    /// folder does not exist yet.
    async fn files(&mut self) -> Result<Vec<String>, DeliveryError>;

    /// A file's bytes: at most `max + 1` of them, so a caller sees that it is too large.
    async fn read(&mut self, name: &str, max: u64) -> Result<Vec<u8>, DeliveryError>;

    /// Moves the file into [`PROCESSED`], replacing one of the same name there.
    async fn archive(&mut self, name: &str) -> Result<(), DeliveryError>;

    async fn close(self: Box<Self>) {}
}

/// An inbox in a local folder.
pub(crate) struct FolderInbox {
    pub(crate) folder: PathBuf,
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, DeliveryError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DeliveryError::Io(std::io::Error::other(e)))?
        .map_err(DeliveryError::Io)
}

#[async_trait::async_trait]
impl Inbox for FolderInbox {
    async fn files(&mut self) -> Result<Vec<String>, DeliveryError> {
        let folder = self.folder.clone();
        blocking(move || {
            let entries = match std::fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e),
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') && entry.file_type()?.is_file() {
                    names.push(name);
                }
            }
            names.sort();
            Ok(names)
        })
        .await
    }

    async fn read(&mut self, name: &str, max: u64) -> Result<Vec<u8>, DeliveryError> {
        let path = self.folder.join(name);
        blocking(move || {
            let mut bytes = Vec::new();
            std::fs::File::open(path)?
                .take(max + 1)
                .read_to_end(&mut bytes)?;
            Ok(bytes)
        })
        .await
    }

    async fn archive(&mut self, name: &str) -> Result<(), DeliveryError> {
        let (from, into) = (self.folder.join(name), self.folder.join(PROCESSED));
        let to = into.join(name);
        blocking(move || {
            std::fs::create_dir_all(&into)?;
            match std::fs::rename(&from, &to) {
                // Moved by another collector a moment before.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && to.exists() => Ok(()),
                other => other,
            }
        })
        .await
    }
}
