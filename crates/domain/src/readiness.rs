//! Whether a release can be delivered: every problem that blocks it, each with a stable code,
//! the field at fault and a sentence.

use chrono::NaiveDate;
use serde::Serialize;

use crate::codes::{Isrc, Upc};
use crate::media::{ArtworkDetails, AudioDetails};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub code: &'static str,
    pub field: String,
    pub message: String,
}

impl Problem {
    fn new(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What readiness looks at in a release.
#[derive(Debug, Clone, Default)]
pub struct Release {
    pub title: String,
    pub upc: Option<String>,
    pub has_artist: bool,
    pub label: Option<String>,
    pub genre: Option<String>,
    pub release_date: Option<NaiveDate>,
    pub p_line: Option<String>,
    pub c_line: Option<String>,
    pub artwork: Option<ArtworkDetails>,
    pub tracks: Vec<Track>,
}

#[derive(Debug, Clone)]
pub struct Track {
    pub song_id: String,
    pub title: String,
    pub isrc: Option<String>,
    pub track_number: Option<i32>,
    pub disc_number: Option<i32>,
    pub audio: Option<AudioDetails>,
}

/// Every blocking problem, in a stable order (release fields, then tracks in track order).
pub fn problems(release: &Release) -> Vec<Problem> {
    let mut found = Vec::new();
    match release.upc.as_deref() {
        None => found.push(Problem::new(
            "UPC_MISSING",
            "upc",
            "the release needs a UPC or EAN",
        )),
        Some(upc) => {
            if let Err(error) = Upc::parse("upc", upc) {
                found.push(Problem::new(
                    "UPC_INVALID",
                    "upc",
                    format!("the UPC {}", error.message),
                ));
            }
        }
    }
    if !release.has_artist {
        found.push(Problem::new(
            "ARTIST_MISSING",
            "artistId",
            "the release needs a primary artist",
        ));
    }
    let missing = [
        (
            "LABEL_MISSING",
            "label",
            release.label.is_none(),
            "the release needs a label",
        ),
        (
            "GENRE_MISSING",
            "genre",
            release.genre.is_none(),
            "the release needs a genre",
        ),
        (
            "RELEASE_DATE_MISSING",
            "releaseDate",
            release.release_date.is_none(),
            "the release needs a release date",
        ),
        (
            "P_LINE_MISSING",
            "pLine",
            release.p_line.is_none(),
            "the release needs a ℗ line",
        ),
        (
            "C_LINE_MISSING",
            "cLine",
            release.c_line.is_none(),
            "the release needs a © line",
        ),
    ];
    for (code, field, absent, message) in missing {
        if absent {
            found.push(Problem::new(code, field, message));
        }
    }
    match &release.artwork {
        None => found.push(Problem::new(
            "ARTWORK_MISSING",
            "artwork",
            "the release needs artwork (square RGB JPEG or PNG, at least 3000x3000)",
        )),
        Some(artwork) => {
            if let Some(refusal) = artwork.refusal() {
                found.push(Problem::new(
                    "ARTWORK_UNSUITABLE",
                    "artwork",
                    format!("the artwork {refusal}"),
                ));
            }
        }
    }
    if release.tracks.is_empty() {
        found.push(Problem::new(
            "NO_TRACKS",
            "songs",
            "the release has no tracks",
        ));
    }
    let mut seen_isrcs: Vec<&str> = Vec::new();
    let mut seen_positions: Vec<(i32, i32)> = Vec::new();
    for track in &release.tracks {
        let field = |name: &str| format!("tracks[{}].{name}", track.song_id);
        let named = format!("the track \"{}\"", track.title);
        match track.isrc.as_deref() {
            None => found.push(Problem::new(
                "TRACK_ISRC_MISSING",
                field("isrc"),
                format!("{named} needs an ISRC"),
            )),
            Some(isrc) if Isrc::parse("isrc", isrc).is_err() => found.push(Problem::new(
                "TRACK_ISRC_INVALID",
                field("isrc"),
                format!("{named} has an invalid ISRC"),
            )),
            Some(isrc) if seen_isrcs.contains(&isrc) => found.push(Problem::new(
                "DUPLICATE_ISRC",
                field("isrc"),
                format!("{named} has the ISRC {isrc} of another track"),
            )),
            Some(isrc) => seen_isrcs.push(isrc),
        }
        match track.track_number {
            None => found.push(Problem::new(
                "TRACK_NUMBER_MISSING",
                field("trackNumber"),
                format!("{named} needs a track number"),
            )),
            Some(number) => {
                let position = (track.disc_number.unwrap_or(1), number);
                if seen_positions.contains(&position) {
                    found.push(Problem::new(
                        "DUPLICATE_TRACK_NUMBER",
                        field("trackNumber"),
                        format!("{named} has the track number of another track on its disc"),
                    ));
                }
                seen_positions.push(position);
            }
        }
        match &track.audio {
            None => found.push(Problem::new(
                "TRACK_AUDIO_MISSING",
                field("audio"),
                format!("{named} has no audio"),
            )),
            Some(audio) => {
                if let Some(refusal) = audio.refusal() {
                    found.push(Problem::new(
                        "TRACK_AUDIO_UNSUITABLE",
                        field("audio"),
                        format!("the audio of {named} {refusal}"),
                    ));
                }
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{AudioFormat, ColorModel, ImageFormat};

    fn ready() -> Release {
        Release {
            title: "Album".into(),
            upc: Some("036000291452".into()),
            has_artist: true,
            label: Some("Backbeat Records".into()),
            genre: Some("Pop".into()),
            release_date: NaiveDate::from_ymd_opt(2026, 12, 1),
            p_line: Some("2026 Backbeat Records".into()),
            c_line: Some("2026 Backbeat Records".into()),
            artwork: Some(ArtworkDetails {
                format: ImageFormat::Jpeg,
                width: 3000,
                height: 3000,
                color: ColorModel::Rgb,
            }),
            tracks: vec![Track {
                song_id: "song-1".into(),
                title: "One".into(),
                isrc: Some("USS1Z9900001".into()),
                track_number: Some(1),
                disc_number: None,
                audio: Some(AudioDetails {
                    format: AudioFormat::Flac,
                    sample_rate: 44_100,
                    bit_depth: 16,
                    channels: 2,
                    frames: 44_100,
                }),
            }],
        }
    }

    fn codes(release: &Release) -> Vec<&'static str> {
        problems(release).into_iter().map(|p| p.code).collect()
    }

    #[test]
    fn a_complete_release_is_ready() {
        assert!(problems(&ready()).is_empty());
    }

    #[test]
    fn every_problem_is_listed_with_its_field() {
        let empty = Release::default();
        assert_eq!(
            codes(&empty),
            [
                "UPC_MISSING",
                "ARTIST_MISSING",
                "LABEL_MISSING",
                "GENRE_MISSING",
                "RELEASE_DATE_MISSING",
                "P_LINE_MISSING",
                "C_LINE_MISSING",
                "ARTWORK_MISSING",
                "NO_TRACKS"
            ]
        );
        let mut release = ready();
        release.upc = Some("036000291453".into());
        let mut second = release.tracks[0].clone();
        second.song_id = "song-2".into();
        second.audio = None;
        release.tracks.push(second);
        release.artwork.as_mut().expect("artwork").width = 2999;
        let found = problems(&release);
        assert_eq!(
            found.iter().map(|p| p.code).collect::<Vec<_>>(),
            [
                "UPC_INVALID",
                "ARTWORK_UNSUITABLE",
                "DUPLICATE_ISRC",
                "DUPLICATE_TRACK_NUMBER",
                "TRACK_AUDIO_MISSING"
            ]
        );
        assert_eq!(found[2].field, "tracks[song-2].isrc");
        assert!(found[0].message.contains("check digit"));
    }
}
