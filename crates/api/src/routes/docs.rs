//! `GET /openapi.json` and `GET /docs` (Swagger UI, its assets built into the binary).

use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/openapi.json").route(web::get().to(openapi_json)))
        .service(web::resource("/docs").route(web::get().to(docs_redirect)));
}

/// Registered per app: Swagger UI must know the document's URL under the configured base path.
pub fn swagger_ui(base_path: &str) -> SwaggerUi {
    // No online validator badge: the page must not call out to the internet.
    SwaggerUi::new("/docs/{_:.*}")
        .config(Config::new([format!("{base_path}/openapi.json")]).validator_url("none"))
}

async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::served(&state.settings))
}

async fn docs_redirect(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((
            "Location",
            format!("{}/docs/", state.settings.server.base_path),
        ))
        .finish()
}
