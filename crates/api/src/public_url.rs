//! The address clients reach this server at, for links in responses (`coverUrl`): the configured
//! `server.public_base_url` when set; otherwise the request's own, as the client addressed it
//! (`Host`), or as the proxy in front says (`X-Forwarded-Proto`, `X-Forwarded-Host`), believed
//! only from `server.trusted_proxies`.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpRequest, web};

use crate::state::AppState;

/// `scheme://host[:port]{base_path}`, without a trailing slash.
#[derive(Debug, Clone)]
pub struct PublicBase(pub String);

impl PublicBase {
    /// The public URL of a stored object, served by the API at `/media/{key}`.
    pub fn media_url(&self, key: &str) -> String {
        format!("{}/media/{key}", self.0)
    }
}

fn first(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic()))
}

pub fn of(req: &HttpRequest, state: &AppState) -> PublicBase {
    let server = &state.settings.server;
    let configured = server.public_base_url.trim_end_matches('/');
    if !configured.is_empty() {
        return PublicBase(format!("{configured}{}", server.base_path));
    }
    let headers = req.headers();
    let trusted = req
        .peer_addr()
        .is_some_and(|peer| server.trusted_proxies.contains(&peer.ip()));
    let forwarded = |name| trusted.then(|| first(headers, name)).flatten();
    let scheme = forwarded("x-forwarded-proto")
        .filter(|s| s == "https" || s == "http")
        .unwrap_or_else(|| "http".to_owned());
    let host = forwarded("x-forwarded-host")
        .or_else(|| first(headers, header::HOST.as_str()))
        .unwrap_or_else(|| {
            let local = req.app_config().local_addr();
            format!("{}:{}", local.ip(), local.port())
        });
    PublicBase(format!("{scheme}://{host}{}", server.base_path))
}

impl FromRequest for PublicBase {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let base = req
            .app_data::<web::Data<AppState>>()
            .map(|state| of(req, state))
            .unwrap_or_else(|| PublicBase(String::new()));
        ready(Ok(base))
    }
}
