//! Albums, songs and likes: the openMusic shapes, exactly.

use backbeat_db::songs::{Song, SongSummary};
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
}

impl From<Song> for SongDetail {
    fn from(song: Song) -> Self {
        Self {
            id: song.id.into_inner(),
            title: song.title,
            year: song.year,
            performer: song.performer,
            genre: song.genre,
            duration: song.duration,
            album_id: song.album_id.map(String::from),
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
