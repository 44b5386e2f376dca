//! Usage reports: the uploaded files and their import's outcome, the lines they refused, and
//! their lines that matched no song. The lines themselves are loaded by [`crate::usage_load`].

use backbeat_domain::ids::{JobId, PlatformId, ReportId, SongId, UserId};
use backbeat_domain::money::Decimal;
use backbeat_domain::paging::Cursor;
use backbeat_domain::period::Period;
use backbeat_domain::usage::{ReportFormat, ReportStatus};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::DbError;
use crate::schema::{usage_lines, usage_rejections, usage_reports};

/// The same file (by SHA-256) is imported once.
pub const FILE_IMPORTED: &str = "usage_reports_file_key";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = usage_reports)]
pub struct Report {
    pub id: ReportId,
    pub seq: i64,
    pub platform_id: PlatformId,
    pub period: Period,
    pub format: ReportFormat,
    pub storage_key: String,
    pub file_name: Option<String>,
    pub file_bytes: i64,
    pub file_sha256: String,
    pub status: ReportStatus,
    pub job_id: Option<JobId>,
    pub created_by: Option<UserId>,
    pub error: Option<String>,
    pub lines: Option<i64>,
    pub matched: Option<i64>,
    pub unmatched: Option<i64>,
    pub rejected: Option<i64>,
    pub totals: Option<serde_json::Value>,
    pub rejected_by_reason: Option<serde_json::Value>,
    pub details: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// A file of a multi-file DSR report: the report's `MessageId`, this file's number and how
    /// many there are.
    pub message_id: Option<String>,
    pub file_number: Option<i32>,
    pub number_of_files: Option<i32>,
    /// The report (its file 1) whose import took this file in.
    pub part_of: Option<ReportId>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = usage_reports)]
pub struct NewReport {
    pub id: ReportId,
    pub platform_id: PlatformId,
    pub period: Period,
    pub format: ReportFormat,
    pub storage_key: String,
    pub file_name: Option<String>,
    pub file_bytes: i64,
    pub file_sha256: String,
    pub status: ReportStatus,
    pub job_id: Option<JobId>,
    pub created_by: Option<UserId>,
}

pub async fn insert(conn: &mut AsyncPgConnection, report: &NewReport) -> Result<(), DbError> {
    diesel::insert_into(usage_reports::table)
        .values(report)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn find(conn: &mut AsyncPgConnection, id: &ReportId) -> Result<Option<Report>, DbError> {
    Ok(usage_reports::table
        .find(id)
        .select(Report::as_select())
        .first(conn)
        .await
        .optional()?)
}

/// The report that holds this file (failed imports aside).
pub async fn holding_file(
    conn: &mut AsyncPgConnection,
    sha256: &str,
) -> Result<Option<ReportId>, DbError> {
    Ok(usage_reports::table
        .filter(usage_reports::file_sha256.eq(sha256))
        .filter(usage_reports::status.ne(ReportStatus::Failed))
        .select(usage_reports::id)
        .first(conn)
        .await
        .optional()?)
}

/// Reports of the period, oldest first, after `after`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    period: Option<Period>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Vec<Report>, DbError> {
    let mut query = usage_reports::table.into_boxed();
    if let Some(period) = period {
        query = query.filter(usage_reports::period.eq(period));
    }
    if let Some(after) = after {
        query = query.filter(
            usage_reports::created_at
                .gt(after.at)
                .or(usage_reports::created_at
                    .eq(after.at)
                    .and(usage_reports::id.gt(&after.id))),
        );
    }
    Ok(query
        .order((usage_reports::created_at, usage_reports::id))
        .limit(limit)
        .select(Report::as_select())
        .load(conn)
        .await?)
}

