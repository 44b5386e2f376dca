//! Release metadata: the type of a release, the rights lines, the contributors of a track.

use serde::{Deserialize, Serialize};

use crate::validation::{FieldError, text};

pub const LABEL_MAX: usize = 200;
pub const LINE_MAX: usize = 300;
pub const CONTRIBUTOR_NAME_MAX: usize = 200;
pub const CONTRIBUTORS_MAX: usize = 50;

/// DDEX's release types for music.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReleaseType {
    Single,
    #[serde(rename = "EP")]
    Ep,
    Album,
}

impl ReleaseType {
    pub const ALL: [ReleaseType; 3] = [Self::Single, Self::Ep, Self::Album];

    pub const fn as_str(self) -> &'static str {
        match self {
            ReleaseType::Single => "Single",
            ReleaseType::Ep => "EP",
            ReleaseType::Album => "Album",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == value)
            .ok_or_else(|| FieldError::new(field, "must be one of Single, EP, Album"))
    }

    /// The industry's usual rule when the label does not say: up to 3 tracks and under 30
    /// minutes is a single; up to 6 tracks and under 30 minutes an EP; anything longer an album.
    pub fn derive(tracks: usize, total_duration_ms: u64) -> Self {
        const HALF_HOUR_MS: u64 = 30 * 60 * 1000;
        match (tracks, total_duration_ms < HALF_HOUR_MS) {
            (0..=3, true) => ReleaseType::Single,
            (4..=6, true) => ReleaseType::Ep,
            _ => ReleaseType::Album,
        }
    }
}

/// A ℗ or © line: the year, then the holder (`2026 Backbeat Records`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsLine {
    pub year: u16,
    pub text: String,
}

impl RightsLine {
    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        let value = text(field, value.trim().to_owned(), LINE_MAX)?;
        let invalid = || {
            FieldError::new(
                field,
                "must start with a year, then the holder: \"2026 Backbeat Records\"",
            )
        };
        let (year, holder) = value.split_once(' ').ok_or_else(invalid)?;
        let year: u16 = year
            .parse()
            .ok()
            .filter(|y| (1000..=9999).contains(y))
            .ok_or_else(invalid)?;
        if holder.trim().is_empty() {
            return Err(invalid());
        }
        Ok(Self { year, text: value })
    }
}

/// What someone did on a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ContributorRole {
    MainArtist,
    FeaturedArtist,
    Composer,
    Lyricist,
    ComposerLyricist,
    Producer,
    Mixer,
    Arranger,
}

impl ContributorRole {
    pub const ALL: [ContributorRole; 8] = [
        Self::MainArtist,
        Self::FeaturedArtist,
        Self::Composer,
        Self::Lyricist,
        Self::ComposerLyricist,
        Self::Producer,
        Self::Mixer,
        Self::Arranger,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ContributorRole::MainArtist => "MainArtist",
            ContributorRole::FeaturedArtist => "FeaturedArtist",
            ContributorRole::Composer => "Composer",
            ContributorRole::Lyricist => "Lyricist",
            ContributorRole::ComposerLyricist => "ComposerLyricist",
            ContributorRole::Producer => "Producer",
            ContributorRole::Mixer => "Mixer",
            ContributorRole::Arranger => "Arranger",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|r| r.as_str() == value).ok_or_else(|| {
            FieldError::new(
                field,
                "must be one of MainArtist, FeaturedArtist, Composer, Lyricist, ComposerLyricist, \
                 Producer, Mixer, Arranger",
            )
        })
    }

    /// Artists are credited in the display artist line; the others as contributors.
    pub const fn is_display_artist(self) -> bool {
        matches!(self, Self::MainArtist | Self::FeaturedArtist)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Contributor {
    pub name: String,
    pub role: ContributorRole,
}

impl Contributor {
    pub fn parse(field: &str, name: String, role: &str) -> Result<Self, FieldError> {
        Ok(Self {
            name: text(field, name.trim().to_owned(), CONTRIBUTOR_NAME_MAX)?,
            role: ContributorRole::parse(field, role)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_type_by_tracks_and_length() {
        let minutes = |m: u64| m * 60_000;
        assert_eq!(ReleaseType::derive(1, minutes(4)), ReleaseType::Single);
        assert_eq!(ReleaseType::derive(3, minutes(29)), ReleaseType::Single);
        assert_eq!(ReleaseType::derive(4, minutes(20)), ReleaseType::Ep);
        assert_eq!(ReleaseType::derive(6, minutes(29)), ReleaseType::Ep);
        assert_eq!(ReleaseType::derive(7, minutes(25)), ReleaseType::Album);
        assert_eq!(ReleaseType::derive(2, minutes(31)), ReleaseType::Album);
        assert_eq!(
            ReleaseType::parse("releaseType", "EP").ok(),
            Some(ReleaseType::Ep)
        );
        assert!(ReleaseType::parse("releaseType", "ep").is_err());
    }

    #[test]
    fn rights_lines_start_with_a_year() {
        let line = RightsLine::parse("pLine", "2026 Backbeat Records").expect("valid");
        assert_eq!(
            (line.year, line.text.as_str()),
            (2026, "2026 Backbeat Records")
        );
        for bad in ["Backbeat Records", "2026", "26 Backbeat", "2026 ", ""] {
            assert!(RightsLine::parse("pLine", bad).is_err(), "{bad}");
        }
    }
}
