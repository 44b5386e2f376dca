use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backbeat_api::Application;
use backbeat_config::Settings;
use backbeat_config::SmtpTls;
use backbeat_config::secrecy::ExposeSecret;
use backbeat_testkit::TestDatabase;
use backbeat_testkit::broker::TestQueues;
use backbeat_testkit::http::Client;
use backbeat_testkit::smtp::SmtpServer;
use mail_parser::MimeHeaders;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A database, RabbitMQ names, an SMTP server, and storage and drop folders of this test's own.
pub struct Stack {
    pub settings: Settings,
    pub smtp: SmtpServer,
    pub queues: TestQueues,
    pub db: TestDatabase,
    /// Held for its drop: `storage/` and `deliveries/` (one drop folder per platform code).
    pub _files: tempfile::TempDir,
}

/// The test client, plus the listener steps of the export tests.
pub struct Api(pub Client);

impl std::ops::Deref for Api {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.0
    }
}

impl Stack {
    pub async fn new(configure: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDatabase::create().await;
        let smtp = SmtpServer::start().await;
        let files = tempfile::tempdir().expect("files");
        let mut settings = db.settings();
        settings.storage.root = files.path().join("storage").display().to_string();
        settings.distribution.delivery_root = files.path().join("deliveries").display().to_string();
        settings.scheduler.poll_interval_ms = 200;
        settings.smtp.host = "127.0.0.1".to_owned();
        settings.smtp.port = smtp.port;
        settings.smtp.tls = SmtpTls::None;
        settings.smtp.timeout_secs = 60;
        settings.jobs.max_attempts = 3;
        settings.jobs.retry_base_ms = 200;
        settings.jobs.relay_interval_ms = 200;
        // A killed worker's jobs are taken over within seconds (its heartbeat goes stale, the
        // sweeper queues them again).
        settings.jobs.lease_secs = 2;
        settings.jobs.stalled_after_secs = 3;
        settings.scheduler.stalled_jobs_secs = 1;
        // Bulk jobs as fast as the workers go: the pace is measured by `./dev bench distribution`.
        settings.distribution.bulk_pairs_per_second = 0;
        settings.log.filter = "warn".to_owned();
        // Redis keys of this test's own, for the API and the workers alike.
        settings.cache.prefix = format!("test:{}:", db.name);
        configure(&mut settings);
        let queues = TestQueues::new(&settings);
        queues.apply(&mut settings);
        backbeat_telemetry::init(&settings.log, "backbeat-api");
        Self {
            settings,
            smtp,
            queues,
            db,
            _files: files,
        }
    }

