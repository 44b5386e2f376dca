use backbeat_domain::ids::{JobId, UserId};

use crate::Context;
use crate::jobs::JobError;

/// The job being run, as its handler sees it.
#[derive(Debug, Clone)]
pub struct JobRun {
    pub id: JobId,
    /// 1 on the first attempt.
    pub attempt: i32,
    pub max_attempts: i32,
    /// Who asked for it, if anyone.
    pub user_id: Option<UserId>,
    pub request_id: Option<String>,
}

impl JobRun {
    pub fn from_row(job: &backbeat_db::jobs::Job) -> Self {
        Self {
            id: job.id.clone(),
            attempt: job.attempts,
            max_attempts: job.max_attempts,
            user_id: job.user_id.clone(),
            request_id: job.request_id.clone(),
        }
    }

    /// No attempt follows this one if it fails.
    pub fn is_last_attempt(&self) -> bool {
        self.attempt >= self.max_attempts
    }

    /// Shown as `progress {done, total}` at `GET /jobs/{id}`.
    pub async fn progress(&self, ctx: &Context, done: i32, total: i32) -> Result<(), JobError> {
        backbeat_db::jobs::set_progress(&mut *ctx.conn().await?, &self.id, done, total).await?;
        Ok(())
    }
}
