//! RabbitMQ names of a test's own: a random prefix, and every queue deleted at the end.

use backbeat_config::Settings;
use backbeat_queue::{Broker, Topology};
use backbeat_services::jobs;
use rand::RngExt;

const QUEUE_EXPIRES_MS: u64 = 10 * 60 * 1000;

pub struct TestQueues {
    pub prefix: String,
    settings: Settings,
}

impl TestQueues {
    pub fn new(settings: &Settings) -> Self {
        let suffix: u64 = rand::rng().random();
        let mut settings = settings.clone();
        settings.rabbitmq.queue_expires_ms = Some(QUEUE_EXPIRES_MS);
        Self {
            prefix: format!("test-{suffix:016x}"),
            settings,
        }
    }

    /// `settings` with this test's prefix.
    /// Also makes the queues expire once unused, in case a process re-declares one after the
    /// clean-up.
    pub fn apply(&self, settings: &mut Settings) {
        settings.rabbitmq.prefix = self.prefix.clone();
        settings.rabbitmq.queue_expires_ms = Some(QUEUE_EXPIRES_MS);
    }

    pub fn topology(&self) -> Topology {
        let mut settings = self.settings.clone();
        self.apply(&mut settings);
        jobs::topology(&settings)
    }
}

impl Drop for TestQueues {
    fn drop(&mut self) {
        let topology = self.topology();
        let settings = self.settings.clone();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let broker = Broker::new(&settings.rabbitmq, "backbeat-test-cleanup");
                let connection = broker.connection().await.ok()?;
                let channel = connection.create_channel().await.ok()?;
                topology.delete_all(&channel).await.ok()?;
                broker.close().await;
                Some(())
            })
        })
        .join();
    }
}