    /// The API in this process, with `configure` applied on top of the stack's settings.
    pub async fn api_with(&self, configure: impl FnOnce(&mut Settings)) -> Api {
        let mut settings = self.settings.clone();
        configure(&mut settings);
        let app = Application::build(settings).await.expect("api builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Api(Client::with_request_id(address, "test-request-0001"))
    }

    /// The store the stack's processes use (its folder, or its S3 bucket).
    pub fn storage(&self) -> std::sync::Arc<dyn backbeat_storage::Storage> {
        backbeat_services::context::storage(&self.settings).expect("storage")
    }

    pub async fn api(&self) -> Api {
        self.api_with(|_| {}).await
    }

    fn worker_command(&self) -> Command {
        Self::worker_command_with(&self.settings)
    }

    fn worker_command_with(s: &Settings) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backbeat-worker"));
        command
            .env("APP_DATABASE__NAME", &s.database.name)
            .env("APP_RABBITMQ__PREFIX", &s.rabbitmq.prefix)
            .env("APP_CACHE__PREFIX", &s.cache.prefix)
            // Many workers run at once: each takes a free port for its endpoint.
            .env("APP_WORKER__HTTP_PORT", "0")
            .env(
                "APP_RABBITMQ__QUEUE_EXPIRES_MS",
                s.rabbitmq
                    .queue_expires_ms
                    .map(|e| e.to_string())
                    .unwrap_or_default(),
            )
            .env("APP_SMTP__HOST", &s.smtp.host)
            .env("APP_SMTP__PORT", s.smtp.port.to_string())
            .env("APP_SMTP__TLS", "none")
            .env("APP_SMTP__TIMEOUT_SECS", s.smtp.timeout_secs.to_string())
            .env("APP_JOBS__MAX_ATTEMPTS", s.jobs.max_attempts.to_string())
            .env("APP_JOBS__RETRY_BASE_MS", s.jobs.retry_base_ms.to_string())
            .env("APP_JOBS__NICE", s.jobs.nice.to_string())
            .env("APP_JOBS__LEASE_SECS", s.jobs.lease_secs.to_string())
            .env(
                "APP_JOBS__STALLED_AFTER_SECS",
                s.jobs.stalled_after_secs.to_string(),
            )
            .env(
                "APP_SCHEDULER__STALLED_JOBS_SECS",
                s.scheduler.stalled_jobs_secs.to_string(),
            )
            .env(
                "APP_DISTRIBUTION__BULK_PAIRS_PER_SECOND",
                s.distribution.bulk_pairs_per_second.to_string(),
            )
            .env(
                "APP_JOBS__RELAY_INTERVAL_MS",
                s.jobs.relay_interval_ms.to_string(),
            )
            .env(
                "APP_JOBS__SHUTDOWN_GRACE_SECS",
                s.jobs.shutdown_grace_secs.to_string(),
            )
            .env(
                "APP_SCHEDULER__POLL_INTERVAL_MS",
                s.scheduler.poll_interval_ms.to_string(),
            )
            .env(
                "APP_SCHEDULER__REFRESH_TOKEN_PURGE_SECS",
                s.scheduler.refresh_token_purge_secs.to_string(),
            )
            .env(
                "APP_SCHEDULER__ACCESS_MIRROR_SECS",
                s.scheduler.access_mirror_secs.to_string(),
            )
            .env(
                "APP_SCHEDULER__DUE_DISTRIBUTIONS_SECS",
                s.scheduler.due_distributions_secs.to_string(),
            )
            .env(
                "APP_SCHEDULER__ACKNOWLEDGEMENTS_SECS",
                s.scheduler.acknowledgements_secs.to_string(),
            )
            .env(
                "APP_SCHEDULER__VERIFICATION_EXPIRY_SECS",
                s.scheduler.verification_expiry_secs.to_string(),
            )
            .env(
                "APP_VERIFICATION__ALLOW_LOOPBACK",
                s.verification.allow_loopback.to_string(),
            )
            .env(
                "APP_VERIFICATION__FETCH_TIMEOUT_MS",
                s.verification.fetch_timeout_ms.to_string(),
            )
            .env(
                "APP_VERIFICATION__MAX_PAGE_BYTES",
                s.verification.max_page_bytes.to_string(),
            )
            .env(
                "APP_VERIFICATION__MAX_REDIRECTS",
                s.verification.max_redirects.to_string(),
            )
            .env("APP_WISTIA__BASE_URL", &s.wistia.base_url)
            .env(
                "APP_WISTIA__TOKEN",
                s.wistia
                    .token()
                    .map(|t| t.expose_secret().to_owned())
                    .unwrap_or_default(),
            )
            .env(
                "APP_WISTIA__REQUESTS_PER_MINUTE",
                s.wistia.requests_per_minute.to_string(),
            )
            .env("APP_WISTIA__BURST", s.wistia.burst.to_string())
            .env("APP_WISTIA__MAX_RETRIES", s.wistia.max_retries.to_string())
            .env(
                "APP_WISTIA__RETRY_BASE_MS",
                s.wistia.retry_base_ms.to_string(),
            )
            .env(
                "APP_WISTIA__MAX_RETRY_WAIT_MS",
                s.wistia.max_retry_wait_ms.to_string(),
            )
            .env(
                "APP_WISTIA__REQUEST_TIMEOUT_MS",
                s.wistia.request_timeout_ms.to_string(),
            )
            .env("APP_WISTIA__PER_PAGE", s.wistia.per_page.to_string())
            .env(
                "APP_VIDEOS__STATS_PER_SYNC",
                s.videos.stats_per_sync.to_string(),
            )
            .env(
                "APP_SCHEDULER__VIDEO_SYNC_SECS",
                s.scheduler.video_sync_secs.to_string(),
            )
            .env("APP_STORAGE__ROOT", &s.storage.root)
            .env(
                "APP_STORAGE__BACKEND",
                match s.storage.backend {
                    backbeat_config::StorageBackend::Local => "local",
                    backbeat_config::StorageBackend::S3 => "s3",
                },
            )
            .env("APP_STORAGE__SPOOL_DIR", &s.storage.spool_dir)
            .env("APP_STORAGE__S3__ENDPOINT", &s.storage.s3.endpoint)
            .env("APP_STORAGE__S3__REGION", &s.storage.s3.region)
            .env("APP_STORAGE__S3__BUCKET", &s.storage.s3.bucket)
            .env(
                "APP_STORAGE__S3__ACCESS_KEY_ID",
                &s.storage.s3.access_key_id,
            )
            .env(
                "APP_STORAGE__S3__SECRET_ACCESS_KEY",
                s.storage
                    .s3
                    .secret_access_key
                    .as_ref()
                    .map(|k| k.expose_secret().to_owned())
                    .unwrap_or_default(),
            )
            .env(
                "APP_STORAGE__S3__PART_BYTES",
                s.storage.s3.part_bytes.to_string(),
            )
            .env(
                "APP_STORAGE__S3__CACHE_BYTES",
                s.storage.s3.cache_bytes.to_string(),
            )
            .env(
                "APP_DISTRIBUTION__DELIVERY_ROOT",
                &s.distribution.delivery_root,
            )
            .env("APP_DISTRIBUTION__FSYNC", s.distribution.fsync.to_string())
            .env(
                "APP_DISTRIBUTION__SFTP_KEY_PATH",
                &s.distribution.sftp_key_path,
            )
            .env(
                "APP_DISTRIBUTION__BULK_CHUNK_RELEASES",
                s.distribution.bulk_chunk_releases.to_string(),
            )
            .env("APP_LOG__OTLP_ENDPOINT", &s.log.otlp_endpoint)
            .env("APP_LOG__OTLP_FLUSH_MS", s.log.otlp_flush_ms.to_string())
            .env("APP_LOG__FORMAT", "json")
            .env("APP_LOG__FILTER", "info");
        command
    }

