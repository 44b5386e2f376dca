//! The container health checks of both binaries: one HTTP/1.0 request to the process's own
//! endpoint, so that images need no shell, curl or wget.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

/// `GET path` on `host:port` (an unspecified host means this machine); an error unless it
/// answers 200 within 3 s.
pub fn http_ok(host: &str, port: u16, path: &str) -> anyhow::Result<()> {
    let host: IpAddr = host
        .parse()
        .ok()
        .filter(|ip: &IpAddr| !ip.is_unspecified())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let address = SocketAddr::new(host, port);
    let timeout = Duration::from_secs(3);
    let mut stream = TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {address}\r\nUser-Agent: backbeat-healthcheck\r\n\r\n"
    )?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    let status_line = String::from_utf8_lossy(&head[..n]);
    anyhow::ensure!(
        status_line.starts_with("HTTP/1.1 200") || status_line.starts_with("HTTP/1.0 200"),
        "{address}{path}: {}",
        status_line.lines().next().unwrap_or("no answer")
    );
    Ok(())
}
