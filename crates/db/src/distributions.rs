//! Distributions (a release delivered to one platform) and their history. Every status change
//! goes through [`transition`], which checks the current status in the same statement and records
//! the event.

use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::ids::{AlbumId, DistributionId, JobId, PlatformId, UserId};
use backbeat_domain::paging::Cursor;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{distribution_events, distributions};

/// One live distribution per release and platform.
pub const LIVE_EXISTS: &str = "distributions_live_key";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = distributions)]
pub struct Distribution {
    pub id: DistributionId,
    pub album_id: AlbumId,
    pub platform_id: PlatformId,
    pub owner_id: Option<UserId>,
    pub status: DistributionStatus,
    pub release_at: DateTime<Utc>,
    pub message_id: Option<String>,
    pub message_created_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub takedown_at: Option<DateTime<Utc>>,
    pub taken_down_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub job_id: Option<JobId>,
    pub created_at: DateTime<Utc>,
    /// What the platform did with it (`acknowledged`, `ingested`, `rejected`), from its latest
    /// acknowledgement, with when, why (a rejection) and the file it came from.
    pub platform_status: Option<String>,
    pub platform_status_at: Option<DateTime<Utc>>,
    pub platform_error_code: Option<String>,
    pub platform_error: Option<String>,
    pub platform_file: Option<String>,
    /// A test delivery an admin sent: never live, listed with its platform's only.
    pub test: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = distributions)]
pub struct NewDistribution {
    pub id: DistributionId,
    pub album_id: AlbumId,
    pub platform_id: PlatformId,
    pub owner_id: Option<UserId>,
    pub status: DistributionStatus,
    pub release_at: DateTime<Utc>,
    pub message_id: Option<String>,
    pub message_created_at: Option<DateTime<Utc>>,
    pub job_id: Option<JobId>,
    pub test: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = distribution_events)]
pub struct Event {
    pub distribution_id: DistributionId,
    pub status: DistributionStatus,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
    /// Set on an event that records what the platform said, with the file it said it in.
    pub platform_status: Option<String>,
    pub file: Option<String>,
}

/// What a platform's acknowledgement says about one distribution.
#[derive(Debug, Clone)]
pub struct PlatformStatus<'a> {
    pub status: &'a str,
    pub at: DateTime<Utc>,
    pub error_code: Option<&'a str>,
    pub error: Option<&'a str>,
    pub file: &'a str,
}

/// What a status change sets besides the status: `None` leaves a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = distributions)]
pub struct Change {
    pub message_id: Option<Option<String>>,
    pub message_created_at: Option<Option<DateTime<Utc>>>,
    pub delivered_at: Option<Option<DateTime<Utc>>>,
    pub takedown_at: Option<Option<DateTime<Utc>>>,
    pub taken_down_at: Option<Option<DateTime<Utc>>>,
    pub error: Option<Option<String>>,
    pub job_id: Option<Option<JobId>>,
}

