//! The drop folder: a platform (or its SFTP mirror) picks packages up from a folder. A package is
//! written under a hidden temporary name and renamed into place, so the platform sees all of it or
//! nothing; a package already there is not written again.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use backbeat_storage::{Storage, StorageError};
use rand::Rng;

use crate::package::MANIFEST;
use crate::{Content, Delivery, DeliveryError, Outcome, Package};

#[derive(Debug, Clone)]
pub struct DropFolder {
    folder: PathBuf,
    storage: Arc<dyn Storage>,
    /// Flush files and folders to disk before announcing the package (rename).
    fsync: bool,
}

impl DropFolder {
    pub fn new(folder: impl Into<PathBuf>, storage: Arc<dyn Storage>, fsync: bool) -> Self {
        Self {
            folder: folder.into(),
            storage,
            fsync,
        }
    }

    fn partial_prefix(name: &str) -> String {
        format!(".{name}.partial-")
    }

    /// Leftovers of an attempt that died mid-write.
    async fn remove_partials(&self, name: &str) {
        let prefix = Self::partial_prefix(name);
        let Ok(mut entries) = tokio::fs::read_dir(&self.folder).await else {
            return;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = tokio::fs::remove_dir_all(entry.path()).await;
            }
        }
    }

    async fn write_files(&self, package: &Package, into: &Path) -> Result<(), DeliveryError> {
        let mut written = Vec::new();
        for file in &package.files {
            let path = into.join(&file.path);
            if let Some(parent) = path.parent() {
                tokio::fs::create_dir_all(parent).await?;
            }
            match &file.content {
                Content::Bytes(bytes) => {
                    tokio::fs::write(&path, bytes).await?;
                    written.push(path);
                }
                Content::Stored(key) => match self.storage.copy_to(key, &path).await {
                    Ok(()) => {}
                    Err(StorageError::NotFound) => {
                        return Err(DeliveryError::MissingFile(key.clone()));
                    }
                    Err(error) => return Err(DeliveryError::Storage(error)),
                },
            }
        }
        let manifest = into.join(MANIFEST);
        tokio::fs::write(&manifest, package.manifest()).await?;
        written.push(manifest);
        if self.fsync {
            let dirs: Vec<PathBuf> = std::iter::once(into.to_path_buf())
                .chain(
                    written
                        .iter()
                        .filter_map(|p| p.parent().map(Path::to_path_buf)),
                )
                .collect();
            tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                for path in written.iter().chain(&dirs) {
                    std::fs::File::open(path)?.sync_all()?;
                }
                Ok(())
            })
            .await
            .map_err(std::io::Error::other)??;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Delivery for DropFolder {
    async fn deliver(&self, package: &Package) -> Result<Outcome, DeliveryError> {
        let target = self.folder.join(&package.name);
        if tokio::fs::try_exists(&target).await? {
            return Ok(Outcome::AlreadyDelivered);
        }
        tokio::fs::create_dir_all(&self.folder).await?;
        self.remove_partials(&package.name).await;
        let suffix: u64 = rand::rng().random();
        let partial = self.folder.join(format!(
            "{}{suffix:016x}",
            Self::partial_prefix(&package.name)
        ));
        tokio::fs::create_dir(&partial).await?;
        if let Err(error) = self.write_files(package, &partial).await {
            let _ = tokio::fs::remove_dir_all(&partial).await;
            return Err(error);
        }
        if let Err(error) = tokio::fs::rename(&partial, &target).await {
            let _ = tokio::fs::remove_dir_all(&partial).await;
            // Another worker delivered the same package a moment ago.
            if tokio::fs::try_exists(&target).await? {
                return Ok(Outcome::AlreadyDelivered);
            }
            return Err(error.into());
        }
        if self.fsync {
            let folder = self.folder.clone();
            tokio::task::spawn_blocking(move || std::fs::File::open(folder)?.sync_all())
                .await
                .map_err(std::io::Error::other)??;
        }
        tracing::debug!(package = %package.name, folder = %self.folder.display(), "package delivered");
        Ok(Outcome::Delivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_package_arrives_whole_once_with_its_manifest() {
        let root = tempfile::tempdir().expect("tempdir");
        let storage = backbeat_storage::local(root.path().join("storage"));
        storage
            .put("audio/a.wav", b"RIFF audio")
            .await
            .expect("put");
        let drop = DropFolder::new(root.path().join("drop/spotify"), storage, true);
        let package = Package::new("036000291452_dist-1.1")
            .with_bytes("036000291452.xml", b"<xml/>".to_vec())
            .with_stored("resources/a.wav", "audio/a.wav", "abc123");
        assert_eq!(
            drop.deliver(&package).await.expect("deliver"),
            Outcome::Delivered
        );
        let delivered = root.path().join("drop/spotify/036000291452_dist-1.1");
        assert_eq!(
            std::fs::read(delivered.join("resources/a.wav")).expect("audio"),
            b"RIFF audio"
        );
        let manifest = std::fs::read_to_string(delivered.join(MANIFEST)).expect("manifest");
        // sha256sum of "<xml/>", then the stored file's recorded checksum, sorted by path.
        assert_eq!(
            manifest,
            "6eb820e0f9762c611c2a77189f686afeca64dfb212e023017e0346e7ab826c39  036000291452.xml\n\
             abc123  resources/a.wav\n"
        );
        // Again: nothing is written twice, and no partial folder is left anywhere.
        assert_eq!(
            drop.deliver(&package).await.expect("again"),
            Outcome::AlreadyDelivered
        );
        let names: Vec<String> = std::fs::read_dir(root.path().join("drop/spotify"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["036000291452_dist-1.1"]);
    }

    #[tokio::test]
    async fn a_missing_stored_file_leaves_nothing_and_is_permanent() {
        let root = tempfile::tempdir().expect("tempdir");
        let storage = backbeat_storage::local(root.path().join("storage"));
        let drop = DropFolder::new(root.path().join("drop"), storage, false);
        let package = Package::new("p").with_stored("resources/a.wav", "audio/gone.wav", "x");
        let error = drop.deliver(&package).await.expect_err("missing file");
        assert!(error.is_permanent(), "{error}");
        assert_eq!(
            std::fs::read_dir(root.path().join("drop"))
                .expect("dir")
                .count(),
            0
        );
    }
}
