//! The import job: streams a stored report through its reader on a blocking thread, matches its
//! lines to songs in batches, and bulk-loads them (see `backbeat_db::usage_load`) in one
//! transaction with the report's outcome. A file that cannot be read to its end fails the
//! report with the reason and keeps nothing of it; a worker killed mid-import leaves nothing
//! either, and the redelivered job starts over.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use backbeat_db::usage_load::{self, LineSums, Outcome, ReportLoad, Row, Target};
use backbeat_db::usage_reports::{self, FileOfReport, FileSet, Report};
use backbeat_domain::ids::ReportId;
use backbeat_domain::money::Decimal;
use backbeat_domain::period::Period;
use backbeat_domain::usage::{ReportFormat, ReportStatus};
use backbeat_usage::csv::CsvReport;
use backbeat_usage::dsr::{DsrReport, Header, Profile, Summary};
use backbeat_usage::{FileError, Item, Rejection, Revenue, UsageLine};
use bytes::BytesMut;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::jobs::{Job, JobError, JobRun};
use crate::usage::matching::SongMatcher;
use crate::{Context, Error};

/// Lines handed from the reader to the loader at a time.
const BATCH_LINES: usize = 8192;
/// Batches in flight between them: bounds memory whatever the file's size.
const BATCHES_IN_FLIGHT: usize = 4;
/// Encoded bytes sent to PostgreSQL at a time.
const CHUNK_BYTES: usize = 1 << 20;
/// Refused lines kept with their reason (all are counted).
const REJECTIONS_KEPT: usize = 1000;
/// Distinct reasons counted by name; the rest are counted as "other".
const REASONS_KEPT: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportUsageReport {
    pub report_id: ReportId,
}

impl Job for ImportUsageReport {
    /// An import keeps a core and a database connection busy for its whole length.
    const CONCURRENCY: Option<u16> = Some(1);

    async fn run(self, ctx: &Context, job: &JobRun) -> Result<Value, JobError> {
        let mut conn = ctx.conn().await?;
        let report = usage_reports::find(&mut conn, &self.report_id)
            .await?
            .ok_or_else(|| {
                JobError::Permanent(format!("report {} no longer exists", self.report_id))
            })?;
        drop(conn);
        // A file another file's import took in (a redelivered job, or the one that completed
        // the set while the import was cut short): the report of its file 1 says how it went.
        if let Some(lead) = &report.part_of {
            return import_set_of(ctx, lead, job).await;
        }
        match report.status {
            ReportStatus::Imported => return Ok(result_of(&report)),
            ReportStatus::Failed => {
                return Err(JobError::Permanent(
                    report
                        .error
                        .unwrap_or_else(|| "the import failed".to_owned()),
                ));
            }
            ReportStatus::Queued | ReportStatus::Importing | ReportStatus::Waiting => {}
        }
        if report.format == ReportFormat::Dsr {
            match join_file_set(ctx, &report).await? {
                Joined::Alone => {}
                Joined::Waiting(waiting) => return Ok(waiting),
                Joined::Complete(lead) => return import_report(ctx, &lead, job).await,
            }
        }
        import_report(ctx, &report, job).await
    }
}

/// Where a DSR file stands among the files of its report.
enum Joined {
    /// A report in one file.
    Alone,
    /// Recorded; other files have yet to arrive (the job's result says so).
    Waiting(Value),
    /// This file completed its report: the report of its file 1, to import with all of them.
    Complete(Box<Report>),
}

