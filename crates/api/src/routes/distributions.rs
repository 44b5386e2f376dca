//! `GET /distributions`, `GET|DELETE /distributions/{id}`, `POST /distributions/{id}/retry`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::distribution::DistributionStatus;
use backbeat_domain::ids::{DistributionId, PlatformId};
use backbeat_services::distribution::{self, Withdrawn};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::distribution::{DistributionData, DistributionJob, DistributionList};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct DistributionFilter {
    #[param(schema_with = crate::schemas::distribution_status)]
    status: Option<String>,
    #[param(value_type = Option<crate::schemas::Reference>)]
    platform_id: Option<String>,
}

#[utoipa::path(
    get, path = "/distributions", tag = "distribution",
    params(DistributionFilter, PageQuery),
    responses(
        (status = 200, description = "The caller's distributions (everyone's for admins), oldest first", body = PageEnvelope<DistributionList>),
        (status = 400, description = "Unknown `status`, or invalid `limit`/`cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: web::Query<DistributionFilter>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let status = match filter.status.as_deref() {
        None => None,
        Some(raw) => Some(DistributionStatus::parse(raw).ok_or_else(|| {
            ApiError::field(
                "status",
                "must be one of scheduled, queued, delivering, delivered, taken_down, failed, cancelled",
            )
        })?),
    };
    let platform = filter
        .platform_id
        .clone()
        .map(|id| backbeat_domain::catalog::reference("platformId", id).map(PlatformId::from))
        .transpose()
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let found = distribution::page(
        &state,
        &caller,
        status,
        platform.as_ref(),
        cursor.as_ref(),
        limit,
    )
    .await?;
    Ok(response::page(
        DistributionList::from(found.items),
        found.next.as_ref(),
        limit,
    ))
}

#[utoipa::path(
    get, path = "/distributions/{id}", tag = "distribution",
    params(("id" = String, Path, description = "Distribution id")),
    responses(
        (status = 200, description = "The distribution with its history", body = DataEnvelope<DistributionData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown distribution, or someone else's", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<DistributionId>,
) -> ApiResult<HttpResponse> {
    let found = distribution::get(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        DistributionData {
            distribution: found.into(),
        },
    ))
}

/// `DELETE` of a distribution not yet delivered.
#[derive(Debug, Serialize, ToSchema)]
pub struct Cancelled {
    #[schema(example = "success")]
    pub status: &'static str,
    pub message: String,
    pub data: DistributionData,
}

#[utoipa::path(
    delete, path = "/distributions/{id}", tag = "distribution",
    params(("id" = String, Path, description = "Distribution id")),
    responses(
        (status = 200, description = "Not yet delivered (scheduled, queued or failed): cancelled", body = Cancelled),
        (status = 202, description = "Delivered: a job sends the takedown (an ERN message whose deals end now); the status becomes `taken_down` when it is delivered. Asking again returns the same job", body = DataEnvelope<DistributionJob>,
            headers(("Location" = String, description = "/jobs/{jobId}"))),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown distribution, or someone else's", body = ErrorBody),
        (status = 409, description = "Being delivered right now, or already cancelled or taken down", body = ErrorBody),
    )
)]
pub async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<DistributionId>,
) -> ApiResult<HttpResponse> {
    Ok(
        match distribution::withdraw(&state, &caller, &id, &request_id.0).await? {
            Withdrawn::Cancelled(current) => HttpResponse::Ok().json(Cancelled {
                status: "success",
                message: "Distribution cancelled".to_owned(),
                data: DistributionData {
                    distribution: current.into(),
                },
            }),
            Withdrawn::TakingDown(current, job) => response::accepted(
                &state.settings.server.base_path,
                &job.to_string(),
                DistributionJob {
                    distribution: current.into(),
                    job_id: job.into_inner(),
                },
            ),
        },
    )
}

#[utoipa::path(
    post, path = "/distributions/{id}/retry", tag = "distribution",
    params(("id" = String, Path, description = "Distribution id")),
    responses(
        (status = 202, description = "Queued again with a new delivery job", body = DataEnvelope<DistributionJob>,
            headers(("Location" = String, description = "/jobs/{jobId}"))),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown distribution, or someone else's", body = ErrorBody),
        (status = 409, description = "Not failed", body = ErrorBody),
    )
)]
pub async fn retry(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<DistributionId>,
) -> ApiResult<HttpResponse> {
    let (current, job) = distribution::retry(&state, &caller, &id, &request_id.0).await?;
    Ok(response::accepted(
        &state.settings.server.base_path,
        &job.to_string(),
        DistributionJob {
            distribution: current.into(),
            job_id: job.into_inner(),
        },
    ))
}
