//! SMTP over connections this crate opens, with TCP_NODELAY, kept open between emails.
//!
//! lettre's own transport connects with Nagle's algorithm on: the last small segment of each
//! email (the end of DATA) waits for the server's delayed ACK, about 40 ms on Linux, which was
//! most of a playlist export's latency. Opening the socket here sets the option; lettre still
//! speaks the protocol (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA) on it.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use backbeat_config::{SmtpSettings, SmtpTls};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use secrecy::ExposeSecret;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::MailError;

/// Connections kept open for the next emails; more are opened under load and closed after.
const IDLE_MAX: usize = 8;

pub struct SmtpSender {
    host: String,
    port: u16,
    tls: SmtpTls,
    timeout: Duration,
    credentials: Option<Credentials>,
    hello: ClientId,
    implicit_tls: Option<TlsConnector>,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
}

impl SmtpSender {
    pub fn new(smtp: &SmtpSettings) -> Result<Self, MailError> {
        let credentials = (!smtp.username.is_empty()).then(|| {
            let password = smtp
                .password
                .as_ref()
                .map(|p| p.expose_secret().to_owned())
                .unwrap_or_default();
            Credentials::new(smtp.username.clone(), password)
        });
        let implicit_tls = match smtp.tls {
            SmtpTls::Tls => {
                let roots = backbeat_tls::roots(None)
                    .map_err(|e| MailError::Invalid(format!("smtp TLS: {e}")))?;
                let config = backbeat_tls::client_config(roots, backbeat_tls::Verify::Full)
                    .map_err(|e| MailError::Invalid(format!("smtp TLS: {e}")))?;
                Some(TlsConnector::from(Arc::new(config)))
            }
            SmtpTls::Starttls | SmtpTls::None => None,
        };
        Ok(Self {
            host: smtp.host.clone(),
            port: smtp.port,
            tls: smtp.tls,
            timeout: Duration::from_secs(smtp.timeout_secs),
            credentials,
            hello: ClientId::default(),
            implicit_tls,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends one email; a connection that fails is dropped, never reused.
    #[tracing::instrument(target = "backbeat_calls", name = "smtp send", skip_all)]
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), MailError> {
        let mut connection = match self.reuse().await {
            Some(connection) => connection,
            None => self.connect().await?,
        };
        let sent = tokio::time::timeout(self.timeout, connection.send(envelope, message)).await;
        match sent {
            Ok(Ok(_)) => {
                self.keep(connection);
                Ok(())
            }
            Ok(Err(error)) => {
                connection.abort().await;
                Err(classify(error))
            }
            Err(_) => {
                connection.abort().await;
                Err(MailError::Unavailable(format!(
                    "the SMTP server did not answer within {:?}",
                    self.timeout
                )))
            }
        }
    }

    /// An idle connection the server still answers on (a NOOP), if any.
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let mut connection = self.idle.lock().ok()?.pop()?;
            if !connection.has_broken() && connection.test_connected().await {
                return Some(connection);
            }
            connection.abort().await;
        }
    }

    fn keep(&self, connection: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE_MAX
        {
            idle.push(connection);
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        let unreachable = |e: &dyn std::fmt::Display| {
            MailError::Unavailable(format!("SMTP server {}:{}: {e}", self.host, self.port))
        };
        let tcp = tokio::time::timeout(
            self.timeout,
            TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| unreachable(&"connect timed out"))?
        .map_err(|e| unreachable(&e))?;
        tcp.set_nodelay(true).map_err(|e| unreachable(&e))?;
        let stream: Box<dyn AsyncTokioStream> = match &self.implicit_tls {
            Some(connector) => {
                let name = rustls_pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|e| unreachable(&e))?;
                Box::new(ImplicitTls(
                    connector
                        .connect(name, tcp)
                        .await
                        .map_err(|e| unreachable(&e))?,
                ))
            }
            None => Box::new(tcp),
        };
        let handshake = async {
            let mut connection =
                AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await?;
            if self.tls == SmtpTls::Starttls {
                let parameters = TlsParameters::new(self.host.clone())?;
                connection.starttls(parameters, &self.hello).await?;
            }
            if let Some(credentials) = &self.credentials {
                connection
                    .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                    .await?;
            }
            Ok::<_, lettre::transport::smtp::Error>(connection)
        };
        tokio::time::timeout(self.timeout, handshake)
            .await
            .map_err(|_| unreachable(&"no greeting in time"))?
            .map_err(classify)
    }
}

/// A TLS connection from its first byte (`smtp.tls: tls`, port 465), as lettre takes streams.
#[derive(Debug)]
struct ImplicitTls(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl tokio::io::AsyncRead for ImplicitTls {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for ImplicitTls {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// A permanent refusal (5xx) is not worth retrying; anything else is.
fn classify(error: lettre::transport::smtp::Error) -> MailError {
    if error.is_permanent() {
        MailError::Rejected(error.to_string())
    } else {
        MailError::Unavailable(error.to_string())
    }
}
