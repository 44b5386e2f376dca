//! Per-request concerns in one middleware: the request id (taken from `X-Request-Id` when sane,
//! else generated, and echoed back), the span every log line of the request carries, the access
//! log line, and the guarantee that every error response is a JSON envelope, including those
//! produced before any handler runs (unknown route, wrong method, extractor failures).

use std::borrow::Cow;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use rand::RngExt;
use tracing::Instrument;

use crate::error::ErrorBody;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request, for handlers that pass it on (to jobs, for instance).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl actix_web::FromRequest for RequestId {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let id = req
            .extensions()
            .get::<RequestId>()
            .cloned()
            .unwrap_or_else(|| RequestId(generate()));
        std::future::ready(Ok(id))
    }
}

pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map_or_else(generate, str::to_owned);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
    );
    // A caller's W3C traceparent makes this request a span of its trace.
    backbeat_telemetry::set_parent(
        &span,
        req.headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok()),
    );
    let started = Instant::now();
    let method = req.method().to_string();
    // Handlers' and extractors' errors arrive as responses, and so do the inner middlewares'.
    let response = next
        .call(req)
        .instrument(span.clone())
        .await?
        .map_into_boxed_body();
    let route = route_of(response.request());
    let mut response = ensure_json_error(response);
    let status = response.status();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    crate::metrics::record_request(&method, &route, status.as_u16(), started.elapsed());
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request completed"
        );
    });
    Ok(response)
}

/// The pattern of the route that answered (`/albums/{id}`), set by the route table so that it is
/// not matched a second time (a walk through every route's pattern); a request no route took
/// (404, 405) is matched here.
#[derive(Clone, Copy)]
pub struct RoutePattern(pub &'static str);

fn route_of(req: &HttpRequest) -> Cow<'static, str> {
    if let Some(RoutePattern(pattern)) = req.extensions().get::<RoutePattern>() {
        return Cow::Borrowed(pattern);
    }
    req.match_pattern()
        .map_or(Cow::Borrowed("unmatched"), Cow::Owned)
}

fn ensure_json_error(response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let mut body = ErrorBody::for_status(status);
    // actix's own 4xx messages (a malformed path or query) are safe and useful; 5xx never are.
    if status.is_client_error()
        && let Some(error) = response.response().error()
    {
        body.message = error.to_string();
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let (request, _) = response.into_parts();
    let mut replacement = body.into_response(status);
    if let Some(allow) = allow {
        replacement.headers_mut().insert(header::ALLOW, allow);
    }
    ServiceResponse::new(request, replacement)
}

fn is_sane(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn generate() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    backbeat_storage::hex(&bytes)
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::{App, HttpResponse, test, web};

    use super::*;
    use crate::error::ApiError;

    #[actix_web::test]
    async fn server_errors_get_a_generic_json_body_whatever_produced_them() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(request_context))
                .route(
                    "/plain",
                    web::get().to(|| async {
                        HttpResponse::InternalServerError().body("db password is hunter2")
                    }),
                )
                .route(
                    "/api",
                    web::get().to(|| async {
                        Err::<HttpResponse, _>(ApiError::internal(anyhow::anyhow!(
                            "SELECT secret FROM vault"
                        )))
                    }),
                ),
        )
        .await;
        for path in ["/plain", "/api"] {
            let response =
                test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            assert_eq!(response.status(), 500);
            assert_eq!(
                response
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok()),
                Some("application/json")
            );
            assert!(response.headers().contains_key(REQUEST_ID));
            let body: serde_json::Value = test::read_body_json(response).await;
            assert_eq!(
                body,
                serde_json::json!({"status": "error", "message": "internal server error", "code": "INTERNAL_ERROR"})
            );
        }
    }
}