    /// A `backbeat-worker` process; its JSON log lines are collected.
    pub fn spawn_worker(&self) -> Worker {
        let worker = self.start_worker();
        worker.wait_for_log("consuming jobs", Duration::from_secs(30));
        worker
    }

    /// `n` workers started together (their queue declarations race), each then waited for.
    pub fn spawn_workers(&self, n: usize) -> Vec<Worker> {
        let workers: Vec<Worker> = (0..n).map(|_| self.start_worker()).collect();
        for worker in &workers {
            worker.wait_for_log("consuming jobs", Duration::from_secs(30));
        }
        workers
    }

    /// A worker leading a session of its own (started through `setsid`, as `./dev run` does).
    pub fn spawn_worker_in_own_session(&self) -> Worker {
        let command = self.worker_command();
        let mut setsid = Command::new("setsid");
        setsid.arg(command.get_program());
        for (key, value) in command.get_envs() {
            if let Some(value) = value {
                setsid.env(key, value);
            }
        }
        let worker = Self::start(setsid);
        worker.wait_for_log("consuming jobs", Duration::from_secs(30));
        worker
    }

    /// A worker with settings of its own (storage and drop folders elsewhere), in its own
    /// working directory: a process on another machine.
    pub fn spawn_worker_with(&self, settings: &Settings, dir: &std::path::Path) -> Worker {
        let mut command = Self::worker_command_with(settings);
        command.current_dir(dir);
        let worker = Self::start(command);
        worker.wait_for_log("consuming jobs", Duration::from_secs(30));
        worker
    }

    fn start_worker(&self) -> Worker {
        Self::start(self.worker_command())
    }

