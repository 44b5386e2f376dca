//! What every job handler gets: the database, the mailer, the configuration.

use std::sync::Arc;

use backbeat_config::Settings;
use backbeat_db::{DbPool, PooledConnection};
use backbeat_mail::Mailer;

use crate::JobError;

pub struct JobContext {
    pub settings: Arc<Settings>,
    pub db: DbPool,
    pub mailer: Mailer,
}

impl JobContext {
    pub fn new(settings: Settings, db: DbPool) -> anyhow::Result<Self> {
        let mailer = Mailer::new(&settings.smtp, &settings.mail)?;
        Ok(Self {
            settings: Arc::new(settings),
            db,
            mailer,
        })
    }

    /// A connection; an outage is a temporary failure (the job is retried).
    pub async fn conn(&self) -> Result<PooledConnection, JobError> {
        Ok(backbeat_db::pool::get(&self.db).await?)
    }
}
