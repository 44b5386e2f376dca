//! Usage reports, analytics, splits, contract terms, royalty runs and statements.

use backbeat_db::usage_reports::{Line, Rejection, Report};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportView {
    #[schema(example = "report-Qbax5Oy7L8WKf74l")]
    pub id: String,
    pub platform_id: String,
    #[schema(example = "2026-10")]
    pub period: String,
    /// `csv` or `dsr`.
    pub format: String,
    /// `queued`, `importing`, `imported`, or `failed` (nothing kept; `error` says why).
    pub status: String,
    pub error: Option<String>,
    pub file: ReportFile,
    /// Counts once imported: data lines read, loaded and matched to a song, loaded but matched to
    /// none (`GET /usage-reports/{id}/unmatched`), refused (`GET /usage-reports/{id}/rejections`).
    pub counts: Option<ReportCounts>,
    /// Per currency: `{lines, matchedLines, units, revenue, matchedRevenue}` of the loaded
    /// lines, amounts as exact decimal strings.
    #[schema(value_type = Object)]
    pub totals: Option<Value>,
    /// Refused lines by reason (`"units: must not be negative": 3`).
    #[schema(value_type = Object)]
    pub rejected_by_reason: Option<Value>,
    /// What the file said about itself: the DSR header, record types skipped, summaries whose
    /// revenue no line took.
    #[schema(value_type = Object)]
    pub details: Option<Value>,
    pub job_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportFile {
    pub name: Option<String>,
    pub bytes: i64,
    /// Lower-case hex; the same file is imported once.
    pub sha256: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportCounts {
    pub lines: i64,
    pub matched: i64,
    pub unmatched: i64,
    pub rejected: i64,
}

impl From<Report> for ReportView {
    fn from(r: Report) -> Self {
        let counts = match (r.lines, r.matched, r.unmatched, r.rejected) {
            (Some(lines), Some(matched), Some(unmatched), Some(rejected)) => Some(ReportCounts {
                lines,
                matched,
                unmatched,
                rejected,
            }),
            _ => None,
        };
        Self {
            id: r.id.into_inner(),
            platform_id: r.platform_id.into_inner(),
            period: r.period.to_string(),
            format: r.format.to_string(),
            status: r.status.to_string(),
            error: r.error,
            file: ReportFile {
                name: r.file_name,
                bytes: r.file_bytes,
                sha256: r.file_sha256,
            },
            counts,
            totals: r.totals,
            rejected_by_reason: r.rejected_by_reason,
            details: r.details,
            job_id: r.job_id.map(|j| j.into_inner()),
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportAccepted {
    pub report_id: String,
    pub job_id: String,
    pub report: ReportView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportData {
    pub report: ReportView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    pub reports: Vec<ReportView>,
}

/// A loaded line that matched no song.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnmatchedLine {
    pub line: i32,
    pub transaction_id: String,
    pub isrc: Option<String>,
    pub upc: Option<String>,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub territory: String,
    pub use_type: String,
    pub units: i64,
    /// Exact decimal, in `currency`.
    pub revenue: String,
    pub currency: String,
}

impl From<Line> for UnmatchedLine {
    fn from(l: Line) -> Self {
        Self {
            line: l.line,
            transaction_id: l.transaction_id,
            isrc: l.isrc,
            upc: l.upc,
            title: l.title,
            artist: l.artist,
            territory: l.territory,
            use_type: l.use_type,
            units: l.units,
            revenue: l.revenue.normalize().to_string(),
            currency: l.currency,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnmatchedList {
    pub lines: Vec<UnmatchedLine>,
}

/// A refused line.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionView {
    pub line: i64,
    /// The column (CSV) or cell (DSR) at fault.
    pub field: Option<String>,
    pub reason: String,
}

impl From<Rejection> for RejectionView {
    fn from(r: Rejection) -> Self {
        Self {
            line: r.line,
            field: r.field,
            reason: r.reason,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectionList {
    pub rejections: Vec<RejectionView>,
}
