//! The takedown job: send the platform the release's message with every deal ending at the time
//! the takedown was asked for, then record the distribution as taken down.

use backbeat_db::distributions::{self, Change};
use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::ids::DistributionId;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Context;
use crate::distribution::delivery::{Purpose, deliver, load};
use crate::jobs::{Job, JobError, JobRun};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakeDown {
    pub distribution_id: DistributionId,
}

impl Job for TakeDown {
    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let id = &self.distribution_id;
        let (distribution, platform, snapshot) = load(ctx, id).await?;
        let Some(takedown_at) = distribution.takedown_at else {
            return Err(JobError::Permanent("no takedown was asked for".to_owned()));
        };
        if distribution.status == DistributionStatus::TakenDown {
            return Ok(
                json!({"distributionId": id, "status": distribution.status, "skipped": true}),
            );
        }
        if distribution.status != DistributionStatus::Delivered {
            return Err(JobError::Permanent(format!(
                "a {} distribution cannot be taken down",
                distribution.status
            )));
        }
        let outcome = deliver(
            ctx,
            &distribution,
            &snapshot,
            &platform,
            Purpose::Takedown(takedown_at),
            job.is_last_attempt(),
        )
        .await?
        .map_err(|failure| {
            if failure.is_permanent() || job.is_last_attempt() {
                JobError::Permanent(failure.message())
            } else {
                JobError::Retry(failure.message())
            }
        })?;
        distributions::transition(
            &mut *ctx.conn().await?,
            std::slice::from_ref(id),
            &[DistributionStatus::Delivered],
            DistributionStatus::TakenDown,
            &Change {
                taken_down_at: Some(Some(Utc::now())),
                ..Change::default()
            },
            Some(&format!("deals ended at {}", platform.name)),
        )
        .await?;
        Ok(json!({
            "distributionId": id,
            "platform": platform.code,
            "messageId": super::takedown_message_id(id),
            "alreadyDelivered": outcome == backbeat_delivery::Outcome::AlreadyDelivered,
        }))
    }
}
