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

/// `?limit=&cursor=` of the lists that page (default 20, at most 100).
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    /// 1-100; default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// `meta.nextCursor` of the previous page.
    pub cursor: Option<String>,
}

pub const PAGE_DEFAULT: i64 = 20;
pub const PAGE_MAX: i64 = 100;

impl PageQuery {
    /// The limit and the cursor, of the kind the list pages by.
    pub fn read<C: PageCursor>(&self) -> Result<(i64, Option<C>), crate::error::ApiError> {
        use backbeat_domain::paging::limit;
        let mut errors = Vec::new();
        let limit = limit("limit", self.limit.as_deref(), PAGE_DEFAULT, PAGE_MAX)
            .map_err(|e| errors.push(e))
            .unwrap_or(PAGE_DEFAULT);
        let cursor = self
            .cursor
            .as_deref()
            .and_then(|raw| C::decode("cursor", raw).map_err(|e| errors.push(e)).ok());
        if errors.is_empty() {
            Ok((limit, cursor))
        } else {
            Err(crate::error::ApiError::Validation(errors))
        }
    }
}
