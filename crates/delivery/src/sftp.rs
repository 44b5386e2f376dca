//! SFTP delivery, the way most streaming platforms take packages: backbeat logs in to the
//! platform's server with its own key, and the server proves itself with the host key pinned on
//! the platform (its SHA-256 fingerprint, as `ssh-keygen -l` prints it), never trusted on first
//! sight. As in a drop folder, a package is uploaded under `.partial/` and renamed into place, so
//! the platform sees all of it or nothing, and a package already there is not uploaded again.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use backbeat_storage::{Storage, StorageError};
use rand::RngExt;
use russh::client::{self, AuthResult, Handle};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh_sftp::client::SftpSession;
use tokio::io::AsyncWriteExt;

use crate::package::MANIFEST;
use crate::{Content, Delivery, DeliveryError, Inbox, Outcome, Package};

/// Connecting, logging in and every request after that each get this long.
const TIMEOUT: Duration = Duration::from_secs(30);
const PARTIAL: &str = ".partial";

/// Where a platform's SFTP server is and how it is recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftpTarget {
    pub host: String,
    pub port: u16,
    pub username: String,
    /// A folder under the login directory; `None`: the login directory itself.
    pub folder: Option<String>,
    /// `SHA256:` and the unpadded base64 of the host key's digest.
    pub host_key: String,
}

#[derive(Debug, Clone)]
pub struct Sftp {
    target: SftpTarget,
    /// backbeat's private key (OpenSSH format); `None`: none is configured.
    key_path: Option<PathBuf>,
    storage: Arc<dyn Storage>,
    /// Ask the server to flush each file (`fsync@openssh.com`) before the package is renamed.
    fsync: bool,
}

impl Sftp {
    pub fn new(
        target: SftpTarget,
        key_path: Option<PathBuf>,
        storage: Arc<dyn Storage>,
        fsync: bool,
    ) -> Self {
        Self {
            target,
            key_path,
            storage,
            fsync,
        }
    }

    fn key(&self) -> Result<Arc<PrivateKey>, DeliveryError> {
        let Some(path) = &self.key_path else {
            return Err(DeliveryError::Rejected(
                "no SFTP key is configured (distribution.sftp_key_path)".to_owned(),
            ));
        };
        load_key(path)
    }

    /// Logs in and opens the SFTP subsystem.
    async fn open(&self) -> Result<Connection, DeliveryError> {
        let key = self.key()?;
        let target = &self.target;
        let seen = Arc::new(Mutex::new(None));
        let pinned = PinnedHost {
            fingerprint: target.host_key.clone(),
            seen: seen.clone(),
        };
        let config = Arc::new(client::Config {
            inactivity_timeout: Some(TIMEOUT),
            ..Default::default()
        });
        let address = (target.host.as_str(), target.port);
        let connected = tokio::time::timeout(TIMEOUT, client::connect(config, address, pinned))
            .await
            .map_err(|_| io(format!("no answer from {}:{}", target.host, target.port)))?;
        let mut session = match connected {
            Ok(session) => session,
            Err(russh::Error::UnknownKey) => {
                let seen = seen.lock().ok().and_then(|s| s.clone());
                return Err(DeliveryError::Rejected(format!(
                    "the server {}:{} showed host key {} instead of the pinned {}",
                    target.host,
                    target.port,
                    seen.as_deref().unwrap_or("(a certificate)"),
                    target.host_key
                )));
            }
            Err(error) => {
                return Err(io(format!(
                    "cannot connect to {}:{}: {error}",
                    target.host, target.port
                )));
            }
        };
        let hash = session
            .best_supported_rsa_hash()
            .await
            .map_err(|e| io(format!("cannot log in: {e}")))?
            .flatten();
        let auth = session
            .authenticate_publickey(&target.username, PrivateKeyWithHashAlg::new(key, hash))
            .await
            .map_err(|e| io(format!("cannot log in: {e}")))?;
        if !matches!(auth, AuthResult::Success) {
            return Err(DeliveryError::Rejected(format!(
                "the server {}:{} refused backbeat's key for {}",
                target.host, target.port, target.username
            )));
        }
        let channel = session
            .channel_open_session()
            .await
            .map_err(|e| io(format!("cannot open a channel: {e}")))?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(|e| io(format!("cannot start SFTP: {e}")))?;
        let sftp = SftpSession::new(channel.into_stream())
            .await
            .map_err(sftp_error)?;
        sftp.set_timeout(TIMEOUT.as_secs());
        Ok(Connection {
            session,
            sftp,
            folder: target.folder.clone().unwrap_or_else(|| ".".to_owned()),
        })
    }

