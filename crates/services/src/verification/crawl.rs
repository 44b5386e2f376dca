//! The crawl job: fetch the profile page under the crawler's rules and look for the code.

use backbeat_crawler::FetchError;
use backbeat_db::verifications;
use backbeat_domain::ids::VerificationId;
use backbeat_domain::verification::{VerificationStatus, page_shows};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Context;
use crate::jobs::{Job, JobError, JobRun};

#[derive(Debug, Serialize, Deserialize)]
pub struct CheckProfile {
    pub verification_id: VerificationId,
}

impl Job for CheckProfile {
    /// A page that times out or answers 5xx is tried again with back-off before the check fails.
    const MAX_ATTEMPTS: Option<u32> = Some(4);

    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let id = &self.verification_id;
        let Some((verification, _)) = verifications::find(&mut *ctx.conn().await?, id).await?
        else {
            return Ok(json!({"skipped": "the verification no longer exists"}));
        };
        if verification.status != VerificationStatus::Checking {
            return Ok(json!({"skipped": format!("the verification is {}", verification.status)}));
        }
        let (status, reason) = match ctx.crawler.fetch(&verification.profile_url).await {
            Ok(page) if page_shows(&page.text, &verification.code) => {
                (VerificationStatus::PendingReview, None)
            }
            Ok(page) => (
                VerificationStatus::Failed,
                Some(format!(
                    "the code {} was not found on {}",
                    verification.code, page.url
                )),
            ),
            Err(error) if error.is_transient() && !job.is_last_attempt() => {
                return Err(JobError::Retry(error.to_string()));
            }
            Err(error) => (VerificationStatus::Failed, Some(reason(&error))),
        };
        let recorded =
            verifications::finish_check(&mut *ctx.conn().await?, id, status, reason.as_deref())
                .await?;
        tracing::info!(verification_id = %id, %status, reason = reason.as_deref().unwrap_or(""), "profile checked");
        Ok(json!({"status": status, "reason": reason, "recorded": recorded}))
    }
}

fn reason(error: &FetchError) -> String {
    if error.is_transient() {
        format!("{error} (after several attempts)")
    } else {
        error.to_string()
    }
}
