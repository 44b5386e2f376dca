//! `POST|GET /usage-reports`, `GET|DELETE /usage-reports/{id}`.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::ids::{PlatformId, ReportId};
use backbeat_domain::period::Period;
use backbeat_domain::usage::ReportFormat;
use backbeat_services::usage::reports::{self, Upload};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::upload;
use crate::views::royalties::{PeriodFilter, ReportAccepted, ReportData, ReportList, ReportView};

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the multipart body
#[schema(rename_all = "camelCase")]
pub struct ReportUpload {
    /// The report, streamed: at most `royalties.report_max_bytes` (4 GiB by default). A
    /// gzip-compressed file (known by its first bytes, whatever its name; several members are
    /// read in turn) is stored inflated, the limit counting the inflated bytes, and `file.bytes`
    /// and `file.sha256` describe the report as read, so the same report sent compressed and
    /// plain is one report.
    ///
    /// `csv`: a header row, then a line per sale or usage. Columns are matched by name, without
    /// regard to case, spaces, `_` or `-`. Required: `transaction_id` (aliases
    /// `sales_transaction_id`, `transaction`), `isrc`, `upc` (`ean`, `icpn`), `territory`
    /// (`country`, `country_code`, `territory_code`; ISO 3166-1 alpha-2), `use_type`
    /// (`usage_type`, `sale_type`; `stream` or `download`), `units` (`quantity`; a whole number
    /// ≥ 0), `net_revenue` (`revenue`, `net_amount`; a decimal, negative for refunds),
    /// `currency` (`currency_code`; ISO 4217). Optional: `title` (`track_title`, `song_title`),
    /// `artist` (`artist_name`, `display_artist`), `usage_date` (`date`, `sale_date`;
    /// YYYY-MM-DD within the period). Each line needs an ISRC or a UPC.
    ///
    /// `dsr`: a DDEX DSR flat file, Basic Audio profile: HEAD (its usage start in the period),
    /// summary records SY01-SY06, blocks RE01/AS01/AS02/SU01/SU02, FOOT (its counts checked).
    /// Cells are read by the names of the `#` heading rows; a line's revenue is its share of its
    /// summary's `AllocatedNetRevenue` (else `NetRevenue`), pro rata to its usages.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The platform that sent the report.
    #[schema(value_type = crate::schemas::Reference)]
    platform_id: String,
    /// The month the report covers.
    #[schema(value_type = crate::schemas::Month)]
    period: String,
    #[schema(schema_with = crate::schemas::report_format)]
    format: String,
}

#[utoipa::path(
    post, path = "/usage-reports", tag = "royalties",
    request_body(content = ReportUpload, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Stored; a job imports it (`GET /jobs/{id}` or `GET /usage-reports/{id}` for the outcome). \\
            Lines are matched to songs by ISRC, then by UPC and title; refused lines are counted with their line number and reason. \\
            A file that cannot be read to its end (truncated, a DSR footer that disagrees) fails the import and keeps nothing",
            body = DataEnvelope<ReportAccepted>, headers(("Location" = String, description = "/jobs/{jobId}"))),
        (status = 400, description = "No `file` part, a gzip `file` that is not whole, or a missing or invalid `platformId`, `period` or `format`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "`platformId` names no platform", body = ErrorBody),
        (status = 409, description = "The same file (by SHA-256) was already uploaded; the message names its report", body = ErrorBody),
        (status = 413, description = "Over `royalties.report_max_bytes` (checked while streaming; a gzip file's inflated size counts), and nothing is kept", body = ErrorBody),
        (status = 415, description = "Not a multipart/form-data request", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    request: HttpRequest,
    mut multipart: Multipart,
) -> ApiResult<HttpResponse> {
    reports::may_upload(&caller)?;
    let limit = state.settings.royalties.report_max_bytes;
    upload::check_request(&request, "file", limit)?;
    let incoming = reports::incoming(&state).await?;
    let form = upload::receive_form(
        &mut multipart,
        "file",
        incoming,
        limit,
        &["platformId", "period", "format"],
    )
    .await?;
    let text = |name: &str| form.texts.get(name).map(|v| v.trim()).unwrap_or_default();
    let mut errors = Vec::new();
    let platform_id = match text("platformId") {
        "" => {
            errors.push(FieldError::new("platformId", "is required"));
            None
        }
        id => Some(PlatformId::from(id)),
    };
    let period = Period::parse("period", text("period"))
        .map_err(|e| errors.push(e))
        .ok();
    let format = ReportFormat::parse(&text("format").to_ascii_lowercase());
    if format.is_none() {
        errors.push(FieldError::new(
            "format",
            format!("must be {}", ReportFormat::words()),
        ));
    }
    let (Some(platform_id), Some(period), Some(format)) = (platform_id, period, format) else {
        return Err(ApiError::Validation(errors));
    };
    let (report, job) = reports::create(
        &state,
        &caller,
        Upload {
            platform_id,
            period,
            format,
            file_name: form.file_name,
        },
        form.file,
        &request_id.0,
    )
    .await?;
    Ok(response::accepted(
        &state.settings.server.base_path,
        &job.to_string(),
        ReportAccepted {
            report_id: report.id.to_string(),
            job_id: job.into_inner(),
            report: report.into(),
        },
    ))
}

#[utoipa::path(
    get, path = "/usage-reports", tag = "royalties",
    params(PeriodFilter, PageQuery),
    responses(
        (status = 200, description = "Reports, oldest first", body = PageEnvelope<ReportList>),
        (status = 400, description = "Invalid `period`, `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<PeriodFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let period = filter.read()?;
    let found = reports::page(&state, &caller, period, cursor.as_ref(), limit).await?;
    Ok(response::page(
        ReportList {
            reports: found.items.into_iter().map(ReportView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

#[utoipa::path(
    get, path = "/usage-reports/{id}", tag = "royalties",
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "Status, counts (lines, matched, unmatched, rejected), refusals by reason and totals per currency", body = DataEnvelope<ReportData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "Unknown report", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ReportId>,
) -> ApiResult<HttpResponse> {
    let report = reports::get(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        ReportData {
            report: report.into(),
        },
    ))
}

#[utoipa::path(
    delete, path = "/usage-reports/{id}", tag = "royalties",
    params(("id" = String, Path, description = "Report id")),
    responses(
        (status = 200, description = "Removed with its lines and its part of the analytics (a corrected file can then be uploaded). \\
            Statements of a period already run stay as they are until the period is run again", body = crate::response::MessageEnvelope),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "Unknown report", body = ErrorBody),
        (status = 409, description = "Still being imported", body = ErrorBody),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ReportId>,
) -> ApiResult<HttpResponse> {
    reports::delete(&state, &caller, &id).await?;
    Ok(response::message(StatusCode::OK, "Usage report removed"))
}