    async fn upload(
        &self,
        connection: &Connection,
        package: &Package,
    ) -> Result<Outcome, DeliveryError> {
        let sftp = &connection.sftp;
        let folder = &connection.folder;
        let target = format!("{folder}/{}", package.name);
        if sftp.try_exists(&target).await.map_err(sftp_error)? {
            return Ok(Outcome::AlreadyDelivered);
        }
        let partials = format!("{folder}/{PARTIAL}");
        ensure_dir(sftp, folder).await?;
        ensure_dir(sftp, &partials).await?;
        // Leftovers of an attempt that died mid-upload; the folder only holds packages in flight.
        let leaf = package
            .name
            .rsplit_once('/')
            .map_or(package.name.as_str(), |(_, leaf)| leaf);
        let prefix = format!("{leaf}.");
        for entry in sftp.read_dir(&partials).await.map_err(sftp_error)? {
            if entry.file_name().starts_with(&prefix) {
                remove_tree(sftp, &format!("{partials}/{}", entry.file_name())).await?;
            }
        }
        // A package of a batch goes into the batch's folder, made by its first package.
        if let Some((parent, _)) = target.rsplit_once('/') {
            ensure_dir(sftp, parent).await?;
        }
        let suffix: u64 = rand::rng().random();
        let partial = format!("{partials}/{leaf}.{suffix:016x}");
        sftp.create_dir(&partial).await.map_err(sftp_error)?;
        let written = self.fill(sftp, &partial, package).await;
        if let Err(error) = written {
            let _ = remove_tree(sftp, &partial).await;
            return Err(error);
        }
        if let Err(error) = sftp.rename(&partial, &target).await {
            let _ = remove_tree(sftp, &partial).await;
            if sftp.try_exists(&target).await.unwrap_or(false) {
                return Ok(Outcome::AlreadyDelivered);
            }
            return Err(sftp_error(error));
        }
        tracing::debug!(package = %package.name, host = %self.target.host, "package uploaded");
        Ok(Outcome::Delivered)
    }

    async fn fill(
        &self,
        sftp: &SftpSession,
        partial: &str,
        package: &Package,
    ) -> Result<(), DeliveryError> {
        let mut dirs: Vec<String> = Vec::new();
        for file in &package.files {
            let segments: Vec<&str> = file.path.split('/').collect();
            for depth in 1..segments.len() {
                let parent = segments[..depth].join("/");
                if !dirs.contains(&parent) {
                    sftp.create_dir(format!("{partial}/{parent}"))
                        .await
                        .map_err(sftp_error)?;
                    dirs.push(parent);
                }
            }
            let path = format!("{partial}/{}", file.path);
            match &file.content {
                Content::Bytes(bytes) => self.write(sftp, &path, bytes).await?,
                Content::Stored(key) => self.upload_stored(sftp, &path, key).await?,
            }
        }
        self.write(sftp, &format!("{partial}/{MANIFEST}"), &package.manifest())
            .await
    }

    /// A stored file is streamed (masters run to hundreds of megabytes), from this machine's
    /// disk or from the object store.
    async fn upload_stored(
        &self,
        sftp: &SftpSession,
        path: &str,
        key: &str,
    ) -> Result<(), DeliveryError> {
        let mut source = self.storage.open(key).await.map_err(|e| match e {
            StorageError::NotFound => DeliveryError::MissingFile(key.to_owned()),
            other => DeliveryError::Storage(other),
        })?;
        let mut file = sftp.create(path).await.map_err(sftp_error)?;
        tokio::io::copy(&mut source, &mut file)
            .await
            .map_err(|e| io(format!("cannot upload {path}: {e}")))?;
        self.close(file, path).await
    }

    async fn write(
        &self,
        sftp: &SftpSession,
        path: &str,
        bytes: &[u8],
    ) -> Result<(), DeliveryError> {
        let mut file = sftp.create(path).await.map_err(sftp_error)?;
        file.write_all(bytes)
            .await
            .map_err(|e| io(format!("cannot upload {path}: {e}")))?;
        self.close(file, path).await
    }

