//! The jobs table: the source of truth for background work.

use std::time::Duration;

use backbeat_domain::ids::{JobId, UserId};
use backbeat_domain::jobs::JobStatus;
use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
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
    /// While `retrying`: when the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// While `running`: when its worker last said it is at work.
    pub heartbeat_at: Option<DateTime<Utc>>,
    /// The W3C traceparent of the request that started it.
    pub trace_parent: Option<String>,
}

pub struct NewJob<'a> {
    pub id: &'a JobId,
    pub kind: &'a str,
    pub payload: Value,
    pub max_attempts: i32,
    pub user_id: Option<&'a UserId>,
    pub request_id: Option<&'a str>,
    pub trace_parent: Option<&'a str>,
}

/// What a job's new outbox row copies from it: kind, request id, traceparent.
type Requeued = (String, Option<String>, Option<String>);

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
        jobs::trace_parent.eq(job.trace_parent),
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
            outbox::trace_parent.eq(job.trace_parent),
        ))
        .execute(conn)
        .await?;
    notify_relays(conn).await?;
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

/// PostgreSQL's clock, which every decision about due times and leases reads: the relays, the
/// consumers and the sweeper may run on machines whose clocks disagree.
fn db_now() -> diesel::expression::SqlLiteral<Timestamptz> {
    sql::<Timestamptz>("now()")
}

/// `now() + delay`, on PostgreSQL's clock.
fn db_now_plus(delay: Duration) -> diesel::expression::SqlLiteral<Timestamptz> {
    let ms = i64::try_from(delay.as_millis()).unwrap_or(i64::MAX);
    sql::<Timestamptz>(&format!("now() + interval '{ms} milliseconds'"))
}

/// Why a message's job could not start.
#[derive(Debug)]
pub enum Unstartable {
    /// Succeeded or dead already: a redelivered or duplicated message.
    Finished(JobStatus),
    /// Another worker's attempt is alive (its heartbeat is within the lease).
    RunningElsewhere,
    /// A retry that is not due yet: an early copy of its message (the outbox row publishes it
    /// when it is due).
    NotDue(DateTime<Utc>),
    /// Its worker stopped during its last attempt: the job is now dead.
    GaveUp,
    /// No such job.
    Unknown,
}

/// Starts an attempt if the job may start now, returning the row as it now is. A `running` job
/// is taken over only when its heartbeat is older than `lease` (its worker is gone, or cut off
/// from the database); a message for an attempt that is alive does not start it, so one job never
/// runs twice at once.
pub async fn start_attempt(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    lease: Duration,
) -> Result<Result<Job, Unstartable>, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let row: Option<(Job, DateTime<Utc>)> = jobs::table
            .find(id)
            .select((Job::as_select(), db_now()))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((job, now)) = row else {
            return Ok(Err(Unstartable::Unknown));
        };
        match job.status {
            JobStatus::Succeeded | JobStatus::Dead => {
                return Ok(Err(Unstartable::Finished(job.status)));
            }
            JobStatus::Queued => {}
            JobStatus::Retrying => {
                if let Some(due) = job.next_attempt_at.filter(|due| *due > now) {
                    return Ok(Err(Unstartable::NotDue(due)));
                }
            }
            JobStatus::Running => {
                let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
                let alive = job
                    .heartbeat_at
                    .or(job.started_at)
                    .is_some_and(|beat| beat > now - lease);
                if alive {
                    return Ok(Err(Unstartable::RunningElsewhere));
                }
                if job.attempts >= job.max_attempts {
                    bury(
                        conn,
                        id,
                        job.attempts,
                        &format!(
                            "gave up after {} attempts: the worker running the last one stopped",
                            job.attempts
                        ),
                    )
                    .await?;
                    return Ok(Err(Unstartable::GaveUp));
                }
            }
        }
        let job = diesel::update(jobs::table.find(id))
            .set((
                jobs::status.eq(JobStatus::Running),
                jobs::attempts.eq(jobs::attempts + 1),
                jobs::started_at.eq(db_now().nullable()),
                jobs::heartbeat_at.eq(db_now().nullable()),
                jobs::next_attempt_at.eq(None::<DateTime<Utc>>),
                jobs::last_error.eq(None::<String>),
            ))
            .returning(Job::as_returning())
            .get_result(conn)
            .await?;
        Ok(Ok(job))
    })
    .await
}

