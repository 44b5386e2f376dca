//! Passes through Wistia's medias, and the sync job in flight.

use backbeat_domain::ids::JobId;
use backbeat_domain::jobs::JobStatus;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{jobs, video_sync_passes as passes, video_sync_state as state};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = passes)]
pub struct Pass {
    pub id: i64,
    pub job_id: Option<JobId>,
    /// `pages`, `stats`, `removals`, `done`.
    pub phase: String,
    pub next_page: i32,
    pub listed: i32,
    pub added: i32,
    pub changed: i32,
    pub unchanged: i32,
    pub stats_refreshed: i32,
    pub removed: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// The unfinished pass (a failed sync's, resumed), or a new one; now worked on by `job`.
pub async fn open(conn: &mut AsyncPgConnection, job: &JobId) -> Result<Pass, DbError> {
    let current: Option<Pass> = passes::table
        .filter(passes::finished_at.is_null())
        .select(Pass::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?;
    Ok(match current {
        Some(pass) => {
            diesel::update(passes::table.find(pass.id))
                .set(passes::job_id.eq(job))
                .returning(Pass::as_returning())
                .get_result(conn)
                .await?
        }
        None => {
            diesel::insert_into(passes::table)
                .values(passes::job_id.eq(job))
                .returning(Pass::as_returning())
                .get_result(conn)
                .await?
        }
    })
}

/// What one page of the list did to the pass.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageCounts {
    pub listed: i32,
    pub added: i32,
    pub changed: i32,
    pub unchanged: i32,
}

/// Records a page as done: the next one to read, or the list's end.
pub async fn page_done(
    conn: &mut AsyncPgConnection,
    pass: i64,
    next_page: i32,
    last: bool,
    counts: PageCounts,
) -> Result<Pass, DbError> {
    Ok(diesel::update(passes::table.find(pass))
        .set((
            passes::next_page.eq(next_page),
            passes::phase.eq(if last { "stats" } else { "pages" }),
            passes::listed.eq(passes::listed + counts.listed),
            passes::added.eq(passes::added + counts.added),
            passes::changed.eq(passes::changed + counts.changed),
            passes::unchanged.eq(passes::unchanged + counts.unchanged),
        ))
        .returning(Pass::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn add_stats(conn: &mut AsyncPgConnection, pass: i64, n: i32) -> Result<(), DbError> {
    diesel::update(passes::table.find(pass))
        .set(passes::stats_refreshed.eq(passes::stats_refreshed + n))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn add_removed(conn: &mut AsyncPgConnection, pass: i64, n: i32) -> Result<(), DbError> {
    diesel::update(passes::table.find(pass))
        .set(passes::removed.eq(passes::removed + n))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_phase(
    conn: &mut AsyncPgConnection,
    pass: i64,
    phase: &str,
) -> Result<Pass, DbError> {
    let finished = (phase == "done").then(Utc::now);
    Ok(diesel::update(passes::table.find(pass))
        .set((passes::phase.eq(phase), passes::finished_at.eq(finished)))
        .returning(Pass::as_returning())
        .get_result(conn)
        .await?)
}

/// Locks the sync's state until the transaction ends and returns the job in flight: one still
/// queued, running or waiting for a retry.
pub async fn lock_in_flight(conn: &mut AsyncPgConnection) -> Result<Option<JobId>, DbError> {
    let job: Option<JobId> = state::table
        .select(state::job_id)
        .for_update()
        .first::<Option<JobId>>(conn)
        .await
        .optional()?
        .flatten();
    let Some(job) = job else {
        return Ok(None);
    };
    let found: i64 = jobs::table
        .filter(jobs::id.eq(&job))
        .filter(jobs::status.eq_any(JobStatus::PENDING))
        .count()
        .get_result(conn)
        .await?;
    Ok((found == 1).then_some(job))
}

pub async fn set_in_flight(conn: &mut AsyncPgConnection, job: &JobId) -> Result<(), DbError> {
    diesel::update(state::table)
        .set(state::job_id.eq(job))
        .execute(conn)
        .await?;
    Ok(())
}
