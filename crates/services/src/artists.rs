//! Artist profiles: created and changed by their owner; `verified` is set only by the
//! verification flow. A profile is visible to its owner and to admins.

use backbeat_db::albums;
use backbeat_db::artists::{self, Artist, ArtistPatch};
use backbeat_domain::Actor;
use backbeat_domain::ids::{AlbumId, ArtistId};
use backbeat_domain::paging::{Cursor, Page};
use chrono::Utc;
use diesel_async::AsyncConnection;

use crate::distribution::updates;
use crate::{Context, Error, Result};

pub struct NewArtist {
    pub name: String,
    pub bio: Option<String>,
    pub external_urls: Vec<String>,
}

pub fn not_found() -> Error {
    Error::not_found("artist")
}

pub async fn create(ctx: &Context, actor: &Actor, input: NewArtist) -> Result<ArtistId> {
    let artist = Artist {
        id: ArtistId::generate(),
        owner_id: actor.user_id.clone(),
        name: input.name,
        bio: input.bio,
        external_urls: input.external_urls,
        verified: false,
        created_at: Utc::now(),
    };
    artists::insert(&mut *ctx.conn().await?, &artist).await?;
    Ok(artist.id)
}

/// The artist, when the actor owns it or is an admin; not found otherwise (ids are not a way to
/// learn what others have).
pub async fn get(ctx: &Context, actor: &Actor, id: &ArtistId) -> Result<Artist> {
    artists::find(&mut *ctx.conn().await?, id)
        .await?
        .filter(|artist| actor.may_act_on(Some(&artist.owner_id)))
        .ok_or_else(not_found)
}

pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: &ArtistId,
    patch: ArtistPatch,
) -> Result<Artist> {
    get(ctx, actor, id).await?;
    let mut conn = ctx.conn().await?;
    let renamed = patch.name.is_some();
    conn.transaction::<_, Error, _>(async |conn| {
        artists::update(conn, id, &patch).await?;
        // The releases that credit the artist name it in their messages: sent again.
        if renamed {
            let albums = albums::credited_to(conn, id).await?;
            let albums: Vec<Option<&AlbumId>> = albums.iter().map(Some).collect();
            updates::queue_each(ctx, conn, &albums).await?;
        }
        Ok(())
    })
    .await?;
    artists::find(&mut conn, id).await?.ok_or_else(not_found)
}

/// The actor's artists, oldest first, a page at a time.
pub async fn mine(
    ctx: &Context,
    actor: &Actor,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Artist>> {
    let rows = artists::owned_by(&mut *ctx.conn().await?, &actor.user_id, after, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, |artist| Cursor {
        at: artist.created_at,
        id: artist.id.to_string(),
    }))
}

/// Checks that the actor may credit this artist on a release: their own, or any for an admin.
/// Anything else reads as an unknown id (404), as any id the caller may not act on does.
pub async fn check_creditable(ctx: &Context, actor: Option<&Actor>, id: &ArtistId) -> Result<()> {
    let artist = artists::find(&mut *ctx.conn().await?, id).await?;
    let allowed = matches!((&artist, actor), (Some(artist), Some(actor)) if actor.may_act_on(Some(&artist.owner_id)));
    if !allowed {
        return Err(not_found());
    }
    Ok(())
}
