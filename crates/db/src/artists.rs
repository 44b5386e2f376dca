//! Artist profiles.

use backbeat_domain::ids::{ArtistId, UserId};
use backbeat_domain::paging::Cursor;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::artists;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = artists)]
pub struct Artist {
    pub id: ArtistId,
    pub owner_id: UserId,
    pub name: String,
    pub bio: Option<String>,
    pub external_urls: Vec<String>,
    #[diesel(skip_insertion)]
    pub verified: bool,
    #[diesel(skip_insertion)]
    pub created_at: DateTime<Utc>,
}

/// A partial update: `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = artists)]
pub struct ArtistPatch {
    pub name: Option<String>,
    pub bio: Option<Option<String>>,
    pub external_urls: Option<Vec<String>>,
}

impl ArtistPatch {
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.bio.is_none() && self.external_urls.is_none()
    }
}

pub async fn insert(conn: &mut AsyncPgConnection, artist: &Artist) -> Result<(), DbError> {
    diesel::insert_into(artists::table)
        .values(artist)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &ArtistId) -> Result<Option<Artist>, DbError> {
    Ok(artists::table
        .find(id)
        .select(Artist::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: &ArtistId,
    patch: &ArtistPatch,
) -> Result<(), DbError> {
    if !patch.is_empty() {
        diesel::update(artists::table.find(id))
            .set(patch)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// A page of the owner's artists, oldest first, and whether more follow.
pub async fn owned_by(
    conn: &mut AsyncPgConnection,
    owner: &UserId,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Artist>, DbError> {
    let mut query = artists::table
        .filter(artists::owner_id.eq(owner))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(
            artists::created_at.gt(after.at).or(artists::created_at
                .eq(after.at)
                .and(artists::id.gt(&after.id))),
        );
    }
    Ok(query
        .order((artists::created_at, artists::id))
        .limit(limit)
        .select(Artist::as_select())
        .load(conn)
        .await?)
}
