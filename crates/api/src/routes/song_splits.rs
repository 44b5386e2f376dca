//! `GET|PUT /songs/{id}/splits`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::email::EmailAddress;
use backbeat_domain::ids::{SongId, UserId};
use backbeat_services::royalties::splits::{self, PayeeRef, SplitInput};
use serde_json::Value;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::input::JsonObject;
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::royalties::{SplitList, SplitView};

/// Most payees one song can have.
const MAX_SPLITS: usize = 100;

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the body
pub struct SplitsRequest {
    /// Each share names one payee, by account or by email, and is a whole number of basis points
    /// above 0; the shares add up to exactly 10000. An empty list gives the owner 100% again.
    #[schema(max_items = 100)]
    splits: Vec<SplitRequest>,
}

/// One share: a payee, by account or by email, and its basis points. "Exactly one of" is
/// written into the served document (`crate::openapi::served`), as utoipa has no `not`.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "camelCase")]
pub struct SplitRequest {
    /// An account (exactly one of `payeeUserId` and `payeeEmail`).
    #[schema(value_type = Option<crate::schemas::Reference>)]
    payee_user_id: Option<String>,
    /// Someone without an account: their statement is emailed there, and they claim it by
    /// signing up with the address.
    #[schema(value_type = Option<crate::schemas::Email>)]
    payee_email: Option<String>,
    #[schema(minimum = 1, maximum = 10000, example = 5000)]
    share_bps: u32,
}

fn read(mut body: JsonObject) -> Result<Vec<SplitInput>, ApiError> {
    let invalid = |message: &str| ApiError::Validation(vec![FieldError::new("splits", message)]);
    let splits = body
        .take("splits")
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let items = match splits {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(invalid("is required")),
        Some(_) => return Err(invalid("must be an array of shares")),
    };
    if items.len() > MAX_SPLITS {
        return Err(invalid(&format!("may name at most {MAX_SPLITS} payees")));
    }
    let mut errors = Vec::new();
    let mut inputs = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let field = |name: &str| format!("splits[{i}].{name}");
        let Value::Object(mut item) = item else {
            errors.push(FieldError::new(format!("splits[{i}]"), "must be an object"));
            continue;
        };
        let text = |item: &mut serde_json::Map<String, Value>,
                    name: &str,
                    errors: &mut Vec<FieldError>| {
            match item.remove(name) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s),
                Some(_) => {
                    errors.push(FieldError::new(field(name), "must be a string"));
                    None
                }
            }
        };
        let user = text(&mut item, "payeeUserId", &mut errors);
        let email = text(&mut item, "payeeEmail", &mut errors);
        let payee = match (user, email) {
            (Some(user), None) => Some(PayeeRef::User(UserId::from(user))),
            (None, Some(email)) => EmailAddress::parse(&field("payeeEmail"), email)
                .map_err(|e| errors.push(e))
                .ok()
                .map(PayeeRef::Email),
            _ => {
                errors.push(FieldError::new(
                    format!("splits[{i}]"),
                    "must name exactly one of payeeUserId and payeeEmail",
                ));
                None
            }
        };
        let share = match item.remove("shareBps") {
            Some(Value::Number(n)) => {
                crate::input::integer_of(&n).and_then(|n| u32::try_from(n).ok())
            }
            _ => None,
        };
        if share.is_none() {
            errors.push(FieldError::new(
                field("shareBps"),
                "must be a whole number of basis points from 1 to 10000",
            ));
        }
        if let (Some(payee), Some(share_bps)) = (payee, share) {
            inputs.push(SplitInput { payee, share_bps });
        }
    }
    if errors.is_empty() {
        Ok(inputs)
    } else {
        Err(ApiError::Validation(errors))
    }
}

#[utoipa::path(
    get, path = "/songs/{id}/splits", tag = "royalties",
    params(("id" = String, Path, description = "Song id")),
    responses(
        (status = 200, description = "The song's current splits, largest share first (empty: the owner gets 100%)", body = DataEnvelope<SplitList>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the song's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown song", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<SongId>,
) -> ApiResult<HttpResponse> {
    let found = splits::get(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        SplitList {
            splits: found.into_iter().map(SplitView::from).collect(),
        },
    ))
}

#[utoipa::path(
    put, path = "/songs/{id}/splits", tag = "royalties",
    params(("id" = String, Path, description = "Song id")),
    request_body = SplitsRequest,
    responses(
        (status = 200, description = "The splits as they now are. They apply to periods not run yet: a run freezes the splits it used, \\
            so a rerun pays as before", body = DataEnvelope<SplitList>),
        (status = 400, description = "Shares that do not add up to 10000, a share of 0, a payee named twice or by both or neither of \\
            account and email, an unknown account (`splits[i].payeeUserId`)", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the song's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown song", body = ErrorBody),
    )
)]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<SongId>,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    // The song first: a caller who may not set its splits learns nothing from the body's rules.
    splits::get(&state, &caller, &id).await?;
    let inputs = read(body)?;
    let found = splits::replace(&state, &caller, &id, inputs).await?;
    Ok(response::data(
        StatusCode::OK,
        SplitList {
            splits: found.into_iter().map(SplitView::from).collect(),
        },
    ))
}
