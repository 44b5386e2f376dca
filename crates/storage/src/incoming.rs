//! An upload on its way in: a temporary file that counts and hashes what is written to it.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::MultiGzDecoder;
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
    sink: Sink,
    gzip: Gzip,
}

/// The temporary file and what has been counted and hashed into it.
struct Sink {
    file: tokio::io::BufWriter<tokio::fs::File>,
    temp: TempFile,
    sha256: Sha256,
    md5: Md5,
    bytes: u64,
    limit: u64,
}

/// Whether the upload is inflated on its way in.
enum Gzip {
    /// Stored as sent.
    Never,
    /// The first bytes tell: gzip's magic number (`1f 8b`) or not. Holds what came so far.
    Sniffing(Vec<u8>),
    /// Inflated as it arrives; the limit counts what comes out.
    Inflating(Box<MultiGzDecoder<Vec<u8>>>),
}

/// Compressed input fed to the decoder at a time: deflate's most compact streams inflate about
/// 1,000-fold, so one step holds at most a few MiB of output in memory.
const INFLATE_STEP: usize = 4096;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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
            sink: Sink {
                file: tokio::io::BufWriter::with_capacity(256 * 1024, file),
                temp,
                sha256: Sha256::new(),
                md5: Md5::new(),
                bytes: 0,
                limit,
            },
            gzip: Gzip::Never,
        }
    }

    /// A gzip-compressed upload (several members, as `cat a.gz b.gz` makes, included) is stored
    /// inflated, and the limit counts the inflated bytes: a small file that inflates past it is
    /// refused as soon as it does. Anything else is stored as sent.
    pub fn inflating_gzip(mut self) -> Self {
        self.gzip = Gzip::Sniffing(Vec::new());
        self
    }

    /// Appends a chunk; refuses it (and the upload) past the limit.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StorageError> {
        match &mut self.gzip {
            Gzip::Never => self.sink.write(chunk).await,
            Gzip::Sniffing(start) => {
                start.extend_from_slice(chunk);
                if start.len() < GZIP_MAGIC.len() {
                    return Ok(());
                }
                let start = std::mem::take(start);
                self.gzip = if start.starts_with(&GZIP_MAGIC) {
                    Gzip::Inflating(Box::new(MultiGzDecoder::new(Vec::new())))
                } else {
                    Gzip::Never
                };
                Box::pin(self.write(&start)).await
            }
            Gzip::Inflating(decoder) => {
                for step in chunk.chunks(INFLATE_STEP) {
                    decoder.write_all(step).map_err(not_gzip)?;
                    let out = std::mem::take(decoder.get_mut());
                    self.sink.write(&out).await?;
                }
                Ok(())
            }
        }
    }

    pub async fn finish(mut self) -> Result<Received, StorageError> {
        match std::mem::replace(&mut self.gzip, Gzip::Never) {
            Gzip::Never => {}
            // Under two bytes: not gzip.
            Gzip::Sniffing(start) => self.sink.write(&start).await?,
            Gzip::Inflating(mut decoder) => {
                decoder.try_finish().map_err(not_gzip)?;
                let out = std::mem::take(decoder.get_mut());
                self.sink.write(&out).await?;
            }
        }
        let mut sink = self.sink;
        sink.file.flush().await?;
        sink.file.get_mut().sync_all().await?;
        Ok(Received {
            temp: sink.temp,
            bytes: sink.bytes,
            sha256: hex(&sink.sha256.finalize()),
            md5: hex(&sink.md5.finalize()),
        })
    }
}

impl Sink {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), StorageError> {
        self.bytes += chunk.len() as u64;
        if self.bytes > self.limit {
            return Err(StorageError::TooLarge(self.limit));
        }
        self.sha256.update(chunk);
        self.md5.update(chunk);
        self.file.write_all(chunk).await?;
        Ok(())
    }
}

fn not_gzip(error: std::io::Error) -> StorageError {
    StorageError::Corrupt(format!("is not a whole gzip stream: {error}"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_is_two_lower_case_digits_per_byte() {
        assert_eq!(super::hex(&[0x00, 0x0f, 0xa0, 0xff, 0x5c]), "000fa0ff5c");
        assert_eq!(super::hex(&[]), "");
    }
}
