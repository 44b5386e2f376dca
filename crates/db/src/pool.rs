use std::time::Duration;

use backbeat_config::DatabaseSettings;
use deadpool::Runtime;
use diesel::ConnectionError;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use futures_util::FutureExt;
use secrecy::ExposeSecret;

use crate::DbError;
use crate::tls::Connector;

pub type DbPool = Pool<AsyncPgConnection>;
pub type PooledConnection = Object<AsyncPgConnection>;

/// Builds the pool. Connections are opened lazily, so this succeeds with the database down;
/// callers then get [`DbError::Unavailable`] within the acquire timeout instead of hanging.
/// A TLS setting that cannot work (an unknown `ssl_mode`, an unreadable CA file) fails here.
pub fn build(
    settings: &DatabaseSettings,
    application_name: &'static str,
) -> anyhow::Result<DbPool> {
    let connect_timeout = settings.connect_timeout();
    let statement_timeout_ms = settings.statement_timeout_ms;
    let connector = Connector::new(settings, &settings.name)?;
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |_url| {
        let connector = connector.clone();
        async move {
            establish(
                &connector,
                connect_timeout,
                application_name,
                statement_timeout_ms,
            )
            .await
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        settings.connection_url().expose_secret(),
        config,
    );
    let acquire = settings.acquire_timeout();
    Ok(Pool::builder(manager)
        .max_size(settings.pool_max_size)
        .wait_timeout(Some(acquire))
        .create_timeout(Some(connect_timeout))
        .recycle_timeout(Some(acquire))
        .runtime(Runtime::Tokio1)
        .build()?)
}

/// A diesel connection over the connector's TLS.
pub async fn connect(connector: &Connector) -> Result<AsyncPgConnection, ConnectionError> {
    let (client, connection) = connector
        .connect()
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

async fn establish(
    connector: &Connector,
    timeout: Duration,
    application_name: &str,
    statement_timeout_ms: u64,
) -> Result<AsyncPgConnection, ConnectionError> {
    let mut conn = tokio::time::timeout(timeout, connect(connector))
        .await
        .map_err(|_| ConnectionError::BadConnection("connect timed out".to_owned()))??;
    // A runaway query must not hold a pooled connection forever.
    conn.batch_execute(&format!(
        "SET application_name = '{application_name}'; SET statement_timeout = {statement_timeout_ms}"
    ))
    .await
    .map_err(ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

/// Takes a connection from the pool, mapping exhaustion and outages to [`DbError::Unavailable`].
pub async fn get(pool: &DbPool) -> Result<PooledConnection, DbError> {
    Ok(pool.get().await?)
}

/// `SELECT 1` as every read runs, a statement prepared once per connection: the cheapest round
/// trip a request can make to the database (the benchmark's reference).
pub async fn select_one(conn: &mut AsyncPgConnection) -> Result<i32, DbError> {
    use diesel::IntoSql;
    use diesel::sql_types::Integer;
    Ok(diesel::select(1.into_sql::<Integer>())
        .get_result(conn)
        .await?)
}

/// `SELECT 1` through the pool: the readiness check.
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    select_one(&mut *get(pool).await?).await.map(|_| ())
}
