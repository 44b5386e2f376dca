//! The master audio of tracks and the delivery artwork of releases: where each file is stored
//! and what it is.

use backbeat_domain::ids::{AlbumId, SongId};
use backbeat_domain::media::{ArtworkDetails, AudioDetails, AudioFormat, ColorModel, ImageFormat};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{artworks, audio_files};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audio_files)]
pub struct AudioFile {
    pub song_id: SongId,
    pub storage_key: String,
    pub format: String,
    pub sample_rate: i32,
    pub bit_depth: i32,
    pub channels: i32,
    pub frames: i64,
    pub bytes: i64,
    pub sha256: String,
    pub md5: String,
}

impl AudioFile {
    pub fn details(&self) -> AudioDetails {
        AudioDetails {
            format: AudioFormat::parse(&self.format).unwrap_or(AudioFormat::Wav),
            sample_rate: u32::try_from(self.sample_rate).unwrap_or(0),
            bit_depth: u16::try_from(self.bit_depth).unwrap_or(0),
            channels: u16::try_from(self.channels).unwrap_or(0),
            frames: u64::try_from(self.frames).unwrap_or(0),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = artworks)]
pub struct Artwork {
    pub album_id: AlbumId,
    pub storage_key: String,
    pub format: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub sha256: String,
    pub md5: String,
}

impl Artwork {
    /// Only RGB artwork is ever stored.
    pub fn details(&self) -> ArtworkDetails {
        ArtworkDetails {
            format: if self.format == "png" {
                ImageFormat::Png
            } else {
                ImageFormat::Jpeg
            },
            width: u32::try_from(self.width).unwrap_or(0),
            height: u32::try_from(self.height).unwrap_or(0),
            color: ColorModel::Rgb,
        }
    }
}

/// Stores the song's audio and returns the key of the file it replaces (to delete once this
/// commits).
pub async fn set_audio(
    conn: &mut AsyncPgConnection,
    audio: &AudioFile,
) -> Result<Option<String>, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let previous: Option<String> = audio_files::table
            .find(&audio.song_id)
            .select(audio_files::storage_key)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        diesel::insert_into(audio_files::table)
            .values(audio)
            .on_conflict(audio_files::song_id)
            .do_update()
            .set((
                audio_files::storage_key.eq(excluded(audio_files::storage_key)),
                audio_files::format.eq(excluded(audio_files::format)),
                audio_files::sample_rate.eq(excluded(audio_files::sample_rate)),
                audio_files::bit_depth.eq(excluded(audio_files::bit_depth)),
                audio_files::channels.eq(excluded(audio_files::channels)),
                audio_files::frames.eq(excluded(audio_files::frames)),
                audio_files::bytes.eq(excluded(audio_files::bytes)),
                audio_files::sha256.eq(excluded(audio_files::sha256)),
                audio_files::md5.eq(excluded(audio_files::md5)),
                audio_files::uploaded_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        Ok(previous)
    })
    .await
}

pub async fn audio_of(
    conn: &mut AsyncPgConnection,
    song: &SongId,
) -> Result<Option<AudioFile>, DbError> {
    Ok(audio_files::table
        .find(song)
        .select(AudioFile::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Stores the release's artwork and returns the key of the file it replaces.
pub async fn set_artwork(
    conn: &mut AsyncPgConnection,
    artwork: &Artwork,
) -> Result<Option<String>, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let previous: Option<String> = artworks::table
            .find(&artwork.album_id)
            .select(artworks::storage_key)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        diesel::insert_into(artworks::table)
            .values(artwork)
            .on_conflict(artworks::album_id)
            .do_update()
            .set((
                artworks::storage_key.eq(excluded(artworks::storage_key)),
                artworks::format.eq(excluded(artworks::format)),
                artworks::width.eq(excluded(artworks::width)),
                artworks::height.eq(excluded(artworks::height)),
                artworks::bytes.eq(excluded(artworks::bytes)),
                artworks::sha256.eq(excluded(artworks::sha256)),
                artworks::md5.eq(excluded(artworks::md5)),
                artworks::uploaded_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        Ok(previous)
    })
    .await
}

pub async fn artwork_of(
    conn: &mut AsyncPgConnection,
    album: &AlbumId,
) -> Result<Option<Artwork>, DbError> {
    Ok(artworks::table
        .find(album)
        .select(Artwork::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The stored files of an album and of its songs, for clean-up when it is deleted.
pub async fn keys_of_album(
    conn: &mut AsyncPgConnection,
    album: &AlbumId,
) -> Result<Vec<String>, DbError> {
    Ok(artworks::table
        .filter(artworks::album_id.eq(album))
        .select(artworks::storage_key)
        .load(conn)
        .await?)
}