/// A job's running attempt, as [`this_attempt`] selects it.
type ThisAttempt<'a> = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Find<jobs::table, &'a JobId>,
        diesel::dsl::Eq<jobs::attempts, i32>,
    >,
    diesel::dsl::Eq<jobs::status, JobStatus>,
>;

/// The running attempt `attempt` of the job, and only that one: a worker whose attempt was taken
/// over (it looked dead) changes nothing when it comes back.
fn this_attempt(id: &JobId, attempt: i32) -> ThisAttempt<'_> {
    jobs::table
        .find(id)
        .filter(jobs::attempts.eq(attempt))
        .filter(jobs::status.eq(JobStatus::Running))
}

/// The running attempt is alive; `false` when it is no longer the job's current attempt.
pub async fn heartbeat(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    attempt: i32,
) -> Result<bool, DbError> {
    let updated = diesel::update(this_attempt(id, attempt))
        .set(jobs::heartbeat_at.eq(db_now().nullable()))
        .execute(conn)
        .await?;
    Ok(updated == 1)
}

/// Records attempt `attempt`'s success; `false` when that attempt had been superseded.
pub async fn succeed(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    attempt: i32,
    result: &Value,
) -> Result<bool, DbError> {
    let updated = diesel::update(this_attempt(id, attempt))
        .set((
            jobs::status.eq(JobStatus::Succeeded),
            jobs::result.eq(Some(result)),
            jobs::finished_at.eq(db_now().nullable()),
            jobs::heartbeat_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    Ok(updated == 1)
}

/// Records attempt `attempt`'s temporary failure: the job is `retrying` until `delay` from now,
/// and an outbox row the relays publish only then brings it back. Both in one transaction, so a
/// retry is never recorded without the message that runs it. `None` when the attempt had been
/// superseded; else when the next attempt is due.
pub async fn retry_later(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    attempt: i32,
    error: &str,
    delay: Duration,
) -> Result<Option<DateTime<Utc>>, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let scheduled: Option<(DateTime<Utc>, Requeued)> =
            diesel::update(this_attempt(id, attempt))
                .set((
                    jobs::status.eq(JobStatus::Retrying),
                    jobs::last_error.eq(Some(error)),
                    jobs::next_attempt_at.eq(db_now_plus(delay).nullable()),
                    jobs::heartbeat_at.eq(None::<DateTime<Utc>>),
                ))
                .returning((
                    jobs::next_attempt_at.assume_not_null(),
                    (jobs::kind, jobs::request_id, jobs::trace_parent),
                ))
                .get_result(conn)
                .await
                .optional()?;
        let Some((due, (kind, request_id, trace_parent))) = scheduled else {
            return Ok(None);
        };
        diesel::insert_into(outbox::table)
            .values((
                outbox::job_id.eq(id),
                outbox::kind.eq(kind),
                outbox::request_id.eq(request_id),
                outbox::trace_parent.eq(trace_parent),
                outbox::available_at.eq(due),
            ))
            .execute(conn)
            .await?;
        notify_relays(conn).await?;
        Ok(Some(due))
    })
    .await
}

/// Records attempt `attempt`'s last failure: `dead`, kept for an operator. `false` when the
/// attempt had been superseded.
pub async fn bury(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    attempt: i32,
    error: &str,
) -> Result<bool, DbError> {
    let updated = diesel::update(this_attempt(id, attempt))
        .set((
            jobs::status.eq(JobStatus::Dead),
            jobs::last_error.eq(Some(error)),
            jobs::finished_at.eq(db_now().nullable()),
            jobs::heartbeat_at.eq(None::<DateTime<Utc>>),
        ))
        .execute(conn)
        .await?;
    Ok(updated == 1)
}

