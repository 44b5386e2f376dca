//! Connecting to PostgreSQL, in TLS as `database.ssl_mode` (or the URL's `sslmode`) asks, with
//! libpq's meanings. tokio-postgres knows `disable`, `prefer` and `require`; the certificate
//! checks of `verify-ca` and `verify-full` are the rustls configuration's.

use backbeat_config::DatabaseSettings;
use backbeat_tls::Verify;
use secrecy::ExposeSecret;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Connection, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

/// The stream of a connection made by [`Connector`].
pub type TlsStream = <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream;

use crate::DbError;

/// How to reach one database: the URL tokio-postgres reads, and the TLS it negotiates.
#[derive(Clone)]
pub struct Connector {
    url: String,
    tls: MakeRustlsConnect,
}

impl Connector {
    /// For `database` on the configured server. A bad `sslmode` or CA file is an error here,
    /// at start-up, rather than at the first query.
    pub fn new(settings: &DatabaseSettings, database: &str) -> anyhow::Result<Self> {
        let url = settings
            .connection_url_for(database)
            .expose_secret()
            .to_owned();
        let (head, query) = url
            .split_once('?')
            .map_or((url.as_str(), ""), |(h, q)| (h, q));
        let mut mode = settings.ssl_mode.clone();
        let mut params = Vec::new();
        for param in query.split('&').filter(|p| !p.is_empty()) {
            match param.strip_prefix("sslmode=") {
                Some(value) => mode = value.to_owned(),
                None => params.push(param.to_owned()),
            }
        }
        let has_ca = settings.ca_file.as_deref().is_some_and(|f| !f.is_empty());
        let (negotiate, verify) = match mode.as_str() {
            "disable" => ("disable", Verify::Nothing),
            "prefer" | "allow" if has_ca => ("prefer", Verify::Chain),
            "prefer" | "allow" => ("prefer", Verify::Nothing),
            "require" if has_ca => ("require", Verify::Chain),
            "require" => ("require", Verify::Nothing),
            "verify-ca" => ("require", Verify::Chain),
            "verify-full" => ("require", Verify::Full),
            other => anyhow::bail!(
                "database.ssl_mode (or sslmode) `{other}` is not disable, prefer, require, verify-ca or verify-full"
            ),
        };
        params.push(format!("sslmode={negotiate}"));
        let roots = backbeat_tls::roots(settings.ca_file.as_deref())?;
        let config = backbeat_tls::client_config(roots, verify)?;
        Ok(Self {
            url: format!("{head}?{}", params.join("&")),
            tls: MakeRustlsConnect::new(config),
        })
    }

    /// Opens a connection; the caller drives (spawns) the returned connection future.
    pub async fn connect(&self) -> Result<(Client, Connection<Socket, TlsStream>), DbError> {
        tokio_postgres::connect(&self.url, self.tls.clone())
            .await
            .map_err(|e| {
                // tokio-postgres says only "db error"; the server's message is the useful part.
                let detail = match e.as_db_error() {
                    Some(db) => db.message().to_owned(),
                    None => std::iter::successors(std::error::Error::source(&e), |s| s.source())
                        .fold(e.to_string(), |acc, s| format!("{acc}: {s}")),
                };
                DbError::Unavailable(format!("cannot connect to PostgreSQL: {detail}"))
            })
    }
}
