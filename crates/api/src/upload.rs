//! Streaming one part of a `multipart/form-data` upload into storage, under its size limit (413
//! while reading, before the whole body arrives), ignoring small extra parts.

use std::collections::BTreeMap;

use actix_multipart::Multipart;
use actix_web::HttpRequest;
use actix_web::http::header;
use backbeat_storage::{Incoming, Received, StorageError};
use futures_util::TryStreamExt;

use crate::error::{ApiError, ApiResult};

/// Room for boundaries, part headers and small extra fields.
pub const OVERHEAD: u64 = 64 * 1024;

pub fn too_large(field: &str, limit: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!("`{field}` must be at most {limit} bytes"))
}

pub fn malformed(error: impl std::fmt::Display) -> ApiError {
    ApiError::InvalidJson(format!("malformed multipart body: {error}"))
}

/// Refuses what is not a multipart request, or announces more than the limit allows.
pub fn check_request(request: &HttpRequest, field: &str, limit: u64) -> ApiResult<()> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit + OVERHEAD) {
        return Err(too_large(field, limit));
    }
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send `{field}` as multipart/form-data"
        )));
    }
    Ok(())
}

/// Writes the part named `field` into `incoming` and returns the finished upload.
pub async fn receive(
    multipart: &mut Multipart,
    field: &str,
    incoming: Incoming,
    limit: u64,
) -> ApiResult<Received> {
    receive_form(multipart, field, incoming, limit, &[])
        .await
        .map(|form| form.file)
}

/// An upload form: the file and the text fields asked for.
pub struct Form {
    pub file: Received,
    /// As the client named it (`filename` of its part).
    pub file_name: Option<String>,
    pub texts: BTreeMap<String, String>,
}

/// Longest value of a text field of an upload form.
const TEXT_FIELD_MAX: usize = 1024;

/// Like [`receive`], and also reads the small text parts named in `texts` (in any order, before
/// or after the file), returned by name.
pub async fn receive_form(
    multipart: &mut Multipart,
    field: &str,
    mut incoming: Incoming,
    limit: u64,
    texts: &[&str],
) -> ApiResult<Form> {
    let mut found = false;
    let mut file_name = None;
    let mut values = BTreeMap::new();
    // Every byte of the body, the other parts included, counts against the request's limit.
    let mut total = 0u64;
    while let Some(mut part) = multipart.try_next().await.map_err(malformed)? {
        let name = part.name().unwrap_or_default().to_owned();
        let wanted = !found && name == field;
        if wanted {
            file_name = part
                .content_disposition()
                .and_then(|d| d.get_filename())
                .map(|n| n.chars().filter(|c| !c.is_control()).take(200).collect());
        }
        let text = texts.contains(&name.as_str()) && !values.contains_key(&name);
        let mut value = Vec::new();
        while let Some(chunk) = part.try_next().await.map_err(malformed)? {
            total += chunk.len() as u64;
            if total > limit + OVERHEAD {
                return Err(too_large(field, limit));
            }
            if wanted {
                incoming
                    .write(&chunk)
                    .await
                    .map_err(|e| refused(field, limit, e))?;
            } else if text {
                if value.len() + chunk.len() > TEXT_FIELD_MAX {
                    return Err(ApiError::field(
                        &name,
                        format!("must be at most {TEXT_FIELD_MAX} bytes"),
                    ));
                }
                value.extend_from_slice(&chunk);
            }
        }
        if text {
            let value = String::from_utf8(value)
                .map_err(|_| ApiError::field(&name, "must be UTF-8 text"))?;
            backbeat_domain::validation::storable(&name, &value)
                .map_err(|e| ApiError::Validation(vec![e]))?;
            values.insert(name, value);
        }
        found |= wanted;
    }
    if !found {
        return Err(ApiError::field(field, "is required"));
    }
    let file = incoming
        .finish()
        .await
        .map_err(|e| refused(field, limit, e))?;
    Ok(Form {
        file,
        file_name,
        texts: values,
    })
}

fn refused(field: &str, limit: u64, error: StorageError) -> ApiError {
    match error {
        StorageError::TooLarge(_) => too_large(field, limit),
        StorageError::Corrupt(reason) => ApiError::field(field, reason),
        remote @ StorageError::Remote(_) => ApiError::Unavailable(remote.into()),
        other => ApiError::internal(other),
    }
}
