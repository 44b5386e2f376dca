//! `GET /albums/{id}/readiness`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use backbeat_domain::ids::AlbumId;
use backbeat_services::distribution::readiness;

use crate::auth::Caller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::distribution::{ProblemView, Readiness};

#[utoipa::path(
    get, path = "/albums/{id}/readiness", tag = "distribution",
    params(("id" = String, Path, description = "Album id")),
    responses(
        (status = 200, description = "Every problem that blocks delivery, each with a stable `code` (`UPC_MISSING`, `UPC_INVALID`, \\
            `ARTIST_MISSING`, `LABEL_MISSING`, `GENRE_MISSING`, `RELEASE_DATE_MISSING`, `P_LINE_MISSING`, `C_LINE_MISSING`, \\
            `ARTWORK_MISSING`, `ARTWORK_UNSUITABLE`, `NO_TRACKS`, `TRACK_ISRC_MISSING`, `TRACK_ISRC_INVALID`, `DUPLICATE_ISRC`, \\
            `TRACK_NUMBER_MISSING`, `DUPLICATE_TRACK_NUMBER`, `TRACK_AUDIO_MISSING`, `TRACK_AUDIO_UNSUITABLE`), the field and a message; \\
            `ready` when there are none", body = DataEnvelope<Readiness>),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the album's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown album", body = ErrorBody),
    )
)]
pub async fn check(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AlbumId>,
) -> ApiResult<HttpResponse> {
    let problems = readiness::check(&state, &caller, &id).await?;
    Ok(response::data(
        StatusCode::OK,
        Readiness {
            ready: problems.is_empty(),
            problems: problems.into_iter().map(ProblemView::from).collect(),
        },
    ))
}
