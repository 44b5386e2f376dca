//! Delivery masters: a track's audio (WAV or FLAC) and a release's artwork (JPEG or PNG). The
//! route streams the upload into a temporary file of the storage ([`receive`]); the file itself
//! is then read, never its name or declared type, and only a file that meets the requirements is
//! committed under a fresh key and recorded. A replaced file is removed once the new one is
//! recorded.

use backbeat_db::albums::Album;
use backbeat_db::media::{self, Artwork, AudioFile};
use backbeat_db::songs::Song;
use backbeat_domain::ids::AlbumId;
use backbeat_domain::media::ImageFormat;
use backbeat_storage::{Incoming, Received};
use diesel_async::AsyncConnection;
use rand::RngExt;

use crate::catalog::access::Writable;
use crate::distribution::updates;
use crate::{Context, Error, Result};

/// What the caller is uploading, with its limit.
#[derive(Debug, Clone, Copy)]
pub enum Upload {
    Audio,
    Artwork,
}

impl Upload {
    pub fn limit(self, ctx: &Context) -> u64 {
        match self {
            Upload::Audio => ctx.settings.distribution.audio_max_bytes,
            Upload::Artwork => ctx.settings.distribution.artwork_max_bytes,
        }
    }
}

pub async fn receive(ctx: &Context, upload: Upload) -> Result<Incoming> {
    ctx.storage
        .incoming(upload.limit(ctx))
        .await
        .map_err(Error::internal)
}

fn fresh_key(prefix: &str, owner: &str, extension: &str) -> String {
    let name: [u8; 16] = rand::rng().random();
    let name: String = name.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}/{owner}/{name}.{extension}")
}

async fn inspect<T: Send + 'static>(
    received: &Received,
    read: fn(&std::path::Path) -> Result<T, backbeat_media::MediaError>,
) -> Result<T, backbeat_media::MediaError> {
    let path = received.path().to_path_buf();
    match tokio::task::spawn_blocking(move || read(&path)).await {
        Ok(result) => result,
        Err(error) => Err(backbeat_media::MediaError::Io(std::io::Error::other(error))),
    }
}

fn refused(field: &str, error: backbeat_media::MediaError) -> Error {
    match error {
        backbeat_media::MediaError::Unsuitable(reason) => Error::field(field, reason),
        backbeat_media::MediaError::Io(error) => Error::internal(error),
    }
}

/// Moves the upload under `key` and records it; the file it replaces is removed once the record
/// commits, and the new file is removed if the record fails (nothing points at it).
/// The file's record: it replaces the previous one, whose key comes back.
enum Stored<'a> {
    Audio(&'a AudioFile),
    Artwork(&'a Artwork),
}

async fn commit_and_record(
    ctx: &Context,
    received: Received,
    key: &str,
    release: Option<&AlbumId>,
    file: Stored<'_>,
) -> Result<()> {
    ctx.storage.commit(received, key).await?;
    // A release already delivered is sent again with the new file, queued with the change.
    let recorded = match ctx.conn().await {
        Ok(mut conn) => {
            conn.transaction::<_, Error, _>(async |conn| {
                let previous = match file {
                    Stored::Audio(audio) => media::set_audio(conn, audio).await?,
                    Stored::Artwork(artwork) => media::set_artwork(conn, artwork).await?,
                };
                updates::queue_each(ctx, conn, &[release]).await?;
                Ok(previous)
            })
            .await
        }
        Err(error) => Err(error),
    };
    match recorded {
        Ok(previous) => {
            if let Some(previous) = previous
                && let Err(error) = ctx.storage.delete(&previous).await
            {
                tracing::warn!(%error, key = %previous, "cannot remove a replaced file");
            }
            Ok(())
        }
        Err(error) => {
            let _ = ctx.storage.delete(key).await;
            Err(error)
        }
    }
}

/// Checks, stores and records the track's audio.
pub async fn store_audio(
    ctx: &Context,
    song: Writable<Song>,
    received: Received,
) -> Result<AudioFile> {
    let details = inspect(&received, backbeat_media::audio)
        .await
        .map_err(|e| refused("audio", e))?;
    if let Some(reason) = details.refusal() {
        return Err(Error::field("audio", reason));
    }
    let key = fresh_key("audio", song.id.as_str(), details.format.as_str());
    let audio = AudioFile {
        song_id: song.id.clone(),
        storage_key: key.clone(),
        format: details.format.as_str().to_owned(),
        sample_rate: i32::try_from(details.sample_rate).unwrap_or(i32::MAX),
        bit_depth: i32::from(details.bit_depth),
        channels: i32::from(details.channels),
        frames: i64::try_from(details.frames).unwrap_or(i64::MAX),
        bytes: i64::try_from(received.bytes).unwrap_or(i64::MAX),
        sha256: received.sha256.clone(),
        md5: received.md5.clone(),
    };
    commit_and_record(
        ctx,
        received,
        &key,
        song.album_id.as_ref(),
        Stored::Audio(&audio),
    )
    .await?;
    Ok(audio)
}

/// Checks, stores and records the release's artwork.
pub async fn store_artwork(
    ctx: &Context,
    album: Writable<Album>,
    received: Received,
) -> Result<Artwork> {
    let details = inspect(&received, |path| {
        backbeat_media::artwork(&std::fs::read(path)?)
    })
    .await
    .map_err(|e| refused("artwork", e))?;
    if let Some(reason) = details.refusal() {
        return Err(Error::field("artwork", reason));
    }
    let (format, extension) = match details.format {
        ImageFormat::Png => ("png", "png"),
        _ => ("jpeg", "jpg"),
    };
    let key = fresh_key("artwork", album.id.as_str(), extension);
    let artwork = Artwork {
        album_id: album.id.clone(),
        storage_key: key.clone(),
        format: format.to_owned(),
        width: i32::try_from(details.width).unwrap_or(i32::MAX),
        height: i32::try_from(details.height).unwrap_or(i32::MAX),
        bytes: i64::try_from(received.bytes).unwrap_or(i64::MAX),
        sha256: received.sha256.clone(),
        md5: received.md5.clone(),
    };
    commit_and_record(
        ctx,
        received,
        &key,
        Some(&album.id),
        Stored::Artwork(&artwork),
    )
    .await?;
    Ok(artwork)
}
