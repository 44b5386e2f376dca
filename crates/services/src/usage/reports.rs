//! Usage reports as admins handle them: upload (stored, then imported by a job), read, page
//! through what was refused or left unmatched, remove.

use backbeat_db::usage_reports::{self, FILE_IMPORTED, Line, NewReport, Rejection, Report};
use backbeat_db::{platforms, usage_load};
use backbeat_domain::Actor;
use backbeat_domain::ids::{JobId, PlatformId, ReportId};
use backbeat_domain::paging::{Cursor, NumberCursor, Page};
use backbeat_domain::period::Period;
use backbeat_domain::usage::{ReportFormat, ReportStatus};
use backbeat_storage::{Incoming, Received};
use diesel_async::AsyncConnection;

use crate::audit::{self, Target};
use crate::jobs::{self, Origin};
use crate::usage::import::ImportUsageReport;
use crate::{Context, Error, Result};

const WHAT: &str = "manage usage reports";

/// What the upload says besides the file.
#[derive(Debug, Clone)]
pub struct Upload {
    pub platform_id: PlatformId,
    pub period: Period,
    pub format: ReportFormat,
    pub file_name: Option<String>,
}

/// Refuses non-admins before a byte of the file is read.
pub fn may_upload(actor: &Actor) -> Result<()> {
    crate::admin::require(actor, WHAT)
}

/// Where the upload is streamed, under the configured size limit. Platforms often send
/// reports gzip-compressed: those are stored inflated, the limit counting the inflated size.
pub async fn incoming(ctx: &Context) -> Result<Incoming> {
    Ok(ctx
        .storage
        .incoming(ctx.settings.royalties.report_max_bytes)
        .await
        .map_err(Error::internal)?
        .inflating_gzip())
}

/// Stores the file and queues its import; a file already imported is a conflict naming its
/// report.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    upload: Upload,
    received: Received,
    request_id: &str,
) -> Result<(Report, JobId)> {
    may_upload(actor)?;
    if received.bytes == 0 {
        return Err(Error::field("file", "is empty"));
    }
    let mut conn = ctx.conn().await?;
    if platforms::find(&mut conn, &upload.platform_id)
        .await?
        .is_none()
    {
        return Err(Error::not_found("platform"));
    }
    if let Some(existing) = usage_reports::holding_file(&mut conn, &received.sha256).await? {
        return Err(already_imported(&existing));
    }
    let id = ReportId::generate();
    let key = format!(
        "usage-reports/{}/{id}.{}",
        upload.period,
        upload.format.as_str()
    );
    let (bytes, sha256) = (received.bytes, received.sha256.clone());
    ctx.storage.commit(received, &key).await?;
    let created = conn
        .transaction::<_, Error, _>(async |conn| {
            let job = jobs::enqueue(
                ctx,
                conn,
                &ImportUsageReport {
                    report_id: id.clone(),
                },
                Origin {
                    user: Some(&actor.user_id),
                    request_id: Some(request_id),
                },
            )
            .await?;
            usage_reports::insert(
                conn,
                &NewReport {
                    id: id.clone(),
                    platform_id: upload.platform_id.clone(),
                    period: upload.period,
                    format: upload.format,
                    storage_key: key.clone(),
                    file_name: upload.file_name.clone(),
                    file_bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
                    file_sha256: sha256.clone(),
                    status: ReportStatus::Queued,
                    job_id: Some(job.clone()),
                    created_by: Some(actor.user_id.clone()),
                },
            )
            .await?;
            audit::record(
                conn,
                actor.user_id.as_str(),
                "usage_report.create",
                Target {
                    kind: "usage_report",
                    id: id.as_str(),
                },
                None,
                Some(serde_json::json!({
                    "platformId": upload.platform_id,
                    "period": upload.period.to_string(),
                    "format": upload.format.as_str(),
                    "fileName": upload.file_name,
                    "fileBytes": bytes,
                })),
            )
            .await?;
            Ok(job)
        })
        .await;
    let job = match created {
        Ok(job) => job,
        Err(error) => {
            let _ = ctx.storage.delete(&key).await;
            return Err(match error {
                Error::Internal(cause)
                    if cause
                        .downcast_ref::<backbeat_db::DbError>()
                        .is_some_and(|e| e.is_unique_violation(FILE_IMPORTED)) =>
                {
                    match usage_reports::holding_file(&mut conn, &sha256).await? {
                        Some(existing) => already_imported(&existing),
                        None => Error::Conflict("this file is being imported".to_owned()),
                    }
                }
                other => other,
            });
        }
    };
    let report = usage_reports::find(&mut conn, &id)
        .await?
        .ok_or_else(|| Error::not_found("usage report"))?;
    Ok((report, job))
}

