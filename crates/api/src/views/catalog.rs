//! Albums, songs and likes: the openMusic shapes, exactly.

use backbeat_db::albums::ReleaseFields;
use backbeat_db::songs::{Song, SongSummary, TrackFields};
use backbeat_domain::release::Contributor;
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlbumCreated {
    #[schema(example = "album-Qbax5Oy7L8WKf74l")]
    pub album_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlbumDetail {
    pub id: String,
    pub name: String,
    pub year: i32,
    /// `null` until a cover is uploaded, then an absolute URL.
    pub cover_url: Option<String>,
    pub songs: Vec<SongItem>,
    /// Present only for callers who may change the album (its owner, admins).
    #[serde(flatten)]
    pub release: Option<ReleaseView>,
}

/// Release metadata, set with `PATCH /albums/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseView {
    pub artist_id: Option<String>,
    /// UPC-A or EAN-13, digits only.
    #[schema(example = "036000291452")]
    pub upc: Option<String>,
    pub label: Option<String>,
    pub genre: Option<String>,
    pub release_date: Option<NaiveDate>,
    pub original_release_date: Option<NaiveDate>,
    #[schema(example = "2026 Backbeat Records")]
    pub p_line: Option<String>,
    #[schema(example = "2026 Backbeat Records")]
    pub c_line: Option<String>,
    /// `["Worldwide"]`, country codes, or `"Worldwide"` with `-CODE` exclusions.
    #[schema(example = json!(["Worldwide"]))]
    pub territories: Vec<String>,
    /// `Single`, `EP` or `Album`; `null` derives it from the tracks at delivery.
    pub release_type: Option<String>,
}

impl From<ReleaseFields> for ReleaseView {
    fn from(f: ReleaseFields) -> Self {
        Self {
            artist_id: f.artist_id.map(String::from),
            upc: f.upc,
            label: f.label,
            genre: f.genre,
            release_date: f.release_date,
            original_release_date: f.original_release_date,
            p_line: f.p_line,
            c_line: f.c_line,
            territories: f.territories,
            release_type: f.release_type,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlbumData {
    pub album: AlbumDetail,
}

/// A song in a list: exactly these three keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct SongItem {
    pub id: String,
    pub title: String,
    pub performer: String,
}

impl From<SongSummary> for SongItem {
    fn from(song: SongSummary) -> Self {
        Self {
            id: song.id.into_inner(),
            title: song.title,
            performer: song.performer,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SongDetail {
    pub id: String,
    pub title: String,
    pub year: i32,
    pub performer: String,
    pub genre: String,
    pub duration: Option<i32>,
    pub album_id: Option<String>,
    /// Present only for callers who may change the song (its owner, admins).
    #[serde(flatten)]
    pub track: Option<TrackView>,
}

/// Track metadata, set with `PATCH /songs/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TrackView {
    pub artist_id: Option<String>,
    /// 12 characters, upper case, no hyphens.
    #[schema(example = "USS1Z9900001")]
    pub isrc: Option<String>,
    #[schema(example = "T0345246801")]
    pub iswc: Option<String>,
    pub explicit: bool,
    pub track_number: Option<i32>,
    pub disc_number: Option<i32>,
    pub contributors: Vec<ContributorView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContributorView {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$"
    )]
    pub name: String,
    #[schema(schema_with = crate::schemas::contributor_role)]
    pub role: String,
}

impl From<TrackFields> for TrackView {
    fn from(f: TrackFields) -> Self {
        let contributors: Vec<Contributor> =
            serde_json::from_value(f.contributors).unwrap_or_default();
        Self {
            artist_id: f.artist_id.map(String::from),
            isrc: f.isrc,
            iswc: f.iswc,
            explicit: f.explicit,
            track_number: f.track_number,
            disc_number: f.disc_number,
            contributors: contributors
                .into_iter()
                .map(|c| ContributorView {
                    name: c.name,
                    role: c.role.as_str().to_owned(),
                })
                .collect(),
        }
    }
}

impl SongDetail {
    pub fn new(song: Song, track: Option<TrackFields>) -> Self {
        Self {
            id: song.id.into_inner(),
            title: song.title,
            year: song.year,
            performer: song.performer,
            genre: song.genre,
            duration: song.duration,
            album_id: song.album_id.map(String::from),
            track: track.map(TrackView::from),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SongCreated {
    #[schema(example = "song-Qbax5Oy7L8WKf74l")]
    pub song_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SongData {
    pub song: SongDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SongList {
    pub songs: Vec<SongItem>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageMeta {
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    pub limit: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SongListEnvelope {
    #[schema(example = "success")]
    pub status: &'static str,
    pub data: SongList,
    /// Present when the client pages (`limit`/`cursor`) or when more results exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<PageMeta>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LikeCount {
    pub likes: i64,
}