async fn record_events(
    conn: &mut AsyncPgConnection,
    ids: &[DistributionId],
    status: DistributionStatus,
    note: Option<&str>,
) -> Result<(), DbError> {
    let rows: Vec<_> = ids
        .iter()
        .map(|id| {
            (
                distribution_events::distribution_id.eq(id),
                distribution_events::status.eq(status),
                distribution_events::note.eq(note),
            )
        })
        .collect();
    diesel::insert_into(distribution_events::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts the distributions that do not collide with a live one (release and platform), with
/// their first event; returns the ids inserted. Call inside a transaction.
pub async fn insert_new(
    conn: &mut AsyncPgConnection,
    new: &[NewDistribution],
    note: Option<&str>,
) -> Result<Vec<DistributionId>, DbError> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let inserted: Vec<(DistributionId, DistributionStatus)> =
        diesel::insert_into(distributions::table)
            .values(new)
            .on_conflict_do_nothing()
            .returning((distributions::id, distributions::status))
            .get_results(conn)
            .await?;
    for status in DistributionStatus::ALL {
        let ids: Vec<DistributionId> = inserted
            .iter()
            .filter(|(_, s)| *s == status)
            .map(|(id, _)| id.clone())
            .collect();
        if !ids.is_empty() {
            record_events(conn, &ids, status, note).await?;
        }
    }
    Ok(inserted.into_iter().map(|(id, _)| id).collect())
}

pub async fn find(
    conn: &mut AsyncPgConnection,
    id: &DistributionId,
) -> Result<Option<Distribution>, DbError> {
    Ok(distributions::table
        .find(id)
        .select(Distribution::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_many(
    conn: &mut AsyncPgConnection,
    ids: &[DistributionId],
) -> Result<Vec<Distribution>, DbError> {
    Ok(distributions::table
        .filter(distributions::id.eq_any(ids))
        .select(Distribution::as_select())
        .load(conn)
        .await?)
}

/// The live distributions of an album to any of `platforms`.
pub async fn live_to(
    conn: &mut AsyncPgConnection,
    album: &AlbumId,
    platforms: &[PlatformId],
) -> Result<Vec<Distribution>, DbError> {
    Ok(distributions::table
        .filter(distributions::album_id.eq(album))
        .filter(distributions::platform_id.eq_any(platforms))
        .filter(distributions::status.eq_any(DistributionStatus::LIVE))
        .filter(distributions::test.eq(false))
        .select(Distribution::as_select())
        .load(conn)
        .await?)
}

pub async fn has_live(conn: &mut AsyncPgConnection, album: &AlbumId) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        distributions::table
            .filter(distributions::album_id.eq(album))
            .filter(distributions::status.eq_any(DistributionStatus::LIVE))
            .filter(distributions::test.eq(false)),
    ))
    .get_result(conn)
    .await?)
}

/// Every distribution of an album (its test deliveries aside), oldest first.
pub async fn of_album(
    conn: &mut AsyncPgConnection,
    album: &AlbumId,
) -> Result<Vec<Distribution>, DbError> {
    Ok(distributions::table
        .filter(distributions::album_id.eq(album))
        .filter(distributions::test.eq(false))
        .order((distributions::created_at, distributions::id))
        .select(Distribution::as_select())
        .load(conn)
        .await?)
}

/// The history of the distributions, in the order it happened.
pub async fn events_of(
    conn: &mut AsyncPgConnection,
    ids: &[DistributionId],
) -> Result<Vec<Event>, DbError> {
    Ok(distribution_events::table
        .filter(distribution_events::distribution_id.eq_any(ids))
        .order(distribution_events::id)
        .select(Event::as_select())
        .load(conn)
        .await?)
}

pub struct Filter<'a> {
    /// `None`: everyone's (admins).
    pub owner: Option<&'a UserId>,
    pub status: Option<DistributionStatus>,
    pub platform: Option<&'a PlatformId>,
    pub after: Option<&'a Cursor>,
    /// Test deliveries instead of the live ones.
    pub test: bool,
    /// Rows to load.
    pub limit: i64,
}

/// A page of distributions, oldest first.
pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: &Filter<'_>,
) -> Result<Vec<Distribution>, DbError> {
    let mut query = distributions::table
        .filter(distributions::test.eq(filter.test))
        .into_boxed();
    if let Some(owner) = filter.owner {
        query = query.filter(distributions::owner_id.eq(owner));
    }
    if let Some(status) = filter.status {
        query = query.filter(distributions::status.eq(status));
    }
    if let Some(platform) = filter.platform {
        query = query.filter(distributions::platform_id.eq(platform));
    }
    if let Some(after) = filter.after {
        query = query.filter(
            distributions::created_at
                .gt(after.at)
                .or(distributions::created_at
                    .eq(after.at)
                    .and(distributions::id.gt(&after.id))),
        );
    }
    Ok(query
        .order((distributions::created_at, distributions::id))
        .limit(filter.limit)
        .select(Distribution::as_select())
        .load(conn)
        .await?)
}

