//! A background job as its owner sees it.

use backbeat_db::jobs::Job;
use backbeat_domain::jobs::JobStatus;
use backbeat_services::jobs::JobKind;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema};
use utoipa::{PartialSchema, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub done: i32,
    pub total: i32,
}

/// A job kind's name, documented with every registered kind.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct KindName(pub String);

impl PartialSchema for KindName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(schema::SchemaType::Type(Type::String))
            .enum_values(Some(JobKind::ALL.iter().map(|kind| kind.as_str())))
            .description(Some("What the job does: one of the registered job kinds."))
            .into()
    }
}

impl ToSchema for KindName {}

/// A job's status, documented with every status and what it means.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct StatusName(pub JobStatus);

impl PartialSchema for StatusName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(schema::SchemaType::Type(Type::String))
            .enum_values(Some(JobStatus::ALL.iter().map(|status| status.as_str())))
            .description(Some(
                "`queued` (waiting for a worker), `running`, `retrying` (an attempt failed; the \
                 next one is due at `nextAttemptAt`), `succeeded`, or `dead` (a permanent failure, \
                 or no attempt left: final until an operator replays it).",
            ))
            .into()
    }
}

impl ToSchema for StatusName {}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: String,
    pub kind: KindName,
    #[schema(example = "succeeded")]
    pub status: StatusName,
    /// Attempts started so far (a retry, or a worker taking over after another stopped, is one
    /// more).
    pub attempts: i32,
    /// Attempts allowed before the job is `dead`.
    pub max_attempts: i32,
    /// While `retrying`: when the next attempt is due.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub progress: Progress,
    pub result: Option<serde_json::Value>,
    /// The last attempt's error, if it failed (while `retrying`, the failure being retried).
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        Self {
            id: job.id.into_inner(),
            kind: KindName(job.kind),
            status: StatusName(job.status),
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            next_attempt_at: job
                .next_attempt_at
                .filter(|_| job.status == JobStatus::Retrying),
            progress: Progress {
                done: job.progress_done,
                total: job.progress_total,
            },
            result: job.result,
            error: job.last_error,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobData {
    pub job: JobView,
}

/// Background work started: the job to follow at `GET /jobs/{id}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobAccepted {
    #[schema(example = "job-Qbax5Oy7L8WKf74l")]
    pub job_id: String,
}
