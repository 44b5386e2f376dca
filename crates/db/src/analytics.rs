//! Analytics read from the monthly rollups that imports maintain (`usage_by_song`,
//! `usage_by_owner`, `usage_by_owner_song`): a query touches one row per song, month, platform,
//! territory and currency, however many usage lines the reports held.

use backbeat_domain::ids::{SongId, UserId};
use backbeat_domain::period::Period;
use backbeat_domain::usage::GroupBy;
use diesel::sql_types::{Array, BigInt, Date, Numeric, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::DbError;

/// Units and revenue of one group in one currency.
#[derive(Debug, Clone, PartialEq, diesel::QueryableByName)]
pub struct Sum {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub units: i64,
    #[diesel(sql_type = Numeric)]
    pub revenue: Decimal,
}

fn key_of(group: GroupBy) -> &'static str {
    match group {
        GroupBy::Month => "to_char(period, 'YYYY-MM')",
        GroupBy::Platform => "platform_id",
        GroupBy::Territory => "territory",
    }
}

/// The songs' usage from `from` to `to` (whole months), summed per group and currency.
pub async fn songs(
    conn: &mut AsyncPgConnection,
    songs: &[SongId],
    from: Period,
    to: Period,
    group: GroupBy,
) -> Result<Vec<Sum>, DbError> {
    let ids: Vec<&str> = songs.iter().map(|s| s.as_str()).collect();
    Ok(diesel::sql_query(format!(
        "SELECT {key} AS key, currency, sum(units)::bigint AS units, sum(revenue) AS revenue
         FROM usage_by_song
         WHERE song_id = ANY($1) AND period BETWEEN $2 AND $3
         GROUP BY 1, 2 ORDER BY 1, 2",
        key = key_of(group)
    ))
    .bind::<Array<Text>, _>(ids)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?)
}

/// An owner's whole catalog, per platform or territory (month works too).
pub async fn catalog(
    conn: &mut AsyncPgConnection,
    owner: &UserId,
    from: Period,
    to: Period,
    group: GroupBy,
) -> Result<Vec<Sum>, DbError> {
    Ok(diesel::sql_query(format!(
        "SELECT {key} AS key, currency, sum(units)::bigint AS units, sum(revenue) AS revenue
         FROM usage_by_owner
         WHERE owner_id = $1 AND period BETWEEN $2 AND $3
         GROUP BY 1, 2 ORDER BY 1, 2",
        key = key_of(group)
    ))
    .bind::<Text, _>(owner.as_str())
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?)
}

/// An owner's most used songs (by units), with their usage per currency; `key` is the song id.
pub async fn top_songs(
    conn: &mut AsyncPgConnection,
    owner: &UserId,
    from: Period,
    to: Period,
    limit: i64,
) -> Result<Vec<Sum>, DbError> {
    Ok(diesel::sql_query(
        "WITH top AS (
             SELECT song_id, sum(units) AS units FROM usage_by_owner_song
             WHERE owner_id = $1 AND period BETWEEN $2 AND $3
             GROUP BY song_id ORDER BY units DESC, song_id LIMIT $4)
         SELECT u.song_id AS key, u.currency, sum(u.units)::bigint AS units, sum(u.revenue) AS revenue
         FROM usage_by_owner_song u JOIN top USING (song_id)
         WHERE u.owner_id = $1 AND u.period BETWEEN $2 AND $3
         GROUP BY u.song_id, u.currency, top.units
         ORDER BY top.units DESC, u.song_id, u.currency",
    )
    .bind::<Text, _>(owner.as_str())
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}
