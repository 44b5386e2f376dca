//! Job handlers: plain async functions of (context, job) testable without a broker. One module
//! per job kind, named after it.

pub mod playlist_export;

use backbeat_db::jobs::Job;
use backbeat_domain::jobs::JobKind;
use serde_json::Value;

use crate::{JobContext, JobError};

/// Runs the job's handler and returns its result.
pub async fn run(ctx: &JobContext, job: &Job) -> Result<Value, JobError> {
    let kind = JobKind::parse(&job.kind)
        .ok_or_else(|| JobError::Permanent(format!("unknown job kind `{}`", job.kind)))?;
    match kind {
        JobKind::PlaylistExport => playlist_export::run(ctx, &job.id, payload(job)?).await,
    }
}

fn payload<T: serde::de::DeserializeOwned>(job: &Job) -> Result<T, JobError> {
    serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Permanent(format!("bad payload: {e}")))
}
