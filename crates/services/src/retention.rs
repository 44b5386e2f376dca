//! Retention: sent outbox rows, succeeded and dead jobs (with their items), and the record of
//! sent emails are deleted once older than their configured age, by a job the scheduler queues.
//! The job deletes a batch per statement, so it never holds the hot tables for long, and it can
//! be killed and rerun at any point.

use std::time::Duration;

use backbeat_db::AsyncPgConnection;
use backbeat_db::retention::{self, Purgeable};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jobs::{self, Job, JobError, JobRun, Origin};
use crate::{Context, Result};

#[derive(Debug, Serialize, Deserialize)]
pub struct PurgeExpired {}

impl Job for PurgeExpired {
    const MAX_ATTEMPTS: Option<u32> = Some(3);
    const CONCURRENCY: Option<u16> = Some(1);

    async fn run(self, ctx: &Context, _job: &JobRun) -> Result<Value, JobError> {
        let settings = &ctx.settings.retention;
        let hours = |h: u64| Duration::from_secs(h * 3600);
        let batch = settings.batch_rows.max(1);
        let mut deleted = Map::new();
        let mut conn = ctx.conn().await?;
        for what in Purgeable::ALL {
            let age = match what {
                Purgeable::SentOutbox => hours(settings.sent_outbox_hours),
                Purgeable::SucceededJobs => hours(settings.succeeded_jobs_days * 24),
                Purgeable::DeadJobs => hours(settings.dead_jobs_days * 24),
                Purgeable::SentEmails => hours(settings.sent_emails_days * 24),
            };
            let mut total = 0usize;
            loop {
                let n = retention::purge_batch(&mut conn, what, age, batch).await?;
                total += n;
                if (n as i64) < batch {
                    break;
                }
            }
            deleted.insert(what.name().to_owned(), total.into());
        }
        let deleted = Value::Object(deleted);
        tracing::info!(%deleted, "retention done");
        Ok(serde_json::json!({ "deleted": deleted }))
    }
}

/// The scheduler's tick: queues one retention job.
pub async fn queue(ctx: &Context, conn: &mut AsyncPgConnection) -> Result<String> {
    let id = jobs::enqueue(ctx, conn, &PurgeExpired {}, Origin::default()).await?;
    Ok(format!("retention job {id} queued"))
}