/// Reads the file's `HEAD` and, when it is one of several files, records it with the others.
async fn join_file_set(ctx: &Context, report: &Report) -> Result<Joined, JobError> {
    let header = match (
        &report.message_id,
        report.file_number,
        report.number_of_files,
    ) {
        (Some(message_id), Some(file_number), Some(number_of_files)) => {
            (message_id.clone(), file_number, number_of_files)
        }
        _ => {
            let input = ctx
                .storage
                .reader(&report.storage_key)
                .map_err(|e| JobError::Retry(format!("cannot open the stored report: {e}")))?;
            let period = report.period;
            let read = tokio::task::spawn_blocking(move || DsrReport::header_only(input, period))
                .await
                .map_err(|e| JobError::Retry(format!("the reader stopped: {e}")))?;
            match read {
                Ok(header) => (
                    header.message_id,
                    i32::try_from(header.file_number).unwrap_or(i32::MAX),
                    i32::try_from(header.number_of_files).unwrap_or(i32::MAX),
                ),
                Err(error) => return Err(refuse(ctx, &report.id, &error.to_string()).await),
            }
        }
    };
    let (message_id, file_number, number_of_files) = header;
    if number_of_files <= 1 {
        return Ok(Joined::Alone);
    }
    let file = FileOfReport {
        message_id: &message_id,
        file_number,
        number_of_files,
    };
    let what = format!("file {file_number} of {number_of_files} of report {message_id}");
    match usage_reports::join_file_set(&mut *ctx.conn().await?, report, file).await? {
        FileSet::Waiting { arrived } => Ok(Joined::Waiting(json!({
            "reportId": report.id,
            "status": ReportStatus::Waiting,
            "messageId": message_id,
            "fileNumber": file_number,
            "numberOfFiles": number_of_files,
            "filesArrived": arrived,
        }))),
        FileSet::Complete(files) => Ok(Joined::Complete(Box::new(files[0].clone()))),
        FileSet::Duplicate(holder) => Err(refuse(
            ctx,
            &report.id,
            &format!("{what} was already uploaded as usage report {holder}"),
        )
        .await),
        FileSet::Mismatch(stated) => Err(refuse(
            ctx,
            &report.id,
            &format!("{what}: the report's other files say it has {stated} files"),
        )
        .await),
    }
}

/// Fails the report for a reason in its file: permanent.
async fn refuse(ctx: &Context, id: &ReportId, reason: &str) -> JobError {
    let message = format!("the file cannot be imported: {reason}");
    match ctx.conn().await {
        Ok(mut conn) => match usage_reports::fail(&mut conn, id, &message).await {
            Ok(()) => JobError::Permanent(message),
            Err(error) => error.into(),
        },
        Err(error) => error.into(),
    }
}

/// A file taken into another's report: finishes that report's import if it has not finished
/// (the job that completed the set was cut short), then reports its outcome.
async fn import_set_of(ctx: &Context, lead: &ReportId, job: &JobRun) -> Result<Value, JobError> {
    let report = usage_reports::find(&mut *ctx.conn().await?, lead)
        .await?
        .ok_or_else(|| JobError::Permanent(format!("report {lead} no longer exists")))?;
    import_report(ctx, &report, job).await
}

/// Imports a report (all its files), or reports how its import went.
async fn import_report(ctx: &Context, report: &Report, job: &JobRun) -> Result<Value, JobError> {
    let mut conn = ctx.conn().await?;
    match report.status {
        ReportStatus::Imported => {
            usage_reports::settle_files(&mut conn, &report.id, ReportStatus::Imported, None)
                .await?;
            return Ok(result_of(report));
        }
        ReportStatus::Failed => {
            let error = report
                .error
                .clone()
                .unwrap_or_else(|| "the import failed".to_owned());
            usage_reports::settle_files(&mut conn, &report.id, ReportStatus::Failed, Some(&error))
                .await?;
            return Err(JobError::Permanent(error));
        }
        ReportStatus::Queued | ReportStatus::Importing | ReportStatus::Waiting => {}
    }
    usage_reports::start(&mut conn, &report.id).await?;
    let files = if report.number_of_files.unwrap_or(1) > 1 {
        usage_reports::files_of(&mut conn, report).await?
    } else {
        vec![report.clone()]
    };
    drop(conn);
    let outcome = import(ctx, report, &files, job).await;
    let mut conn = ctx.conn().await?;
    match outcome {
        Ok(()) => {
            usage_reports::settle_files(&mut conn, &report.id, ReportStatus::Imported, None)
                .await?;
            let report = usage_reports::find(&mut conn, &report.id)
                .await?
                .ok_or_else(|| JobError::Permanent("the report was removed".to_owned()))?;
            Ok(result_of(&report))
        }
        Err(Failure::File(error)) => {
            let message = format!("the file cannot be imported: {error}");
            usage_reports::fail(&mut conn, &report.id, &message).await?;
            usage_reports::settle_files(
                &mut conn,
                &report.id,
                ReportStatus::Failed,
                Some(&message),
            )
            .await?;
            Err(JobError::Permanent(message))
        }
        Err(Failure::Busy) => Err(JobError::Retry(
            "another worker is importing this report".to_owned(),
        )),
        Err(Failure::Other(error)) => {
            if job.is_last_attempt() {
                usage_reports::fail(
                    &mut conn,
                    &report.id,
                    &format!("the import failed: {error}"),
                )
                .await?;
            }
            Err(error)
        }
    }
}

