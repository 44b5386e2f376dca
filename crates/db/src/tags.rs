//! Tags put on videos, unique by their case-folded name.

use std::collections::HashMap;

use backbeat_domain::ids::TagId;
use backbeat_domain::video::{TagSource, fold_tag};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{tags, video_tags};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: TagId,
    pub name: String,
    pub folded: String,
    /// Where it was first seen.
    pub origin: TagSource,
    pub created_at: DateTime<Utc>,
}

/// The unique constraint on folded names.
pub const UNIQUE_NAME: &str = "tags_folded_key";

pub async fn insert(conn: &mut AsyncPgConnection, tag: &Tag) -> Result<(), DbError> {
    diesel::insert_into(tags::table)
        .values(tag)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &TagId) -> Result<Option<Tag>, DbError> {
    Ok(tags::table
        .find(id)
        .select(Tag::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Every tag, by name.
pub async fn all(conn: &mut AsyncPgConnection) -> Result<Vec<Tag>, DbError> {
    Ok(tags::table
        .order((tags::folded, tags::id))
        .select(Tag::as_select())
        .load(conn)
        .await?)
}

/// How many of these ids are tags.
pub async fn count_existing(conn: &mut AsyncPgConnection, ids: &[TagId]) -> Result<i64, DbError> {
    Ok(tags::table
        .filter(tags::id.eq_any(ids))
        .count()
        .get_result(conn)
        .await?)
}

/// Renames; `None` when the tag does not exist.
pub async fn rename(
    conn: &mut AsyncPgConnection,
    id: &TagId,
    name: &str,
) -> Result<Option<Tag>, DbError> {
    Ok(diesel::update(tags::table.find(id))
        .set((tags::name.eq(name), tags::folded.eq(fold_tag(name))))
        .returning(Tag::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Deletes the tag and every video's use of it; `false` when it did not exist.
pub async fn delete(conn: &mut AsyncPgConnection, id: &TagId) -> Result<bool, DbError> {
    Ok(diesel::delete(tags::table.find(id)).execute(conn).await? == 1)
}

/// The ids of the tags with these names, creating the missing ones as Wistia's. Names that fold
/// alike are one tag (an existing local tag is reused).
pub async fn ensure_wistia(
    conn: &mut AsyncPgConnection,
    names: &[&str],
) -> Result<HashMap<String, TagId>, DbError> {
    let mut rows: Vec<Tag> = Vec::new();
    for name in names {
        let folded = fold_tag(name);
        if !folded.is_empty() && !rows.iter().any(|t| t.folded == folded) {
            rows.push(Tag {
                id: TagId::generate(),
                name: name.trim().to_owned(),
                folded,
                origin: TagSource::Wistia,
                created_at: Utc::now(),
            });
        }
    }
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    diesel::insert_into(tags::table)
        .values(&rows)
        .on_conflict(tags::folded)
        .do_nothing()
        .execute(conn)
        .await?;
    let folded: Vec<&str> = rows.iter().map(|t| t.folded.as_str()).collect();
    let found: Vec<(String, TagId)> = tags::table
        .filter(tags::folded.eq_any(folded))
        .select((tags::folded, tags::id))
        .load(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// How many videos carry the tag (from either source).
pub async fn video_count(conn: &mut AsyncPgConnection, id: &TagId) -> Result<i64, DbError> {
    Ok(video_tags::table
        .filter(video_tags::tag_id.eq(id))
        .select(diesel::dsl::count(video_tags::video_id).aggregate_distinct())
        .get_result(conn)
        .await?)
}
