//! What a delivery carries.

use sha2::{Digest, Sha256};

#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Vec<u8>),
    /// A file in backbeat's storage, by key.
    Stored(String),
}

#[derive(Debug, Clone)]
pub struct PackageFile {
    /// Relative, `/`-separated (`resources/USS1Z9900001.wav`).
    pub path: String,
    pub content: Content,
    /// Lower-case hex, for the manifest.
    pub sha256: String,
}

/// A named package: the name becomes its folder (or object prefix) at the platform, so the same
/// name means the same delivery.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub files: Vec<PackageFile>,
}

pub const MANIFEST: &str = "manifest.sha256";

impl Package {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            files: Vec::new(),
        }
    }

    pub fn with_bytes(mut self, path: impl Into<String>, bytes: Vec<u8>) -> Self {
        let sha256 = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.files.push(PackageFile {
            path: path.into(),
            content: Content::Bytes(bytes),
            sha256,
        });
        self
    }

    pub fn with_stored(
        mut self,
        path: impl Into<String>,
        key: impl Into<String>,
        sha256: impl Into<String>,
    ) -> Self {
        self.files.push(PackageFile {
            path: path.into(),
            content: Content::Stored(key.into()),
            sha256: sha256.into(),
        });
        self
    }

    /// `sha256sum`'s format, one line per file, sorted by path: `sha256sum -c` checks a package.
    pub fn manifest(&self) -> Vec<u8> {
        let mut files: Vec<&PackageFile> = self.files.iter().collect();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
            .iter()
            .map(|f| format!("{}  {}\n", f.sha256, f.path))
            .collect::<String>()
            .into_bytes()
    }
}
