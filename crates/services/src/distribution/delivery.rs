//! The delivery job: build the release's ERN message for the platform and drop the package, then
//! record the distribution as delivered. A redelivered job rebuilds the same package (same
//! message id and time), which the drop folder recognises as already there: nothing is
//! delivered twice.

use backbeat_db::distributions::{self, Change, Distribution};
use backbeat_db::platforms::{self, Platform};
use backbeat_delivery::{DeliveryError, Outcome};
use backbeat_domain::ddex::{ReleaseMessage, new_release_message};
use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::ids::DistributionId;
use backbeat_domain::readiness::Problem;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::Context;
use crate::distribution::release::{self, Snapshot};
use crate::distribution::send::{Kind, Outgoing, send};
use crate::jobs::{Job, JobError, JobRun};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverDistribution {
    pub distribution_id: DistributionId,
}

/// Why a delivery did not happen.
#[derive(Debug)]
pub enum Failure {
    /// The release is no longer ready (changed since it was checked).
    NotReady(Vec<Problem>),
    Delivery(DeliveryError),
}

impl Failure {
    pub fn message(&self) -> String {
        match self {
            Failure::NotReady(problems) => format!(
                "the release is not ready: {}",
                problems
                    .iter()
                    .map(|p| p.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Failure::Delivery(error) => error.to_string(),
        }
    }

    pub fn is_permanent(&self) -> bool {
        match self {
            Failure::NotReady(_) => true,
            Failure::Delivery(error) => error.is_permanent(),
        }
    }
}

/// Which of a distribution's messages: its delivery, an update (`{id}.{sequence}`, created at
/// the time its record says), or its takedown (deals ending then).
#[derive(Debug, Clone, Copy)]
pub enum Purpose {
    Delivery,
    Update {
        sequence: u32,
        created_at: DateTime<Utc>,
    },
    Takedown(DateTime<Utc>),
}

/// Builds the message and sends it on the platform's profile; the outer error is backbeat's
/// own (its database), the inner one the delivery's.
pub async fn deliver(
    ctx: &Context,
    distribution: &Distribution,
    snapshot: &Snapshot,
    platform: &Platform,
    purpose: Purpose,
    last_attempt: bool,
) -> Result<Result<Outcome, Failure>, JobError> {
    let message = match outgoing(ctx, distribution, snapshot, platform, purpose) {
        Ok(message) => message,
        Err(failure) => return Ok(Err(failure)),
    };
    let mut outcomes = send(ctx, platform, vec![message], None, last_attempt).await?;
    Ok(outcomes
        .pop()
        .unwrap_or(Err(DeliveryError::Rejected("nothing was sent".to_owned())))
        .map_err(Failure::Delivery))
}

/// One message about a distribution, with its package. The same distribution and purpose always
/// give the same message (id, package name and bytes) while the release is unchanged. A test
/// delivery, or anything sent to a platform in onboarding, is a test message.
pub fn outgoing(
    ctx: &Context,
    distribution: &Distribution,
    snapshot: &Snapshot,
    platform: &Platform,
    purpose: Purpose,
) -> Result<Outgoing, Failure> {
    let release = snapshot
        .ern_release(distribution.release_at)
        .map_err(Failure::NotReady)?;
    let (message_id, created_at, kind, deals_end) = match purpose {
        Purpose::Takedown(at) => (
            super::takedown_message_id(&distribution.id),
            at,
            Kind::Takedown,
            Some(at),
        ),
        Purpose::Update {
            sequence,
            created_at,
        } => (
            super::message_id(&distribution.id, sequence),
            created_at,
            Kind::Update,
            None,
        ),
        Purpose::Delivery => (
            distribution
                .message_id
                .clone()
                .unwrap_or_else(|| super::delivery_message_id(&distribution.id)),
            distribution
                .message_created_at
                .unwrap_or(distribution.created_at),
            Kind::New,
            None,
        ),
    };
    let sender = release::sender(ctx);
    let recipient = release::recipient(platform);
    let thread_id = distribution.id.to_string();
    let message = ReleaseMessage {
        message_id: &message_id,
        thread_id: &thread_id,
        created_at,
        sender: &sender,
        recipient: &recipient,
        release: &release,
        deals_end,
        test: distribution.test || platform.onboarding,
    };
    Ok(Outgoing {
        distribution_id: distribution.id.clone(),
        kind,
        package: snapshot.package(&message),
        icpn: release.upc.as_str().to_owned(),
        content_sha256: content_sha256(&message),
        test: message.test,
        created_at,
        message_id,
    })
}

/// What a message says about its release, without its header (ids, time, live or test): two
/// messages with the same checksum need not both be sent.
pub fn content_sha256(message: &ReleaseMessage<'_>) -> String {
    let bare = ReleaseMessage {
        message_id: "",
        thread_id: "",
        created_at: DateTime::<Utc>::UNIX_EPOCH,
        test: false,
        ..*message
    };
    Sha256::digest(new_release_message(&bare))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The distribution, its platform and its release, or why the job has nothing to do.
pub(super) async fn load(
    ctx: &Context,
    id: &DistributionId,
) -> Result<(Distribution, Platform, Snapshot), JobError> {
    let mut conn = ctx.conn().await?;
    let distribution = distributions::find(&mut conn, id)
        .await?
        .ok_or_else(|| JobError::Permanent(format!("distribution {id} no longer exists")))?;
    let platform = platforms::find(&mut conn, &distribution.platform_id)
        .await?
        .ok_or_else(|| JobError::Permanent("its platform no longer exists".to_owned()))?;
    let snapshot = release::load(&mut conn, std::slice::from_ref(&distribution.album_id))
        .await?
        .remove(&distribution.album_id)
        .ok_or_else(|| JobError::Permanent("its release no longer exists".to_owned()))?;
    Ok((distribution, platform, snapshot))
}

/// Records a failure that ends the delivery: the owner may retry it later.
pub(super) async fn fail(ctx: &Context, id: &DistributionId, error: &str) -> Result<(), JobError> {
    distributions::transition(
        &mut *ctx.conn().await?,
        std::slice::from_ref(id),
        &[DistributionStatus::Queued, DistributionStatus::Delivering],
        DistributionStatus::Failed,
        &Change {
            error: Some(Some(error.to_owned())),
            ..Change::default()
        },
        Some(error),
    )
    .await?;
    Ok(())
}

impl Job for DeliverDistribution {
    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let id = &self.distribution_id;
        let note = format!("attempt {} of job {}", job.attempt, job.id);
        let started = distributions::transition(
            &mut *ctx.conn().await?,
            std::slice::from_ref(id),
            &[DistributionStatus::Queued, DistributionStatus::Delivering],
            DistributionStatus::Delivering,
            &Change::default(),
            Some(&note),
        )
        .await?;
        if started.is_empty() {
            // Cancelled, failed for good, or delivered by an earlier run: nothing to do.
            let (distribution, _, _) = load(ctx, id).await?;
            tracing::info!(status = %distribution.status, "distribution not deliverable; skipping");
            return Ok(
                json!({"distributionId": id, "status": distribution.status, "skipped": true}),
            );
        }
        let (distribution, platform, snapshot) = load(ctx, id).await?;
        job.progress(ctx, 0, 1).await?;
        match deliver(
            ctx,
            &distribution,
            &snapshot,
            &platform,
            Purpose::Delivery,
            job.is_last_attempt(),
        )
        .await?
        {
            Ok(outcome) => {
                distributions::transition(
                    &mut *ctx.conn().await?,
                    std::slice::from_ref(id),
                    &[DistributionStatus::Delivering],
                    DistributionStatus::Delivered,
                    &Change {
                        delivered_at: Some(Some(Utc::now())),
                        error: Some(None),
                        ..Change::default()
                    },
                    Some(&format!("to {}", platform.name)),
                )
                .await?;
                job.progress(ctx, 1, 1).await?;
                Ok(json!({
                    "distributionId": id,
                    "platform": platform.code,
                    "messageId": distribution.message_id,
                    "package": format!("{}_{}", snapshot.upc(), distribution.message_id.as_deref().unwrap_or_default()),
                    "alreadyDelivered": outcome == Outcome::AlreadyDelivered,
                }))
            }
            Err(failure) => {
                let message = failure.message();
                if failure.is_permanent() || job.is_last_attempt() {
                    fail(ctx, id, &message).await?;
                    Err(JobError::Permanent(message))
                } else {
                    Err(JobError::Retry(message))
                }
            }
        }
    }
}
