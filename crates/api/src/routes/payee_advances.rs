//! `POST /payees/{userId}/advances`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::{AlbumId, UserId};
use backbeat_domain::period::Period;
use backbeat_services::royalties::advances::{self, AdvanceInput};

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::royalties::{AdvanceCreated, AdvanceView};

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the body
#[schema(rename_all = "camelCase")]
pub struct AdvanceRequest {
    /// A decimal string above 0, with at most the currency's minor digits.
    #[schema(pattern = r"^[0-9]{1,12}(\.[0-9]{1,4})?$", example = "500.00")]
    amount: String,
    /// The base currency (`royalties.base_currency`).
    #[schema(pattern = "^[A-Z]{3}$", example = "USD")]
    currency: String,
    #[schema(pattern = r"^[^\x00]*$")]
    note: Option<String>,
    /// The first period recouping it; this month when absent.
    #[schema(value_type = Option<crate::schemas::Month>)]
    period: Option<String>,
    /// The releases whose earnings recoup it (1 to 100, each once). Absent or `null`: everything
    /// the payee earns recoups it.
    #[schema(nullable, max_items = 100, min_items = 1)]
    album_ids: Option<Vec<String>>,
}

/// The most releases one advance may name.
const MAX_RELEASES: usize = 100;

#[utoipa::path(
    post, path = "/payees/{userId}/advances", tag = "royalties",
    params(("userId" = String, Path, description = "The payee's account")),
    request_body = AdvanceRequest,
    responses(
        (status = 201, description = "Recorded: the payee's next statements recoup it from their earnings (of its releases, when it names some) before anything is payable", body = DataEnvelope<AdvanceCreated>),
        (status = 400, description = "Invalid amount, a currency other than the base currency, an invalid period, or `albumIds` not 1 to 100 distinct ids", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "Unknown user, or a release in `albumIds` that does not exist", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    user: web::Path<UserId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let amount = f.string("amount");
    let currency = f.string("currency");
    let note = f.optional_string("note");
    let period = f
        .optional_string("period")
        .and_then(|p| f.check(Period::parse("period", &p)));
    let albums = f
        .optional_ids::<AlbumId>("albumIds", MAX_RELEASES)
        .flatten();
    let (amount, currency) = f.finish((amount, currency))?;
    let advance = advances::create(
        &state,
        &caller,
        &user,
        AdvanceInput {
            amount,
            currency,
            note,
            period,
            albums,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::CREATED,
        AdvanceCreated {
            advance_id: advance.advance.id.to_string(),
            advance: AdvanceView::from(advance),
        },
    ))
}
