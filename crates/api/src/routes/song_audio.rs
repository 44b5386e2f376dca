//! `PUT /songs/{id}/audio`: the track's master audio.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use backbeat_domain::ids::SongId;
use backbeat_services::catalog::songs;
use backbeat_services::catalog::uploads::{self, Upload};

use crate::auth::MaybeCaller;
use crate::error::{ApiResult, ErrorBody};
use crate::response::{self, DataEnvelope};
use crate::state::AppState;
use crate::upload;
use crate::views::distribution::AudioData;

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // documents the multipart body
pub struct AudioUpload {
    /// A WAV or FLAC file, stereo, at least 16-bit / 44.1 kHz, at most `distribution.audio_max_bytes`
    /// (200 MiB by default). The file itself is read; its name and declared type are ignored.
    #[schema(value_type = String, format = Binary)]
    audio: Vec<u8>,
}

#[utoipa::path(
    put, path = "/songs/{id}/audio", tag = "distribution",
    params(("id" = String, Path, description = "Song id")),
    request_body(content = AudioUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Stored, replacing any earlier audio: the file's format, technical details, exact duration and SHA-256", body = DataEnvelope<AudioData>),
        (status = 400, description = "No `audio` part, or a file that is not usable, with the reason (not WAV or FLAC, truncated, mono, 8-bit, under 44.1 kHz...)", body = ErrorBody),
        (status = 401, description = "No access token", body = ErrorBody),
        (status = 403, description = "Not the song's owner nor an admin", body = ErrorBody),
        (status = 404, description = "Unknown song", body = ErrorBody),
        (status = 413, description = "Over the size limit (checked while streaming)", body = ErrorBody),
        (status = 415, description = "Not a multipart/form-data request", body = ErrorBody),
    )
)]
pub async fn upload(
    state: web::Data<AppState>,
    caller: MaybeCaller,
    id: web::Path<SongId>,
    request: HttpRequest,
    mut multipart: Multipart,
) -> ApiResult<HttpResponse> {
    state.catalog_policy().require_writer(caller.actor())?;
    let limit = Upload::Audio.limit(&state);
    upload::check_request(&request, "audio", limit)?;
    // Refuse before reading the upload when the song is unknown or not the caller's.
    let song = songs::writable(&state, &mut *state.conn().await?, caller.actor(), &id).await?;
    let incoming = uploads::receive(&state, Upload::Audio).await?;
    let received = upload::receive(&mut multipart, "audio", incoming, limit).await?;
    let audio = uploads::store_audio(&state, song, received).await?;
    Ok(response::data(
        StatusCode::OK,
        AudioData {
            audio: audio.into(),
        },
    ))
}
