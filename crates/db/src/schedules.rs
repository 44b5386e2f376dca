//! When each periodic task last fired and when it is next due (see the worker's scheduler).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::schedules;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = schedules)]
pub struct Schedule {
    pub name: String,
    pub next_due_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
    pub last_run_by: Option<String>,
    pub runs: i64,
}

/// Takes the task's transaction-scoped advisory lock without waiting: `false` when another
/// worker holds it. Call inside a transaction; the lock goes with it.
pub async fn try_lock(conn: &mut AsyncPgConnection, name: &str) -> Result<bool, DbError> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    let row: Locked = diesel::sql_query(
        "SELECT pg_try_advisory_xact_lock(hashtextextended('backbeat.schedule.' || $1, 0)) AS locked",
    )
    .bind::<diesel::sql_types::Text, _>(name)
    .get_result(conn)
    .await?;
    Ok(row.locked)
}

/// The task's row, created due now when it has never run.
pub async fn get_or_create(conn: &mut AsyncPgConnection, name: &str) -> Result<Schedule, DbError> {
    diesel::insert_into(schedules::table)
        .values((
            schedules::name.eq(name),
            schedules::next_due_at.eq(Utc::now()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(schedules::table
        .find(name)
        .select(Schedule::as_select())
        .first(conn)
        .await?)
}

/// Records a run by `worker` and when the next one is due.
pub async fn record_run(
    conn: &mut AsyncPgConnection,
    name: &str,
    worker: &str,
    next_due_at: DateTime<Utc>,
) -> Result<(), DbError> {
    diesel::update(schedules::table.find(name))
        .set((
            schedules::last_run_at.eq(Some(Utc::now())),
            schedules::last_run_by.eq(Some(worker)),
            schedules::next_due_at.eq(next_due_at),
            schedules::runs.eq(schedules::runs + 1),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, name: &str) -> Result<Option<Schedule>, DbError> {
    Ok(schedules::table
        .find(name)
        .select(Schedule::as_select())
        .first(conn)
        .await
        .optional()?)
}