    fn start(mut command: Command) -> Worker {
        let mut child = command
            .stderr(Stdio::piped())
            .spawn()
            .expect("start worker");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("lock").push(line);
            }
        });
        Worker { child, lines }
    }

    /// Runs `backbeat-worker <args>` to completion (operator commands).
    pub fn worker_cli(&self, args: &[&str]) -> std::process::Output {
        let output = self
            .worker_command()
            .args(args)
            .output()
            .expect("run worker command");
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }
}

pub struct Worker {
    pub child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Worker {
    pub fn logs(&self) -> Vec<String> {
        self.lines.lock().expect("lock").clone()
    }

    pub fn wait_for_log(&self, needle: &str, timeout: Duration) {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if self.logs().iter().any(|l| l.contains(needle)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "worker never logged `{needle}`:\n{}",
            self.logs().join("\n")
        );
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                started.elapsed() < timeout,
                "worker still running:\n{}",
                self.logs().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Api {
    /// A user owning a playlist of two songs: (token, playlist id, [(song id, title, performer)]).
    pub async fn listener_with_playlist(
        &self,
        username: &str,
    ) -> (String, String, Vec<(String, String, String)>) {
        let post = reqwest::Method::POST;
        let (status, _, _) = self
            .call(post.clone(), "/users", Some(json!({"username": username, "password": "secret-password", "fullname": "Listener"})), None)
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, body, _) = self
            .call(
                post.clone(),
                "/authentications",
                Some(json!({"username": username, "password": "secret-password"})),
                None,
            )
            .await;
        let token = body["data"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned();
        let (_, body, _) = self
            .call(
                post.clone(),
                "/playlists",
                Some(json!({"name": "Road <trip> & more"})),
                Some(&token),
            )
            .await;
        let playlist = body["data"]["playlistId"]
            .as_str()
            .expect("playlist")
            .to_owned();
        let mut songs = Vec::new();
        for (title, performer) in [("Life in Technicolor", "Coldplay"), ("Yellow", "Coldplay")] {
            let (_, body, _) = self
                .call(post.clone(), "/songs", Some(json!({"title": title, "year": 2008, "genre": "Indie", "performer": performer})), Some(&token))
                .await;
            let song = body["data"]["songId"].as_str().expect("song").to_owned();
            let (status, _, _) = self
                .call(
                    post.clone(),
                    &format!("/playlists/{playlist}/songs"),
                    Some(json!({"songId": song})),
                    Some(&token),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED);
            songs.push((song, title.to_owned(), performer.to_owned()));
        }
        (token, playlist, songs)
    }

    /// Starts an export; returns the job id.
    pub async fn export(&self, token: &str, playlist: &str, email: &str) -> String {
        let (status, body, headers) = self
            .call(
                reqwest::Method::POST,
                &format!("/export/playlists/{playlist}"),
                Some(json!({"targetEmail": email})),
                Some(token),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["status"], "success");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
        let job = body["data"]["jobId"].as_str().expect("jobId").to_owned();
        assert_eq!(
            headers["location"].to_str().expect("ascii"),
            format!("/jobs/{job}")
        );
        job
    }
}

/// The `playlist.json` attachment of a received message, parsed.
pub fn playlist_attachment(raw: &[u8]) -> Value {
    let message = mail_parser::MessageParser::default()
        .parse(raw)
        .expect("parse email");
    let attachment = message
        .attachments()
        .find(|a| a.attachment_name() == Some("playlist.json"))
        .expect("playlist.json attachment");
    serde_json::from_slice(attachment.contents()).expect("attachment is JSON")
}

impl Stack {
    /// The drop folder of a platform.
    pub fn drop_folder(&self, code: &str) -> std::path::PathBuf {
        std::path::Path::new(&self.settings.distribution.delivery_root).join(code)
    }

    /// The packages in a platform's drop folder, sorted (none when the folder does not exist);
    /// checks that none is left half-written in `.partial`.
    pub fn packages(&self, code: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.drop_folder(code)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|name| name != ".partial")
            .collect();
        names.sort();
        if let Ok(partials) = std::fs::read_dir(self.drop_folder(code).join(".partial")) {
            let left: Vec<_> = partials.map(|e| e.expect("entry").file_name()).collect();
            assert!(
                left.is_empty(),
                "{code}: packages left half-written: {left:?}"
            );
        }
        names
    }
}
