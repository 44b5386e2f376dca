//! The scheduler's tick for scheduled distributions: those whose release time has come are
//! queued with their delivery job, in the tick's transaction.

use backbeat_db::AsyncPgConnection;
use backbeat_db::distributions::{self, Change};
use backbeat_domain::distribution::DistributionStatus;
use chrono::Utc;

use crate::distribution::DeliverDistribution;
use crate::jobs::{self, Origin};
use crate::{Context, Result};

/// At most this many a tick; the next tick takes the rest.
const BATCH: i64 = 500;

pub async fn queue_due(ctx: &Context, conn: &mut AsyncPgConnection) -> Result<String> {
    let now = Utc::now();
    let due = distributions::claim_due(conn, now, BATCH).await?;
    for distribution in &due {
        let job = jobs::enqueue(
            ctx,
            conn,
            &DeliverDistribution {
                distribution_id: distribution.id.clone(),
            },
            Origin {
                user: distribution.owner_id.as_ref(),
                request_id: None,
            },
        )
        .await?;
        distributions::transition(
            conn,
            std::slice::from_ref(&distribution.id),
            &[DistributionStatus::Scheduled],
            DistributionStatus::Queued,
            &Change {
                job_id: Some(Some(job)),
                message_created_at: Some(Some(now)),
                ..Change::default()
            },
            Some("release time reached"),
        )
        .await?;
    }
    Ok(format!("{} scheduled distributions queued", due.len()))
}
