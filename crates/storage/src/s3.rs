//! An S3-compatible object store (AWS S3, Garage, MinIO, Ceph): the backend for API replicas and
//! workers that share no disk.
//!
//! An upload waits in a local spool file while it is counted, hashed and checked (a master is
//! decoded before it is accepted), then goes to the store as a multipart upload of bounded parts,
//! read from the spool: a 200 MiB master is never in memory. Reads stream. Objects are written
//! whole or not at all (S3's semantics), so readers never see half of one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::Digest;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::incoming::TempFile;
use crate::{Incoming, Received, Storage, StorageError, valid_key};

/// Parts uploaded at once per object.
const PARTS_IN_FLIGHT: usize = 4;

/// Where the store is and who we are to it.
#[derive(Clone)]
pub struct S3Config {
    /// `https://...`; `http://` only for a store on loopback. Empty: AWS.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// PEM certificates to trust besides the system's roots.
    pub ca_pem: Option<Vec<u8>>,
    pub part_bytes: usize,
    /// Local scratch for uploads being checked, and the object cache.
    pub spool: PathBuf,
    /// Bytes of objects kept on local disk after a delivery read them (keys are never reused,
    /// so a copy never goes stale): one release's master serves all its platforms' packages
    /// with one download. 0: no cache.
    pub cache_bytes: u64,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("bucket", &self.bucket)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub struct S3Store {
    store: Arc<AmazonS3>,
    bucket: String,
    part_bytes: usize,
    spool: PathBuf,
    cache_bytes: u64,
}

impl S3Store {
    pub fn new(config: S3Config) -> Result<Self, StorageError> {
        let mut options = ClientOptions::new()
            .with_connect_timeout(std::time::Duration::from_secs(5))
            .with_timeout(std::time::Duration::from_secs(300));
        if let Some(pem) = &config.ca_pem {
            for certificate in object_store::Certificate::from_pem_bundle(pem).map_err(remote)? {
                options = options.with_root_certificate(certificate);
            }
        }
        let mut builder = AmazonS3Builder::new()
            .with_region(&config.region)
            .with_bucket_name(&config.bucket)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_client_options(options);
        if !config.endpoint.is_empty() {
            // Self-hosted stores answer on one host, the bucket in the path.
            builder = builder
                .with_endpoint(&config.endpoint)
                .with_virtual_hosted_style_request(false)
                .with_allow_http(config.endpoint.starts_with("http://"));
        }
        Ok(Self {
            store: Arc::new(builder.build().map_err(remote)?),
            bucket: config.bucket,
            part_bytes: config.part_bytes.max(5 << 20),
            spool: config.spool,
            cache_bytes: config.cache_bytes,
        })
    }

    fn path(key: &str) -> Result<ObjectPath, StorageError> {
        valid_key(key)?;
        ObjectPath::parse(key).map_err(|_| StorageError::InvalidKey(key.to_owned()))
    }

    /// The cached copy of `key`'s object, fetched first when missing; `None` without a cache.
    async fn cached(&self, key: &str) -> Result<Option<PathBuf>, StorageError> {
        if self.cache_bytes == 0 {
            return Ok(None);
        }
        let folder = self.spool.join("objects");
        let path = folder.join(crate::hex(&sha2::Sha256::digest(key.as_bytes())));
        if tokio::fs::try_exists(&path).await? {
            return Ok(Some(path));
        }
        tokio::fs::create_dir_all(&folder).await?;
        let name: [u8; 16] = rand::random();
        let partial = TempFile::new(folder.join(format!(".{}", crate::hex(&name))));
        let mut source = self.stream(key).await?;
        let mut file = tokio::fs::File::create(partial.path()).await?;
        tokio::io::copy(&mut source, &mut file).await?;
        file.flush().await?;
        // Two workers fetching one object: the last rename wins, both copies are whole.
        tokio::fs::rename(partial.path(), &path).await?;
        partial.disarm();
        self.evict(&folder).await?;
        Ok(Some(path))
    }

    /// Removes the least recently fetched copies until the cache fits its size.
    async fn evict(&self, folder: &Path) -> Result<(), StorageError> {
        let mut entries = Vec::new();
        let mut read = tokio::fs::read_dir(folder).await?;
        while let Some(entry) = read.next_entry().await? {
            let meta = entry.metadata().await?;
            if meta.is_file() && !entry.file_name().to_string_lossy().starts_with('.') {
                entries.push((meta.modified()?, meta.len(), entry.path()));
            }
        }
        let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.cache_bytes {
                break;
            }
            let _ = tokio::fs::remove_file(&path).await;
            total = total.saturating_sub(len);
        }
        Ok(())
    }

