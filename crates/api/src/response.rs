//! The success envelope: `{"status": "success", "data": ...}` or `{"status": "success", "message": ...}`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
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

pub fn message(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(MessageEnvelope {
        status: "success",
        message: message.into(),
    })
}
