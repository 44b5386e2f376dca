//! Periodic tasks, fired by the workers' scheduler: at most one worker runs a tick, and a tick
//! that fell due while every worker was down runs at the next start (see
//! `backbeat_worker::scheduler`). A tick runs inside the transaction that records it, so what it
//! writes (rows, enqueued jobs) commits together with the record: it never fires twice. Slow work
//! belongs in a job the tick enqueues.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use backbeat_config::Settings;
use backbeat_db::{AsyncPgConnection, refresh_tokens};

use crate::{Context, Result};

/// A tick's outcome: what it did, for the log.
pub type TickFuture<'a> = Pin<Box<dyn Future<Output = Result<String>> + Send + 'a>>;

pub struct Periodic {
    /// Unique; names the task's row in `schedules` and its lock.
    pub name: &'static str,
    pub every: Duration,
    pub tick: for<'a> fn(&'a Context, &'a mut AsyncPgConnection) -> TickFuture<'a>,
}

/// Every periodic task, with its period from the configuration.
pub fn periodic(settings: &Settings) -> Vec<Periodic> {
    vec![
        Periodic {
            name: "purge_expired_refresh_tokens",
            every: Duration::from_secs(settings.scheduler.refresh_token_purge_secs),
            tick: purge_expired_refresh_tokens,
        },
        Periodic {
            name: "rebuild_access_mirror",
            every: Duration::from_secs(settings.scheduler.access_mirror_secs),
            tick: rebuild_access_mirror,
        },
        Periodic {
            name: "queue_retention",
            every: Duration::from_secs(settings.scheduler.retention_secs),
            tick: queue_retention,
        },
        Periodic {
            name: "queue_due_distributions",
            every: Duration::from_secs(settings.scheduler.due_distributions_secs),
            tick: queue_due_distributions,
        },
        Periodic {
            name: "collect_acknowledgements",
            every: Duration::from_secs(settings.scheduler.acknowledgements_secs),
            tick: collect_acknowledgements,
        },
        Periodic {
            name: "expire_verification_codes",
            every: Duration::from_secs(settings.scheduler.verification_expiry_secs),
            tick: expire_verification_codes,
        },
        Periodic {
            name: "sync_videos",
            every: Duration::from_secs(settings.scheduler.video_sync_secs),
            tick: sync_videos,
        },
        Periodic {
            name: "recover_stalled_jobs",
            every: Duration::from_secs(settings.scheduler.stalled_jobs_secs),
            tick: recover_stalled_jobs,
        },
    ]
}

/// Pending jobs that no message will bring back are queued again.
fn recover_stalled_jobs<'a>(ctx: &'a Context, conn: &'a mut AsyncPgConnection) -> TickFuture<'a> {
    Box::pin(crate::jobs::sweep::recover_stalled(ctx, conn))
}

/// The video catalog is synced from Wistia by a job (idle without a token).
fn sync_videos<'a>(ctx: &'a Context, conn: &'a mut AsyncPgConnection) -> TickFuture<'a> {
    Box::pin(crate::videos::sync::queue_scheduled(ctx, conn))
}

/// Scheduled distributions whose release time has come get their delivery job.
fn queue_due_distributions<'a>(
    ctx: &'a Context,
    conn: &'a mut AsyncPgConnection,
) -> TickFuture<'a> {
    Box::pin(crate::distribution::due::queue_due(ctx, conn))
}

/// The platforms' acknowledgements are read by a job (their servers can be slow).
fn collect_acknowledgements<'a>(
    ctx: &'a Context,
    conn: &'a mut AsyncPgConnection,
) -> TickFuture<'a> {
    Box::pin(crate::distribution::acknowledgements::queue_collection(
        ctx, conn,
    ))
}

/// Verification codes past their validity become `expired`.
fn expire_verification_codes<'a>(
    _ctx: &'a Context,
    conn: &'a mut AsyncPgConnection,
) -> TickFuture<'a> {
    Box::pin(crate::verification::expire(conn))
}

/// Old finished work is deleted by a job (in batches, outside the tick's transaction).
fn queue_retention<'a>(ctx: &'a Context, conn: &'a mut AsyncPgConnection) -> TickFuture<'a> {
    Box::pin(crate::retention::queue(ctx, conn))
}

/// Suspended accounts and revoked keys, written again to Redis in case it lost them.
fn rebuild_access_mirror<'a>(ctx: &'a Context, _conn: &'a mut AsyncPgConnection) -> TickFuture<'a> {
    Box::pin(crate::access::rebuild_mirror(ctx))
}

/// Logged-out tokens are deleted at once; expired ones only here.
fn purge_expired_refresh_tokens<'a>(
    _ctx: &'a Context,
    conn: &'a mut AsyncPgConnection,
) -> TickFuture<'a> {
    Box::pin(async move {
        let purged = refresh_tokens::purge_expired(conn).await?;
        Ok(format!("{purged} expired refresh tokens purged"))
    })
}
