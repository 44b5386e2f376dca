//! Album covers (openMusic): stored under a fresh key, the previous one removed once the album
//! points at the new one; read back for `GET /media/{key}`.

use backbeat_db::albums::{self, Album};
use backbeat_domain::media::ImageFormat;
use backbeat_storage::StorageError;
use rand::RngExt;

use crate::catalog::access::Writable;
use crate::catalog::albums::{not_found, pages_changed};
use crate::{Context, Error, Result};

/// openMusic's limit for a cover.
pub const COVER_MAX_BYTES: usize = 512_000;

/// Replaces the album's cover with `bytes`, which must really be a JPEG, PNG or WebP image.
pub async fn replace(ctx: &Context, album: Writable<Album>, bytes: Vec<u8>) -> Result<()> {
    let format = ImageFormat::sniff(&bytes)
        .ok_or_else(|| Error::field("cover", "must be a JPEG, PNG or WebP image"))?;
    let name: [u8; 16] = rand::rng().random();
    let name: String = name.iter().map(|b| format!("{b:02x}")).collect();
    let key = format!("covers/{}/{name}.{}", album.id, format.extension());
    ctx.storage.put(&key, &bytes).await?;
    let set = match ctx.conn().await {
        Ok(mut conn) => albums::set_cover(&mut conn, &album.id, &key)
            .await
            .map_err(Error::from),
        Err(error) => Err(error),
    };
    match set {
        Ok(Some(previous)) => {
            pages_changed(ctx, [Some(&album.id)]).await;
            if let Some(previous) = previous
                && let Err(error) = ctx.storage.delete(&previous).await
            {
                tracing::warn!(%error, key = %previous, "cannot remove the replaced cover");
            }
            Ok(())
        }
        // The album was deleted meanwhile, or the database failed: the new file is nobody's.
        Ok(None) => {
            let _ = ctx.storage.delete(&key).await;
            Err(not_found())
        }
        Err(error) => {
            let _ = ctx.storage.delete(&key).await;
            Err(error)
        }
    }
}

/// A stored image and its format, by key; only image keys are served.
pub async fn read(ctx: &Context, key: &str) -> Result<(ImageFormat, Vec<u8>)> {
    let not_found = || Error::not_found("file");
    // Only covers are public: artwork masters, audio and reports share the store.
    if !key.starts_with("covers/") {
        return Err(not_found());
    }
    let format = key
        .rsplit_once('.')
        .and_then(|(_, extension)| ImageFormat::from_extension(extension))
        .ok_or_else(not_found)?;
    match ctx.storage.get(key).await {
        Ok(bytes) => Ok((format, bytes)),
        Err(StorageError::NotFound | StorageError::InvalidKey(_)) => Err(not_found()),
        Err(error) => Err(error.into()),
    }
}
