//! Songs, and the catalog search.

use backbeat_domain::ids::{AlbumId, ArtistId, SongId, UserId};
use backbeat_domain::paging::Cursor;
use chrono::{DateTime, Utc};
use diesel::expression::{AppearsOnTable, ValidGrouping};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::QueryFragment;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::plans::CustomPlan;
use crate::schema::songs;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = songs, treat_none_as_null = true)]
pub struct Song {
    pub id: SongId,
    pub title: String,
    pub year: i32,
    pub genre: String,
    pub performer: String,
    pub duration: Option<i32>,
    pub album_id: Option<AlbumId>,
    #[diesel(skip_update)]
    pub owner_id: Option<UserId>,
}

/// The three keys openMusic lists show.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = songs)]
pub struct SongSummary {
    pub id: SongId,
    pub title: String,
    pub performer: String,
}

/// The track metadata of a song.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = songs)]
pub struct TrackFields {
    pub artist_id: Option<ArtistId>,
    pub isrc: Option<String>,
    pub iswc: Option<String>,
    pub explicit: bool,
    pub track_number: Option<i32>,
    pub disc_number: Option<i32>,
    /// `[{"name", "role"}]`.
    pub contributors: serde_json::Value,
}

/// A partial update of a song: `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = songs)]
pub struct SongPatch {
    pub title: Option<String>,
    pub year: Option<i32>,
    pub genre: Option<String>,
    pub performer: Option<String>,
    pub duration: Option<Option<i32>>,
    pub album_id: Option<Option<AlbumId>>,
    pub artist_id: Option<Option<ArtistId>>,
    pub isrc: Option<Option<String>>,
    pub iswc: Option<Option<String>>,
    pub explicit: Option<bool>,
    pub track_number: Option<Option<i32>>,
    pub disc_number: Option<Option<i32>>,
    pub contributors: Option<serde_json::Value>,
}

/// An ISRC identifies one recording in the whole catalog.
pub const ISRC_TAKEN: &str = "songs_isrc_key";
/// A disc of an album has one track per number.
pub const TRACK_NUMBER_TAKEN: &str = "songs_album_track_key";

