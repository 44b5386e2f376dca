//! Entity identifiers: an entity prefix and 16 random URL-safe characters (`album-Qbax5Oy7L8WKf74l`),
//! the shape openMusic clients expect.
//!
//! Ids that arrive from clients are not validated beyond their length: an id that names nothing
//! is simply not found.

use rand::RngExt;

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
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
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

            pub fn into_inner(self) -> String {
                self.0
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

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        #[cfg(feature = "diesel")]
        crate::sql::text_column!($name, |id| id.as_str(), |text| Ok(Self(text)));
    };
}

typed_id!(
    /// A user account (`user-...`).
    UserId,
    "user"
);
typed_id!(
    /// An album, which is also a release (`album-...`).
    AlbumId,
    "album"
);
typed_id!(
    /// A song, which is also a track (`song-...`).
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
typed_id!(
    /// An artist profile (`artist-...`).
    ArtistId,
    "artist"
);
typed_id!(
    /// A streaming platform (`platform-...`).
    PlatformId,
    "platform"
);
typed_id!(
    /// A release's delivery to one platform (`dist-...`).
    DistributionId,
    "dist"
);
typed_id!(
    /// A platform's usage report for one month (`report-...`).
    ReportId,
    "report"
);
typed_id!(
    /// Someone royalties are paid to: an account or an email address (`payee-...`).
    PayeeId,
    "payee"
);
typed_id!(
    /// Money paid to a payee ahead of earnings (`advance-...`).
    AdvanceId,
    "advance"
);
typed_id!(
    /// A royalty run of one period (`run-...`).
    RunId,
    "run"
);
typed_id!(
    /// What one payee earned in one run (`statement-...`).
    StatementId,
    "statement"
);
typed_id!(
    /// A payout batch: payable balances paid together (`payout-...`).
    PayoutId,
    "payout"
);
typed_id!(
    /// An API key (`apikey-...`); not the secret, which is never stored.
    ApiKeyId,
    "apikey"
);
typed_id!(
    /// A chat room (`room-...`).
    RoomId,
    "room"
);
typed_id!(
    /// A chat message (`msg-...`).
    MessageId,
    "msg"
);
typed_id!(
    /// A request to verify an artist's external profile (`verif-...`).
    VerificationId,
    "verif"
);
typed_id!(
    /// A video of the local catalog, synced from Wistia (`video-...`).
    VideoId,
    "video"
);
typed_id!(
    /// A tag put on videos (`tag-...`).
    TagId,
    "tag"
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
