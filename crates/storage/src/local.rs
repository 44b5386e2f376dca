//! A folder on local disk (or a mounted volume shared by replicas).

use std::path::{Path, PathBuf};

use rand::RngExt;

use crate::incoming::TempFile;
use crate::{Incoming, Received, Storage, StorageError, valid_key};

/// Uploads in progress live here, on the same file system as the objects, so that committing one
/// is a rename.
const INCOMING: &str = ".incoming";

#[derive(Debug, Clone)]
pub struct LocalFolder {
    root: PathBuf,
}

fn random_name() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl LocalFolder {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file behind a key (see [`valid_key`]).
    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        valid_key(key)?;
        Ok(self.root.join(key))
    }

    async fn parent_of(path: &Path) -> Result<(), StorageError> {
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Storage for LocalFolder {
    /// A uniquely named temporary file, then a rename.
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let path = self.path(key)?;
        Self::parent_of(&path).await?;
        let temporary = TempFile::new(self.root.join(INCOMING).join(random_name()));
        Self::parent_of(temporary.path()).await?;
        tokio::fs::write(temporary.path(), bytes).await?;
        tokio::fs::rename(temporary.path(), &path).await?;
        temporary.disarm();
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        match tokio::fs::read(self.path(key)?).await {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound),
            other => Ok(other?),
        }
    }

    fn reader(&self, key: &str) -> Result<Box<dyn std::io::Read + Send>, StorageError> {
        match std::fs::File::open(self.path(key)?) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound),
            other => Ok(Box::new(other?)),
        }
    }

    async fn open(
        &self,
        key: &str,
    ) -> Result<Box<dyn tokio::io::AsyncRead + Send + Unpin>, StorageError> {
        match tokio::fs::File::open(self.path(key)?).await {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound),
            other => Ok(Box::new(other?)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => Ok(other?),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        Ok(tokio::fs::try_exists(self.path(key)?).await?)
    }

    async fn incoming(&self, limit: u64) -> Result<Incoming, StorageError> {
        let temp = TempFile::new(self.root.join(INCOMING).join(random_name()));
        Self::parent_of(temp.path()).await?;
        let file = tokio::fs::File::create(temp.path()).await?;
        Ok(Incoming::new(file, temp, limit))
    }

    async fn commit(&self, received: Received, key: &str) -> Result<(), StorageError> {
        let path = self.path(key)?;
        Self::parent_of(&path).await?;
        tokio::fs::rename(received.path(), &path).await?;
        received.temp.disarm();
        Ok(())
    }

    fn local_path(&self, key: &str) -> Option<PathBuf> {
        self.path(key).ok()
    }

    async fn copy_to(&self, key: &str, destination: &Path) -> Result<(), StorageError> {
        let source = self.path(key)?;
        match tokio::fs::hard_link(&source, destination).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound),
            // Another file system (or one without links): copy instead.
            Err(_) => match tokio::fs::copy(&source, destination).await {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotFound),
                Err(e) => Err(e.into()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_delete_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = LocalFolder::new(dir.path());
        storage
            .put("covers/album-1/a.png", b"png")
            .await
            .expect("put");
        assert_eq!(
            storage.get("covers/album-1/a.png").await.expect("get"),
            b"png"
        );
        assert!(dir.path().join("covers/album-1/a.png").exists());
        storage
            .delete("covers/album-1/a.png")
            .await
            .expect("delete");
        assert!(matches!(
            storage.get("covers/album-1/a.png").await,
            Err(StorageError::NotFound)
        ));
        storage
            .delete("covers/album-1/a.png")
            .await
            .expect("idempotent delete");
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root_or_reach_uploads_in_progress() {
        let storage = LocalFolder::new("/tmp/backbeat-storage-test");
        for key in [
            "../etc/passwd",
            "/etc/passwd",
            "covers/../../x",
            "a\\b",
            "",
            "./a",
            ".incoming/x",
        ] {
            assert!(
                matches!(
                    storage.put(key, b"x").await,
                    Err(StorageError::InvalidKey(_))
                ),
                "{key}"
            );
        }
    }

    #[tokio::test]
    async fn uploads_are_hashed_limited_and_removed_unless_committed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = LocalFolder::new(dir.path());
        let mut incoming = storage.incoming(10).await.expect("incoming");
        incoming.write(b"hello ").await.expect("write");
        incoming.write(b"you").await.expect("write");
        let received = incoming.finish().await.expect("finish");
        assert_eq!(received.bytes, 9);
        // sha256sum and md5sum of "hello you".
        assert_eq!(
            received.sha256,
            "b283788fa43abed20cc491063bfa3a455ebca761853c409a9e3acec9712632bc"
        );
        assert_eq!(received.md5, "abda3ee1b7f247c57721a93a19aed807");
        storage
            .commit(received, "audio/a.wav")
            .await
            .expect("commit");
        assert_eq!(storage.get("audio/a.wav").await.expect("get"), b"hello you");

        let mut too_big = storage.incoming(4).await.expect("incoming");
        assert!(matches!(
            too_big.write(b"12345").await,
            Err(StorageError::TooLarge(4))
        ));
        let abandoned = storage.incoming(10).await.expect("incoming");
        drop(too_big);
        drop(abandoned);
        let left = std::fs::read_dir(dir.path().join(INCOMING))
            .expect("dir")
            .count();
        assert_eq!(left, 0, "abandoned uploads are removed");

        let copy = dir.path().join("copy.wav");
        storage.copy_to("audio/a.wav", &copy).await.expect("copy");
        assert_eq!(std::fs::read(&copy).expect("read"), b"hello you");
        assert!(matches!(
            storage
                .copy_to("audio/none.wav", &dir.path().join("x"))
                .await,
            Err(StorageError::NotFound)
        ));
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(data).expect("compress");
        encoder.finish().expect("compress")
    }

    async fn received(
        storage: &LocalFolder,
        limit: u64,
        chunks: &[&[u8]],
    ) -> Result<Received, StorageError> {
        let mut incoming = storage.incoming(limit).await?.inflating_gzip();
        for chunk in chunks {
            incoming.write(chunk).await?;
        }
        incoming.finish().await
    }

    #[tokio::test]
    async fn a_gzip_upload_is_stored_inflated_and_counted_inflated() {
        let dir = tempfile::tempdir().expect("tempdir");
        let storage = LocalFolder::new(dir.path());
        // Two members (as `cat a.gz b.gz` gives), split mid-magic-number.
        let mut file = gzip(b"hello ");
        file.extend(gzip(b"you"));
        let (first, rest) = file.split_at(1);
        let got = received(&storage, 9, &[first, rest])
            .await
            .expect("inflated");
        assert_eq!(got.bytes, 9);
        assert_eq!(
            got.sha256,
            "b283788fa43abed20cc491063bfa3a455ebca761853c409a9e3acec9712632bc"
        );
        storage.commit(got, "usage/a.csv").await.expect("commit");
        assert_eq!(storage.get("usage/a.csv").await.expect("get"), b"hello you");

        // Not gzip, or too short to say: stored as sent.
        for plain in [&b"hello you"[..], b"h", b"\x1f"] {
            let got = received(&storage, 9, &[plain]).await.expect("plain");
            assert_eq!(got.bytes, plain.len() as u64);
        }

        // 8 MiB of zeros in a file of some 8 KiB: refused once 1 MiB is out, nothing left.
        let bomb = gzip(&vec![0; 8 << 20]);
        assert!(bomb.len() < 16 << 10, "{}", bomb.len());
        assert!(matches!(
            received(&storage, 1 << 20, &[&bomb]).await,
            Err(StorageError::TooLarge(_))
        ));
        // Cut short, or corrupt past the header.
        let whole = gzip(b"hello you");
        let mut corrupt = whole.clone();
        corrupt[12] ^= 0xff;
        for broken in [&whole[..whole.len() - 4], &corrupt[..]] {
            assert!(matches!(
                received(&storage, 100, &[broken]).await,
                Err(StorageError::Corrupt(_))
            ));
        }
        let left = std::fs::read_dir(dir.path().join(INCOMING))
            .expect("dir")
            .count();
        assert_eq!(left, 0, "refused uploads are removed");
    }
}