    /// Flushes the file on the server when asked to, and closes it.
    async fn close(
        &self,
        mut file: russh_sftp::client::fs::File,
        path: &str,
    ) -> Result<(), DeliveryError> {
        if self.fsync {
            file.sync_all().await.map_err(sftp_error)?;
        }
        file.shutdown()
            .await
            .map_err(|e| io(format!("cannot close {path}: {e}")))
    }
}

/// backbeat's SFTP key, read as a login would read it: an unreadable or encrypted key is refused
/// with the reason (the worker checks it when it starts).
fn load_key(path: &Path) -> Result<Arc<PrivateKey>, DeliveryError> {
    russh::keys::load_secret_key(path, None)
        .map(Arc::new)
        .map_err(|e| {
            DeliveryError::Rejected(format!("cannot read the SFTP key {}: {e}", path.display()))
        })
}

/// The public half of backbeat's SFTP key as platforms take it (an `authorized_keys` line), and
/// its fingerprint as `ssh-keygen -l` prints it.
pub fn public_key(path: &Path) -> Result<(String, String), DeliveryError> {
    let key = load_key(path)?;
    let public = key.public_key();
    let line = public
        .to_openssh()
        .map_err(|e| DeliveryError::Rejected(format!("cannot write the public key: {e}")))?;
    Ok((line, public.fingerprint(HashAlg::Sha256).to_string()))
}

/// A logged-in SFTP session; one serves every package of a batch.
struct Connection {
    session: Handle<PinnedHost>,
    sftp: SftpSession,
    folder: String,
}

impl Connection {
    async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self
            .session
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
    }
}

struct PinnedHost {
    fingerprint: String,
    /// The key the server showed, for the error when it is not the pinned one.
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for PinnedHost {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = server_public_key else {
            return Ok(false);
        };
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let pinned = fingerprint == self.fingerprint;
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(fingerprint);
        }
        Ok(pinned)
    }
}

/// Makes `path` and any missing folder above it.
async fn ensure_dir(sftp: &SftpSession, path: &str) -> Result<(), DeliveryError> {
    if sftp.try_exists(path).await.map_err(sftp_error)? {
        return Ok(());
    }
    let mut made = String::new();
    for name in path.split('/') {
        made = if made.is_empty() {
            name.to_owned()
        } else {
            format!("{made}/{name}")
        };
        if sftp.try_exists(&made).await.map_err(sftp_error)? {
            continue;
        }
        match sftp.create_dir(&made).await {
            Ok(()) => {}
            // Another worker made it a moment before.
            Err(_) if sftp.try_exists(&made).await.unwrap_or(false) => {}
            Err(error) => return Err(sftp_error(error)),
        }
    }
    Ok(())
}

/// Removes a folder and everything in it.
async fn remove_tree(sftp: &SftpSession, path: &str) -> Result<(), DeliveryError> {
    let mut folders = vec![path.to_owned()];
    let mut visited = Vec::new();
    while let Some(folder) = folders.pop() {
        for entry in sftp.read_dir(&folder).await.map_err(sftp_error)? {
            let child = format!("{folder}/{}", entry.file_name());
            if entry.file_type().is_dir() {
                folders.push(child);
            } else {
                sftp.remove_file(&child).await.map_err(sftp_error)?;
            }
        }
        visited.push(folder);
    }
    // Deepest first.
    for folder in visited.iter().rev() {
        sftp.remove_dir(folder).await.map_err(sftp_error)?;
    }
    Ok(())
}

fn io(message: String) -> DeliveryError {
    DeliveryError::Io(std::io::Error::other(message))
}

fn sftp_error(error: russh_sftp::client::error::Error) -> DeliveryError {
    io(format!("SFTP: {error}"))
}

/// The platform's answers on its SFTP server, read over one login.
struct SftpInbox {
    connection: Connection,
    folder: String,
}