/// `queued` (or `waiting`, a multi-file report's first file) → `importing` (or `importing` again
/// after a crash); `false` when the report is gone
/// or already finished.
pub async fn start(conn: &mut AsyncPgConnection, id: &ReportId) -> Result<bool, DbError> {
    let updated = diesel::update(usage_reports::table.find(id))
        .filter(usage_reports::status.eq_any([
            ReportStatus::Queued,
            ReportStatus::Importing,
            ReportStatus::Waiting,
        ]))
        .set((
            usage_reports::status.eq(ReportStatus::Importing),
            usage_reports::started_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(updated == 1)
}

/// The import gave up: nothing of the file is kept.
pub async fn fail(conn: &mut AsyncPgConnection, id: &ReportId, error: &str) -> Result<(), DbError> {
    diesel::update(usage_reports::table.find(id))
        .filter(usage_reports::status.ne(ReportStatus::Imported))
        .set((
            usage_reports::status.eq(ReportStatus::Failed),
            usage_reports::error.eq(error),
            usage_reports::finished_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A file of a multi-file report, as its `HEAD` states it.
#[derive(Debug, Clone)]
pub struct FileOfReport<'a> {
    pub message_id: &'a str,
    pub file_number: i32,
    pub number_of_files: i32,
}

/// Where a multi-file report stands once one of its files is recorded.
#[derive(Debug)]
pub enum FileSet {
    /// Other files have yet to arrive.
    Waiting { arrived: usize },
    /// Every file is there: the reports in file order, file 1's first (the others now
    /// `part_of` it).
    Complete(Vec<Report>),
    /// Another report holds this file number.
    Duplicate(ReportId),
    /// The files disagree on how many there are.
    Mismatch(i32),
}

/// Records `report` as a file of its multi-file report, under a lock on that report, so that of
/// two files arriving at once exactly one finds the set complete.
pub async fn join_file_set(
    conn: &mut AsyncPgConnection,
    report: &Report,
    file: FileOfReport<'_>,
) -> Result<FileSet, DbError> {
    conn.transaction::<_, DbError, _>(async |conn| {
        diesel::sql_query(
            "SELECT pg_advisory_xact_lock(hashtextextended('backbeat.usage_files.' || $1 || '.' || $2 || '.' || $3, 0))",
        )
        .bind::<diesel::sql_types::Text, _>(report.platform_id.as_str())
        .bind::<diesel::sql_types::Text, _>(report.period.to_string())
        .bind::<diesel::sql_types::Text, _>(file.message_id)
        .execute(conn)
        .await?;
        let same_report = || {
            usage_reports::table
                .filter(usage_reports::platform_id.eq(&report.platform_id))
                .filter(usage_reports::period.eq(report.period))
                .filter(usage_reports::message_id.eq(file.message_id))
                .filter(usage_reports::status.ne(ReportStatus::Failed))
                .filter(usage_reports::id.ne(&report.id))
        };
        let others: Vec<Report> = same_report()
            .order(usage_reports::file_number)
            .select(Report::as_select())
            .load(conn)
            .await?;
        if let Some(holder) = others
            .iter()
            .find(|o| o.file_number == Some(file.file_number))
        {
            return Ok(FileSet::Duplicate(holder.id.clone()));
        }
        if let Some(stated) = others
            .iter()
            .filter_map(|o| o.number_of_files)
            .find(|n| *n != file.number_of_files)
        {
            return Ok(FileSet::Mismatch(stated));
        }
        let this: Report = diesel::update(usage_reports::table.find(&report.id))
            .set((
                usage_reports::message_id.eq(file.message_id),
                usage_reports::file_number.eq(file.file_number),
                usage_reports::number_of_files.eq(file.number_of_files),
                usage_reports::status.eq(ReportStatus::Waiting),
            ))
            .returning(Report::as_returning())
            .get_result(conn)
            .await?;
        let mut files = others;
        files.push(this);
        files.sort_by_key(|f| f.file_number);
        if files.len() < usize::try_from(file.number_of_files).unwrap_or(usize::MAX) {
            return Ok(FileSet::Waiting {
                arrived: files.len(),
            });
        }
        let lead = files[0].id.clone();
        diesel::update(
            usage_reports::table.filter(
                usage_reports::id.eq_any(files.iter().skip(1).map(|f| f.id.clone())),
            ),
        )
        .set(usage_reports::part_of.eq(&lead))
        .execute(conn)
        .await?;
        Ok(FileSet::Complete(files))
    })
    .await
}

/// The files of a multi-file report whose first file is `lead`, in file order (`lead` first).
pub async fn files_of(conn: &mut AsyncPgConnection, lead: &Report) -> Result<Vec<Report>, DbError> {
    let mut files: Vec<Report> = usage_reports::table
        .filter(usage_reports::part_of.eq(&lead.id))
        .select(Report::as_select())
        .load(conn)
        .await?;
    files.push(lead.clone());
    files.sort_by_key(|f| f.file_number);
    Ok(files)
}

/// The other files of a report imported with it: imported too (their lines are its).
pub async fn settle_files(
    conn: &mut AsyncPgConnection,
    lead: &ReportId,
    status: ReportStatus,
    error: Option<&str>,
) -> Result<(), DbError> {
    diesel::update(usage_reports::table.filter(usage_reports::part_of.eq(lead)))
        .set((
            usage_reports::status.eq(status),
            usage_reports::error.eq(error),
            usage_reports::finished_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Reports of the period still being imported: a royalty run waits for them.
pub async fn importing_in(conn: &mut AsyncPgConnection, period: Period) -> Result<i64, DbError> {
    Ok(usage_reports::table
        .filter(usage_reports::period.eq(period))
        .filter(usage_reports::status.eq_any([ReportStatus::Queued, ReportStatus::Importing]))
        .count()
        .get_result(conn)
        .await?)
}

/// Unmatched line totals of the period's imported reports, per currency: (currency, lines,
/// revenue).
pub async fn unmatched_totals(
    conn: &mut AsyncPgConnection,
    period: Period,
) -> Result<Vec<(String, i64, Decimal)>, DbError> {
    Ok(usage_lines::table
        .filter(usage_lines::period.eq(period))
        .filter(usage_lines::song_id.is_null())
        .group_by(usage_lines::currency)
        .select((
            usage_lines::currency,
            diesel::dsl::count_star(),
            diesel::dsl::sum(usage_lines::revenue),
        ))
        .order(usage_lines::currency)
        .load::<(String, i64, Option<Decimal>)>(conn)
        .await?
        .into_iter()
        .map(|(c, n, r)| (c, n, r.unwrap_or_default()))
        .collect())
}

#[derive(Debug, Clone, Queryable)]
pub struct Rejection {
    pub line: i64,
    pub field: Option<String>,
    pub reason: String,
}

pub async fn rejections(
    conn: &mut AsyncPgConnection,
    id: &ReportId,
    after_line: i64,
    limit: i64,
) -> Result<Vec<Rejection>, DbError> {
    Ok(usage_rejections::table
        .filter(usage_rejections::report_id.eq(id))
        .filter(usage_rejections::line.gt(after_line))
        .order(usage_rejections::line)
        .limit(limit)
        .select((
            usage_rejections::line,
            usage_rejections::field,
            usage_rejections::reason,
        ))
        .load(conn)
        .await?)
}

/// A loaded line.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = usage_lines)]
pub struct Line {
    pub line: i32,
    pub transaction_id: String,
    pub song_id: Option<SongId>,
    pub isrc: Option<String>,
    pub upc: Option<String>,
    pub title: Option<String>,
    pub artist: Option<String>,
    pub territory: String,
    pub use_type: String,
    pub units: i64,
    pub revenue: Decimal,
    pub currency: String,
    pub usage_date: Option<NaiveDate>,
}

/// The report's lines that matched no song, in file order, after `after_line`.
pub async fn unmatched(
    conn: &mut AsyncPgConnection,
    report: &Report,
    after_line: i32,
    limit: i64,
) -> Result<Vec<Line>, DbError> {
    Ok(usage_lines::table
        .filter(usage_lines::period.eq(report.period))
        .filter(usage_lines::report_id.eq(&report.id))
        .filter(usage_lines::song_id.is_null())
        .filter(usage_lines::line.gt(after_line))
        .order(usage_lines::line)
        .limit(limit)
        .select(Line::as_select())
        .load(conn)
        .await?)
}
