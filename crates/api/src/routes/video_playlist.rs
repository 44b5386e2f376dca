//! `GET /videos/playlist`.

use actix_web::{HttpResponse, web};
use backbeat_services::videos::playlist;

use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::views::videos::{VideoList, VideoView};

#[utoipa::path(
    get, path = "/videos/playlist", tag = "videos",
    responses(
        (status = 200, description = "The public playlist: visible videos ready to play, newest first (at most `videos.playlist_size`). Served from Redis (`X-Data-Source: cache`) until a sync, a visibility change or a tag change replaces it; rendered from the database otherwise (`database`)", body = DataEnvelope<VideoList>,
            headers(("X-Data-Source" = String, description = "`cache` or `database`"))),
        (status = 401, description = "An invalid access token or API key", body = ErrorBody),
    )
)]
pub async fn get(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let (body, source) = playlist::get(&state, |videos| {
        let list = VideoList {
            videos: videos.into_iter().map(VideoView::from).collect(),
        };
        Ok(response::data_body(&list)?.to_vec())
    })
    .await?;
    Ok(response::from_source(response::rendered(body), source))
}
