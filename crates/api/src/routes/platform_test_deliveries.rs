//! `POST|GET /platforms/{id}/test-deliveries`: onboarding a platform, admins send it releases as
//! test messages and follow what it did with them, apart from the releases' own distributions.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::catalog;
use backbeat_domain::ids::{AlbumId, PlatformId};
use backbeat_services::distribution::test_deliveries;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::request_context::RequestId;
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::distribution::{DistributionList, DistributionStarted, TestDeliveryStarted};

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct TestDeliveryRequest {
    /// Any ready release (`GET /albums/{id}/readiness`), whoever owns it.
    #[schema(example = "album-Qbax5Oy7L8WKf74l")]
    album_id: String,
}

#[utoipa::path(
    post, path = "/platforms/{id}/test-deliveries", tag = "distribution",
    params(("id" = String, Path, description = "Platform id")),
    request_body = TestDeliveryRequest,
    responses(
        (status = 202, description = "The test delivery (a distribution of its own, never live) and the job delivering it: its messages say `TestMessage`, a batch carrying them `IsTestFlag` true", body = DataEnvelope<TestDeliveryStarted>),
        (status = 400, description = "No `albumId`, an unknown one, or a release that is not ready (`details` lists its problems)", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown or inactive platform", body = ErrorBody),
        (status = 409, description = "The platform is live, not in onboarding", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    request_id: RequestId,
    id: web::Path<PlatformId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    test_deliveries::admins_only(&caller)?;
    let mut f = Fields::new(body);
    let album = f
        .string("albumId")
        .and_then(|v| f.check(catalog::reference("albumId", v).map(AlbumId::from)));
    let (album,) = f.finish((album,))?;
    let created = test_deliveries::send(&state, &caller, &id, &album, &request_id.0).await?;
    Ok(response::data(
        StatusCode::ACCEPTED,
        TestDeliveryStarted {
            distribution: DistributionStarted::from(created),
        },
    ))
}

#[utoipa::path(
    get, path = "/platforms/{id}/test-deliveries", tag = "distribution",
    params(("id" = String, Path, description = "Platform id"), PageQuery),
    responses(
        (status = 200, description = "The platform's test deliveries, oldest first, each with what the platform said and its history", body = PageEnvelope<DistributionList>),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin, or an API key", body = ErrorBody),
        (status = 404, description = "Unknown platform", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<PlatformId>,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let found = test_deliveries::page(&state, &caller, &id, cursor.as_ref(), limit).await?;
    Ok(response::page(
        DistributionList::from(found.items),
        found.next.as_ref(),
        limit,
    ))
}
