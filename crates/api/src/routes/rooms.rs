//! `POST|GET /rooms`, `GET /rooms/{id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::FieldError;
use backbeat_domain::chat::RoomKind;
use backbeat_domain::ids::{ArtistId, RoomId};
use backbeat_domain::validation::text;
use backbeat_services::chat::rooms::{self, NewRoom};
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::input::{Fields, JsonObject};
use crate::response::{self, DataEnvelope, PageEnvelope, PageQuery};
use crate::state::AppState;
use crate::views::community::{RoomCreated, RoomData, RoomDetail, RoomList, RoomView};

pub const NAME_MAX: usize = 100;

#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body read by `Fields`
#[schema(rename_all = "camelCase")]
pub struct RoomRequest {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00]*[^\x00\s][^\x00]*$",
        example = "Listening party"
    )]
    name: String,
    #[schema(schema_with = crate::schemas::room_kind)]
    kind: String,
    /// Makes this the artist's room (one per artist; the artist must be the caller's).
    #[schema(example = "artist-Qbax5Oy7L8WKf74l")]
    artist_id: Option<String>,
}

fn kind(raw: String) -> Result<RoomKind, FieldError> {
    RoomKind::parse(&raw)
        .ok_or_else(|| FieldError::new("kind", format!("must be {}", RoomKind::words())))
}

#[utoipa::path(
    post, path = "/rooms", tag = "community",
    request_body = RoomRequest,
    responses(
        (status = 201, description = "Room created; the caller owns and moderates it", body = DataEnvelope<RoomCreated>),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "`artistId` names none of the caller's artists", body = ErrorBody),
        (status = 409, description = "The artist already has a room", body = ErrorBody),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: JsonObject,
) -> ApiResult<HttpResponse> {
    let mut f = Fields::new(body);
    let name = f
        .string("name")
        .and_then(|v| f.check(text("name", v, NAME_MAX)));
    let kind = f.string("kind").and_then(|v| f.check(kind(v)));
    let artist_id = f.optional_string("artistId").map(ArtistId::from);
    let (name, kind) = f.finish((name, kind))?;
    let id = rooms::create(
        &state,
        &caller,
        NewRoom {
            name,
            kind,
            artist_id,
        },
    )
    .await?;
    Ok(response::data(
        StatusCode::CREATED,
        RoomCreated {
            room_id: id.into_inner(),
        },
    ))
}

#[utoipa::path(
    get, path = "/rooms", tag = "community",
    params(PageQuery),
    responses(
        (status = 200, description = "The rooms the caller may enter (public ones and the private ones they are a member of), oldest first", body = PageEnvelope<RoomList>),
        (status = 400, description = "Invalid `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, cursor) = page.read()?;
    let found = rooms::list(&state, &caller, cursor.as_ref(), limit).await?;
    Ok(response::page(
        RoomList {
            rooms: found.items.into_iter().map(RoomView::from).collect(),
        },
        found.next.as_ref(),
        limit,
    ))
}

#[utoipa::path(
    get, path = "/rooms/{id}", tag = "community",
    params(("id" = String, Path, description = "Room id")),
    responses(
        (status = 200, description = "The room", body = DataEnvelope<RoomData>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 404, description = "Unknown room, or a private room the caller is not a member of", body = ErrorBody),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<RoomId>,
) -> ApiResult<HttpResponse> {
    let entered = rooms::enter(&state, &caller, &id).await?;
    let member_count = match entered.room.kind {
        RoomKind::Private => rooms::member_count(&state, &id).await?,
        RoomKind::Public => 0,
    };
    Ok(response::data(
        StatusCode::OK,
        RoomData {
            room: RoomDetail {
                room: entered.room.into(),
                member_count,
                moderator: entered.moderator,
            },
        },
    ))
}
