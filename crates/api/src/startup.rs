//! Building and running the HTTP server. Tests call [`Application::build`] with port 0 and talk
//! HTTP to the real thing.

use std::net::TcpListener;

use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::{Method, header};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use backbeat_config::Settings;

use crate::request_context::request_context;
use crate::routes;
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on its own listener, when `server.metrics_port` asks for one.
    metrics: Option<(u16, Server)>,
    state: AppState,
    relay: tokio::task::JoinHandle<()>,
    stop_relay: std::sync::Arc<tokio::sync::Notify>,
    key_use: tokio::task::JoinHandle<()>,
    fanout: tokio::task::JoinHandle<()>,
    stop_fanout: std::sync::Arc<tokio::sync::Notify>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        let metrics_listener = match settings.server.metrics_port {
            0 => None,
            port => Some(TcpListener::bind((settings.server.host.as_str(), port))?),
        };
        check_origins(&settings.server.cors_allowed_origins)?;
        crate::metrics::install();
        let (state, relay) = AppState::build(settings).await?;
        // On this (the main) runtime: actix's per-worker runtimes stop at shutdown.
        let stop_relay = relay.stopper();
        let relay = tokio::spawn(relay.run());
        let key_use = tokio::spawn(flush_key_use(state.clone()));
        let stop_fanout = std::sync::Arc::new(tokio::sync::Notify::new());
        let fanout = tokio::spawn(state.chat_hub.clone().run_fanout(stop_fanout.clone()));
        tokio::spawn(close_chat_on_stop(state.chat_hub.clone()));
        let server = serve(listener, state.clone())?;
        tracing::info!(
            address = %format!("http://{}:{port}", state.settings.server.host),
            "backbeat-api listening"
        );
        let metrics = match metrics_listener {
            Some(listener) => {
                let port = listener.local_addr()?.port();
                tracing::info!(
                    address = %format!("http://{}:{port}/metrics", state.settings.server.host),
                    "metrics on their own listener"
                );
                Some((port, serve_metrics(listener, state.clone())?))
            }
            None => None,
        };
        Ok(Self {
            port,
            server,
            metrics,
            state,
            relay,
            stop_relay,
            key_use,
            fanout,
            stop_fanout,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `/metrics`' own listener, when it has one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, then stops accepting and lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = async {
            match self.metrics {
                Some((_, server)) => server.await,
                None => Ok(()),
            }
        };
        // Both hear SIGTERM and stop together.
        let (result, metrics) = tokio::join!(self.server, metrics);
        let result = result.and(metrics);
        stop(self.relay, &self.stop_relay).await;
        self.key_use.abort();
        self.stop_fanout.notify_one();
        let _ = self.fanout.await;
        if let Err(error) = self.state.access.flush_key_use(&self.state).await {
            tracing::warn!(error = %error, "API keys' last use not recorded at shutdown");
        }
        self.state.broker.close().await;
        result
    }
}

/// On SIGTERM or SIGINT (which actix also hears, to stop serving), chat connections close with
/// 1001 at once rather than when the shutdown timeout cuts them.
async fn close_chat_on_stop(hub: std::sync::Arc<crate::chat::Hub>) {
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    hub.close_all();
}

fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let server = &state.settings.server;
    let workers = if server.workers == 0 {
        std::thread::available_parallelism().map_or(2, usize::from)
    } else {
        server.workers
    };
    let shutdown_timeout = server.shutdown_timeout_secs;
    let data = web::Data::new(state);
    Ok(HttpServer::new(move || {
        let base_path = data.settings.server.base_path.clone();
        let reference_routes = data.settings.server.reference_routes;
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(crate::input::storable_query))
            .wrap(cors(&data.settings.server.cors_allowed_origins))
            .wrap(from_fn(request_context))
            // Only when the client asks (`Accept-Encoding`); outermost, so it sees final bodies.
            .wrap(Compress::default())
            .service(
                web::scope(&base_path)
                    .configure(routes::configure)
                    .configure(|cfg| {
                        if reference_routes {
                            routes::bench::configure(cfg);
                        }
                    })
                    .service(routes::docs::swagger_ui(&base_path)),
            )
            .default_service(web::to(routes::not_found))
    })
    .workers(workers)
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run())
}

/// The monitoring system's listener: `/metrics` and nothing else, on one HTTP worker.
fn serve_metrics(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let shutdown_timeout = state.settings.server.shutdown_timeout_secs;
    let data = web::Data::new(state);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/metrics", web::get().to(routes::health::own_port_metrics))
            .default_service(web::to(routes::not_found))
    })
    .workers(1)
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run())
}

/// An origin is `scheme://host[:port]`, nothing more (a browser sends exactly that).
fn check_origins(origins: &[String]) -> anyhow::Result<()> {
    for origin in origins {
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        let valid = rest.is_some_and(|host| {
            !host.is_empty()
                && host.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        });
        anyhow::ensure!(
            valid,
            "server.cors_allowed_origins: `{origin}` is not an origin (scheme://host[:port], no path, no `*`)"
        );
    }
    Ok(())
}

/// Browsers on the configured origins may call the API; others get no CORS headers (and a
/// refused preflight). Bearer tokens, not cookies: credentials mode is not needed.
fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("x-api-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            "x-request-id",
            "location",
            "retry-after",
            "ratelimit-limit",
            "ratelimit-remaining",
            "ratelimit-reset",
            "x-data-source",
        ])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Writes API keys' `lastUsedAt` every `auth.key_usage_flush_secs`, instead of on every request.
async fn flush_key_use(state: AppState) {
    let every = Duration::from_secs(state.settings.auth.key_usage_flush_secs.max(1));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = state.access.flush_key_use(&state).await {
            tracing::warn!(error = %error, "API keys' last use not recorded; retrying");
        }
    }
}

/// Lets the relay close its channel before the connection goes (an aborted relay leaves one
/// that lapin reports as a connection error); aborts it if it takes too long.
async fn stop(relay: tokio::task::JoinHandle<()>, stopper: &tokio::sync::Notify) {
    stopper.notify_one();
    let abort = relay.abort_handle();
    if tokio::time::timeout(Duration::from_secs(5), relay)
        .await
        .is_err()
    {
        abort.abort();
    }
}