fn already_imported(existing: &ReportId) -> Error {
    Error::Conflict(format!(
        "this file was already uploaded as usage report {existing}; remove that report to import it again"
    ))
}

pub async fn get(ctx: &Context, actor: &Actor, id: &ReportId) -> Result<Report> {
    crate::admin::require(actor, WHAT)?;
    usage_reports::find(&mut *ctx.conn().await?, id)
        .await?
        .ok_or_else(|| Error::not_found("usage report"))
}

pub async fn page(
    ctx: &Context,
    actor: &Actor,
    period: Option<Period>,
    after: Option<&Cursor>,
    limit: i64,
) -> Result<Page<Report>> {
    crate::admin::require(actor, WHAT)?;
    let rows = usage_reports::page(&mut *ctx.conn().await?, period, after, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, |r| Cursor {
        at: r.created_at,
        id: r.id.to_string(),
    }))
}

/// The lines the import refused (the first ones, as many as the report keeps), in file order.
pub async fn rejections(
    ctx: &Context,
    actor: &Actor,
    id: &ReportId,
    after: Option<NumberCursor>,
    limit: i64,
) -> Result<Page<Rejection, NumberCursor>> {
    let report = get(ctx, actor, id).await?;
    let after = after.map_or(0, |c| c.0);
    let rows =
        usage_reports::rejections(&mut *ctx.conn().await?, &report.id, after, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, |r| NumberCursor(r.line)))
}

/// The loaded lines that matched no song, in file order.
pub async fn unmatched(
    ctx: &Context,
    actor: &Actor,
    id: &ReportId,
    after: Option<NumberCursor>,
    limit: i64,
) -> Result<Page<Line, NumberCursor>> {
    let report = get(ctx, actor, id).await?;
    let after = after.map_or(0, |c| i32::try_from(c.0).unwrap_or(i32::MAX));
    let rows = usage_reports::unmatched(&mut *ctx.conn().await?, &report, after, limit + 1).await?;
    Ok(Page::from_rows(rows, limit, |l| {
        NumberCursor(i64::from(l.line))
    }))
}

/// Removes a report, its lines and its part of the analytics. A period already run keeps its
/// statements until it is run again.
///
/// A file of a multi-file report imported with the others takes the whole report with it: its
/// lines are that report's.
pub async fn delete(ctx: &Context, actor: &Actor, id: &ReportId) -> Result<()> {
    let mut report = get(ctx, actor, id).await?;
    if let Some(lead) = &report.part_of {
        report = get(ctx, actor, lead).await?;
    }
    let files = usage_reports::files_of(&mut *ctx.conn().await?, &report).await?;
    if matches!(
        report.status,
        ReportStatus::Queued | ReportStatus::Importing
    ) {
        return Err(Error::Conflict(
            "the report is still being imported; remove it once the import has finished".to_owned(),
        ));
    }
    usage_load::remove(
        &ctx.settings.database,
        &report.id,
        report.seq,
        report.period,
        &report.platform_id,
    )
    .await?;
    for file in &files {
        if let Err(error) = ctx.storage.delete(&file.storage_key).await {
            tracing::warn!(%error, key = %file.storage_key, "cannot remove a usage report's file");
        }
    }
    // The lines go in their own transaction (partition by partition); the record follows it.
    audit::record(
        &mut *ctx.conn().await?,
        actor.user_id.as_str(),
        "usage_report.delete",
        Target {
            kind: "usage_report",
            id: report.id.as_str(),
        },
        Some(serde_json::json!({
            "platformId": report.platform_id,
            "period": report.period.to_string(),
            "status": report.status.as_str(),
            "files": files.len(),
        })),
        None,
    )
    .await?;
    Ok(())
}
