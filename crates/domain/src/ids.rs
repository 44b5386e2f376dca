//! Entity identifiers: an entity prefix and 16 random URL-safe characters (`album-Qbax5Oy7L8WKf74l`),
//! the shape openMusic clients expect.

use rand::Rng;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const RANDOM_LEN: usize = 16;

/// A fresh id `"{prefix}-{16 random URL-safe characters}"` (96 bits of randomness).
pub fn new_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let mut id = String::with_capacity(prefix.len() + 1 + RANDOM_LEN);
    id.push_str(prefix);
    id.push('-');
    for _ in 0..RANDOM_LEN {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

/// Declares a typed id wrapping a `String`, with its entity prefix.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            pub fn generate() -> Self {
                Self(new_id(Self::PREFIX))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    };
}

typed_id!(
    /// A user account (`user-...`).
    UserId,
    "user"
);

typed_id!(
    /// An album (`album-...`).
    AlbumId,
    "album"
);
typed_id!(
    /// A song (`song-...`).
    SongId,
    "song"
);
typed_id!(
    /// A playlist (`playlist-...`).
    PlaylistId,
    "playlist"
);
typed_id!(
    /// A playlist collaboration (`collab-...`).
    CollaborationId,
    "collab"
);
typed_id!(
    /// A playlist activity entry (`activity-...`).
    ActivityId,
    "activity"
);

typed_id!(
    /// A background job (`job-...`).
    JobId,
    "job"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_sixteen_url_safe_characters() {
        let id = UserId::generate();
        let rest = id.as_str().strip_prefix("user-").expect("prefix");
        assert_eq!(rest.len(), 16);
        assert!(rest.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(UserId::generate(), id);
    }
}
