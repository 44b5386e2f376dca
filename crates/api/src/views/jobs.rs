//! A background job as its owner sees it.

use backbeat_db::jobs::Job;
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

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: String,
    pub kind: KindName,
    /// `queued`, `running`, `succeeded`, `failed` (an attempt failed; a retry is scheduled) or `dead`.
    #[schema(example = "succeeded")]
    pub status: String,
    pub attempts: i32,
    pub progress: Progress,
    pub result: Option<serde_json::Value>,
    /// The last attempt's error, if it failed.
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
            status: job.status.to_string(),
            attempts: job.attempts,
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