fn result_of(report: &Report) -> Value {
    json!({
        "reportId": report.id,
        "status": report.status,
        "lines": report.lines,
        "matched": report.matched,
        "unmatched": report.unmatched,
        "rejected": report.rejected,
    })
}

enum Failure {
    /// The file itself: permanent.
    File(FileError),
    /// Another worker holds the report.
    Busy,
    Other(JobError),
}

impl From<backbeat_db::DbError> for Failure {
    fn from(error: backbeat_db::DbError) -> Self {
        Failure::Other(error.into())
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Other(error.into())
    }
}

/// What the reader thread sends: lines and refusals in file order, and how far it has read.
struct Batch {
    lines: Vec<UsageLine>,
    rejections: Vec<Rejection>,
}

/// What the reader learnt from the whole file, once it reached the end.
#[derive(Default)]
struct FileFacts {
    summaries: Vec<Summary>,
    header: Option<Header>,
    skipped: BTreeMap<String, u64>,
}

/// Counts the bytes read, for progress.
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads the whole file on this (blocking) thread, sending batches; stops early when the
/// receiver is gone.
fn read_file<R: Read>(
    mut inputs: Vec<R>,
    format: ReportFormat,
    period: Period,
    out: &mpsc::Sender<Batch>,
) -> Result<FileFacts, FileError> {
    match format {
        ReportFormat::Csv => {
            let input = inputs.pop().ok_or_else(|| FileError::Invalid {
                line: None,
                message: "no file".to_owned(),
            })?;
            let mut report = CsvReport::new(input, period)?;
            send_batches(&mut report, out)?;
            Ok(FileFacts::default())
        }
        ReportFormat::Dsr => {
            let mut report = DsrReport::files(inputs, period);
            send_batches(&mut report, out)?;
            Ok(FileFacts {
                summaries: report.summaries().to_vec(),
                header: report.header().cloned(),
                skipped: report.skipped().clone(),
            })
        }
    }
}

fn send_batches(
    items: &mut dyn Iterator<Item = Result<Item, FileError>>,
    out: &mpsc::Sender<Batch>,
) -> Result<(), FileError> {
    let fresh = || Batch {
        lines: Vec::with_capacity(BATCH_LINES),
        rejections: Vec::new(),
    };
    let mut batch = fresh();
    for item in items {
        match item? {
            Item::Line(line) => batch.lines.push(line),
            Item::Rejected(rejection) => batch.rejections.push(rejection),
        }
        if batch.lines.len() + batch.rejections.len() >= BATCH_LINES
            && out
                .blocking_send(std::mem::replace(&mut batch, fresh()))
                .is_err()
        {
            return Ok(());
        }
    }
    let _ = out.blocking_send(batch);
    Ok(())
}

/// Refusals: all counted by reason, the first ones kept with their line.
#[derive(Default)]
struct Refusals {
    count: i64,
    kept: Vec<(i64, Option<String>, String)>,
    by_reason: BTreeMap<String, i64>,
}

