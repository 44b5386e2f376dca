//! The jobs table: the source of truth for background work.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value;

use crate::DbError;
use crate::schema::{jobs, outbox};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub progress_done: i32,
    pub progress_total: i32,
    pub result: Option<Value>,
    pub user_id: Option<String>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub struct NewJob<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub payload: Value,
    pub max_attempts: i32,
    pub user_id: Option<&'a str>,
    pub request_id: Option<&'a str>,
}

/// Writes the job and its outbox row. Call it inside the transaction of the change that
/// motivates the job, so both exist or neither does.
pub async fn enqueue(conn: &mut AsyncPgConnection, job: NewJob<'_>) -> Result<(), DbError> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::id.eq(job.id),
            jobs::kind.eq(job.kind),
            jobs::payload.eq(&job.payload),
            jobs::max_attempts.eq(job.max_attempts),
            jobs::user_id.eq(job.user_id),
            jobs::request_id.eq(job.request_id),
        ))
        .execute(conn)
        .await?;
    diesel::insert_into(outbox::table)
        .values((
            outbox::job_id.eq(job.id),
            outbox::kind.eq(job.kind),
            outbox::request_id.eq(job.request_id),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &str) -> Result<Option<Job>, DbError> {
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
    id: &str,
    take_over: bool,
) -> Result<Option<Job>, DbError> {
    let startable: &[&str] = if take_over {
        &["queued", "failed", "running"]
    } else {
        &["queued", "failed"]
    };
    Ok(
        diesel::update(jobs::table.find(id).filter(jobs::status.eq_any(startable)))
            .set((
                jobs::status.eq("running"),
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
    id: &str,
    result: &Value,
) -> Result<(), DbError> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq("succeeded"),
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
    id: &str,
    error: &str,
    dead: bool,
) -> Result<(), DbError> {
    let finished = dead.then(Utc::now);
    diesel::update(jobs::table.find(id))
        .set((
            jobs::status.eq(if dead { "dead" } else { "failed" }),
            jobs::last_error.eq(Some(error)),
            jobs::finished_at.eq(finished),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_progress(
    conn: &mut AsyncPgConnection,
    id: &str,
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
        .filter(jobs::status.eq("dead"))
        .order(jobs::finished_at.desc())
        .limit(limit)
        .select(Job::as_select())
        .load(conn)
        .await?)
}

/// Puts a dead job back in the queue with a fresh set of attempts; `false` when it is not dead.
pub async fn replay(conn: &mut AsyncPgConnection, id: &str) -> Result<bool, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let job: Option<(String, Option<String>)> =
            diesel::update(jobs::table.find(id).filter(jobs::status.eq("dead")))
                .set((
                    jobs::status.eq("queued"),
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
        Ok(true)
    })
    .await
}
