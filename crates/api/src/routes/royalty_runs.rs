//! `POST /royalties/runs`, `GET /royalties/runs/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::RunId;
use backbeat_domain::period::Period;
use backbeat_services::royalties::runs;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::royalties::{RunAccepted, RunData, RunView};

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the body
pub struct RunRequest {
    /// The month to run.
    #[schema(value_type = crate::schemas::Month)]
    period: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RerunQuery {
    /// `true`: replace the period's standing run (its statements are superseded; payees whose
    /// statement did not change are not emailed again).
    rerun: Option<bool>,
}

#[utoipa::path(
    post, path = "/royalties/runs", tag = "royalties",
    params(RerunQuery),
    request_body = RunRequest,
    responses(
        (status = 202, description = "Queued; a job computes the statements in one transaction and emails them \\
            (`GET /royalties/runs/{id}` or `GET /jobs/{id}`). The run takes the period's imported matched usage, converts it \\
            with the period's exchange rates (a missing one fails the run, naming it, with nothing written), takes each \\
            platform's fee, rounds each song's net once to the base currency's minor unit and splits it by largest remainder \\
            (ties to the lower payee id) among the splits frozen for the period",
            body = DataEnvelope<RunAccepted>, headers(("Location" = String, description = "/jobs/{jobId}"))),
        (status = 400, description = "Missing or invalid `period`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 409, description = "The period already has a run (without `?rerun=true`), a run of it is in flight, \\
            one of its reports is still importing, or a later period has been run", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    query: web::Query<RerunQuery>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let period = f
        .string("period")
        .and_then(|p| f.check(Period::parse("period", &p)));
    let (period,) = f.finish((period,))?;
    let (run, job) = runs::request(
        &state,
        &caller,
        period,
        query.rerun.unwrap_or(false),
        &request_id.0,
    )
    .await?;
    Ok(response::accepted(
        &state.settings.server.base_path,
        &job.to_string(),
        RunAccepted {
            run_id: run.id.to_string(),
            job_id: job.into_inner(),
            run: run.into(),
        },
    ))
}

#[utoipa::path(
    get, path = "/royalties/runs/{id}", tag = "royalties",
    params(("id" = String, Path, description = "Run id")),
    responses(
        (status = 200, description = "Status, totals and counts", body = DataEnvelope<RunData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "Unknown run", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<RunId>,
) -> ApiResult<HttpResponse> {
    let run = runs::get(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        RunData {
            run: RunView::from(run),
        },
    ))
}
