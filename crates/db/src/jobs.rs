//! The jobs table: the source of truth for background work.

use backbeat_domain::ids::{JobId, UserId};
use backbeat_domain::jobs::JobStatus;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::DbError;
use crate::schema::{jobs, outbox};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: JobId,
    /// The registry's name of the kind (`playlist_export`).
    pub kind: String,
    pub payload: Value,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub progress_done: i32,
    pub progress_total: i32,
    pub result: Option<Value>,
    pub user_id: Option<UserId>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub struct NewJob<'a> {
    pub id: &'a JobId,
    pub kind: &'a str,
    pub payload: Value,
    pub max_attempts: i32,
    pub user_id: Option<&'a UserId>,
    pub request_id: Option<&'a str>,
}

/// The channel the outbox relays listen on. NOTIFY is delivered at commit, so a relay wakes only
/// once the rows it is told about are visible.
pub const OUTBOX_CHANNEL: &str = "backbeat_outbox";

/// Writes the job and its outbox row, and notifies the relays. Call it inside the transaction of
/// the change that motivates the job, so all of them exist or none does.
pub async fn insert(conn: &mut AsyncPgConnection, job: NewJob<'_>) -> Result<(), DbError> {
    write(conn, job, false).await.map(|_| ())
}

/// Like [`insert`], but a job with this id already there is left alone: `false` then.
pub async fn insert_once(conn: &mut AsyncPgConnection, job: NewJob<'_>) -> Result<bool, DbError> {
    write(conn, job, true).await
}

async fn write(conn: &mut AsyncPgConnection, job: NewJob<'_>, once: bool) -> Result<bool, DbError> {
    let row = (
        jobs::id.eq(job.id),
        jobs::kind.eq(job.kind),
        jobs::payload.eq(&job.payload),
        jobs::status.eq(JobStatus::Queued),
        jobs::max_attempts.eq(job.max_attempts),
        jobs::user_id.eq(job.user_id),
        jobs::request_id.eq(job.request_id),
    );
    let inserted = if once {
        diesel::insert_into(jobs::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?
    } else {
        diesel::insert_into(jobs::table)
            .values(row)
            .execute(conn)
            .await?
    };
    if inserted == 0 {
        return Ok(false);
    }
    diesel::insert_into(outbox::table)
        .values((
            outbox::job_id.eq(job.id),
            outbox::kind.eq(job.kind),
            outbox::request_id.eq(job.request_id),
        ))
        .execute(conn)
        .await?;
    diesel::sql_query(format!("NOTIFY {OUTBOX_CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(true)
}

/// The dead jobs among `ids`, with their last error.
pub async fn dead_among(
    conn: &mut AsyncPgConnection,
    ids: &[JobId],
) -> Result<Vec<(JobId, Option<String>)>, DbError> {
    Ok(jobs::table
        .filter(jobs::id.eq_any(ids))
        .filter(jobs::status.eq(JobStatus::Dead))
        .select((jobs::id, jobs::last_error))
        .load(conn)
        .await?)
}

pub async fn find(conn: &mut AsyncPgConnection, id: &JobId) -> Result<Option<Job>, DbError> {
    Ok(jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// Marks an attempt as started and returns the job, or `None` when it may not start: finished
/// (succeeded or dead), unknown, or `running` while `take_over` is false. A redelivered message
/// takes over a `running` job (its worker died without acknowledging); a fresh duplicate of the
/// message (a relay that published twice) does not, so one job never runs twice at once.
pub async fn start_attempt(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    take_over: bool,
) -> Result<Option<Job>, DbError> {
    let startable: &[JobStatus] = if take_over {
        &[JobStatus::Queued, JobStatus::Failed, JobStatus::Running]
    } else {
        &[JobStatus::Queued, JobStatus::Failed]
    };
    Ok(
        diesel::update(jobs::table.find(id).filter(jobs::status.eq_any(startable)))
            .set((
                jobs::status.eq(JobStatus::Running),
                jobs::attempts.eq(jobs::attempts + 1),
                jobs::started_at.eq(Some(Utc::now())),
                jobs::last_error.eq(None::<String>),
            ))
            .returning(Job::as_returning())
            .get_result(conn)
            .await
            .optional()?,
    )
}

pub async fn succeed(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    result: &Value,
) -> Result<(), DbError> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq(JobStatus::Succeeded),
            jobs::result.eq(Some(result)),
            jobs::finished_at.eq(Some(Utc::now())),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a failed attempt: `dead` when no attempt will follow, else `failed` (a retry is due).
pub async fn fail(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    error: &str,
    dead: bool,
) -> Result<(), DbError> {
    let (status, finished) = if dead {
        (JobStatus::Dead, Some(Utc::now()))
    } else {
        (JobStatus::Failed, None)
    };
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq(status),
            jobs::last_error.eq(Some(error)),
            jobs::finished_at.eq(finished),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_progress(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    done: i32,
    total: i32,
) -> Result<(), DbError> {
    diesel::update(jobs::table.find(id))
        .set((jobs::progress_done.eq(done), jobs::progress_total.eq(total)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Dead jobs, most recent first.
pub async fn dead(conn: &mut AsyncPgConnection, limit: i64) -> Result<Vec<Job>, DbError> {
    Ok(jobs::table
        .filter(jobs::status.eq(JobStatus::Dead))
        .order(jobs::finished_at.desc())
        .limit(limit)
        .select(Job::as_select())
        .load(conn)
        .await?)
}

/// Puts a dead job back in the queue with a fresh set of attempts; `false` when it is not dead.
pub async fn replay(conn: &mut AsyncPgConnection, id: &JobId) -> Result<bool, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let job: Option<(String, Option<String>)> = diesel::update(
            jobs::table
                .find(id)
                .filter(jobs::status.eq(JobStatus::Dead)),
        )
        .set((
            jobs::status.eq(JobStatus::Queued),
            jobs::attempts.eq(0),
            jobs::finished_at.eq(None::<DateTime<Utc>>),
        ))
        .returning((jobs::kind, jobs::request_id))
        .get_result(conn)
        .await
        .optional()?;
        let Some((kind, request_id)) = job else {
            return Ok(false);
        };
        diesel::insert_into(outbox::table)
            .values((
                outbox::job_id.eq(id),
                outbox::kind.eq(kind),
                outbox::request_id.eq(request_id),
            ))
            .execute(conn)
            .await?;
        diesel::sql_query(format!("NOTIFY {OUTBOX_CHANNEL}"))
            .execute(conn)
            .await?;
        Ok(true)
    })
    .await
}
