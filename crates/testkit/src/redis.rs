//! A Redis server of the test's own, for tests that stop Redis mid-test without disturbing the
//! shared one every other test uses.

use std::process::{Command, Stdio};

use crate::tls::{Listener, free_port, listening};

pub struct TestRedis {
    pub port: u16,
    server: Option<Listener>,
}

impl TestRedis {
    /// Starts `redis-server` on a free port, keeping nothing on disk; waits until it answers.
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    async fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (it runs on every machine of this kind)");
        Self {
            port,
            server: Some(listening(port, child).await),
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (an outage, as a crash would cause one).
    pub fn stop(&mut self) {
        self.server.take();
    }

    /// Starts an empty server on the same port again (Redis back after an outage, its data lost).
    pub async fn restart(&mut self) {
        self.stop();
        *self = Self::start_on(self.port).await;
    }
}
