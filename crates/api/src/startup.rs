//! Building and running the HTTP server. Tests call [`Application::build`] with port 0 and talk
//! HTTP to the real thing.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use backbeat_config::Settings;

use crate::request_context::request_context;
use crate::routes;
use crate::state::AppState;

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    relay: tokio::task::JoinHandle<()>,
}

impl Application {
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))?;
        let port = listener.local_addr()?.port();
        if settings.server.public_base_url.is_empty() {
            settings.server.public_base_url = format!("http://{}:{port}", settings.server.host);
        }
        crate::metrics::install();
        let (state, relay) = AppState::build(settings).await?;
        // On this (the main) runtime: actix's per-worker runtimes stop at shutdown.
        let relay = tokio::spawn(relay.run());
        let server = serve(listener, state.clone())?;
        tracing::info!(
            address = %format!("http://{}:{port}", state.settings.server.host),
            "backbeat-api listening"
        );
        Ok(Self {
            port,
            server,
            state,
            relay,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM, then stops accepting and lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.relay.abort();
        self.state.broker.close().await;
        result
    }
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
        App::new()
            .app_data(data.clone())
            .wrap(from_fn(request_context))
            .service(
                web::scope(&base_path)
                    .configure(routes::configure)
                    .service(routes::docs::swagger_ui(&base_path)),
            )
            .default_service(web::to(routes::not_found))
    })
    .workers(workers)
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run())
}
