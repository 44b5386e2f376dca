//! Artist verification requests. Every change of status is one conditional update, so two
//! workers or two admins racing on one request cannot both move it.

use backbeat_domain::ids::{ArtistId, UserId, VerificationId};
use backbeat_domain::paging::Cursor;
use backbeat_domain::verification::VerificationStatus;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{artist_verifications as v, artists};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = v)]
pub struct Verification {
    pub id: VerificationId,
    pub artist_id: ArtistId,
    pub requested_by: UserId,
    pub profile_url: String,
    pub code: String,
    pub status: VerificationStatus,
    pub reason: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
    pub review_note: Option<String>,
    pub reviewed_by: Option<UserId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &Verification) -> Result<(), DbError> {
    diesel::insert_into(v::table)
        .values(new)
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks the artist's row until the transaction ends: requests for one artist are counted and
/// written one at a time, so concurrent requests cannot pass the daily limit together.
pub async fn lock_artist(conn: &mut AsyncPgConnection, artist: &ArtistId) -> Result<(), DbError> {
    artists::table
        .find(artist)
        .select(artists::id)
        .for_update()
        .first::<ArtistId>(conn)
        .await
        .optional()?;
    Ok(())
}

/// When the artist's requests since `since` were made, oldest first.
pub async fn requested_since(
    conn: &mut AsyncPgConnection,
    artist: &ArtistId,
    since: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, DbError> {
    Ok(v::table
        .filter(v::artist_id.eq(artist))
        .filter(v::created_at.gt(since))
        .order(v::created_at)
        .select(v::created_at)
        .load(conn)
        .await?)
}

/// The request with its artist's owner.
pub async fn find(
    conn: &mut AsyncPgConnection,
    id: &VerificationId,
) -> Result<Option<(Verification, UserId)>, DbError> {
    Ok(v::table
        .inner_join(artists::table)
        .filter(v::id.eq(id))
        .select((Verification::as_select(), artists::owner_id))
        .first(conn)
        .await
        .optional()?)
}

/// Moves a checkable request (`pending` or `failed`, code still valid) to `checking`; `false`
/// when it was not checkable.
pub async fn start_check(
    conn: &mut AsyncPgConnection,
    id: &VerificationId,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        v::table
            .find(id)
            .filter(v::status.eq_any([VerificationStatus::Pending, VerificationStatus::Failed]))
            .filter(v::expires_at.gt(now)),
    )
    .set((
        v::status.eq(VerificationStatus::Checking),
        v::reason.eq(None::<String>),
    ))
    .execute(conn)
    .await?;
    Ok(changed == 1)
}

/// Records a crawl's outcome on a request that is still `checking`; `false` otherwise (it expired
/// meanwhile, or this outcome was recorded already).
pub async fn finish_check(
    conn: &mut AsyncPgConnection,
    id: &VerificationId,
    status: VerificationStatus,
    reason: Option<&str>,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        v::table
            .find(id)
            .filter(v::status.eq(VerificationStatus::Checking)),
    )
    .set((
        v::status.eq(status),
        v::reason.eq(reason),
        v::checked_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(changed == 1)
}

/// An admin's decision on a request awaiting review; `false` when it was not awaiting one.
pub async fn review(
    conn: &mut AsyncPgConnection,
    id: &VerificationId,
    decision: VerificationStatus,
    note: Option<&str>,
    by: &UserId,
) -> Result<bool, DbError> {
    let changed = diesel::update(
        v::table
            .find(id)
            .filter(v::status.eq(VerificationStatus::PendingReview)),
    )
    .set((
        v::status.eq(decision),
        v::review_note.eq(note),
        v::reviewed_by.eq(by),
        v::reviewed_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    Ok(changed == 1)
}

/// Requests in a status (any status for `None`), oldest first: the admins' review queue.
pub async fn by_status(
    conn: &mut AsyncPgConnection,
    status: Option<VerificationStatus>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Verification>, DbError> {
    let mut query = v::table.into_boxed();
    if let Some(status) = status {
        query = query.filter(v::status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(
            v::created_at
                .gt(after.at)
                .or(v::created_at.eq(after.at).and(v::id.gt(after.id.clone()))),
        );
    }
    Ok(query
        .order((v::created_at, v::id))
        .limit(limit)
        .select(Verification::as_select())
        .load(conn)
        .await?)
}

/// Requests whose code ran out before it was found become `expired`; returns how many.
pub async fn expire_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        v::table
            .filter(v::status.eq_any([
                VerificationStatus::Pending,
                VerificationStatus::Checking,
                VerificationStatus::Failed,
            ]))
            .filter(v::expires_at.le(now)),
    )
    .set(v::status.eq(VerificationStatus::Expired))
    .execute(conn)
    .await?)
}

/// Sets the artist's `verified` flag.
pub async fn mark_artist_verified(
    conn: &mut AsyncPgConnection,
    artist: &ArtistId,
) -> Result<(), DbError> {
    diesel::update(artists::table.find(artist))
        .set((
            artists::verified.eq(true),
            artists::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}
