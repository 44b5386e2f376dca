//! The drop folder: a platform (or its SFTP mirror) picks packages up from a folder. A package is
//! written in `.partial/` and renamed into place, so the platform sees all of it or nothing; a
//! package already there is not written again.
//!
//! Durability, when asked for: a package's files reach the disk before it is renamed into place,
//! and the rename reaches the disk before its delivery is reported. One package flushes each file
//! and folder it wrote; many packages at once ([`Delivery::deliver_many`]) share two flushes of
//! the file system (group commit), which is what makes bulk delivery fast.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use backbeat_storage::{Storage, StorageError};
use rand::RngExt;

use crate::inbox::FolderInbox;
use crate::package::MANIFEST;
use crate::{Content, Delivery, DeliveryError, Inbox, Outcome, Package};

/// Packages being written, on the drop folder's file system (so that renaming one is atomic).
/// Platforms ignore hidden entries.
const PARTIAL: &str = ".partial";

#[derive(Debug, Clone)]
pub struct DropFolder {
    folder: PathBuf,
    storage: Arc<dyn Storage>,
    /// Flush files and folders to disk before announcing the package (rename).
    fsync: bool,
    /// The least time between two packages of a batch written: spreads a bulk job's file system
    /// work (kernel time, which requests cannot preempt on many kernels) instead of bursts.
    spacing: Option<Duration>,
    /// A lock file shared by the workers on this machine, so that they write a batch's packages
    /// one at a time: the kernel work then holds at most one core, leaving the other to requests.
    turns: Option<PathBuf>,
}

/// A package ready for the blocking write: its name, its files, its manifest.
struct Staged {
    name: String,
    files: Vec<(String, Source)>,
    manifest: Vec<u8>,
}

/// Where each file of a package comes from, resolved before the blocking write.
enum Source {
    Bytes(Vec<u8>),
    /// A stored file on this machine: linked (or copied) in the same blocking task.
    Local(PathBuf, String),
    /// A stored file elsewhere: copied through the storage before the package is renamed.
    Remote(String),
}

/// The lock file behind [`DropFolder::taking_turns`]. Taking turns only spreads load: a lock that
/// cannot be had is logged and the packages are written without it.
struct Turns(std::fs::File);

/// A turn, given back when dropped.
struct Turn<'a>(&'a std::fs::File);

impl Turns {
    fn open(path: &Path) -> Option<Self> {
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(file) => Some(Self(file)),
            Err(error) => {
                tracing::warn!(lock = %path.display(), %error, "writing packages without taking turns");
                None
            }
        }
    }

    fn take(&self) -> Option<Turn<'_>> {
        use rustix::fs::{FlockOperation, flock};
        flock(&self.0, FlockOperation::LockExclusive).ok()?;
        Some(Turn(&self.0))
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let _ = rustix::fs::flock(self.0, rustix::fs::FlockOperation::Unlock);
    }
}

fn sync(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()
}

impl DropFolder {
    pub fn new(folder: impl Into<PathBuf>, storage: Arc<dyn Storage>, fsync: bool) -> Self {
        Self {
            folder: folder.into(),
            storage,
            fsync,
            spacing: None,
            turns: None,
        }
    }

    /// Writes a batch's packages at most one per `spacing`.
    pub fn spaced(mut self, spacing: Duration) -> Self {
        self.spacing = Some(spacing);
        self
    }

    /// Writes a batch's packages, and flushes them, only while holding `lock` (an `flock`), which
    /// other workers' drop folders on this machine share.
    pub fn taking_turns(mut self, lock: impl Into<PathBuf>) -> Self {
        self.turns = Some(lock.into());
        self
    }

