//! The success envelope: `{"status": "success", "data": ...}` or `{"status": "success", "message": ...}`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::web::Bytes;
use backbeat_domain::paging::PageCursor;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct DataEnvelope<T> {
    #[schema(example = "success")]
    pub status: &'static str,
    pub data: T,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageEnvelope {
    #[schema(example = "success")]
    pub status: &'static str,
    pub message: String,
}

pub fn data<T: Serialize>(status: StatusCode, data: T) -> HttpResponse {
    HttpResponse::build(status).json(DataEnvelope {
        status: "success",
        data,
    })
}

/// A JSON body rendered once to be kept (in a page cache), then sent by [`rendered`].
pub fn json_body<T: Serialize>(value: &T) -> backbeat_services::Result<Bytes> {
    serde_json::to_vec(value)
        .map(Bytes::from)
        .map_err(backbeat_services::Error::internal)
}

/// The body [`data`] sends, as [`json_body`].
pub fn data_body<T: Serialize>(data: &T) -> backbeat_services::Result<Bytes> {
    json_body(&DataEnvelope {
        status: "success",
        data,
    })
}

/// 200 with a body [`json_body`] rendered.
pub fn rendered(body: Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(body)
}

/// 200 with a file to save: `content_type` (`text/csv; charset=utf-8`, `application/pdf`) and
/// `Content-Disposition: attachment` naming it.
pub fn file(content_type: &str, name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

/// Says where a cached read's answer came from: `X-Data-Source: cache` or `database`.
pub fn from_source(mut response: HttpResponse, source: backbeat_services::Source) -> HttpResponse {
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("x-data-source"),
        actix_web::http::header::HeaderValue::from_static(match source {
            backbeat_services::Source::Cache => "cache",
            backbeat_services::Source::Database => "database",
        }),
    );
    response
}

pub fn message(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(MessageEnvelope {
        status: "success",
        message: message.into(),
    })
}

/// Where the next page starts.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    pub limit: i64,
}

/// A page of a list: `{"status": "success", "data": ..., "meta": {"nextCursor", "limit"}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageEnvelope<T> {
    #[schema(example = "success")]
    pub status: &'static str,
    pub data: T,
    pub meta: Meta,
}

pub fn page<T: Serialize, C: PageCursor>(data: T, next: Option<&C>, limit: i64) -> HttpResponse {
    HttpResponse::Ok().json(PageEnvelope {
        status: "success",
        data,
        meta: Meta {
            next_cursor: next.map(PageCursor::encode),
            limit,
        },
    })
}

/// Background work started: 202 with `Location: {base_path}/jobs/{id}`.
pub fn accepted<T: Serialize>(base_path: &str, job_id: &str, data: T) -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header(("Location", format!("{base_path}/jobs/{job_id}")))
        .json(DataEnvelope {
            status: "success",
            data,
        })
}

/// `?limit=&cursor=` of the lists sorted by time (default 20, at most 100).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1-100; default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `meta.nextCursor` of the previous page; absent or empty: the first page. A position in
    /// the list (`{micros}.{id}`): every string of this form is one.
    #[param(pattern = r"^([0-9]{1,16}\.[A-Za-z0-9_-]{1,64})?$")]
    pub cursor: Option<String>,
}

/// `?limit=&cursor=` of the lists of numbered lines (default 20, at most 100).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct LinePageQuery {
    /// 1-100; default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `meta.nextCursor` of the previous page; absent or empty: the first page. The number the
    /// next page starts after.
    #[param(pattern = "^([0-9]{1,18})?$")]
    pub cursor: Option<String>,
}

impl LinePageQuery {
    pub fn read(
        &self,
    ) -> Result<(i64, Option<backbeat_domain::paging::NumberCursor>), crate::error::ApiError> {
        read_page(self.limit.as_deref(), self.cursor.as_deref())
    }
}

pub const PAGE_DEFAULT: i64 = 20;
pub const PAGE_MAX: i64 = 100;

impl PageQuery {
    /// The limit and the cursor.
    pub fn read(
        &self,
    ) -> Result<(i64, Option<backbeat_domain::paging::Cursor>), crate::error::ApiError> {
        read_page(self.limit.as_deref(), self.cursor.as_deref())
    }
}

/// The limit and the cursor, of the kind the list pages by.
fn read_page<C: PageCursor>(
    limit: Option<&str>,
    cursor: Option<&str>,
) -> Result<(i64, Option<C>), crate::error::ApiError> {
    let mut errors = Vec::new();
    let limit = backbeat_domain::paging::limit("limit", limit, PAGE_DEFAULT, PAGE_MAX)
        .map_err(|e| errors.push(e))
        .unwrap_or(PAGE_DEFAULT);
    let cursor = backbeat_domain::paging::cursor::<C>("cursor", cursor)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if errors.is_empty() {
        Ok((limit, cursor))
    } else {
        Err(crate::error::ApiError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use backbeat_domain::paging::{Cursor, NumberCursor, PageCursor};
    use utoipa::IntoParams;

    /// The documented patterns are the decoders' own.
    #[test]
    fn page_queries_document_their_cursor_form() {
        for (params, pattern) in [
            (super::PageQuery::into_params(|| None), Cursor::PATTERN),
            (
                super::LinePageQuery::into_params(|| None),
                NumberCursor::PATTERN,
            ),
        ] {
            let cursor = params
                .iter()
                .find(|p| p.name == "cursor")
                .expect("a cursor parameter");
            let schema = serde_json::to_value(&cursor.schema).expect("schema");
            assert_eq!(schema["pattern"], pattern);
        }
    }
}
