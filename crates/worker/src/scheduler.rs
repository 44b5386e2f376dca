//! Fires the services' periodic tasks. Every worker runs this loop; a task's tick runs in a
//! transaction holding that task's advisory lock, and only when its `next_due_at` has passed, and
//! the transaction moves `next_due_at` on: whatever the number of workers, one tick fires once.
//! The state lives in PostgreSQL, so a tick that fell due while every worker was down fires at
//! the next start.

use std::sync::Arc;
use std::time::Duration;

use backbeat_db::schedules;
use backbeat_services::schedules::{Periodic, periodic};
use backbeat_services::{Context, Error};
use chrono::Utc;
use diesel_async::AsyncConnection;
use tokio::sync::watch;

/// Looks for due tasks every `scheduler.poll_interval_ms` until `stop` turns true.
pub async fn run(ctx: Arc<Context>, worker: String, mut stop: watch::Receiver<bool>) {
    let tasks = periodic(&ctx.settings);
    let poll = Duration::from_millis(ctx.settings.scheduler.poll_interval_ms);
    tracing::info!(
        tasks = tasks.len(),
        poll_ms = poll.as_millis() as u64,
        "scheduler started"
    );
    loop {
        for task in &tasks {
            match fire(&ctx, task, &worker).await {
                Ok(Some(outcome)) => {
                    tracing::info!(task = task.name, %outcome, "scheduled task ran")
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(task = task.name, %error, "scheduled task failed; it stays due")
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(poll) => {}
            _ = stop.changed() => break,
        }
    }
}

/// Runs the task's tick if it is due and no other worker holds it; `None` when it did not run.
/// A failed tick rolls back with its record, so it stays due and is retried at the next poll.
async fn fire(ctx: &Context, task: &Periodic, worker: &str) -> Result<Option<String>, Error> {
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, Error, _>(async |conn| {
        if !schedules::try_lock(conn, task.name).await? {
            return Ok(None);
        }
        let schedule = schedules::get_or_create(conn, task.name).await?;
        if schedule.next_due_at > Utc::now() {
            return Ok(None);
        }
        let outcome = (task.tick)(ctx, conn).await?;
        // From now, not from when it was due: after an outage the task fires once, not once per
        // missed period.
        schedules::record_run(conn, task.name, worker, Utc::now() + task.every).await?;
        Ok(Some(outcome))
    })
    .await
}
