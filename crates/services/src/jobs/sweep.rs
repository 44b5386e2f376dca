//! The sweeper: a scheduler task that finds jobs whose state says work is pending but which no
//! message can bring back, and queues them again. A message can be lost in ways no single step
//! sees: the broker restarted without its data, a queue was purged or deleted, a publish came back
//! unroutable after the outbox row was marked sent, the worker running a job died with the broker.
//! The jobs table is the source of truth, so it decides.
//!
//! A kind is swept only while its work queue holds no message: a backlog is work waiting its
//! turn, not a loss, and re-publishing it would only grow the queue. A job re-queued needlessly
//! (its message was in a consumer's hands just then) is a duplicate that the consumer's
//! job-state check absorbs.

use std::time::Duration;

use backbeat_db::AsyncPgConnection;
use backbeat_db::jobs::{self, Recovered};

use crate::jobs::JobKind;
use crate::{Context, Result};

/// One pass; its outcome is for the scheduler's log.
pub async fn recover_stalled(ctx: &Context, conn: &mut AsyncPgConnection) -> Result<String> {
    let settings = &ctx.settings.jobs;
    let idle = match idle_kinds(ctx).await {
        Ok(idle) => idle,
        // Nothing can be published meanwhile: the outbox keeps what is pending.
        Err(error) => return Ok(format!("broker unreachable ({error}); nothing swept")),
    };
    let recovered = jobs::recover_stalled(
        conn,
        &idle,
        Duration::from_secs(settings.stalled_after_secs.max(1)),
        super::lease(settings),
    )
    .await?;
    for Recovered { id, kind, status } in &recovered {
        tracing::warn!(job_id = %id, %kind, %status, "no message could bring this job back; queued again");
    }
    Ok(format!("{} stalled jobs queued again", recovered.len()))
}

/// The kinds whose work queue holds no message right now.
async fn idle_kinds(
    ctx: &Context,
) -> std::result::Result<Vec<&'static str>, backbeat_queue::QueueError> {
    let topology = super::topology(&ctx.settings);
    let connection = ctx.broker.connection().await?;
    let mut idle = Vec::new();
    for kind in JobKind::ALL {
        if topology.waiting(&connection, kind.as_str()).await? == Some(0) {
            idle.push(kind.as_str());
        }
    }
    Ok(idle)
}
