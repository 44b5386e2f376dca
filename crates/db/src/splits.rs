//! Songs' splits: who shares a song's net, in basis points.

use backbeat_domain::ids::{PayeeId, SongId, UserId};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{payees, song_splits};

/// A share with who it goes to.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Split {
    pub payee_id: PayeeId,
    pub user_id: Option<UserId>,
    pub email: Option<String>,
    pub share_bps: i32,
}

/// The song's splits, largest share first.
pub async fn of_song(conn: &mut AsyncPgConnection, song: &SongId) -> Result<Vec<Split>, DbError> {
    Ok(song_splits::table
        .inner_join(payees::table)
        .filter(song_splits::song_id.eq(song))
        .order((song_splits::share_bps.desc(), song_splits::payee_id))
        .select((
            song_splits::payee_id,
            payees::user_id,
            payees::email,
            song_splits::share_bps,
        ))
        .load(conn)
        .await?)
}

/// Replaces the song's splits (none: its owner gets everything). Call inside a transaction.
pub async fn replace(
    conn: &mut AsyncPgConnection,
    song: &SongId,
    shares: &[(PayeeId, i32)],
) -> Result<(), DbError> {
    diesel::delete(song_splits::table.filter(song_splits::song_id.eq(song)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = shares
        .iter()
        .map(|(payee, bps)| {
            (
                song_splits::song_id.eq(song),
                song_splits::payee_id.eq(payee),
                song_splits::share_bps.eq(bps),
            )
        })
        .collect();
    diesel::insert_into(song_splits::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}