    async fn stream(&self, key: &str) -> Result<Box<dyn AsyncRead + Send + Unpin>, StorageError> {
        let path = Self::path(key)?;
        let found = self.store.get(&path).await.map_err(remote)?;
        let stream = found.into_stream().map_err(|e| remote(e).into_io());
        Ok(Box::new(tokio_util::io::StreamReader::new(stream)))
    }

    /// Streams `source` into the object as a multipart upload; an upload that fails is aborted
    /// (its parts deleted), so nothing half-written is ever visible.
    async fn upload(
        &self,
        path: &ObjectPath,
        mut source: impl AsyncRead + Unpin,
    ) -> Result<(), StorageError> {
        let upload = self.store.put_multipart(path).await.map_err(remote)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_bytes);
        let mut buffer = vec![0; 1 << 20];
        let written = async {
            loop {
                let read = source.read(&mut buffer).await?;
                if read == 0 {
                    return Ok::<_, StorageError>(());
                }
                writer
                    .wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(remote)?;
                writer.write(&buffer[..read]);
            }
        }
        .await;
        match written {
            Ok(()) => writer.finish().await.map(|_| ()).map_err(remote),
            Err(error) => {
                let _ = writer.abort().await;
                Err(error)
            }
        }
    }
}

#[async_trait::async_trait]
impl Storage for S3Store {
    #[tracing::instrument(target = "backbeat_calls", name = "s3 put", skip_all, fields(key = %key))]
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StorageError> {
        let path = Self::path(key)?;
        self.store
            .put(&path, PutPayload::from(bytes.to_vec()))
            .await
            .map_err(remote)?;
        Ok(())
    }

    #[tracing::instrument(target = "backbeat_calls", name = "s3 get", skip_all, fields(key = %key))]
    async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        let path = Self::path(key)?;
        let found = self.store.get(&path).await.map_err(remote)?;
        Ok(found.bytes().await.map_err(remote)?.to_vec())
    }

    fn reader(&self, key: &str) -> Result<Box<dyn std::io::Read + Send>, StorageError> {
        // Bridges the async stream to a blocking reader on the caller's runtime; the object is
        // opened on the first read.
        let path = Self::path(key)?;
        let store = self.store.clone();
        let stream = futures_util::stream::once(async move {
            let found = store.get(&path).await.map_err(remote)?;
            Ok::<_, StorageError>(found.into_stream().map_err(|e| remote(e).into_io()))
        })
        .map_err(StorageError::into_io)
        .try_flatten();
        let reader = tokio_util::io::StreamReader::new(Box::pin(stream));
        Ok(Box::new(tokio_util::io::SyncIoBridge::new(reader)))
    }

    #[tracing::instrument(target = "backbeat_calls", name = "s3 open", skip_all, fields(key = %key))]
    async fn open(&self, key: &str) -> Result<Box<dyn AsyncRead + Send + Unpin>, StorageError> {
        match self.cached(key).await? {
            Some(path) => Ok(Box::new(tokio::fs::File::open(path).await?)),
            None => self.stream(key).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = Self::path(key)?;
        match self.store.delete(&path).await {
            Ok(()) => Ok(()),
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(remote(error)),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        let path = Self::path(key)?;
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(remote(error)),
        }
    }

    async fn incoming(&self, limit: u64) -> Result<Incoming, StorageError> {
        tokio::fs::create_dir_all(&self.spool).await?;
        let name: [u8; 16] = rand::random();
        let path = self.spool.join(format!("upload-{}", crate::hex(&name)));
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        Ok(Incoming::new(file, TempFile::new(path), limit))
    }

    #[tracing::instrument(target = "backbeat_calls", name = "s3 commit", skip_all, fields(key = %key))]
    async fn commit(&self, received: Received, key: &str) -> Result<(), StorageError> {
        let path = Self::path(key)?;
        let file = tokio::fs::File::open(received.path()).await?;
        self.upload(&path, tokio::io::BufReader::new(file)).await
        // The spool file goes with `received`.
    }

    async fn copy_to(&self, key: &str, destination: &Path) -> Result<(), StorageError> {
        if let Some(cached) = self.cached(key).await? {
            // A link where the file system allows (the drop folder on the same disk), else a copy.
            if tokio::fs::hard_link(&cached, destination).await.is_err() {
                tokio::fs::copy(&cached, destination).await?;
            }
            return Ok(());
        }
        let mut source = self.stream(key).await?;
        let mut file = tokio::fs::File::create(destination).await?;
        tokio::io::copy(&mut source, &mut file).await?;
        file.flush().await?;
        Ok(())
    }
}

impl std::fmt::Display for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}", self.bucket)
    }
}

fn remote(error: object_store::Error) -> StorageError {
    match error {
        object_store::Error::NotFound { .. } => StorageError::NotFound,
        other => StorageError::Remote(other.to_string()),
    }
}