#[async_trait::async_trait]
impl Inbox for SftpInbox {
    async fn files(&mut self) -> Result<Vec<String>, DeliveryError> {
        let sftp = &self.connection.sftp;
        if !sftp.try_exists(&self.folder).await.map_err(sftp_error)? {
            return Ok(Vec::new());
        }
        let mut names: Vec<String> = sftp
            .read_dir(&self.folder)
            .await
            .map_err(sftp_error)?
            .filter(|entry| entry.file_type().is_file() && !entry.file_name().starts_with('.'))
            .map(|entry| entry.file_name())
            .collect();
        names.sort();
        Ok(names)
    }

    async fn read(&mut self, name: &str, max: u64) -> Result<Vec<u8>, DeliveryError> {
        use tokio::io::AsyncReadExt;
        let path = format!("{}/{name}", self.folder);
        let file = self.connection.sftp.open(&path).await.map_err(sftp_error)?;
        let mut bytes = Vec::new();
        file.take(max + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| io(format!("cannot read {path}: {e}")))?;
        Ok(bytes)
    }

    async fn archive(&mut self, name: &str) -> Result<(), DeliveryError> {
        let sftp = &self.connection.sftp;
        let into = format!("{}/{}", self.folder, crate::PROCESSED);
        ensure_dir(sftp, &into).await?;
        let (from, to) = (format!("{}/{name}", self.folder), format!("{into}/{name}"));
        // SFTP's rename does not replace: a file of that name archived before goes first.
        if sftp.try_exists(&to).await.map_err(sftp_error)? {
            if !sftp.try_exists(&from).await.map_err(sftp_error)? {
                return Ok(());
            }
            sftp.remove_file(&to).await.map_err(sftp_error)?;
        }
        sftp.rename(&from, &to).await.map_err(sftp_error)
    }

    async fn close(self: Box<Self>) {
        self.connection.close().await;
    }
}

#[async_trait::async_trait]
impl Delivery for Sftp {
    async fn place(&self, path: &str, bytes: &[u8]) -> Result<(), DeliveryError> {
        let connection = self.open().await?;
        let placed = async {
            let sftp = &connection.sftp;
            let target = format!("{}/{path}", connection.folder);
            let parent = target.rsplit_once('/').map_or(".", |(parent, _)| parent);
            ensure_dir(sftp, parent).await?;
            let suffix: u64 = rand::rng().random();
            let temporary = format!("{parent}/.{}.{suffix:016x}", path.replace('/', "_"));
            self.write(sftp, &temporary, bytes).await?;
            // SFTP's rename does not replace: the same file placed before goes first.
            if sftp.try_exists(&target).await.map_err(sftp_error)? {
                sftp.remove_file(&target).await.map_err(sftp_error)?;
            }
            if let Err(error) = sftp.rename(&temporary, &target).await {
                let _ = sftp.remove_file(&temporary).await;
                return Err(sftp_error(error));
            }
            Ok(())
        }
        .await;
        connection.close().await;
        placed
    }

    async fn inbox(&self, folder: &str) -> Result<Box<dyn Inbox>, DeliveryError> {
        let connection = self.open().await?;
        let folder = format!("{}/{folder}", connection.folder);
        Ok(Box::new(SftpInbox { connection, folder }))
    }

    #[tracing::instrument(target = "backbeat_calls", name = "sftp deliver", skip_all, fields(host = %self.target.host))]
    async fn deliver(&self, package: &Package) -> Result<Outcome, DeliveryError> {
        let connection = self.open().await?;
        let outcome = self.upload(&connection, package).await;
        connection.close().await;
        outcome
    }

    /// One login serves the whole batch.
    #[tracing::instrument(target = "backbeat_calls", name = "sftp deliver", skip_all, fields(host = %self.target.host, packages = packages.len()))]
    async fn deliver_many(&self, packages: &[Package]) -> Vec<Result<Outcome, DeliveryError>> {
        let connection = match self.open().await {
            Ok(connection) => connection,
            Err(error) => {
                let message = error.to_string();
                let permanent = error.is_permanent();
                return packages
                    .iter()
                    .map(|_| {
                        Err(if permanent {
                            DeliveryError::Rejected(message.clone())
                        } else {
                            io(message.clone())
                        })
                    })
                    .collect();
            }
        };
        let mut outcomes = Vec::with_capacity(packages.len());
        for package in packages {
            outcomes.push(self.upload(&connection, package).await);
        }
        connection.close().await;
        outcomes
    }
}
