//! Getting a release package to a platform. A [`Package`] is a named set of files (the DDEX
//! message, audio, artwork) plus a checksum manifest; a [`Delivery`] puts it where the platform
//! picks it up: a drop folder ([`DropFolder`]) or the platform's SFTP server ([`Sftp`]). S3 and
//! HTTPS would implement the same trait. The same place is where the platform answers: an
//! [`Inbox`] reads the files it writes back (acknowledgements) and archives them once read.

mod folder;
mod inbox;
mod package;
mod sftp;

pub use folder::DropFolder;
pub use inbox::{Inbox, PROCESSED};
pub use package::{Content, Package, PackageFile};
pub use sftp::{Sftp, SftpTarget, public_key as sftp_public_key};

use backbeat_storage::StorageError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// The same package (same name) was delivered before: nothing was written again.
    AlreadyDelivered,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// A file the package refers to is gone from storage: retrying cannot help.
    #[error("a stored file of the package is missing: {0}")]
    MissingFile(String),
    #[error("cannot write the package: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot read a stored file: {0}")]
    Storage(StorageError),
    /// The platform's server is not the one pinned, or it refused backbeat's key, or no key is
    /// configured: retrying cannot help until an admin changes something.
    #[error("{0}")]
    Rejected(String),
}

impl DeliveryError {
    pub fn is_permanent(&self) -> bool {
        matches!(
            self,
            DeliveryError::MissingFile(_) | DeliveryError::Rejected(_)
        )
    }
}

#[async_trait::async_trait]
pub trait Delivery: Send + Sync + std::fmt::Debug {
    /// Delivers the package whole or not at all; delivering the same package again is harmless.
    async fn deliver(&self, package: &Package) -> Result<Outcome, DeliveryError>;

    /// Delivers many packages, each whole or not at all, one outcome per package in order. A
    /// method that can group the work (one flush for many packages) overrides this.
    async fn deliver_many(&self, packages: &[Package]) -> Vec<Result<Outcome, DeliveryError>> {
        let mut outcomes = Vec::with_capacity(packages.len());
        for package in packages {
            outcomes.push(self.deliver(package).await);
        }
        outcomes
    }

    /// Writes one file whole at `path` (relative to the delivery folder, `/`-separated): a
    /// reader sees all of it or none of it. Writing the same bytes again is harmless.
    async fn place(&self, path: &str, bytes: &[u8]) -> Result<(), DeliveryError>;

    /// Opens `folder` (relative to the delivery folder) to read what the platform put there.
    async fn inbox(&self, folder: &str) -> Result<Box<dyn Inbox>, DeliveryError>;
}