    /// Creates the partial package with every file that can be written here; returns its path,
    /// or `None` when the package is already delivered.
    fn begin(
        folder: &Path,
        name: &str,
        files: &[(String, Source)],
        manifest: &[u8],
        fsync: bool,
    ) -> Result<Option<PathBuf>, DeliveryError> {
        if folder.join(name).exists() {
            return Ok(None);
        }
        let partials = folder.join(PARTIAL);
        std::fs::create_dir_all(&partials)?;
        // Leftovers of an attempt that died mid-write; the folder only holds packages in flight.
        let prefix = format!("{}.", leaf(name));
        for entry in std::fs::read_dir(&partials)?.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let suffix: u64 = rand::rng().random();
        let partial = partials.join(format!("{}.{suffix:016x}", leaf(name)));
        std::fs::create_dir(&partial)?;
        match Self::fill(&partial, files, manifest, fsync) {
            Ok(()) => Ok(Some(partial)),
            Err(error) => {
                let _ = std::fs::remove_dir_all(&partial);
                Err(error)
            }
        }
    }

    fn fill(
        partial: &Path,
        files: &[(String, Source)],
        manifest: &[u8],
        fsync: bool,
    ) -> Result<(), DeliveryError> {
        let mut dirs = vec![partial.to_path_buf()];
        for (relative, source) in files {
            let path = partial.join(relative);
            if let Some(parent) = path.parent()
                && !dirs.iter().any(|d| d == parent)
            {
                std::fs::create_dir_all(parent)?;
                dirs.push(parent.to_path_buf());
            }
            match source {
                Source::Bytes(bytes) => {
                    let mut file = std::fs::File::create(&path)?;
                    file.write_all(bytes)?;
                    if fsync {
                        file.sync_all()?;
                    }
                }
                Source::Local(stored, key) => {
                    if std::fs::hard_link(stored, &path).is_err() {
                        match std::fs::copy(stored, &path) {
                            Ok(_) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                                return Err(DeliveryError::MissingFile(key.clone()));
                            }
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
                Source::Remote(_) => {}
            }
        }
        let mut file = std::fs::File::create(partial.join(MANIFEST))?;
        file.write_all(manifest)?;
        if fsync {
            file.sync_all()?;
            for dir in &dirs {
                sync(dir)?;
            }
        }
        Ok(())
    }

    /// Writes every package (unflushed), flushes the file system once, renames them into place,
    /// flushes it again. Packages with files in a remote store are left to [`Delivery::deliver`].
    fn write_batch(
        folder: &Path,
        batch: Vec<Staged>,
        fsync: bool,
        spacing: Option<Duration>,
        turns: Option<&Path>,
    ) -> Vec<Result<Outcome, DeliveryError>> {
        let turns = turns.and_then(Turns::open);
        let mut outcomes: Vec<Result<Outcome, DeliveryError>> = Vec::with_capacity(batch.len());
        let mut staged: Vec<(usize, String, PathBuf)> = Vec::new();
        let started = Instant::now();
        for (
            index,
            Staged {
                name,
                files,
                manifest,
            },
        ) in batch.into_iter().enumerate()
        {
            if let Some(spacing) = spacing {
                let due = spacing * u32::try_from(index).unwrap_or(u32::MAX);
                if let Some(wait) = due.checked_sub(started.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            let _turn = turns.as_ref().map(Turns::take);
            match Self::begin(folder, &name, &files, &manifest, false) {
                Ok(Some(partial)) => {
                    staged.push((index, name, partial));
                    outcomes.push(Ok(Outcome::Delivered));
                }
                Ok(None) => outcomes.push(Ok(Outcome::AlreadyDelivered)),
                Err(error) => outcomes.push(Err(error)),
            }
        }
        if staged.is_empty() {
            return outcomes;
        }
        let flush = |what: &str| -> Result<(), DeliveryError> {
            if fsync {
                let _turn = turns.as_ref().map(Turns::take);
                let root = std::fs::File::open(folder)?;
                rustix::fs::syncfs(&root).map_err(|e| {
                    DeliveryError::Io(std::io::Error::other(format!("cannot flush {what}: {e}")))
                })?;
            }
            Ok(())
        };
        if let Err(error) = flush("the packages") {
            for (index, _, partial) in &staged {
                let _ = std::fs::remove_dir_all(partial);
                outcomes[*index] = Err(DeliveryError::Io(std::io::Error::other(error.to_string())));
            }
            return outcomes;
        }
        for (index, name, partial) in &staged {
            match Self::finish(folder, partial, name, false) {
                Ok(true) => {}
                Ok(false) => outcomes[*index] = Ok(Outcome::AlreadyDelivered),
                Err(error) => outcomes[*index] = Err(error),
            }
        }
        if let Err(error) = flush("the drop folder") {
            // Renamed, but not known to be durable: report failures; a retry finds them there.
            for (index, _, _) in &staged {
                if outcomes[*index].is_ok() {
                    outcomes[*index] =
                        Err(DeliveryError::Io(std::io::Error::other(error.to_string())));
                }
            }
        }
        outcomes
    }

    /// Renames the package into place; `false` when another worker did so a moment before.
    fn finish(
        folder: &Path,
        partial: &Path,
        name: &str,
        fsync: bool,
    ) -> Result<bool, DeliveryError> {
        let target = folder.join(name);
        // A package of a batch goes into the batch's folder, made by its first package.
        let parent = target.parent().unwrap_or(folder).to_path_buf();
        let made = parent != folder && !parent.exists();
        if made {
            std::fs::create_dir_all(&parent)?;
        }
        if let Err(error) = std::fs::rename(partial, &target) {
            let _ = std::fs::remove_dir_all(partial);
            if target.exists() {
                return Ok(false);
            }
            return Err(error.into());
        }
        if fsync {
            sync(&parent)?;
            if made {
                sync(folder)?;
            }
        }
        Ok(true)
    }

    /// Writes one file whole under the drop folder: written and flushed beside its place, then
    /// renamed over it, so a reader sees the old file, or the new one, never a part.
    fn place_file(
        folder: &Path,
        path: &str,
        bytes: &[u8],
        fsync: bool,
    ) -> Result<(), DeliveryError> {
        let target = folder.join(path);
        let parent = target.parent().unwrap_or(folder).to_path_buf();
        std::fs::create_dir_all(&parent)?;
        let suffix: u64 = rand::rng().random();
        let temporary = parent.join(format!(".{}.{suffix:016x}", leaf(path)));
        let written = (|| {
            let mut file = std::fs::File::create(&temporary)?;
            file.write_all(bytes)?;
            if fsync {
                file.sync_all()?;
            }
            std::fs::rename(&temporary, &target)
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            return Err(error.into());
        }
        if fsync {
            sync(&parent)?;
        }
        Ok(())
    }
}

/// The last segment of a `/`-separated path: a package's own folder name.
fn leaf(name: &str) -> &str {
    name.rsplit_once('/').map_or(name, |(_, leaf)| leaf)
}

impl DropFolder {
    fn sources(&self, package: &Package) -> Vec<(String, Source)> {
        package
            .files
            .iter()
            .map(|file| {
                let source = match &file.content {
                    Content::Bytes(bytes) => Source::Bytes(bytes.clone()),
                    Content::Stored(key) => match self.storage.local_path(key) {
                        Some(path) => Source::Local(path, key.clone()),
                        None => Source::Remote(key.clone()),
                    },
                };
                (file.path.clone(), source)
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Delivery for DropFolder {
    async fn place(&self, path: &str, bytes: &[u8]) -> Result<(), DeliveryError> {
        let (folder, path, bytes, fsync) = (
            self.folder.clone(),
            path.to_owned(),
            bytes.to_vec(),
            self.fsync,
        );
        blocking(move || Self::place_file(&folder, &path, &bytes, fsync)).await
    }

    async fn inbox(&self, folder: &str) -> Result<Box<dyn Inbox>, DeliveryError> {
        Ok(Box::new(FolderInbox {
            folder: self.folder.join(folder),
        }))
    }

    async fn deliver_many(&self, packages: &[Package]) -> Vec<Result<Outcome, DeliveryError>> {
        let resolved: Vec<Vec<(String, Source)>> =
            packages.iter().map(|p| self.sources(p)).collect();
        if resolved
            .iter()
            .flatten()
            .any(|(_, source)| matches!(source, Source::Remote(_)))
        {
            let mut outcomes = Vec::with_capacity(packages.len());
            for package in packages {
                outcomes.push(self.deliver(package).await);
            }
            return outcomes;
        }
        let batch: Vec<Staged> = packages
            .iter()
            .zip(resolved)
            .map(|(package, files)| Staged {
                name: package.name.clone(),
                files,
                manifest: package.manifest(),
            })
            .collect();
        let (folder, fsync, spacing, turns, count) = (
            self.folder.clone(),
            self.fsync,
            self.spacing,
            self.turns.clone(),
            packages.len(),
        );
        match tokio::task::spawn_blocking(move || {
            Self::write_batch(&folder, batch, fsync, spacing, turns.as_deref())
        })
        .await
        {
            Ok(outcomes) => outcomes,
            Err(error) => (0..count)
                .map(|_| Err(DeliveryError::Io(std::io::Error::other(error.to_string()))))
                .collect(),
        }
    }

    async fn deliver(&self, package: &Package) -> Result<Outcome, DeliveryError> {
        let files = self.sources(package);
        let remote: Vec<(String, String)> = files
            .iter()
            .filter_map(|(path, source)| match source {
                Source::Remote(key) => Some((path.clone(), key.clone())),
                _ => None,
            })
            .collect();
        let (folder, name, manifest, fsync) = (
            self.folder.clone(),
            package.name.clone(),
            package.manifest(),
            self.fsync,
        );
        let partial =
            blocking(move || Self::begin(&folder, &name, &files, &manifest, fsync)).await?;
        let Some(partial) = partial else {
            return Ok(Outcome::AlreadyDelivered);
        };
        for (relative, key) in &remote {
            let copied = match self.storage.copy_to(key, &partial.join(relative)).await {
                Ok(()) => Ok(()),
                Err(StorageError::NotFound) => Err(DeliveryError::MissingFile(key.clone())),
                Err(error) => Err(DeliveryError::Storage(error)),
            };
            if let Err(error) = copied {
                let _ = tokio::fs::remove_dir_all(&partial).await;
                return Err(error);
            }
        }
        let (folder, name, fsync) = (self.folder.clone(), package.name.clone(), self.fsync);
        let placed = blocking(move || Self::finish(&folder, &partial, &name, fsync)).await?;
        tracing::debug!(package = %package.name, folder = %self.folder.display(), placed, "package delivered");
        Ok(if placed {
            Outcome::Delivered
        } else {
            Outcome::AlreadyDelivered
        })
    }
}

/// Runs file-system work on the blocking pool, as one task.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, DeliveryError> + Send + 'static,
) -> Result<T, DeliveryError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| DeliveryError::Io(std::io::Error::other(e)))?
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
        // A partial package left by an attempt that died.
        std::fs::create_dir_all(
            root.path()
                .join("drop/spotify/.partial/036000291452_dist-1.1.0000000000000001"),
        )
        .expect("leftover");
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
        // Again: nothing is written twice, and nothing is left in flight.
        assert_eq!(
            drop.deliver(&package).await.expect("again"),
            Outcome::AlreadyDelivered
        );
        let names: Vec<String> = std::fs::read_dir(root.path().join("drop/spotify"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        let mut names = names;
        names.sort();
        assert_eq!(names, [".partial", "036000291452_dist-1.1"]);
        assert_eq!(
            std::fs::read_dir(root.path().join("drop/spotify/.partial"))
                .expect("dir")
                .count(),
            0
        );
    }

    #[tokio::test]
    async fn a_batch_waits_for_its_turn_while_another_worker_writes() {
        let root = tempfile::tempdir().expect("tempdir");
        let storage = backbeat_storage::local(root.path().join("storage"));
        let lock = root.path().join(".write.lock");
        let drop = DropFolder::new(root.path().join("deezer"), storage, true).taking_turns(&lock);
        let package = Package::new("p1").with_bytes("m.xml", b"<xml/>".to_vec());
        // Another worker's turn: a lock on its own open file, as another process holds it.
        let other = Turns::open(&lock).expect("lock file");
        let turn = other.take().expect("turn");
        let writing = tokio::spawn(async move { drop.deliver_many(&[package]).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!writing.is_finished(), "wrote during another worker's turn");
        // Not even begun: writing the package is the kernel work that takes turns.
        assert!(!root.path().join("deezer").exists());
        std::mem::drop(turn);
        let outcomes = tokio::time::timeout(Duration::from_secs(10), writing)
            .await
            .expect("its turn came")
            .expect("task");
        assert!(
            matches!(outcomes[..], [Ok(Outcome::Delivered)]),
            "{outcomes:?}"
        );
        assert!(root.path().join("deezer/p1/m.xml").exists());
    }

    #[tokio::test]
    async fn a_lock_that_cannot_be_opened_does_not_stop_delivery() {
        let root = tempfile::tempdir().expect("tempdir");
        let storage = backbeat_storage::local(root.path().join("storage"));
        // A folder where the lock file should be: it cannot be opened for writing.
        let lock = root.path().join(".write.lock");
        std::fs::create_dir(&lock).expect("in the way");
        let drop = DropFolder::new(root.path().join("deezer"), storage, true).taking_turns(&lock);
        let package = Package::new("p1").with_bytes("m.xml", b"<xml/>".to_vec());
        let outcomes = drop.deliver_many(&[package]).await;
        assert!(
            matches!(outcomes[..], [Ok(Outcome::Delivered)]),
            "{outcomes:?}"
        );
        assert!(root.path().join("deezer/p1/m.xml").exists());
    }

    #[tokio::test]
    async fn many_packages_share_their_flushes_and_keep_their_own_outcomes() {
        let root = tempfile::tempdir().expect("tempdir");
        let storage = backbeat_storage::local(root.path().join("storage"));
        storage
            .put("audio/a.wav", b"RIFF audio")
            .await
            .expect("put");
        let drop = DropFolder::new(root.path().join("drop"), storage, true);
        let package = |name: &str, key: &str| {
            Package::new(name)
                .with_bytes("m.xml", name.as_bytes().to_vec())
                .with_stored("resources/a.wav", key, "abc")
        };
        assert_eq!(
            drop.deliver(&package("first", "audio/a.wav"))
                .await
                .expect("deliver"),
            Outcome::Delivered
        );
        let outcomes = drop
            .deliver_many(&[
                package("first", "audio/a.wav"),
                package("second", "audio/a.wav"),
                package("broken", "audio/gone.wav"),
                package("third", "audio/a.wav"),
            ])
            .await;
        assert!(matches!(outcomes[0], Ok(Outcome::AlreadyDelivered)));
        assert!(matches!(outcomes[1], Ok(Outcome::Delivered)));
        assert!(matches!(outcomes[2], Err(DeliveryError::MissingFile(_))));
        assert!(matches!(outcomes[3], Ok(Outcome::Delivered)));
        for name in ["first", "second", "third"] {
            assert_eq!(
                std::fs::read(root.path().join("drop").join(name).join("m.xml")).expect("xml"),
                name.as_bytes()
            );
        }
        assert!(!root.path().join("drop/broken").exists());
        assert_eq!(
            std::fs::read_dir(root.path().join("drop/.partial"))
                .expect("dir")
                .count(),
            0
        );
    }

    #[tokio::test]
    async fn a_missing_stored_file_leaves_nothing_and_is_permanent() {
        let root = tempfile::tempdir().expect("tempdir");
        let storage = backbeat_storage::local(root.path().join("storage"));
        let drop = DropFolder::new(root.path().join("drop"), storage, false);
        let package = Package::new("p").with_stored("resources/a.wav", "audio/gone.wav", "x");
        let error = drop.deliver(&package).await.expect_err("missing file");
        assert!(error.is_permanent(), "{error}");
        assert!(!root.path().join("drop/p").exists());
        assert_eq!(
            std::fs::read_dir(root.path().join("drop/.partial"))
                .expect("dir")
                .count(),
            0
        );
    }
}