pub async fn insert(conn: &mut AsyncPgConnection, song: &Song) -> Result<(), DbError> {
    diesel::insert_into(songs::table)
        .values(song)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &SongId) -> Result<Option<Song>, DbError> {
    Ok(songs::table
        .find(id)
        .select(Song::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The song with its track metadata.
pub async fn find_track(
    conn: &mut AsyncPgConnection,
    id: &SongId,
) -> Result<Option<(Song, TrackFields)>, DbError> {
    Ok(songs::table
        .find(id)
        .select((Song::as_select(), TrackFields::as_select()))
        .first(conn)
        .await
        .optional()?)
}

/// Applies a partial update (nothing to do when it is empty); see [`ISRC_TAKEN`] and
/// [`TRACK_NUMBER_TAKEN`] for the conflicts it can meet.
pub async fn patch(
    conn: &mut AsyncPgConnection,
    id: &SongId,
    patch: &SongPatch,
) -> Result<(), DbError> {
    let empty = patch.title.is_none()
        && patch.year.is_none()
        && patch.genre.is_none()
        && patch.performer.is_none()
        && patch.duration.is_none()
        && patch.album_id.is_none()
        && patch.artist_id.is_none()
        && patch.isrc.is_none()
        && patch.iswc.is_none()
        && patch.explicit.is_none()
        && patch.track_number.is_none()
        && patch.disc_number.is_none()
        && patch.contributors.is_none();
    if !empty {
        diesel::update(songs::table.find(id))
            .set(patch)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Replaces every field but the id and owner. `false` when the song does not exist.
pub async fn update(conn: &mut AsyncPgConnection, song: &Song) -> Result<bool, DbError> {
    Ok(diesel::update(songs::table.find(&song.id))
        .set(song)
        .execute(conn)
        .await?
        > 0)
}

pub async fn delete(conn: &mut AsyncPgConnection, id: &SongId) -> Result<bool, DbError> {
    Ok(diesel::delete(songs::table.find(id)).execute(conn).await? > 0)
}

/// The songs of an album, in the order they were added.
pub async fn of_album(
    conn: &mut AsyncPgConnection,
    album_id: &AlbumId,
) -> Result<Vec<SongSummary>, DbError> {
    Ok(songs::table
        .filter(songs::album_id.eq(album_id))
        .order((songs::created_at, songs::id))
        .select(SongSummary::as_select())
        .load(conn)
        .await?)
}

/// Title and performer of each song among `ids` that exists.
pub async fn summaries(
    conn: &mut AsyncPgConnection,
    ids: &[SongId],
) -> Result<Vec<SongSummary>, DbError> {
    Ok(songs::table
        .filter(songs::id.eq_any(ids))
        .select(SongSummary::as_select())
        .load(conn)
        .await?)
}

#[derive(Debug, Default)]
pub struct SongSearch<'a> {
    /// Case-insensitive substring of the title.
    pub title: Option<&'a str>,
    /// Case-insensitive substring of the performer; with `title`, both must match.
    pub performer: Option<&'a str>,
    /// Resume after this song (its `created_at` and id).
    pub after: Option<Cursor>,
    pub limit: i64,
    /// Plan the search for its terms (see [`crate::plans`]): right on a large table, where a
    /// rare term goes through the trigram index and a frequent one walks `created_at` and stops
    /// at the page's end. On a small table the connection's cached plan is as good and cheaper.
    pub plan_for_terms: bool,
}

diesel::define_sql_function!(fn lower(text: Text) -> Text);
diesel::define_sql_function!(fn strpos(text: Text, substring: Text) -> Integer);

type Condition = Box<dyn BoxableExpression<songs::table, Pg, SqlType = Bool>>;

/// `column` contains `term`, case-insensitively (what ILIKE `%term%` means), written for the
/// indexes (migrations `songs_listing_index` and `songs_*_folded_trigrams`): they store each
/// row's `lower(column)`, so no row is folded again when tested. A term of several words asks the
/// trigram index for each of its longest words (`LIKE '%word%'`) and checks the exact term on
/// the few rows found: the term's own trigrams would add those of its word boundaries
/// (`"  t"`, `"et "`), whose long posting lists made a two-word search three times slower.
fn contains<C>(column: C, term: &str) -> Condition
where
    C: Expression<SqlType = Text>
        + AppearsOnTable<songs::table>
        + SelectableExpression<songs::table>
        + QueryFragment<Pg>
        + ValidGrouping<(), IsAggregate = diesel::expression::is_aggregate::No>
        + Copy
        + Send
        + 'static,
{
    let words = index_words(term);
    if words.is_empty() || words == [term] {
        return Box::new(lower(column).like(lower(contains_pattern(term))));
    }
    let mut condition: Condition = Box::new(strpos(lower(column), lower(term.to_owned())).gt(0));
    for word in words {
        condition = Box::new(
            lower(column)
                .like(lower(contains_pattern(word)))
                .and(condition),
        );
    }
    condition
}

/// The words of `term` worth an index lookup: runs of letters and digits of at least three
/// characters (a trigram), the three longest (the most selective), distinct.
fn index_words(term: &str) -> Vec<&str> {
    let mut words: Vec<&str> = term
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    let mut distinct: Vec<&str> = Vec::new();
    for word in words {
        if distinct.len() < 3 && !distinct.iter().any(|d| d.eq_ignore_ascii_case(word)) {
            distinct.push(word);
        }
    }
    distinct
}

/// Songs matching the search, oldest first, with a cursor for the next page when there is one.
/// Substring matches use the trigram indexes. One statement, no transaction.
pub async fn search(
    conn: &mut AsyncPgConnection,
    search: &SongSearch<'_>,
) -> Result<(Vec<SongSummary>, Option<Cursor>), DbError> {
    let mut query = songs::table.into_boxed();
    if let Some(title) = search.title {
        query = query.filter(contains(songs::title, title));
    }
    if let Some(performer) = search.performer {
        query = query.filter(contains(songs::performer, performer));
    }
    if let Some(after) = &search.after {
        query = query.filter(
            songs::created_at
                .gt(after.at)
                .or(songs::created_at.eq(after.at).and(songs::id.gt(&after.id))),
        );
    }
    let query = query
        .order((songs::created_at, songs::id))
        .limit(search.limit + 1)
        .select((SongSummary::as_select(), songs::created_at));
    let filtered = search.title.is_some() || search.performer.is_some();
    let mut rows: Vec<(SongSummary, DateTime<Utc>)> = if filtered && search.plan_for_terms {
        CustomPlan(query).load(conn).await?
    } else {
        query.load(conn).await?
    };
    let next = if rows.len() as i64 > search.limit {
        rows.truncate(search.limit as usize);
        rows.last().map(|(song, created_at)| Cursor {
            at: *created_at,
            id: song.id.to_string(),
        })
    } else {
        None
    };
    Ok((rows.into_iter().map(|(song, _)| song).collect(), next))
}

/// `%term%` with LIKE's wildcards in `term` taken literally.
pub(crate) fn contains_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The songs with these ISRCs: `(isrc, song)`.
pub async fn by_isrcs(
    conn: &mut AsyncPgConnection,
    isrcs: &[String],
) -> Result<Vec<(String, SongId)>, DbError> {
    Ok(songs::table
        .filter(songs::isrc.eq_any(isrcs))
        .select((songs::isrc.assume_not_null(), songs::id))
        .load(conn)
        .await?)
}

/// The tracks of the releases with these UPCs: `(upc, title, song)`.
pub async fn by_release_codes(
    conn: &mut AsyncPgConnection,
    upcs: &[String],
) -> Result<Vec<(String, String, SongId)>, DbError> {
    use crate::schema::albums;
    Ok(songs::table
        .inner_join(albums::table)
        .filter(albums::upc.eq_any(upcs))
        .select((albums::upc.assume_not_null(), songs::title, songs::id))
        .load(conn)
        .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_term_is_looked_up_by_its_longest_words() {
        assert_eq!(super::index_words("velvet thunder"), ["thunder", "velvet"]);
        assert_eq!(super::index_words("love"), ["love"]);
        assert_eq!(super::index_words("a b"), Vec::<&str>::new());
        assert_eq!(
            super::index_words("Go, go GO my lovely ones: heartbeat"),
            ["heartbeat", "lovely", "ones"]
        );
        assert_eq!(super::index_words("AC/DC"), Vec::<&str>::new());
        assert_eq!(super::index_words("Björk's"), ["Björk"]);
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(super::contains_pattern("100%_a\\b"), "%100\\%\\_a\\\\b%");
    }
}
