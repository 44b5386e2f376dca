//! A real OpenSSH server standing in for a platform's SFTP server: `sshd` on a free local port
//! with a host key of its own, one authorised client key (backbeat's, for the test), and its
//! internal SFTP server starting in a folder where the uploads land.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SftpServer {
    dir: tempfile::TempDir,
    child: Child,
    pub port: u16,
    /// The account backbeat logs in as (the user running the tests: sshd only lets an
    /// unprivileged server log in as itself).
    pub username: String,
    /// `SHA256:...`, as `ssh-keygen -l` prints the host key's fingerprint.
    pub host_key: String,
    /// The private key the server accepts.
    pub client_key: PathBuf,
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("run an OpenSSH tool");
    assert!(output.status.success(), "{command:?}: {output:?}");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// `kind`: `ed25519`, `ecdsa` (P-256), or `rsa` (3072 bits), which many platforms' servers still
/// use alone and ask their distributors' keys to be.
fn keygen(path: &Path, kind: &str) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", kind, "-N", "", "-C", "backbeat-test", "-f"])
        .arg(path));
}

/// The fingerprint as an admin would read it off the server.
pub fn fingerprint(public_key: &Path) -> String {
    let line = run(Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(public_key));
    line.split_whitespace()
        .nth(1)
        .expect("ssh-keygen -l: bits, fingerprint, comment")
        .to_owned()
}

fn sshd() -> PathBuf {
    ["/usr/sbin/sshd", "/usr/local/sbin/sshd"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("sshd is installed (./dev test installs openssh-server)")
}

impl SftpServer {
    /// With Ed25519 keys on both sides.
    pub fn start() -> Self {
        Self::with_keys("ed25519")
    }

    /// With `kind` keys (`ed25519`, `ecdsa` or `rsa`) on both sides: the server has that host key only.
    pub fn with_keys(kind: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let host_key = dir.path().join("host_key");
        let client_key = dir.path().join("client_key");
        keygen(&host_key, kind);
        keygen(&client_key, kind);
        std::fs::copy(
            client_key.with_extension("pub"),
            dir.path().join("authorized_keys"),
        )
        .expect("authorized_keys");
        std::fs::create_dir(dir.path().join("home")).expect("home");
        let username = run(Command::new("id").arg("-un")).trim().to_owned();
        // Privilege separation needs its empty folder when sshd runs as root.
        let _ = std::fs::create_dir_all("/run/sshd");
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let config = dir.path().join("sshd_config");
            std::fs::write(
                &config,
                format!(
                    "ListenAddress 127.0.0.1:{port}\n\
                     HostKey {host_key}\n\
                     PidFile none\n\
                     UsePAM no\n\
                     StrictModes no\n\
                     PermitRootLogin prohibit-password\n\
                     PubkeyAuthentication yes\n\
                     PasswordAuthentication no\n\
                     KbdInteractiveAuthentication no\n\
                     AuthorizedKeysFile {authorized}\n\
                     AllowUsers {username}\n\
                     Subsystem sftp internal-sftp\n\
                     ForceCommand internal-sftp -d {home}\n\
                     LogLevel ERROR\n",
                    host_key = host_key.display(),
                    authorized = dir.path().join("authorized_keys").display(),
                    home = dir.path().join("home").display(),
                ),
            )
            .expect("sshd_config");
            let mut child = Command::new(sshd())
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start sshd");
            if answers(port, &mut child) {
                return Self {
                    host_key: fingerprint(&host_key.with_extension("pub")),
                    dir,
                    child,
                    port,
                    username,
                    client_key,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("sshd did not start");
    }

    /// The login directory, where the uploads land.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    /// A fingerprint of some other key: what a server that is not this one would show.
    pub fn another_host_key(&self) -> String {
        let other = self.dir.path().join("other_key");
        if !other.exists() {
            keygen(&other, "ed25519");
        }
        fingerprint(&other.with_extension("pub"))
    }
}

/// Waits for the SSH banner; `false` when sshd exited (the port was taken meanwhile).
fn answers(port: u16, child: &mut Child) -> bool {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut banner = [0u8; 4];
            if stream.read_exact(&mut banner).is_ok() && &banner == b"SSH-" {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for SftpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
