//! A release as delivery sees it: the album with its metadata, artist and artwork, and its tracks
//! with their metadata and audio, loaded for many albums at once.

use backbeat_domain::ids::{AlbumId, SongId};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::albums::{Album, ReleaseFields};
use crate::media::{Artwork, AudioFile};
use crate::schema::{albums, artists, artworks, audio_files, songs};
use crate::songs::TrackFields;

#[derive(Debug, Clone)]
pub struct ReleaseRow {
    pub album: Album,
    pub fields: ReleaseFields,
    pub artist_name: Option<String>,
    pub artwork: Option<Artwork>,
}

#[derive(Debug, Clone)]
pub struct TrackRow {
    pub id: SongId,
    pub album_id: AlbumId,
    pub title: String,
    pub performer: String,
    pub fields: TrackFields,
    pub audio: Option<AudioFile>,
}

pub async fn releases(
    conn: &mut AsyncPgConnection,
    ids: &[AlbumId],
) -> Result<Vec<ReleaseRow>, DbError> {
    let rows: Vec<(Album, ReleaseFields, Option<String>, Option<Artwork>)> = albums::table
        .left_join(artists::table)
        .left_join(artworks::table)
        .filter(albums::id.eq_any(ids))
        .select((
            Album::as_select(),
            ReleaseFields::as_select(),
            artists::name.nullable(),
            Option::<Artwork>::as_select(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(album, fields, artist_name, artwork)| ReleaseRow {
            album,
            fields,
            artist_name,
            artwork,
        })
        .collect())
}

type TrackColumns = (
    SongId,
    Option<AlbumId>,
    String,
    String,
    TrackFields,
    Option<AudioFile>,
);

/// The tracks of the albums, each album's in disc and track order.
pub async fn tracks(
    conn: &mut AsyncPgConnection,
    ids: &[AlbumId],
) -> Result<Vec<TrackRow>, DbError> {
    let rows: Vec<TrackColumns> = songs::table
        .left_join(audio_files::table)
        .filter(songs::album_id.eq_any(ids))
        .order((
            songs::album_id,
            diesel::dsl::sql::<diesel::sql_types::Int4>("COALESCE(songs.disc_number, 1)"),
            songs::track_number.asc().nulls_last(),
            songs::created_at,
            songs::id,
        ))
        .select((
            songs::id,
            songs::album_id,
            songs::title,
            songs::performer,
            TrackFields::as_select(),
            Option::<AudioFile>::as_select(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, album_id, title, performer, fields, audio)| {
            Some(TrackRow {
                id,
                album_id: album_id?,
                title,
                performer,
                fields,
                audio,
            })
        })
        .collect())
}
