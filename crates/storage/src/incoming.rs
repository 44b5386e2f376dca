//! An upload on its way in: a temporary file that counts and hashes what is written to it.

use std::path::{Path, PathBuf};

use md5::Md5;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::StorageError;

/// Deletes the file when dropped, unless disarmed: an abandoned upload leaves nothing behind.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    armed: bool,
}

impl TempFile {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, armed: true }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn disarm(mut self) -> PathBuf {
        self.armed = false;
        std::mem::take(&mut self.path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub struct Incoming {
    file: tokio::io::BufWriter<tokio::fs::File>,
    temp: TempFile,
    sha256: Sha256,
    md5: Md5,
    bytes: u64,
    limit: u64,
}

/// A complete upload, waiting to be checked and committed (or dropped, which deletes it).
#[derive(Debug)]
pub struct Received {
    pub(crate) temp: TempFile,
    pub bytes: u64,
    /// Lower-case hex.
    pub sha256: String,
    pub md5: String,
}

impl Received {
    /// The temporary file, to inspect before committing.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }
}

/// Lower-case hex, as digests are shown and stored (and request ids made): one allocation.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

impl Incoming {
    pub(crate) fn new(file: tokio::fs::File, temp: TempFile, limit: u64) -> Self {
        Self {
            file: tokio::io::BufWriter::with_capacity(256 * 1024, file),
            temp,
            sha256: Sha256::new(),
            md5: Md5::new(),
            bytes: 0,
            limit,
        }
    }

    /// Appends a chunk; refuses it (and the upload) past the limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StorageError> {
        self.bytes += chunk.len() as u64;
        if self.bytes > self.limit {
            return Err(StorageError::TooLarge(self.limit));
        }
        self.sha256.update(chunk);
        self.md5.update(chunk);
        self.file.write_all(chunk).await?;
        Ok(())
    }

    pub async fn finish(mut self) -> Result<Received, StorageError> {
        self.file.flush().await?;
        self.file.get_mut().sync_all().await?;
        Ok(Received {
            temp: self.temp,
            bytes: self.bytes,
            sha256: hex(&self.sha256.finalize()),
            md5: hex(&self.md5.finalize()),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_two_lower_case_digits_per_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
        assert_eq!(super::hex(&[]), "");
    }
}