impl Refusals {
    fn add(&mut self, line: i64, field: Option<String>, reason: String) {
        self.count += 1;
        let key = match &field {
            Some(field) => format!("{field}: {reason}"),
            None => reason.clone(),
        };
        if self.by_reason.len() < REASONS_KEPT || self.by_reason.contains_key(&key) {
            *self.by_reason.entry(key).or_default() += 1;
        } else {
            *self
                .by_reason
                .entry("other reasons".to_owned())
                .or_default() += 1;
        }
        if self.kept.len() < REJECTIONS_KEPT {
            self.kept.push((line, field, reason));
        }
    }
}

/// Loads `report` from its `files` (itself, or a multi-file report's files in order).
async fn import(
    ctx: &Context,
    report: &Report,
    files: &[Report],
    job: &JobRun,
) -> Result<(), Failure> {
    let staged = report.format == ReportFormat::Dsr;
    let target = Target {
        report_id: report.id.clone(),
        seq: report.seq,
        period: report.period,
        platform_id: report.platform_id.clone(),
        staged,
    };
    let Some(mut load) = ReportLoad::begin(&ctx.settings.database, target).await? else {
        return Err(Failure::Busy);
    };
    let read = Arc::new(AtomicU64::new(0));
    let mut inputs = Vec::with_capacity(files.len());
    for file in files {
        let input = ctx.storage.reader(&file.storage_key).map_err(|e| {
            Failure::Other(JobError::Retry(format!(
                "cannot open the stored report: {e}"
            )))
        })?;
        inputs.push(Counted {
            inner: input,
            read: read.clone(),
        });
    }
    let (sender, mut batches) = mpsc::channel(BATCHES_IN_FLIGHT);
    let (format, period) = (report.format, report.period);
    // The reader stops at the end of the file or at its first fatal error, dropping the
    // sender: the loop below ends, and the reader's result says which.
    let reader = tokio::task::spawn_blocking(move || read_file(inputs, format, period, &sender));

    load.start_copy().await?;
    // Reported revenue is summed on the way; allocated (DSR) revenue is known only in SQL.
    let mut sums = (!staged).then(LineSums::default);
    let mut matcher = SongMatcher::default();
    let mut refusals = Refusals::default();
    let mut chunk = BytesMut::with_capacity(CHUNK_BYTES + 64 * 1024);
    let mut lines: i64 = 0;
    // Summaries some loaded line takes its revenue from; the others' revenue reaches no one.
    let mut used_summaries = std::collections::BTreeSet::new();
    let bytes: i64 = files.iter().map(|f| f.file_bytes).sum();
    let total_kib = i32::try_from(bytes / 1024).unwrap_or(i32::MAX);
    let mut reported = Instant::now();
    while let Some(batch) = batches.recv().await {
        lines += (batch.lines.len() + batch.rejections.len()) as i64;
        for rejection in batch.rejections {
            refusals.add(i64::from(rejection.line), rejection.field, rejection.reason);
        }
        matcher.learn(&mut *ctx.conn().await?, &batch.lines).await?;
        for line in &batch.lines {
            if let Revenue::FromSummary(index) = line.revenue {
                used_summaries.insert(index);
            }
            let row = row(line, matcher.song_of(line).map(|s| s.as_str()));
            if let Some(sums) = sums.as_mut() {
                sums.add(&row);
            }
            usage_load::encode(&row, staged, &mut chunk);
            if chunk.len() >= CHUNK_BYTES {
                load.write(chunk.split().freeze()).await?;
            }
        }
        if reported.elapsed() > Duration::from_secs(1) {
            reported = Instant::now();
            let done = i32::try_from(read.load(Ordering::Relaxed) / 1024).unwrap_or(i32::MAX);
            job.progress(ctx, done.min(total_kib), total_kib)
                .await
                .map_err(Failure::Other)?;
        }
    }
    let facts = reader
        .await
        .map_err(|e| Failure::Other(JobError::Retry(format!("the reader stopped: {e}"))))?
        .map_err(Failure::File)?;
    if !chunk.is_empty() {
        load.write(chunk.split().freeze()).await?;
    }
    load.end_copy().await?;

    if staged {
        let summaries: Vec<usage_load::Summary<'_>> = facts
            .summaries
            .iter()
            .enumerate()
            .map(|(index, s)| usage_load::Summary {
                index,
                revenue: &s.revenue,
            })
            .collect();
        load.allocate(&summaries).await?;
    }
    for duplicate in load.index().await? {
        if let Some(sums) = sums.as_mut() {
            sums.remove(&duplicate);
        }
        refusals.add(
            duplicate.line,
            Some("transaction_id".to_owned()),
            format!(
                "repeats transaction {} of an earlier line; counted once",
                duplicate.transaction_id
            ),
        );
    }
    let totals = load.summarize(sums.as_ref()).await?;
    let totals_json = json!(
        totals
            .iter()
            .map(|t| (
                t.currency.clone(),
                json!({
                    "lines": t.lines,
                    "matchedLines": t.matched_lines,
                    "units": t.units,
                    "revenue": t.revenue.normalize().to_string(),
                    "matchedRevenue": t.matched_revenue.normalize().to_string(),
                })
            ))
            .collect::<serde_json::Map<_, _>>()
    );
    let details = details(&facts, &used_summaries);
    refusals.kept.sort_by_key(|(line, _, _)| *line);
    load.commit(Outcome {
        lines,
        rejected: refusals.count,
        totals_json: &totals_json.to_string(),
        rejected_by_reason_json: &json!(refusals.by_reason).to_string(),
        details_json: &details.to_string(),
        rejections: &refusals.kept,
    })
    .await?;
    job.progress(ctx, total_kib, total_kib)
        .await
        .map_err(Failure::Other)?;
    tracing::info!(report_id = %report.id, lines, rejected = refusals.count, "usage report imported");
    Ok(())
}

