//! What every handler shares: the services' context and this process's chat hub.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use backbeat_config::Settings;
use backbeat_services::Context;
use backbeat_services::jobs::Relay;

use crate::chat::Hub;

#[derive(Clone)]
pub struct AppState {
    pub ctx: Context,
    /// Whether the outbox relay is publishing (readiness).
    pub relay_health: Arc<AtomicBool>,
    /// This process's chat connections and their fan-out.
    pub chat_hub: Arc<Hub>,
}

impl Deref for AppState {
    type Target = Context;

    fn deref(&self) -> &Context {
        &self.ctx
    }
}

impl AppState {
    /// Builds the pools without connecting: the API starts even when a dependency is down and
    /// reports it through `/health/ready` and 503s.
    /// Also returns the outbox relay, to be run on the process's main runtime.
    pub async fn build(settings: Settings) -> anyhow::Result<(Self, Relay)> {
        let ctx = Context::build(settings, "backbeat-api").await?;
        let relay = Relay::new(ctx.db.clone(), ctx.broker.clone(), &ctx.settings);
        let relay_health = relay.health();
        let chat_hub = Hub::new(ctx.clone());
        Ok((
            Self {
                chat_hub,
                ctx,
                relay_health,
            },
            relay,
        ))
    }
}
