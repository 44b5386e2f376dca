//! Servers of a test's own on loopback, and TLS endpoints: a CA and a server certificate for
//! 127.0.0.1 made with `openssl` in a temporary folder, a TLS `redis-server`, and a
//! TLS-terminating `socat` in front of a plaintext port (RabbitMQ's).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Certificates {
    dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Certificates {
    /// A CA, and a server certificate it signed for `127.0.0.1` and `localhost`.
    pub fn generate() -> Self {
        let dir = tempfile::tempdir().expect("certificate folder");
        let path = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec!["req", "-x509"];
        ca.extend(ec);
        ca.extend([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=backbeat test CA",
        ]);
        openssl(path, &ca);
        let mut csr = vec!["req"];
        csr.extend(ec);
        csr.extend([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]);
        openssl(path, &csr);
        std::fs::write(
            path.join("server.ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        )
        .expect("extensions");
        openssl(
            path,
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-days",
                "2",
                "-extfile",
                "server.ext",
            ],
        );
        Self { dir }
    }

    pub fn ca(&self) -> String {
        self.file("ca.pem")
    }

    pub fn cert(&self) -> String {
        self.file("server.pem")
    }

    pub fn key(&self) -> String {
        self.file("server.key")
    }

    fn file(&self, name: &str) -> String {
        PathBuf::from(self.dir.path())
            .join(name)
            .display()
            .to_string()
    }
}

/// A child process listening on a port of its own, killed on drop.
pub struct Listener {
    pub port: u16,
    child: Child,
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// Waits until `child` listens on `port` (it is killed when the listener drops).
pub async fn listening(port: u16, mut child: Child) -> Listener {
    let started = Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the TLS endpoint exited: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "nothing listens on {port}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Listener { port, child }
}

/// `redis-server` speaking TLS only, with the generated certificate.
pub async fn redis(certs: &Certificates) -> Listener {
    let port = free_port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--tls-cert-file",
            &certs.cert(),
            "--tls-key-file",
            &certs.key(),
            "--tls-ca-cert-file",
            &certs.ca(),
            "--tls-auth-clients",
            "no",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is installed");
    listening(port, child).await
}

/// TLS on a port of its own, forwarded in plaintext to `target` on loopback (`socat`).
pub async fn terminating_proxy(certs: &Certificates, target: u16) -> Listener {
    let port = free_port();
    let child = Command::new("socat")
        .args([
            &format!(
                "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={},key={},verify=0",
                certs.cert(),
                certs.key()
            ),
            &format!("TCP:127.0.0.1:{target}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("socat is installed (apt-get install socat)");
    listening(port, child).await
}