/// Wakes every relay once the transaction commits (PostgreSQL delivers NOTIFY then).
async fn notify_relays(conn: &mut AsyncPgConnection) -> Result<(), DbError> {
    diesel::sql_query(format!("NOTIFY {OUTBOX_CHANNEL}"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Hands attempt `attempt` back (its worker stops before it ends): `queued` again, with a
/// message, so another worker takes it at once. `false` when the attempt had been superseded.
pub async fn release(
    conn: &mut AsyncPgConnection,
    id: &JobId,
    attempt: i32,
) -> Result<bool, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        let released: Option<Requeued> = diesel::update(this_attempt(id, attempt))
            .set((
                jobs::status.eq(JobStatus::Queued),
                jobs::heartbeat_at.eq(None::<DateTime<Utc>>),
            ))
            .returning((jobs::kind, jobs::request_id, jobs::trace_parent))
            .get_result(conn)
            .await
            .optional()?;
        let Some((kind, request_id, trace_parent)) = released else {
            return Ok(false);
        };
        diesel::insert_into(outbox::table)
            .values((
                outbox::job_id.eq(id),
                outbox::kind.eq(kind),
                outbox::request_id.eq(request_id),
                outbox::trace_parent.eq(trace_parent),
            ))
            .execute(conn)
            .await?;
        notify_relays(conn).await?;
        Ok(true)
    })
    .await
}

/// A job brought back by [`recover_stalled`].
#[derive(Debug, Clone, QueryableByName)]
pub struct Recovered {
    #[diesel(sql_type = Text)]
    pub id: JobId,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub status: JobStatus,
}

/// Gives a new message to every job of `kinds` whose state says work is pending but which no
/// message can be bringing back: queued, or retrying past its due time, or running with a
/// heartbeat older than `lease`; with no unsent outbox row and none sent within `grace` (within
/// `lease` for a running one: its stale heartbeat already says its worker is gone). The
/// caller names only kinds whose queue holds no message (a backlog is not a loss). A duplicate
/// this makes is absorbed by [`start_attempt`].
pub async fn recover_stalled(
    conn: &mut AsyncPgConnection,
    kinds: &[&str],
    grace: Duration,
    lease: Duration,
) -> Result<Vec<Recovered>, DbError> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    let recovered: Vec<Recovered> = diesel::sql_query(
        "WITH stalled AS ( \
             SELECT j.id, j.kind, j.request_id, j.trace_parent, j.status FROM jobs j \
             WHERE j.status IN ('queued', 'running', 'retrying', 'failed') \
               AND j.kind = ANY($1) \
               AND CASE j.status \
                     WHEN 'queued' THEN j.created_at < now() - $2 * interval '1 millisecond' \
                     WHEN 'running' THEN coalesce(j.heartbeat_at, j.started_at, j.created_at) \
                                         < now() - $3 * interval '1 millisecond' \
                     ELSE coalesce(j.next_attempt_at, j.updated_at) \
                          < now() - $2 * interval '1 millisecond' \
                   END \
               AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.job_id = j.id \
                     AND (o.sent_at IS NULL OR o.sent_at > now() - \
                          (CASE j.status WHEN 'running' THEN $3 ELSE $2 END) \
                          * interval '1 millisecond')) \
             FOR UPDATE OF j SKIP LOCKED \
         ), queued AS ( \
             INSERT INTO outbox (job_id, kind, request_id, trace_parent) \
             SELECT id, kind, request_id, trace_parent FROM stalled \
         ) \
         SELECT id, kind, status FROM stalled ORDER BY id",
    )
    .bind::<Array<Text>, _>(kinds)
    .bind::<BigInt, _>(ms(grace))
    .bind::<BigInt, _>(ms(lease))
    .load(conn)
    .await?;
    if !recovered.is_empty() {
        notify_relays(conn).await?;
    }
    Ok(recovered)
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
        let job: Option<Requeued> = diesel::update(
            jobs::table
                .find(id)
                .filter(jobs::status.eq(JobStatus::Dead)),
        )
        .set((
            jobs::status.eq(JobStatus::Queued),
            jobs::attempts.eq(0),
            jobs::finished_at.eq(None::<DateTime<Utc>>),
        ))
        .returning((jobs::kind, jobs::request_id, jobs::trace_parent))
        .get_result(conn)
        .await
        .optional()?;
        let Some((kind, request_id, trace_parent)) = job else {
            return Ok(false);
        };
        diesel::insert_into(outbox::table)
            .values((
                outbox::job_id.eq(id),
                outbox::kind.eq(kind),
                outbox::request_id.eq(request_id),
                outbox::trace_parent.eq(trace_parent),
            ))
            .execute(conn)
            .await?;
        notify_relays(conn).await?;
        Ok(true)
    })
    .await
}
