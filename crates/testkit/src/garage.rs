//! A real S3-compatible object store for tests: Garage (crates.io `garage`, installed by
//! `./dev test`), one node or a cluster, on loopback, in a folder of the test's own, with a bucket
//! and a key. Dropping it stops every node and deletes its data.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use backbeat_config::{Settings, StorageBackend};

pub const ACCESS_KEY_ID: &str = "GK31c2f218a2e44f485b94239e";
pub const SECRET_ACCESS_KEY: &str =
    "b892c0665f0ada8a4755dae98baa3b133590e11dae3bcc1f9d769d67f16c3835";
pub const BUCKET: &str = "backbeat";

struct Node {
    config: PathBuf,
    s3_port: u16,
    child: Option<Child>,
}

pub struct Garage {
    nodes: Vec<Node>,
    _dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn garage(config: &Path, args: &[&str]) -> String {
    let output = Command::new("garage")
        .arg("-c")
        .arg(config)
        .args(args)
        .output()
        .expect("garage runs (./dev test installs it)");
    assert!(
        output.status.success(),
        "garage {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Retries `args` until it succeeds (nodes take a moment to find each other).
fn garage_eventually(config: &Path, args: &[&str]) -> String {
    let started = Instant::now();
    loop {
        let output = Command::new("garage")
            .arg("-c")
            .arg(config)
            .args(args)
            .output()
            .expect("garage runs");
        if output.status.success() {
            return String::from_utf8_lossy(&output.stdout).into_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "garage {args:?} kept failing: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

impl Garage {
    /// One node, replication 1.
    pub fn start() -> Self {
        Self::cluster(1)
    }

    /// `n` nodes in one zone each, every object on every node (replication `n`).
    pub fn cluster(n: usize) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret: String = (0..32)
            .map(|_| format!("{:02x}", rand::random::<u8>()))
            .collect();
        let mut nodes = Vec::new();
        for i in 0..n {
            let root = dir.path().join(format!("node{i}"));
            std::fs::create_dir_all(&root).expect("node dir");
            let (rpc, s3, admin) = (free_port(), free_port(), free_port());
            let config = root.join("garage.toml");
            std::fs::write(
                &config,
                format!(
                    "metadata_dir = \"{root}/meta\"\n\
                     data_dir = \"{root}/data\"\n\
                     db_engine = \"sqlite\"\n\
                     replication_factor = {n}\n\
                     rpc_bind_addr = \"127.0.0.1:{rpc}\"\n\
                     rpc_public_addr = \"127.0.0.1:{rpc}\"\n\
                     rpc_secret = \"{secret}\"\n\
                     [s3_api]\n\
                     s3_region = \"garage\"\n\
                     api_bind_addr = \"127.0.0.1:{s3}\"\n\
                     root_domain = \".s3.garage.localhost\"\n\
                     [admin]\n\
                     api_bind_addr = \"127.0.0.1:{admin}\"\n",
                    root = root.display(),
                ),
            )
            .expect("garage.toml");
            let mut node = Node {
                config,
                s3_port: s3,
                child: None,
            };
            node.spawn();
            nodes.push(node);
        }
        let first = nodes[0].config.clone();
        let ids: Vec<String> = nodes
            .iter()
            .map(|node| {
                garage_eventually(&node.config, &["node", "id", "-q"])
                    .trim()
                    .to_owned()
            })
            .collect();
        for id in &ids[1..] {
            garage_eventually(&first, &["node", "connect", id]);
        }
        for (i, id) in ids.iter().enumerate() {
            let short = id.split('@').next().expect("node id");
            garage_eventually(
                &first,
                &[
                    "layout",
                    "assign",
                    "-z",
                    &format!("dc{i}"),
                    "-c",
                    "1G",
                    short,
                ],
            );
        }
        garage_eventually(&first, &["layout", "apply", "--version", "1"]);
        garage_eventually(&first, &["bucket", "create", BUCKET]);
        garage(
            &first,
            &["key", "import", "--yes", ACCESS_KEY_ID, SECRET_ACCESS_KEY],
        );
        garage(
            &first,
            &[
                "bucket",
                "allow",
                "--read",
                "--write",
                "--owner",
                BUCKET,
                "--key",
                ACCESS_KEY_ID,
            ],
        );
        Self { nodes, _dir: dir }
    }

    /// The S3 endpoint of node `i`.
    pub fn endpoint(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.nodes[i].s3_port)
    }

    /// A client of this store (node 0), spooling uploads in `spool`, caching up to `cache_bytes`.
    pub fn config(&self, spool: &Path, cache_bytes: u64) -> backbeat_storage::S3Config {
        backbeat_storage::S3Config {
            endpoint: self.endpoint(0),
            region: "garage".to_owned(),
            bucket: BUCKET.to_owned(),
            access_key_id: ACCESS_KEY_ID.to_owned(),
            secret_access_key: SECRET_ACCESS_KEY.to_owned(),
            ca_pem: None,
            part_bytes: 5 << 20,
            spool: spool.to_path_buf(),
            cache_bytes,
        }
    }

    /// The `APP_` variables that point a process at this store (node 0), without a cache.
    pub fn env(&self, spool: &Path) -> Vec<(String, String)> {
        [
            ("APP_STORAGE__BACKEND", "s3".to_owned()),
            ("APP_STORAGE__SPOOL_DIR", spool.display().to_string()),
            ("APP_STORAGE__S3__ENDPOINT", self.endpoint(0)),
            ("APP_STORAGE__S3__REGION", "garage".to_owned()),
            ("APP_STORAGE__S3__BUCKET", BUCKET.to_owned()),
            ("APP_STORAGE__S3__ACCESS_KEY_ID", ACCESS_KEY_ID.to_owned()),
            (
                "APP_STORAGE__S3__SECRET_ACCESS_KEY",
                SECRET_ACCESS_KEY.to_owned(),
            ),
            ("APP_STORAGE__S3__CACHE_BYTES", "0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Points `settings` at this store (node 0), with uploads spooled in `spool`.
    pub fn apply(&self, settings: &mut Settings, spool: &Path) {
        let s = &mut settings.storage;
        s.backend = StorageBackend::S3;
        s.spool_dir = spool.display().to_string();
        s.s3.endpoint = self.endpoint(0);
        s.s3.region = "garage".to_owned();
        s.s3.bucket = BUCKET.to_owned();
        s.s3.access_key_id = ACCESS_KEY_ID.to_owned();
        s.s3.secret_access_key = Some(SECRET_ACCESS_KEY.to_owned().into());
        s.s3.part_bytes = 5 << 20;
    }

    /// Stops node `i` at once (SIGKILL), as a machine that fails.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `i` again with its data.
    pub fn restart(&mut self, i: usize) {
        self.nodes[i].spawn();
    }
}

impl Node {
    fn spawn(&mut self) {
        let log = std::fs::File::create(self.config.with_file_name("server.log")).expect("log");
        self.child = Some(
            Command::new("garage")
                .arg("-c")
                .arg(&self.config)
                .arg("server")
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("garage server starts (./dev test installs garage)"),
        );
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}