/// Moves the distributions that are in one of `from` to `to`, setting `change`, and records the
/// event; returns those that moved (the others were not in a `from` status). The status and its
/// event commit together (a savepoint inside a caller's transaction), so that no reader sees a
/// status its history does not have yet.
pub async fn transition(
    conn: &mut AsyncPgConnection,
    ids: &[DistributionId],
    from: &[DistributionStatus],
    to: DistributionStatus,
    change: &Change,
    note: Option<&str>,
) -> Result<Vec<Distribution>, DbError> {
    debug_assert!(from.iter().all(|f| f.may_become(to)), "{from:?} -> {to}");
    conn.transaction::<_, DbError, _>(async |conn| {
        let moved: Vec<Distribution> = diesel::update(
            distributions::table
                .filter(distributions::id.eq_any(ids))
                .filter(distributions::status.eq_any(from)),
        )
        .set((distributions::status.eq(to), change))
        .returning(Distribution::as_returning())
        .get_results(conn)
        .await?;
        let moved_ids: Vec<DistributionId> = moved.iter().map(|d| d.id.clone()).collect();
        if !moved_ids.is_empty() {
            record_events(conn, &moved_ids, to, note).await?;
        }
        Ok(moved)
    })
    .await
}

/// Records an event that leaves the distributions' status as it is (an update sent, or why not).
pub async fn note(
    conn: &mut AsyncPgConnection,
    ids: &[DistributionId],
    status: DistributionStatus,
    note: &str,
) -> Result<(), DbError> {
    if ids.is_empty() {
        return Ok(());
    }
    record_events(conn, ids, status, Some(note)).await
}

/// Records what the platform said about the distribution, in its columns and its history (the
/// event keeps backbeat's status beside it). Call inside a transaction.
pub async fn record_platform_status(
    conn: &mut AsyncPgConnection,
    id: &DistributionId,
    platform: &PlatformStatus<'_>,
) -> Result<(), DbError> {
    let status: DistributionStatus = diesel::update(distributions::table.find(id))
        .set((
            distributions::platform_status.eq(platform.status),
            distributions::platform_status_at.eq(platform.at),
            distributions::platform_error_code.eq(platform.error_code),
            distributions::platform_error.eq(platform.error),
            distributions::platform_file.eq(platform.file),
        ))
        .returning(distributions::status)
        .get_result(conn)
        .await?;
    diesel::insert_into(distribution_events::table)
        .values((
            distribution_events::distribution_id.eq(id),
            distribution_events::status.eq(status),
            distribution_events::note.eq(platform.error),
            distribution_events::at.eq(platform.at),
            distribution_events::platform_status.eq(platform.status),
            distribution_events::file.eq(platform.file),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks up to `limit` scheduled distributions whose release time has come, skipping those
/// another transaction holds. Call inside a transaction.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Distribution>, DbError> {
    Ok(distributions::table
        .filter(distributions::status.eq(DistributionStatus::Scheduled))
        .filter(distributions::release_at.le(now))
        .order(distributions::release_at)
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(Distribution::as_select())
        .load(conn)
        .await?)
}

/// Notes that a delivered distribution is being taken down by `job` (its message ends the deals
/// now); `false` when it is no longer delivered.
pub async fn request_takedown(
    conn: &mut AsyncPgConnection,
    id: &DistributionId,
    job: &JobId,
) -> Result<bool, DbError> {
    Ok(diesel::update(
        distributions::table
            .find(id)
            .filter(distributions::status.eq(DistributionStatus::Delivered))
            .filter(distributions::takedown_at.is_null()),
    )
    .set((
        distributions::takedown_at.eq(Some(Utc::now())),
        distributions::job_id.eq(Some(job)),
    ))
    .execute(conn)
    .await?
        > 0)
}