fn row<'a>(line: &'a UsageLine, song: Option<&'a str>) -> Row<'a> {
    let (revenue, summary): (Option<&Decimal>, Option<usize>) = match &line.revenue {
        Revenue::Reported(amount) => (Some(amount), None),
        Revenue::FromSummary(index) => (None, Some(*index)),
    };
    Row {
        line: line.line,
        transaction_id: &line.transaction_id,
        song_id: song,
        isrc: line.isrc.as_ref().map(|i| i.as_str()),
        upc: line.upc.as_ref().map(|u| u.as_str()),
        title: line.title.as_deref(),
        artist: line.artist.as_deref(),
        territory: &line.territory,
        use_type: line.use_type.as_str(),
        units: line.units,
        revenue,
        currency: line.currency.code(),
        usage_date: line.usage_date,
        summary,
        share: line.share.as_ref(),
    }
}

/// What the file said about itself, for the report's `details`.
fn details(facts: &FileFacts, used: &std::collections::BTreeSet<usize>) -> Value {
    let mut details = serde_json::Map::new();
    let idle: Vec<Value> = facts
        .summaries
        .iter()
        .enumerate()
        .filter(|(i, s)| !used.contains(i) && !s.revenue.is_zero())
        .map(|(_, s)| json!({"summaryRecordId": s.id, "line": s.line, "revenue": s.revenue.to_string(), "currency": s.currency.code()}))
        .collect();
    if !idle.is_empty() {
        details.insert("summariesWithoutLines".to_owned(), Value::Array(idle));
    }
    if let Some(header) = &facts.header {
        details.insert(
            "dsr".to_owned(),
            json!({
                "messageId": header.message_id,
                "senderPartyId": header.sender_party_id,
                "senderName": header.sender_name,
                "usageStart": header.usage_start,
                "usageEnd": header.usage_end,
                "profile": match header.profile {
                    Profile::BasicAudio => "BasicAudioProfile",
                    Profile::Ugc => "UgcProfile",
                },
                "profileVersion": header.profile_version,
                "numberOfFiles": header.number_of_files,
                "summaryRecords": facts.summaries.len(),
            }),
        );
    }
    if !facts.skipped.is_empty() {
        details.insert("skippedRecords".to_owned(), json!(facts.skipped));
    }
    Value::Object(details)
}
